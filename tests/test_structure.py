"""The shape of the code, as import-linter's contracts in pyproject.toml state it: the layers
(core at the bottom, then system, stores, engine, oauth, probe, audit, workspace, ui, cli on
top), no import cycle between the modules of a package (lazy imports inside functions count
too), and no Textual or Rich outside the UI. Plus the README's key table against the app."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "app" / "pixi_auth_tui"


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """import-linter with the project's contracts, over the package found in `package_parent`."""
    script = Path(sys.executable).with_name("lint-imports")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(package_parent), "NO_COLOR": "1"}
    return subprocess.run(
        [str(script), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_are_kept():
    run = lint_imports(ROOT / "app")
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    """A copy of the package with one import that breaks each contract."""
    parent = tmp_path_factory.mktemp("broken")
    copy = parent / "pixi_auth_tui"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    additions = {
        "engine/demo.py": "import textual  # noqa\n",  # the engine never imports Textual
        "core/words.py": "from pixi_auth_tui.stores import base  # noqa\n",  # core imports nothing of ours
        "probe/state.py": "from pixi_auth_tui.audit import findings  # noqa\n",  # a layer above
        "stores/memory.py": "from pixi_auth_tui.stores import netrc  # noqa\n",
        "stores/netrc.py": "from pixi_auth_tui.stores import memory  # noqa\n",  # a cycle in stores
    }
    for name, line in additions.items():
        path = copy / name
        path.write_text(path.read_text() + line)
    return lint_imports(parent)


@pytest.mark.parametrize(
    "broken_line",
    [
        "pixi_auth_tui.engine is not allowed to import textual",
        "pixi_auth_tui.core.words -> pixi_auth_tui.stores.base",
        "pixi_auth_tui.probe.state -> pixi_auth_tui.audit.findings",
        "No cycles are allowed in pixi_auth_tui.stores",
    ],
)
def test_the_contracts_catch_a_wrong_import(broken, broken_line):
    assert broken.returncode != 0
    assert broken_line in broken.stdout, broken.stdout


def test_the_readme_key_table_matches_the_app():
    import re

    from pixi_auth_tui.ui import present
    from pixi_auth_tui.ui.app import AuthApp
    from pixi_auth_tui.ui.main_screen import MainScreen

    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| key | action |") :].split("\n\n", 1)[0]
    documented = {key for line in table.splitlines()[2:] for key in re.findall(r"`([^`]+)`", line.split(" | ")[0])}
    bound = {present.key_name(b.key) for b in [*MainScreen.BINDINGS, *AuthApp.BINDINGS]}  # type: ignore[union-attr]
    # Enter, Home and End belong to the table widget; Ctrl+P to Textual
    assert documented == bound | {"Enter", "Home", "End"}


def test_the_main_screen_only_composes_and_routes():
    """Issue 24: the main screen lays out, holds what was read and routes keys and messages; the
    work lives in its widgets (ui/widgets) and dialogs. Its size is the cheap sign that it stays so."""
    lines = (ROOT / "app/pixi_auth_tui/ui/main_screen.py").read_text().count("\n")
    assert lines < 350, f"main_screen.py has {lines} lines: move the new behaviour into a widget of its own"
