"""netrc as uv 0.11.15 reads it (its `uv-netrc` crate, a port of Python's `netrc` module).

This is not rattler's reading (pixi_auth_tui.stores.netrc): the same file can be ignored whole
by rattler and still be used by uv for PyPI indexes. What uv does, from its sources:
- which file: `$NETRC` (with a leading `~` expanded), else `~/.netrc` — the first of the two
  that exists, so a `NETRC` naming a missing file (or `NETRC=`) falls back to `~/.netrc`;
- the text is decoded leniently (invalid UTF-8 becomes U+FFFD), then tokenised: a token is a
  run of non-blank characters where a backslash escapes the next one, or a `"…"` string in which
  a backslash escapes too (so `password "a b"` is `a b`); only space, tab, CR and LF separate;
- `#` as a whole word at the top level skips the rest of its line; a top-level word that
  only *starts* with `#` is skipped alone; inside an entry any word starting with `#` skips
  the rest of the line — except right after `login`/`password`/`account`, where it is the value;
- `login` or `user`, `password`, `account` follow `machine NAME` or `default`; `macdef NAME`
  swallows lines up to an empty one; any other word is a parse error, and then uv warns and
  uses no netrc at all;
- a later entry for the same name replaces the earlier one (`default` included);
- lookup: the entry for the request's host exactly (lower-case, as the URL gives it; never
  the port), else the `default` entry; when the URL names a user, the entry's login must be
  that user, or netrc gives nothing (the `default` entry is not tried then).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pixi_auth_tui.system.safeio import UnreadableFile, read_limited

MAX_NETRC_BYTES = 16 * 1024 * 1024
DEFAULT = "default"
_BLANK = "\n\t\r "


@dataclass(frozen=True)
class UvNetrcEntry:
    name: str  # the machine, or "default"
    login: str = ""
    account: str = ""
    password: str = ""


@dataclass
class UvNetrc:
    """What uv read: `path` None when no file exists; `error` set when uv ignores the file."""

    path: Path | None
    entries: dict[str, UvNetrcEntry] = field(default_factory=dict)
    error: str | None = None
    # Why this file and not the other: e.g. $NETRC names a missing file.
    note: str | None = None

    @property
    def usable(self) -> bool:
        return self.path is not None and self.error is None


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.lineno = 1
        self.pushback: list[str] = []

    def read_char(self) -> str | None:
        if self.pos >= len(self.text):
            return None
        ch = self.text[self.pos]
        self.pos += 1
        if ch == "\n":
            self.lineno += 1
        return ch

    def read_line(self) -> str:
        chars: list[str] = []
        while (ch := self.read_char()) is not None:
            if ch == "\n":
                break
            chars.append(ch)
        return "".join(chars)

    def get_token(self) -> str:
        if self.pushback:
            return self.pushback.pop(0)
        token: list[str] = []
        while (ch := self.read_char()) is not None:
            if ch in _BLANK:
                continue
            if ch == '"':
                while (ch := self.read_char()) is not None:
                    if ch == '"':
                        return "".join(token)
                    if ch == "\\":
                        escaped = self.read_char()
                        token.append(" " if escaped is None else escaped)
                    else:
                        token.append(ch)
                continue  # an unterminated string: the outer loop meets the end too
            if ch == "\\":
                escaped = self.read_char()
                ch = " " if escaped is None else escaped
            token.append(ch)
            while (ch := self.read_char()) is not None:
                if ch in _BLANK:
                    return "".join(token)
                if ch == "\\":
                    escaped = self.read_char()
                    ch = " " if escaped is None else escaped
                token.append(ch)
        return "".join(token)


class NetrcSyntaxError(ValueError):
    pass


def parse(text: str) -> dict[str, UvNetrcEntry]:
    """The entries by name, as uv's parser builds them; NetrcSyntaxError as uv's would fail."""
    hosts: dict[str, UvNetrcEntry] = {}
    lexer = _Lexer(text)
    while True:
        saved_lineno = lexer.lineno
        tt = lexer.get_token()
        if not tt:
            break
        if tt[0] == "#":
            if lexer.lineno == saved_lineno and len(tt) == 1:
                lexer.read_line()
            continue
        if tt == "machine":
            name = lexer.get_token()
        elif tt == DEFAULT:
            name = DEFAULT
        elif tt == "macdef":
            lexer.get_token()
            while lexer.read_line().strip():
                pass
            continue
        else:
            raise NetrcSyntaxError(f"parsing error: bad toplevel token '{tt}' (line {lexer.lineno})")
        if not name:
            raise NetrcSyntaxError(f"parsing error: missing '{tt}' name (line {lexer.lineno})")
        login = account = password = ""
        while True:
            prev_lineno = lexer.lineno
            tt = lexer.get_token()
            if tt.startswith("#"):
                if lexer.lineno == prev_lineno:
                    lexer.read_line()
                continue
            if tt in ("", "machine", DEFAULT, "macdef"):
                hosts[name] = UvNetrcEntry(name, login, account, password)
                lexer.pushback.append(tt)
                break
            if tt in ("login", "user"):
                login = lexer.get_token()
            elif tt == "account":
                account = lexer.get_token()
            elif tt == "password":
                password = lexer.get_token()
            else:
                raise NetrcSyntaxError(f"parsing error: bad follower token '{tt}' (line {lexer.lineno})")
    return hosts


def netrc_file(env: dict[str, str], home: Path) -> tuple[Path | None, str | None]:
    """The file uv reads and, when it is not the one `$NETRC` names, why."""
    named = env.get("NETRC")
    # Strings, not Paths: Path("") is "." (which exists); uv's empty path exists nowhere.
    candidates: list[str] = []
    if named is not None:
        candidates.append(_tilde(named, env, home))
    home_dir = env.get("HOME")
    if home_dir is not None:
        candidates.append(os.path.join(home_dir, ".netrc"))
    for at, candidate in enumerate(candidates):
        if candidate and os.path.exists(candidate):
            note = None
            if named is not None and at > 0:
                note = f"NETRC names {named!r}, which does not exist: uv falls back to {candidate}"
            return Path(candidate), note
    return None, None


def _tilde(value: str, env: dict[str, str], home: Path) -> str:
    # shellexpand's tilde(): a leading `~` alone or before a separator is the home folder.
    if value == "~" or value.startswith("~/"):
        base = env.get("HOME") or str(home)
        return base + value[1:]
    return value


def load(env: dict[str, str], home: Path) -> UvNetrc:
    path, note = netrc_file(env, home)
    if path is None:
        return UvNetrc(None)
    try:
        data = read_limited(path, MAX_NETRC_BYTES)
    except UnreadableFile as err:
        return UvNetrc(path, error=str(err), note=note)
    except OSError as err:
        return UvNetrc(path, error=f"cannot read {path}: {err.strerror or err}", note=note)
    try:
        entries = parse(data.decode("utf-8", errors="replace"))
    except NetrcSyntaxError as err:
        return UvNetrc(path, error=f"{err} in the file '{path}'", note=note)
    return UvNetrc(path, entries, note=note)


def lookup(netrc: UvNetrc, host: str, username: str | None) -> UvNetrcEntry | None:
    """The entry uv uses for a request to `host` (None when netrc gives nothing)."""
    if not netrc.usable:
        return None
    entry = netrc.entries.get(host) or netrc.entries.get(DEFAULT)
    if entry is None:
        return None
    if username is not None and username != entry.login:
        return None
    return entry
