"""netrc, read-only and parsed exactly as rattler's parser (the `netrc_rs` crate) reads it.

What that means, each checked against py-rattler:
- tokens are split on whitespace only: quotes and backslashes are ordinary characters
  (`password "ab"` sends `"ab"`, quotes included), and `#` starts no comment;
- any word that is not a keyword where a keyword is expected (`port`, `#`, the `b"` of
  `"a b"`, …) is a parse error, and so is `login`/`password`/`account` appearing more
  often than `machine`/`default` entries so far (a second `login` in one entry);
- on a parse error rattler warns and ignores the *whole* file;
- `macdef NAME` skips whitespace, then swallows lines up to the first empty one;
- a later entry for the same machine wins; `default` entries are never used;
- machine names are matched exactly as rattler matches any store's keys, wildcards included.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import NamedTuple

from pixi_auth_tui.core.model import BasicHTTP, Credential
from pixi_auth_tui.core.redact import REDACTOR
from pixi_auth_tui.stores.base import Entry, Snapshot, Store, StoreError, StoreState
from pixi_auth_tui.system.safeio import UnreadableFile, read_limited

DEFAULT_KEY = "default"
MAX_NETRC_BYTES = 16 * 1024 * 1024
KEYWORDS = ("machine", "default", "login", "password", "account", "macdef")
# Rust's char::is_whitespace (Unicode White_Space). Python's str.isspace() also counts
# U+001C..U+001F, which Rust does not, so the set is spelled out.
RUST_WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_CLASS = "".join(f"\\u{ord(c):04x}" for c in sorted(RUST_WHITESPACE))
# The full lexer's patterns, compiled when first used (functools.cache): see parse_netrc.
_SPACES = functools.cache(lambda: re.compile(f"[{_CLASS}]*"))
_WORD = functools.cache(lambda: re.compile(f"[^{_CLASS}]+"))
NOT_USED_DEFAULT = "rattler never uses a netrc `default` entry"
SUPERSEDED = "a later entry for the same machine in this netrc wins (rattler keeps the last)"


class NetrcMachine:
    """One `machine` (or `default`) of a netrc file, and the line it is on; its login and
    password are filled in as the parser reads them."""

    __slots__ = ("line", "login", "name", "password")

    def __init__(self, name: str | None, login: str | None = None, password: str | None = None, line: int = 0) -> None:
        self.name = name  # None for `default`
        self.login = login
        self.password = password
        self.line = line

    def __eq__(self, other: object) -> bool:
        # (the quick reading and the full parser are compared machine by machine)
        if type(other) is not NetrcMachine:
            return NotImplemented
        mine, theirs = (
            (self.name, self.login, self.password, self.line),
            (other.name, other.login, other.password, other.line),
        )
        return mine == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable: equal by value, so unhashable


class NetrcParse(NamedTuple):
    """A netrc file as rattler's parser reads it: its machines, and the error it stopped at."""

    machines: list[NetrcMachine]
    errors: list[str]  # at most one: like rattler's parser, we stop at the first error


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self._counted = (0, 1)  # (position, line there): pos only grows, so counting is incremental

    @property
    def line(self) -> int:
        at, line = self._counted
        line += self.text.count("\n", at, self.pos)
        self._counted = (self.pos, line)
        return line

    def _skip_whitespace(self) -> None:
        self.pos = _SPACES().match(self.text, self.pos).end()  # type: ignore[union-attr]

    def token(self) -> str | None:
        self._skip_whitespace()
        found = _WORD().match(self.text, self.pos)
        if found is None:
            return None
        self.pos = found.end()
        return found.group()

    def skip_macro_body(self) -> None:
        """The macro body: from the next non-blank character, lines up to an empty one.

        netrc_rs advances by each line's length in *bytes* plus one, but one *character*
        at a time; with non-ASCII text it lands past the line end. We do the same."""
        self._skip_whitespace()
        rest = self.text[self.pos :]
        parts = rest.split("\n")
        lines = [p[:-1] if p.endswith("\r") and i < len(parts) - 1 else p for i, p in enumerate(parts)]
        if rest.endswith("\n"):
            lines.pop()  # str::lines() yields no empty line after a final newline
        for line in lines:
            self.pos = min(len(self.text), self.pos + len(line.encode("utf-8")) + 1)
            if not line:
                break


