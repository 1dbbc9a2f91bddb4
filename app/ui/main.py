"""Entry point of the terminal UI."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from pixi_auth_tui.paths import Environment

if TYPE_CHECKING:
    from pixi_auth_tui.ui.app import AuthApp


def build_app(environment: Environment, cwd: Path) -> AuthApp:
    """The app; started inside a pixi workspace (not on demo data), its Workspace view comes first."""
    from pixi_auth_tui.ui.app import AuthApp
    from pixi_auth_tui.workspace_read import NotAWorkspace, find_manifest

    app = AuthApp(environment)
    if environment.label != "demo":
        with suppress(NotAWorkspace, OSError):
            app.workspace_paths = [find_manifest(cwd)]
    return app


def run_tui(environment: Environment) -> int:
    from pixi_auth_tui.ui.reading import KeychainAhead

    # The keychain starts listing before Textual is imported, and lists while it is.
    ahead = KeychainAhead(environment)
    import pixi_auth_tui.ui.app  # noqa: F401

    build_app(ahead.environment(), Path.cwd()).run()
    return 0
