"""netrc, read-only as in rattler: every `machine` entry is a BasicHTTP credential.

rattler looks entries up by machine name only, so a `default` entry is shown but
never used. Parse errors are reported with their line and do not stop the others.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from pixi_auth_tui.model import BasicHTTP, Credential
from pixi_auth_tui.redact import REDACTOR
from pixi_auth_tui.safeio import UnreadableFile, read_limited
from pixi_auth_tui.stores.base import Entry, Snapshot, Store, StoreError, StoreState

DEFAULT_KEY = "default"
KEYWORDS = ("machine", "default", "login", "password", "account", "macdef")
MAX_NETRC_BYTES = 16 * 1024 * 1024


@dataclass
class NetrcMachine:
    name: str | None  # None for `default`
    login: str = ""
    password: str = ""
    line: int = 0


@dataclass
class NetrcParse:
    machines: list[NetrcMachine]
    errors: list[str]


def _tokens(text: str) -> list[tuple[str, int]]:
    """Whitespace-separated tokens with line numbers; `"quoted strings"` and macdef bodies handled."""
    tokens: list[tuple[str, int]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        first_on_line = len(tokens)
        pos = 0
        while pos < len(line):
            ch = line[pos]
            if ch.isspace():
                pos += 1
                continue
            if ch == "#" and (pos == 0 or line[:pos].strip() == ""):
                break  # comment line
            if ch == '"':
                end = pos + 1
                buf: list[str] = []
                while end < len(line) and line[end] != '"':
                    if line[end] == "\\" and end + 1 < len(line):
                        end += 1
                    buf.append(line[end])
                    end += 1
                tokens.append(("".join(buf), i + 1))
                pos = end + 1
                continue
            end = pos
            while end < len(line) and not line[end].isspace():
                end += 1
            tokens.append((line[pos:end], i + 1))
            pos = end
        if any(word == "macdef" for word, _ in tokens[first_on_line:]):
            # macdef NAME ... then a body up to the next empty line, which is not tokens.
            i += 1
            while i < len(lines) and lines[i].strip():
                i += 1
            tokens.append(("\0macdef-end", i + 1))
        i += 1
    return tokens


def parse_netrc(text: str) -> NetrcParse:
    machines: list[NetrcMachine] = []
    errors: list[str] = []
    tokens = _tokens(text)
    current: NetrcMachine | None = None
    i = 0
    while i < len(tokens):
        word, line = tokens[i]
        i += 1

        def take(what: str, word: str = word, line: int = line) -> str | None:
            nonlocal i
            if i >= len(tokens) or tokens[i][0] == "\0macdef-end":
                errors.append(f"line {line}: '{word}' without a {what}")
                return None
            i += 1
            return tokens[i - 1][0]

        if word == "machine":
            name = take("host name")
            current = NetrcMachine(name=name, line=line) if name is not None else None
            if current:
                machines.append(current)
        elif word == "default":
            current = NetrcMachine(name=None, line=line)
            machines.append(current)
        elif word in ("login", "password", "account"):
            value = take("value")
            if value is None:
                continue
            if current is None:
                errors.append(f"line {line}: '{word}' outside a machine entry")
            elif word == "login":
                current.login = value
            elif word == "password":
                current.password = value
        elif word == "macdef":
            take("macro name")
            # skip the body marker produced by the tokenizer
            while i < len(tokens) and tokens[i][0] != "\0macdef-end":
                i += 1
            i += 1
        elif word == "\0macdef-end":
            continue
        else:
            # A stray word is often a secret (`pasword SECRET`, a password with a space): never echoed.
            close = difflib.get_close_matches(word, KEYWORDS, n=1, cutoff=0.75)
            if close:
                errors.append(f"line {line}: unknown keyword {word!r} (did you mean {close[0]!r}?)")
                if i < len(tokens) and tokens[i][0] not in KEYWORDS:
                    REDACTOR.add(tokens[i][0])  # its value: a secret, not shown anywhere
                    i += 1
            else:
                REDACTOR.add(word)
                errors.append(f"line {line}: unexpected word ({len(word)} characters, not shown: it may be a secret)")
    return NetrcParse(machines, errors)


def netrc_path(env: dict[str, str], home: Path) -> Path:
    if env.get("NETRC"):
        return Path(env["NETRC"])
    return home / (".netrc" if os.name != "nt" else "_netrc")


class NetrcStore(Store):
    writable = False

    def __init__(self, path: Path) -> None:
        self.id = "netrc"
        self.name = "netrc"
        self.path = path
        self.location = str(path)

    def load(self) -> Snapshot:
        try:
            data = read_limited(self.path, MAX_NETRC_BYTES)  # a FIFO or /dev/zero is refused, not read
        except UnreadableFile as err:
            return Snapshot(self.id, StoreState.ERROR, str(err))
        except FileNotFoundError:
            return Snapshot(self.id, StoreState.MISSING, "file does not exist")
        except OSError as err:
            return Snapshot(self.id, StoreState.ERROR, f"cannot read {self.path}: {err.strerror}")
        parsed = parse_netrc(data.decode("utf-8", errors="replace"))
        entries = [
            Entry(m.name if m.name is not None else DEFAULT_KEY, _as_credential(m), self.id) for m in parsed.machines
        ]
        if parsed.errors:
            # rattler logs a warning and ignores the whole netrc when it cannot parse it.
            return Snapshot(
                self.id,
                StoreState.REJECTED,
                f"rattler ignores the whole file: {len(parsed.errors)} parse error(s)",
                entries,
                problems=parsed.errors,
            )
        return Snapshot(self.id, StoreState.OK, f"{len(entries)} machines", entries)

    def set(self, key: str, credential: Credential, *, expect: str | None = None) -> None:
        raise StoreError("netrc is read-only here, as it is for rattler; edit it by hand")

    def remove(self, key: str, *, expect: str | None = None, item_ref: str | None = None) -> None:
        raise StoreError("netrc is read-only here, as it is for rattler; edit it by hand")


def _as_credential(machine: NetrcMachine) -> Credential:
    return BasicHTTP(machine.login, machine.password)