# Python's str.split() splits ASCII text where Rust's whitespace would, but at these too.
_SPLIT_ONLY = "\x1c\x1d\x1e\x1f"


def parse_netrc(text: str) -> NetrcParse:
    """The machines rattler reads from `text`, or the first error it stops at."""
    quick = _parse_words(text)
    return quick if quick is not None else parse_netrc_fully(text)


def _parse_words(text: str) -> NetrcParse | None:
    """`parse_netrc_fully` for the files nearly everyone has — ASCII, no `macdef`, nothing
    rattler stops at — from str.split() per line instead of a regex per word (the lexer's cost
    grew with every machine: bench/RESULTS.md); None for any other file, and at the first error, so that
    every message comes from the full parser (tests/test_netrc_and_config.py compares them)."""
    if not text.isascii() or "macdef" in text or any(ch in text for ch in _SPLIT_ONLY):
        return None
    machines: list[NetrcMachine] = []
    counts = {"machine": 0, "login": 0, "password": 0, "account": 0}
    expect: str | None = None  # the keyword whose value the next word is
    machine_line = 0  # the line of the last `machine` keyword (its name may follow on another)
    for number, line in enumerate(text.split("\n"), 1):
        for word in line.split():
            if expect is not None:
                if expect == "machine":
                    machines.append(NetrcMachine(word, line=machine_line))
                else:
                    counts[expect] += 1
                    if counts[expect] > counts["machine"]:
                        return None
                    if expect == "login":
                        machines[-1].login = word
                    elif expect == "password":
                        machines[-1].password = word
                expect = None
            elif word == "machine":
                counts["machine"] += 1
                expect, machine_line = word, number
            elif word == "default":
                machines.append(NetrcMachine(None, line=number))
                counts["machine"] += 1
            elif word in ("login", "password", "account"):
                expect = word
            else:
                return None  # a stray word: the full parser words the error
    return None if expect is not None else NetrcParse(machines, [])


def parse_netrc_fully(text: str) -> NetrcParse:
    """parse_netrc, word by word as netrc_rs lexes (any text)."""
    lexer = _Lexer(text)
    machines: list[NetrcMachine] = []
    counts = {"machine": 0, "login": 0, "password": 0, "account": 0}

    def fail(message: str) -> NetrcParse:
        return NetrcParse(machines, [f"line {lexer.line}: {message}"])

    while (word := lexer.token()) is not None:
        if word == "machine":
            line = lexer.line
            name = lexer.token()
            if name is None:
                return fail("'machine' without a host name at the end of the file")
            machines.append(NetrcMachine(name, line=line))
            counts["machine"] += 1
        elif word == "default":
            machines.append(NetrcMachine(None, line=lexer.line))
            counts["machine"] += 1
        elif word in ("login", "password", "account"):
            value = lexer.token()
            if value is None:
                return fail(f"'{word}' without a value at the end of the file")
            counts[word] += 1
            if counts[word] > counts["machine"]:
                return fail(f"one '{word}' too many: each machine entry may have one (rattler's parser rule)")
            if word == "login":
                machines[-1].login = value
            elif word == "password":
                machines[-1].password = value
        elif word == "macdef":
            if lexer.token() is None:
                return fail("'macdef' without a macro name at the end of the file")
            lexer.skip_macro_body()
        else:
            # A stray word is often a secret (`pasword SECRET`, a password with a space): never echoed.
            line = lexer.line
            hint = " (quotes are not special to rattler)" if '"' in word else ""
            hint = hint or (" ('#' starts no comment for rattler)" if word.startswith("#") else "")
            import difflib  # (only for a file rattler cannot parse)

            close = difflib.get_close_matches(word, KEYWORDS, n=1, cutoff=0.75)
            if close:
                value = lexer.token()  # the mistyped keyword's value: a secret, shown nowhere
                if value is not None and value not in KEYWORDS:
                    REDACTOR.add(value)
                return NetrcParse(machines, [f"line {line}: unknown keyword {word!r} (did you mean {close[0]!r}?)"])
            REDACTOR.add(word)
            message = f"unexpected word ({len(word)} characters, not shown: it may be a secret){hint}"
            return NetrcParse(machines, [f"line {line}: {message}"])
    return NetrcParse(machines, [])


