"""Entry point of the terminal UI."""

from __future__ import annotations

from pixi_auth_tui.paths import Environment


def run_tui(environment: Environment) -> int:
    from pixi_auth_tui.ui.app import AuthApp

    AuthApp(environment).run()
    return 0
