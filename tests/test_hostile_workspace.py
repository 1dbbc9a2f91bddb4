"""Hostile workspace folders (issue 23, item 7): a manifest or config file that is a FIFO (a
read would wait forever), a link to /dev/zero (a read would never end), or TOML nested 5,000
levels (tomllib recurses per level). Commands that do not need the manifest run as if it were
absent; those that do (`check`, the Workspace view) say what is wrong in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pixi_auth_tui.system import pixiconfig
from pixi_auth_tui.system.manifest import read_manifest
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.main import build_app
from pixi_auth_tui.ui.workspace_screen import WorkspaceScreen

from tests.conftest import NO_BUS, make_env
from tests.test_ui import screen_text, settle

NESTED = "x = " + "[" * 5000 + "]" * 5000 + "\n"
GOOD = '[workspace]\nname = "w"\nchannels = ["https://prefix.dev/c"]\nplatforms = ["linux-64"]\n'


def hostile_folders(root: Path) -> dict[str, Path]:
    """Each folder holds one hostile file where pixi looks for a manifest or its config."""
    made: dict[str, Path] = {}

    def folder(name: str) -> Path:
        path = made[name] = root / name
        path.mkdir(parents=True)
        return path

    os.mkfifo(folder("pyproject-fifo") / "pyproject.toml")
    os.mkfifo(folder("pixi-fifo") / "pixi.toml")
    (folder("pyproject-zero") / "pyproject.toml").symlink_to("/dev/zero")
    (folder("pixi-zero") / "pixi.toml").symlink_to("/dev/zero")
    (folder("pyproject-deep") / "pyproject.toml").write_text("[tool.pixi]\n" + NESTED)
    (folder("pixi-deep") / "pixi.toml").write_text(NESTED)
    for name, make in (("config-fifo", os.mkfifo), ("config-deep", None), ("config-zero", None)):
        ws = folder(name)
        (ws / "pixi.toml").write_text(GOOD)
        (ws / ".pixi").mkdir()
        config = ws / ".pixi" / "config.toml"
        if make is not None:
            make(config)
        elif name == "config-deep":
            config.write_text(NESTED)
        else:
            config.symlink_to("/dev/zero")
    return made


def run_child(home: Path, cases: list[tuple[str, list[str]]]) -> list[dict]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "DBUS_SESSION_BUS_ADDRESS": NO_BUS,
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("hostile_workspace_child.py"))],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.splitlines()[-1])


def test_no_command_hangs_or_crashes_in_a_hostile_workspace(home, tmp_path):
    (home / ".rattler").mkdir()
    (home / ".rattler" / "credentials.json").write_text('{"prefix.dev": {"BearerToken": "pfx_ws-0123456789"}}')
    folders = hostile_folders(tmp_path / "hostile")
    commands = [["list"], ["list", "--json"], ["resolve", "https://prefix.dev/c"], ["audit"], ["check"]]
    results = run_child(home, [(str(path), argv) for path in folders.values() for argv in commands])
    for result in results:
        where = f"{Path(result['folder']).name} {' '.join(result['argv'])}"
        assert result["code"] not in (70, "MemoryError"), (where, result["err"])
        assert "internal error" not in result["err"] and "Traceback" not in result["err"], where
        if result["argv"][0] in ("list", "resolve"):
            assert result["code"] == 0 and "prefix.dev" in result["out"], (where, result["err"])
    checks = {Path(r["folder"]).name: r for r in results if r["argv"] == ["check"]}
    for name in ("pixi-deep", "config-deep"):
        assert "nested too deeply" in checks[name]["out"] + checks[name]["err"], checks[name]
    for name in ("config-fifo", "config-zero"):
        said = checks[name]["out"] + checks[name]["err"]
        assert "not a file; it was not read" in said, checks[name]


def test_reading_a_hostile_manifest_is_one_line(tmp_path):
    folders = hostile_folders(tmp_path)
    for name in ("pixi-fifo", "pixi-zero", "pixi-deep", "pyproject-fifo", "pyproject-zero", "pyproject-deep"):
        manifest = next(folders[name].iterdir())
        problems = read_manifest(manifest).problems
        assert len(problems) == 1 and "\n" not in problems[0] and str(manifest) in problems[0], problems
    with pytest.raises(pixiconfig.BadToml, match="nested too deeply"):
        pixiconfig.read_toml(folders["pixi-deep"] / "pixi.toml")


async def test_the_ui_starts_in_a_hostile_workspace(home, tmp_path):
    folders = hostile_folders(tmp_path)
    for name in ("pyproject-fifo", "pyproject-zero", "pyproject-deep"):
        assert build_app(make_env(home), folders[name]).workspace_paths == []  # not a workspace
    app = build_app(make_env(home), folders["pixi-deep"])
    assert isinstance(app, AuthApp) and app.workspace_paths == [folders["pixi-deep"] / "pixi.toml"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        worker = getattr(pilot.app.screen, "running", None)
        if worker is not None:
            await worker.wait()
            await settle(pilot)
        assert app.is_running and isinstance(app.screen, WorkspaceScreen) and app.screen.report is not None
        (finding,) = [f for f in app.screen.report.findings if f.code == "manifest-problem"]
        assert "nested too deeply" in finding.explanation and "nested too deeply" in screen_text(app)
    assert app.return_code in (None, 0)