def netrc_path(env: dict[str, str], home: Path) -> Path | None:
    """The netrc rattler reads: `$NETRC` as written (no `~` expansion), else ~/.netrc; None when
    NETRC is set but empty, which rattler takes as an explicit file that is missing: no netrc."""
    if "NETRC" in env:
        return Path(env["NETRC"]) if env["NETRC"] else None
    return home / (".netrc" if os.name != "nt" else "_netrc")


EMPTY_NETRC = "NETRC is set but empty: rattler reads no netrc at all (not even ~/.netrc)"


def netrc_entries(machines: list[NetrcMachine], store_id: str) -> list[Entry]:
    """One entry per machine, in file order; the ones rattler does not use carry a note."""
    last = {m.name: i for i, m in enumerate(machines) if m.name is not None}
    entries = []
    for i, m in enumerate(machines):
        note = NOT_USED_DEFAULT if m.name is None else (SUPERSEDED if last[m.name] != i else None)
        cred = BasicHTTP(m.login or "", m.password or "")
        entries.append(Entry(m.name if m.name is not None else DEFAULT_KEY, cred, store_id, note=note))
    return entries


class NetrcStore(Store):
    writable = False

    def __init__(self, path: Path | None) -> None:
        self.id = "netrc"
        self.name = "netrc"
        self.path = path
        self.location = str(path) if path is not None else "(NETRC is set but empty)"

    def load(self) -> Snapshot:
        if self.path is None:
            return Snapshot(self.id, StoreState.MISSING, EMPTY_NETRC)
        try:
            data = read_limited(self.path, MAX_NETRC_BYTES)  # a FIFO or /dev/zero is refused, not read
        except UnreadableFile as err:
            return Snapshot(self.id, StoreState.ERROR, str(err))
        except FileNotFoundError:
            return Snapshot(self.id, StoreState.MISSING, "file does not exist")
        except OSError as err:
            return Snapshot(self.id, StoreState.ERROR, f"cannot read {self.path}: {err.strerror}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            return Snapshot(
                self.id,
                StoreState.MALFORMED,
                f"not UTF-8 text (byte {err.start}): rattler ignores the whole netrc",
                problems=[f"byte {err.start}: not UTF-8"],
            )
        parsed = parse_netrc(text)
        entries = netrc_entries(parsed.machines, self.id)
        if parsed.errors:
            # rattler logs a warning and ignores the whole netrc when it cannot parse it.
            return Snapshot(
                self.id,
                StoreState.MALFORMED,
                f"rattler cannot parse it ({parsed.errors[0]}) and ignores the whole netrc",
                entries,
                problems=parsed.errors,
            )
        return Snapshot(self.id, StoreState.OK, f"{len(entries)} machines", entries)

    def set(self, key: str, credential: Credential, *, expect: str | None = None, was: str | None = None) -> bool:
        raise StoreError("netrc is read-only here, as it is for rattler; edit it by hand")

    def remove(
        self, key: str, *, expect: str | None = None, item_ref: str | None = None, was: str | None = None
    ) -> None:
        raise StoreError("netrc is read-only here, as it is for rattler; edit it by hand")
