"""Entry point of the terminal UI."""

from __future__ import annotations

from app.paths import Environment


def run_tui(environment: Environment) -> int:
    from app.ui.app import AuthApp

    AuthApp(environment).run()
    return 0
