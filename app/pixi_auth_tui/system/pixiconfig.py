"""pixi's config files, read only for `authentication-override-file` (and `tls-no-verify`).

Exactly pixi's set (see DOMAIN.md), lowest priority first, later files winning:
`/etc/pixi/config.toml`; `$XDG_CONFIG_HOME/pixi/config.toml` *or*, only when that is unset,
`~/.config/pixi/config.toml`; `$PIXI_HOME/config.toml` *or*, only when that is unset,
`~/.pixi/config.toml`; then, inside a workspace, `<workspace>/.pixi/config.toml` on top.
`PIXI_NO_CONFIG` skips the global files; `PIXI_CONFIG_FILE` replaces them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pixi_auth_tui.system.safeio import UnreadableFile, read_limited

OVERRIDE_KEYS = ("authentication-override-file", "authentication_override_file")
TLS_NO_VERIFY_KEYS = ("tls-no-verify", "tls_no_verify")
MANIFESTS = ("pixi.toml", "pyproject.toml")


class OverrideLookup:
    """pixi's `authentication-override-file`: the file named (None: no config names one), the
    config.toml that named it, every config file consulted, and those pixi skips whole."""

    __slots__ = ("consulted", "errors", "path", "source", "tls_no_verify", "workspace")

    def __init__(
        self,
        path: Path | None = None,
        source: Path | None = None,
        consulted: list[Path] | None = None,
        errors: list[str] | None = None,
        tls_no_verify: bool = False,
        workspace: Path | None = None,
    ) -> None:
        self.path = path
        self.source = source  # the config.toml that set it
        self.consulted: list[Path] = [] if consulted is None else consulted
        self.errors: list[str] = [] if errors is None else errors
        # pixi's `tls-no-verify`: reported by the connection test, which still verifies.
        self.tls_no_verify = tls_no_verify
        self.workspace = workspace  # the workspace whose .pixi/config.toml was considered


def global_config_locations(env: dict[str, str], home: Path, platform: str | None = None) -> list[Path]:
    """pixi's global config files, lowest priority first."""
    platform = platform or sys.platform
    # pixi's clap arguments: --no-config (PIXI_NO_CONFIG) is checked before --config-file.
    if no_config(env):
        return []
    if env.get("PIXI_CONFIG_FILE"):
        return [Path(env["PIXI_CONFIG_FILE"])]  # as written: pixi does not expand `~`
    xdg = env.get("XDG_CONFIG_HOME")
    if platform != "darwin" and xdg and not Path(xdg).is_absolute():
        xdg = None  # the `dirs` crate ignores a relative XDG_CONFIG_HOME (~/.config is used)
    paths: list[Path] = []
    if platform == "win32":
        paths.append(Path(env.get("ProgramData") or "C:\\ProgramData") / "pixi" / "config.toml")
        if env.get("APPDATA"):
            paths.append(Path(env["APPDATA"]) / "pixi" / "config.toml")
    elif platform == "darwin":
        paths.append(Path("/etc/pixi/config.toml"))
        if xdg:
            paths.append(Path(xdg) / "pixi" / "config.toml")
        paths.append(home / "Library" / "Application Support" / "pixi" / "config.toml")
    else:
        paths.append(Path("/etc/pixi/config.toml"))
        paths.append((Path(xdg) if xdg else home / ".config") / "pixi" / "config.toml")
    # pixi_home(): PIXI_HOME as given whenever it is set (even empty: `config.toml` in the cwd).
    pixi_home = env.get("PIXI_HOME")
    paths.append(Path(pixi_home) / "config.toml" if pixi_home is not None else home / ".pixi" / "config.toml")
    # The same file reached twice counts once, at its last (highest-priority) place.
    unique: list[Path] = []
    for p in paths:
        if p in unique:
            unique.remove(p)
        unique.append(p)
    return unique


MAX_TOML_BYTES = 16 * 1024 * 1024  # a manifest or config file; pixi's own are a few KiB


class BadToml(ValueError):
    """A TOML file that cannot be read: the message is one line for a person, naming the file."""


def read_toml(path: Path, max_bytes: int = MAX_TOML_BYTES) -> dict[str, Any]:
    """A manifest's or config file's TOML, read through the bounded reader (a FIFO, a device
    or a link to /dev/zero is refused unread; at most `max_bytes`).

    FileNotFoundError/NotADirectoryError: absent. UnreadableFile, OSError: cannot be read.
    BadToml: not UTF-8, not TOML, or nested too deeply for tomllib (it recurses per level).
    """
    data = read_limited(path, max_bytes)
    import tomllib  # here: most runs read no TOML, and tomllib imports datetime too (bench/RESULTS.md)

    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise BadToml(f"{path}: not UTF-8 text (byte {err.start})") from err
    except tomllib.TOMLDecodeError as err:
        raise BadToml(f"{path}: not valid TOML ({err})") from err
    except RecursionError as err:
        raise BadToml(f"{path}: nested too deeply to be read") from err


