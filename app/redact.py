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
import io
import json
import threading
import unicodedata
from typing import TextIO
from urllib.parse import quote

HIDDEN = "<hidden>"  # ASCII: safe on any terminal encoding, and not markup
# Shorter strings are too common to hide inside free text without mangling it; the scan
# test and the validation (a secret is at least this long to be hidden) agree on it.
MIN_SECRET_CHARS = 6
_HEAD = MIN_SECRET_CHARS
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _forms(secret: str) -> set[str]:
    """The secret and the ways libraries and error messages spell it."""
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1]}
    forms.add(quote(secret, safe=""))
    forms.add(quote(secret))
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate has no byte form
        forms.add(repr(secret.encode("utf-8"))[2:-1])
    # A secret with a line break is often echoed up to the break (first line of an error).
    for piece in secret.translate({ord(c): "\n" for c in _LINE_BREAKS}).split("\n"):
        forms.add(piece)
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS}


class Redactor:
    """Knows every secret loaded; replaces each occurrence (longest first) by HIDDEN.

    Adding is cheap (loading 100,000 entries must stay fast): the spellings of new secrets
    are worked out on the next `redact`, which is rare by comparison.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[str] = []
        # first MIN_SECRET_CHARS characters → {length → forms}: a hit costs one set lookup per length.
        self._by_head: dict[str, dict[int, set[str]]] = {}
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
            self._by_head.clear()
            self._known.clear()

    def __contains__(self, secret: str) -> bool:
        return secret in self._known

    def _index_pending(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            for secret in pending:
                for form in _forms(secret):
                    self._by_head.setdefault(form[:_HEAD], {}).setdefault(len(form), set()).add(form)

    def redact(self, text: str) -> str:
        if self._pending:
            self._index_pending()
        heads = self._by_head
        if not heads or len(text) < MIN_SECRET_CHARS:
            return text
        out: list[str] = []
        start = i = 0
        end = len(text) - MIN_SECRET_CHARS + 1
        while i < end:
            by_length = heads.get(text[i : i + _HEAD])
            if by_length is not None:
                hit = next(
                    (n for n in sorted(by_length, reverse=True) if text[i : i + n] in by_length[n]),
                    0,
                )
                if hit:
                    out.append(text[start:i])
                    out.append(HIDDEN)
                    i += hit
                    start = i
                    continue
            i += 1
        if not out:
            return text
        out.append(text[start:])
        return "".join(out)


REDACTOR = Redactor()


def remember(*secrets: str | None) -> None:
    REDACTOR.add(*secrets)


def redact(text: str) -> str:
    return REDACTOR.redact(text)


# -- outside text is text ---------------------------------------------------------------------

# Control (Cc), format (Cf: bidi overrides, zero-width), lone surrogates (Cs) and line/paragraph
# separators: invisible, or able to move the cursor, recolour, reorder or break a terminal.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: str, keep: str = "") -> str:
    """`text` with every control/format character shown as an escape (`\\x1b`, `\\u202e`).

    Characters in `keep` (e.g. "\\n" for multi-line messages of our own) pass through.
    """
    if text.isprintable():
        return text
    return "".join(
        _escape(ch) if ch not in keep and unicodedata.category(ch) in _ESCAPED_CATEGORIES else ch for ch in text
    )


def safe(text: str, keep: str = "") -> str:
    """Redacted, then plain: what may be shown of any text of unknown origin."""
    return plain(redact(text), keep)


class SafeWriter(io.TextIOBase):
    """A text stream that redacts (and, for terminals, escapes) everything written to it.

    Lines are passed on whole, so a secret is never split across two writes; `flush` (or
    `close`) passes on what is left.
    """

    def __init__(self, stream: TextIO, escape: bool = True) -> None:
        super().__init__()
        self.stream = stream
        self.escape = escape
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:  # type: ignore[override]
        self._pending += text
        cut = self._pending.rfind("\n")
        if cut >= 0:
            self._emit(self._pending[: cut + 1])
            self._pending = self._pending[cut + 1 :]
        return len(text)

    def _emit(self, text: str) -> None:
        text = redact(text)
        if self.escape:
            text = plain(text, keep="\n\t")
        self.stream.write(text)

    def flush(self) -> None:
        if self._pending:
            self._emit(self._pending)
            self._pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"
