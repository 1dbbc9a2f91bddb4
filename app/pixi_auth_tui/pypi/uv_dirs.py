"""Where uv keeps `credentials.toml` (uv-dirs, uv-state), apart from reading and writing it
(uv_store): every command finds out whether the file exists, few read it."""

from __future__ import annotations

import sys
from pathlib import Path

FILE_NAME = "credentials.toml"


def state_dir(env: dict[str, str], home: Path, platform: str | None = None) -> Path:
    """uv's state folder (uv_dirs::user_state_dir, or the legacy one when it exists)."""
    platform = platform or sys.platform
    home_dir = Path(env["HOME"]) if env.get("HOME") else home
    if platform == "win32":
        appdata = Path(env.get("APPDATA") or home_dir / "AppData" / "Roaming")
        legacy = appdata / "uv" / "data"
        return legacy if legacy.exists() else appdata / "uv"
    if platform == "darwin":
        legacy = home_dir / "Library" / "Application Support" / "uv"
        if legacy.exists():
            return legacy
    xdg = env.get("XDG_DATA_HOME")
    data = Path(xdg) if xdg and Path(xdg).is_absolute() else home_dir / ".local" / "share"
    return data / "uv"


def credentials_path(env: dict[str, str], home: Path, platform: str | None = None) -> Path:
    explicit = env.get("UV_CREDENTIALS_DIR")
    if explicit:
        return Path(explicit) / FILE_NAME
    return state_dir(env, home, platform) / "credentials" / FILE_NAME
