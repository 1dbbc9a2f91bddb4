"""The user's choices that outlive a session: theme, sort, where the detail pane sits, the last
workspace, and a keymap — as posting and harlequin keep theirs.

Two TOML files in the user config folder of `pixi-auth-tui` (`$XDG_CONFIG_HOME/pixi-auth-tui/`
on Linux), every key optional; `PIXI_AUTH_TUI_CONFIG` or `--config PATH` names another
config.toml (its keymap.toml sits beside it):

    config.toml   theme = "nord"          any theme of the command palette
                  sort = "key"            a column as headed, in lower case ("user / secret"), or "" for pixi's order
                  sort-reverse = false
                  detail-pane = "auto"    auto (by the width) | beside | below
                  workspace = "/path/to/pixi.toml"
    keymap.toml   add = "a,insert"        an action's id = its keys (the README's key table lists the ids)

A file that cannot be read or parsed is one clear line, and the defaults. A value of the wrong
type is one clear line, and that key's default. Writing one choice rewrites that one line and
keeps the rest of the file (comments included) as the user wrote it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.system.safeio import UnreadableFile, read_limited

CONFIG_VARIABLE = "PIXI_AUTH_TUI_CONFIG"
DETAIL_PLACES = ("auto", "beside", "below")
MAX_BYTES = 256 * 1024


class Preferences(NamedTuple):
    theme: str | None = None
    sort: str | None = None  # a column's name; None: pixi's lookup order
    sort_reverse: bool = False
    detail_pane: str = "auto"
    workspace: str | None = None
    keymap: Mapping[str, str] = MappingProxyType({})
    path: Path | None = None  # config.toml, where choices are saved; None: nowhere (demo data)
    problems: tuple[str, ...] = ()  # one line each, for the person


# key in config.toml → (attribute, accepted type, check)
_KEYS: dict[str, tuple[str, type, tuple[str, ...] | None]] = {
    "theme": ("theme", str, None),
    "sort": ("sort", str, None),
    "sort-reverse": ("sort_reverse", bool, None),
    "detail-pane": ("detail_pane", str, DETAIL_PLACES),
    "workspace": ("workspace", str, None),
}


def config_file(env: Mapping[str, str], override: str | None = None) -> Path:
    """config.toml: `--config`, else $PIXI_AUTH_TUI_CONFIG, else the user config folder."""
    chosen = override or env.get(CONFIG_VARIABLE)
    if chosen:
        return Path(chosen)
    if sys.platform.startswith("linux") or "XDG_CONFIG_HOME" in env:
        base = env.get("XDG_CONFIG_HOME", "")
        if not os.path.isabs(base):  # a relative value is ignored, as the XDG spec says
            base = str(Path(env.get("HOME") or Path.home()) / ".config")
        return Path(base) / "pixi-auth-tui" / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir("pixi-auth-tui", appauthor=False)) / "config.toml"


def _read_toml(path: Path) -> tuple[dict[str, object], str | None]:
    try:
        data = read_limited(path, MAX_BYTES)
    except FileNotFoundError:
        return {}, None
    except UnreadableFile as err:
        return {}, f"{plain(str(err))}; using the defaults"
    except (OSError, ValueError) as err:
        return {}, f"{plain(str(path))}: cannot be read ({plain(type(err).__name__)}); using the defaults"
    import tomllib  # (only when a config file exists)

    try:
        return tomllib.loads(data.decode("utf-8")), None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as err:
        reason = plain(str(err).splitlines()[0] if str(err) else type(err).__name__)
        return {}, f"{plain(str(path))}: not valid TOML ({reason}); using the defaults"


def load(env: Mapping[str, str], override: str | None = None) -> Preferences:
    path = config_file(env, override)
    problems: list[str] = []
    values: dict[str, object] = {}
    data, problem = _read_toml(path)
    if problem:
        problems.append(problem)
    for key, value in data.items():
        if key not in _KEYS:
            problems.append(f"{plain(str(path))}: unknown setting {plain(key)!r} ignored")
            continue
        attribute, kind, allowed = _KEYS[key]
        if not isinstance(value, kind) or (allowed is not None and value not in allowed):
            wanted = (
                " | ".join(allowed) if allowed else kind.__name__.replace("str", "text").replace("bool", "true/false")
            )
            problems.append(f"{plain(str(path))}: {key} must be {wanted}; using the default")
            continue
        values[attribute] = value
    if values.get("sort") == "":
        values["sort"] = None
    keymap_path = path.with_name("keymap.toml")
    keys, problem = _read_toml(keymap_path)
    keymap: dict[str, str] = {}
    if problem:
        problems.append(problem)
    for action, binding in keys.items():
        if isinstance(binding, str) and binding.strip():
            keymap[action] = binding
        else:
            problems.append(f'{plain(str(keymap_path))}: {plain(action)} must be keys as text, e.g. "ctrl+a"')
    return Preferences(**values, keymap=keymap, path=path, problems=tuple(problems))  # type: ignore[arg-type]


def _toml_value(value: str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    # A JSON string is a TOML basic string, but for DEL and astral escapes (surrogate pairs).
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


_TABLE_HEADER = re.compile(r"^\s*\[")


def _with_setting(text: str, key: str, value: str | bool) -> str:
    """`text` (a config.toml) with `key = value` set at the top level, every other line kept."""
    line = f"{key} = {_toml_value(value)}"
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
    lines = text.splitlines()
    top_level_end = len(lines)
    for number, existing in enumerate(lines):
        if _TABLE_HEADER.match(existing):
            top_level_end = number
            break
        if pattern.match(existing):
            lines[number] = line
            return "\n".join(lines) + "\n"
    lines.insert(top_level_end, line)
    return "\n".join(lines) + "\n"


def save(preferences: Preferences, **choices: str | bool | None) -> tuple[Preferences, str | None]:
    """Remembers `choices` (attribute names of Preferences) in config.toml. Returns the new
    preferences and, when the file could not be written, one line saying so."""
    updated = preferences._replace(**choices)
    path = preferences.path
    if path is None:
        return updated, None
    by_attribute = {attribute: key for key, (attribute, _, _) in _KEYS.items()}
    import tomllib

    try:
        target = path.resolve()  # a config.toml linked from a dotfiles folder is written there
        try:
            text = read_limited(target, MAX_BYTES).decode("utf-8")
        except FileNotFoundError:
            text = ""
        tomllib.loads(text)  # never rewrite a file we could not read: the user's text would be lost
        for attribute, value in choices.items():
            text = _with_setting(text, by_attribute[attribute], "" if value is None else value)
        tomllib.loads(text)
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=target.parent, prefix=".config-", suffix=".toml", delete=False
        ) as tmp:
            tmp.write(text)
        os.replace(tmp.name, target)
    except (OSError, ValueError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        return updated, f"could not save the choice in {plain(str(path))}: {plain(type(err).__name__)}"
    return updated, None