# clap's BoolishValueParser, which reads PIXI_NO_CONFIG (case-insensitive).
TRUE_WORDS = frozenset({"y", "yes", "t", "true", "on", "1"})
FALSE_WORDS = frozenset({"n", "no", "f", "false", "off", "0"})


def no_config(env: dict[str, str]) -> bool:
    """PIXI_NO_CONFIG as pixi reads it: `0`, `false`, `no`, `off` are false; empty is unset."""
    return env.get("PIXI_NO_CONFIG", "").lower() in TRUE_WORDS


def no_config_problem(env: dict[str, str]) -> str | None:
    """PIXI_NO_CONFIG set to something clap refuses: pixi then stops with a usage error."""
    value = env.get("PIXI_NO_CONFIG", "")
    if not value or value.lower() in TRUE_WORDS | FALSE_WORDS:
        return None
    return f"PIXI_NO_CONFIG={value!r} is no boolean pixi understands, so every pixi command stops with an error"


def _is_pixi_manifest(path: Path) -> bool:
    if path.name == "pixi.toml":
        return path.is_file()
    try:
        doc = read_toml(path)
    except (OSError, BadToml):
        return False  # no pixi manifest that can be read: the search goes on upward, as pixi's does
    tool = doc.get("tool")
    return isinstance(tool, dict) and "pixi" in tool


def find_manifest(start: Path) -> Path | None:
    """The manifest of the pixi workspace `start` (a folder or a manifest) is in: from it upward,
    the first pixi.toml, or a pyproject.toml with a [tool.pixi] table, as pixi searches."""
    start = start.absolute()
    if start.is_file():
        return start if _is_pixi_manifest(start) else None
    for folder in (start, *start.parents):
        for name in MANIFESTS:
            if _is_pixi_manifest(folder / name):
                return folder / name
    return None


def find_workspace(start: Path) -> Path | None:
    """The folder of the pixi workspace `start` is in (see find_manifest)."""
    manifest = find_manifest(start)
    return manifest.parent if manifest is not None else None


def config_locations(
    env: dict[str, str], home: Path, workspace: Path | None = None, platform: str | None = None
) -> list[Path]:
    paths = global_config_locations(env, home, platform)
    if workspace is not None:
        paths.append(workspace / ".pixi" / "config.toml")
    return paths


def read_config_files(paths: list[Path], problems: list[str]) -> list[tuple[Path, dict[str, Any] | None]]:
    """Each config file that exists, lowest priority first, with its TOML (None when it is not
    valid TOML); why a file could not be read or parsed goes to `problems`."""
    read: list[tuple[Path, dict[str, Any] | None]] = []
    for path in paths:
        try:
            doc = read_toml(path)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except UnreadableFile as err:
            problems.append(str(err))
            continue
        except OSError as err:
            problems.append(f"cannot read {path}: {err.strerror}")
            continue
        except BadToml as err:
            problems.append(f"{err}; pixi skips the whole file")
            read.append((path, None))
            continue
        from pixi_auth_tui.system.pixischema import config_problem

        problem = config_problem(doc)
        if problem is not None:
            # pixi logs the error and merges nothing from the file (see pixischema).
            problems.append(f"{path}: {problem}, so pixi skips the whole file (none of its settings apply)")
            read.append((path, None))
            continue
        read.append((path, doc))
    return read


def find_override_file(env: dict[str, str], home: Path, workspace: Path | None = None) -> OverrideLookup:
    result = OverrideLookup(workspace=workspace)
    problem = no_config_problem(env)
    if problem:
        result.errors.append(problem)
    for config, doc in read_config_files(config_locations(env, home, workspace), result.errors):
        result.consulted.append(config)
        if doc is None:
            continue
        for key in OVERRIDE_KEYS:
            value = doc.get(key)
            if isinstance(value, str) and value:
                # Later (higher priority) files win.
                result.path = Path(value)  # as written: pixi does not expand `~` (paths.literal_tilde)
                result.source = config
            elif value is not None and not isinstance(value, str):
                result.errors.append(f"{config}: {key} must be a string path")
        for key in TLS_NO_VERIFY_KEYS:
            if isinstance(doc.get(key), bool):
                result.tls_no_verify = doc[key]
    return result
