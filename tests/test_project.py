"""Project hygiene that users feel: lint-clean code and an installable wheel with its styles."""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "app", "tests", "bench", "screenshots"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_basic_is_clean(tmp_path):
    """Type-checked as it is imported (basedpyright bundles its own node; nothing is fetched)."""
    (tmp_path / "pixi_auth_tui").symlink_to(ROOT / "app" / "pixi_auth_tui", target_is_directory=True)
    config = {"typeCheckingMode": "basic", "pythonVersion": "3.11", "include": ["pixi_auth_tui"], "extraPaths": ["."]}
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(config))
    result = subprocess.run(
        [sys.executable, "-m", "basedpyright", "--pythonpath", sys.executable],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 errors" in result.stdout


def clean_copy(dest: Path) -> Path:
    """The tracked tree as a fresh clone has it: a stale build/ or an untracked module cannot leak in."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    for name in listed.stdout.splitlines():
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def test_wheel_ships_the_package_under_its_own_name(tmp_path):
    source = clean_copy(tmp_path / "src")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), "."],
        cwd=source,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == {"pixi_auth_tui"}, top_level
    assert "pixi_auth_tui/styles/app.tcss" in names
    shipped = {n.removeprefix("pixi_auth_tui/") for n in names if n.endswith(".py") and "/styles/" not in n}
    expected = {
        str(p.relative_to(ROOT / "app" / "pixi_auth_tui")) for p in (ROOT / "app" / "pixi_auth_tui").rglob("*.py")
    }
    assert shipped == expected


def test_license_matches_the_metadata():
    license_text = (ROOT / "LICENSE").read_text()
    assert "MIT License" in license_text
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text()
