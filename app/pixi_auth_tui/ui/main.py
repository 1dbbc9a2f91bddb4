"""Entry point of the terminal UI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pixi_auth_tui.system import pixiconfig as pixiconfig
from pixi_auth_tui.system.paths import Environment

if TYPE_CHECKING:
    from pixi_auth_tui.ui.app import AuthApp


def workspace_manifest(cwd: Path) -> Path | None:
    """The manifest of the pixi workspace `cwd` is in, as `workspace_read.find_manifest` finds
    it (None where that raises), without importing workspace_read and tomllib on every start:
    the workspace view needs them only inside a workspace."""
    try:
        start = cwd.expanduser().resolve()
        if not start.exists():
            return None
        return start if start.is_file() else pixiconfig.find_manifest(start)
    except OSError:
        return None


def build_app(environment: Environment, cwd: Path, config: str | None = None) -> AuthApp:
    """The app; started inside a pixi workspace (not on demo data), its Workspace view comes first.
    `config` names the config.toml of the person's choices (`--config`)."""
    from pixi_auth_tui.system.preferences import load as load_preferences
    from pixi_auth_tui.ui.app import AuthApp

    app = AuthApp(environment, preferences=load_preferences(environment.env, config))
    if environment.label != "demo":
        manifest = workspace_manifest(cwd)
        if manifest is not None:
            app.workspace_paths = [manifest]
    return app


def run_tui(environment: Environment, config: str | None = None) -> int:
    from pixi_auth_tui.ui.reading import KeychainAhead

    # The keychain starts listing before Textual is imported, and lists while it is.
    ahead = KeychainAhead(environment)
    import pixi_auth_tui.ui.app  # noqa: F401

    app = build_app(ahead.environment(), Path.cwd(), config)
    app.run()
    # A crash sets a non-zero code (AuthApp._handle_exception); a normal quit leaves it unset.
    return app.return_code or 0
