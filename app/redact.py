"""The one exit gate for text: secrets out, outside text made plain.

Every credential object registers its secrets here when it is created (see model.py), so
the redactor knows every secret this process has loaded — every kind, every store, the
conda token inside URLs, and the forms an HTTP library would echo (the basic-auth header's
base64, percent-encoding, Python's repr/JSON escapes, the first line of a multi-line
secret). Everything that leaves the process — CLI stdout/stderr, notifications, crash
reports, the state file, backup names — goes through `redact`.

`plain` is the other half: text from outside (keys, usernames, server answers, typed
input) is shown with control characters visibly escaped, never written raw to a terminal.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import itertools
import json
import re
import threading
import unicodedata
from typing import TextIO
from urllib.parse import quote

HIDDEN = "<hidden>"  # ASCII: safe on any terminal encoding, and not markup
# Shorter strings are too common to hide inside free text without mangling it; the scan
# test and the validation (a secret is at least this long to be hidden) agree on it.
MIN_SECRET_CHARS = 6
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


# Characters every escaping (URL, JSON, repr) leaves alone: a secret of only these has one spelling.
_UNESCAPED = re.compile(r"[A-Za-z0-9._~-]+")


def _forms(secret: str) -> set[str]:
    """The secret and the ways libraries and error messages spell it."""
    if _UNESCAPED.fullmatch(secret):
        return {secret} if len(secret) >= MIN_SECRET_CHARS else set()
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1]}
    forms.add(quote(secret, safe=""))
    forms.add(quote(secret))
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate has no byte form
        forms.add(repr(secret.encode("utf-8"))[2:-1])
    # A secret with a line break is often echoed up to the break (first line of an error).
    for piece in secret.translate({ord(c): "\n" for c in _LINE_BREAKS}).split("\n"):
        forms.add(piece)
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS}


# Long spellings are found anywhere, by sampling the text every _STRIDE characters: a window of
# _WINDOW characters at a sampled position lies wholly inside any spelling of at least
# LONG_SECRET_CHARS characters, and each spelling's first _STRIDE windows are indexed. All the
# scanning happens in C (slices, a set, `in`), so 30 MB of `list --json` stay fast.
_WINDOW = 6
_STRIDE = 4
LONG_SECRET_CHARS = _WINDOW + _STRIDE - 1
# Shorter spellings (6–8 characters) are hidden where they stand as a word of their own.
_WORD = re.compile(r"""[^\s"'`:/@?&#=,;()\[\]{}<>\\]+""")


