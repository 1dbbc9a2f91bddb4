"""Entry point of the terminal UI."""

from __future__ import annotations

from pixi_auth_tui.paths import Environment


def run_tui(environment: Environment) -> int:
    from contextlib import suppress
    from pathlib import Path

    from pixi_auth_tui.ui.app import AuthApp
    from pixi_auth_tui.workspace_read import NotAWorkspace, find_manifest

    app = AuthApp(environment)
    if environment.label != "demo":
        with suppress(NotAWorkspace, OSError):
            app.workspace_paths = [find_manifest(Path.cwd())]  # inside a workspace: its view comes first
    app.run()
    return 0
