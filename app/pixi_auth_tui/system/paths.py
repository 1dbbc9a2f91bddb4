"""Where this process looks: the home folder and environment, injectable for tests and --demo."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple


class Environment(NamedTuple):
    """This process's view of the machine: home, environment variables, the workspace that applies."""

    home: Path
    env: dict[str, str]  # (no default: a NamedTuple's would be one dict shared by every instance)
    # A Store used instead of the platform keychain (the demo's in-memory one).
    keychain: Any = None
    label: str = ""
    # The pixi workspace whose `.pixi/config.toml` applies (None: not inside one).
    workspace: Path | None = None

    @classmethod
    def current(cls, workspace: Path | None = None) -> Environment:
        """This process's view; the workspace is `workspace` (a folder or manifest) or the
        one the current directory is in, as pixi finds it."""
        from pixi_auth_tui.system.pixiconfig import find_workspace

        try:
            found = find_workspace(workspace if workspace is not None else Path.cwd())
        except OSError:  # e.g. the current directory was deleted: no workspace applies
            found = None
        if workspace is not None and found is None:
            raise ValueError(f"{workspace} is not a pixi workspace (no pixi.toml or pyproject.toml with [tool.pixi])")
        return cls(home=Path.home(), env=dict(os.environ), workspace=found)

    def get(self, name: str) -> str | None:
        value = self.env.get(name)
        return value if value else None


def state_folder(env: Mapping[str, str] | None = None) -> Path:
    """The app's own state folder: probe state, locks, backups, crash reports (never the user's)."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME")
    if base:
        return Path(base) / "pixi-auth-tui"
    import platformdirs  # (only without XDG_STATE_HOME: it imports tempfile and shutil)

    return Path(platformdirs.user_state_dir("pixi-auth-tui"))


def rattler_credentials_path(home: Path) -> Path:
    return home / ".rattler" / "credentials.json"


def literal_tilde(path: Path | None, named_by: str) -> str | None:
    """A warning when `path` starts with `~`: pixi and rattler take paths from the environment
    and from pixi's config as written, never expanding `~`, so `~/x` is a folder literally named
    `~` under the working directory, not the home folder."""
    if path is None or not path.parts or not path.parts[0].startswith("~"):
        return None
    return (
        f"{named_by} names {str(path)!r}: pixi and rattler do not expand `~`, so they read "
        f"{Path.cwd() / path} (a folder literally named {path.parts[0]!r} in the working directory), "
        "not a file in your home folder; write the full path instead"
    )