class Redactor:
    """Knows every secret loaded; replaces each occurrence (longest first) by HIDDEN.

    Adding is cheap (loading 100,000 entries must stay fast): the spellings of new secrets
    are indexed on the next `redact`, which is rare by comparison.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[str] = []
        # window → the (length, offset) codes of long spellings holding it near their start
        self._windows: dict[str, int | set[int]] = {}
        self._by_length: dict[int, set[str]] = {}
        self._short: set[str] = set()  # short spellings, matched as whole words
        self._short_odd: list[str] = []  # short spellings that contain a word delimiter
        self._known: set[str] = set()

    def add(self, *secrets: str | None) -> None:
        for secret in secrets:
            if secret and secret not in self._known:
                self._known.add(secret)
                self._pending.append(secret)

    def add_basic(self, username: str, password: str) -> None:
        """HTTP basic auth sends base64("user:password"): that is a secret too."""
        self.add(password)
        self.add(base64.b64encode(f"{username}:{password}".encode("utf-8", "surrogatepass")).decode("ascii"))

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self._windows.clear()
            self._by_length.clear()
            self._short.clear()
            self._short_odd.clear()
            self._known.clear()

    def __contains__(self, secret: str) -> bool:
        return secret in self._known

    def _index_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            for secret in pending:
                for form in _forms(secret):
                    if len(form) >= LONG_SECRET_CHARS:
                        self._by_length.setdefault(len(form), set()).add(form)
                        for offset in range(_STRIDE):
                            self._add_window(form[offset : offset + _WINDOW], len(form) * _STRIDE + offset)
                    elif _WORD.fullmatch(form):
                        self._short.add(form)
                    else:
                        self._short_odd.append(form)

    def _add_window(self, window: str, code: int) -> None:
        # Most windows belong to one spelling: an int, not a set, keeps 100,000 secrets small.
        held = self._windows.get(window)
        if held is None:
            self._windows[window] = code
        elif isinstance(held, int):
            if held != code:
                self._windows[window] = {held, code}
        else:
            held.add(code)

    def _found_in(self, text: str) -> set[str]:
        found: set[str] = set()
        n = len(text)
        if self._windows:
            # Only sampled positions need checking: every long spelling covers one within its
            # first _STRIDE characters, at an offset that is indexed. compress/map keep it in C.
            starts = range(0, n, _STRIDE)
            sampled = list(map(text.__getitem__, map(slice, starts, range(_WINDOW, n + _WINDOW, _STRIDE))))
            hits = set(sampled).intersection(self._windows)
            if hits:
                for at in itertools.compress(starts, map(hits.__contains__, sampled)):
                    held = self._windows[text[at : at + _WINDOW]]
                    for code in (held,) if isinstance(held, int) else held:
                        length, offset = divmod(code, _STRIDE)
                        start = at - offset
                        if start >= 0 and text[start : start + length] in self._by_length[length]:
                            found.add(text[start : start + length])
        if self._short:
            found.update(self._short.intersection(_WORD.findall(text)))
        found.update(form for form in self._short_odd if form in text)
        return found

    def redact(self, text: str) -> str:
        if self._pending:
            self._index_pending()
        if len(text) < MIN_SECRET_CHARS:
            return text
        found = self._found_in(text)
        if not found:
            return text
        pattern = re.compile("|".join(re.escape(form) for form in sorted(found, key=len, reverse=True)))
        return pattern.sub(HIDDEN, text)


REDACTOR = Redactor()


def redact(text: str) -> str:
    return REDACTOR.redact(text)


# -- outside text is text ---------------------------------------------------------------------

# Control (Cc), format (Cf: bidi overrides, zero-width), lone surrogates (Cs) and line/paragraph
# separators: invisible, or able to move the cursor, recolour, reorder or break a terminal.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


@functools.cache
def _dropping(keep: str) -> dict[int, None]:
    return dict.fromkeys(map(ord, keep))


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: str, keep: str = "") -> str:
    """`text` with every control/format character shown as an escape (`\\x1b`, `\\u202e`).

    Characters in `keep` (e.g. "\\n" for multi-line messages of our own) pass through.
    """
    if text.isprintable() or (keep and text.translate(_dropping(keep)).isprintable()):
        return text
    return "".join(
        _escape(ch) if ch not in keep and unicodedata.category(ch) in _ESCAPED_CATEGORIES else ch for ch in text
    )


def safe(text: str, keep: str = "") -> str:
    """Redacted, then plain: what may be shown of any text of unknown origin."""
    return plain(redact(text), keep)


_CHUNK = 256 * 1024  # text is passed on in pieces this large, cut after a line end


def write_json(out: TextIO, value: object) -> None:
    """JSON for scripts: compact through the C encoder (indented only for a person at a
    terminal), handed over in one piece so the gate scans it once."""
    out.write(json.dumps(value, indent=2 if out.isatty() else None) + "\n")


class SafeWriter(io.TextIOBase):
    """A text stream that redacts (and, for terminals, escapes) everything written to it.

    Text is passed on in large pieces cut after a line end, so a secret is never split across
    two writes; `flush` passes on what is left.
    """

    def __init__(self, stream: TextIO, escape: bool = True) -> None:
        super().__init__()
        self.stream = stream
        self.escape = escape
        self._parts: list[str] = []
        self._size = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:  # type: ignore[override]
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _CHUNK and "\n" in text:
            pending = "".join(self._parts)
            cut = pending.rfind("\n") + 1
            self._emit(pending[:cut])
            self._parts, self._size = [pending[cut:]], len(pending) - cut
        return len(text)

    def _emit(self, text: str) -> None:
        text = redact(text)
        if self.escape:
            text = plain(text, keep="\n\t")
        self.stream.write(text)

    def write_requested_secret(self, text: str) -> None:
        """The one way past the redactor: a secret the user asked for by name (`token HOST`)."""
        self.flush()
        self.stream.write(plain(text, keep="\n") if self.escape else text)
        self.stream.flush()

    def flush(self) -> None:
        pending = "".join(self._parts)
        self._parts, self._size = [], 0
        if pending:
            self._emit(pending)
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"
