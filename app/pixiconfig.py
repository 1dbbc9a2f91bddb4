"""pixi's global config files, read only for `authentication-override-file`."""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pixi_auth_tui.safeio import UnreadableFile, read_limited

OVERRIDE_KEYS = ("authentication-override-file", "authentication_override_file")
TLS_NO_VERIFY_KEYS = ("tls-no-verify", "tls_no_verify")


@dataclass
class OverrideLookup:
    path: Path | None = None
    source: Path | None = None  # the config.toml that set it
    consulted: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # pixi's `tls-no-verify`: reported by the connection test, which still verifies.
    tls_no_verify: bool = False


def config_locations(env: dict[str, str], home: Path) -> list[Path]:
    """pixi's global config files, lowest priority first (see DOMAIN.md)."""
    if env.get("PIXI_CONFIG_FILE"):
        return [Path(env["PIXI_CONFIG_FILE"])]
    if env.get("PIXI_NO_CONFIG"):
        return []
    paths: list[Path] = []
    if sys.platform == "win32":
        if env.get("ProgramData"):
            paths.append(Path(env["ProgramData"]) / "pixi" / "config.toml")
        if env.get("APPDATA"):
            paths.append(Path(env["APPDATA"]) / "pixi" / "config.toml")
    else:
        paths.append(Path("/etc/pixi/config.toml"))
        paths.append(home / ".config" / "pixi" / "config.toml")
        if sys.platform == "darwin":
            paths.append(home / "Library" / "Application Support" / "pixi" / "config.toml")
        if env.get("XDG_CONFIG_HOME"):
            paths.append(Path(env["XDG_CONFIG_HOME"]) / "pixi" / "config.toml")
    paths.append(home / ".pixi" / "config.toml")
    if env.get("PIXI_HOME"):
        paths.append(Path(env["PIXI_HOME"]) / "config.toml")
    # The same file reached twice (e.g. XDG_CONFIG_HOME=~/.config) counts once, at its last place.
    unique: list[Path] = []
    for p in paths:
        if p in unique:
            unique.remove(p)
        unique.append(p)
    return unique


MAX_CONFIG_BYTES = 16 * 1024 * 1024


def find_override_file(env: dict[str, str], home: Path) -> OverrideLookup:
    result = OverrideLookup()
    for config in config_locations(env, home):
        try:
            data = read_limited(config, MAX_CONFIG_BYTES)
        except FileNotFoundError:
            continue
        except UnreadableFile as err:
            result.errors.append(str(err))
            continue
        except OSError as err:
            result.errors.append(f"cannot read {config}: {err.strerror}")
            continue
        result.consulted.append(config)
        try:
            doc = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            result.errors.append(f"{config}: not valid TOML ({err})")
            continue
        for key in OVERRIDE_KEYS:
            value = doc.get(key)
            if isinstance(value, str) and value:
                # Later (higher priority) files win.
                result.path = Path(value).expanduser()
                result.source = config
            elif value is not None and not isinstance(value, str):
                result.errors.append(f"{config}: {key} must be a string path")
        for key in TLS_NO_VERIFY_KEYS:
            if isinstance(doc.get(key), bool):
                result.tls_no_verify = doc[key]
    return result
