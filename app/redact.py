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
import itertools
import json
import operator
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


def _forms(secret: str) -> set[str]:
    """The secret and the ways libraries and error messages spell it."""
    return _plain_forms(secret) | _percent_forms(secret) | _backslash_forms(secret)


def _plain_forms(secret: str) -> set[str]:
    """The spellings that need no escape character: the secret, and for a secret with a line
    break each of its lines (a multi-line secret is often echoed up to the break)."""
    forms = {secret}
    if not secret.isprintable():  # every line break is unprintable: the common case skips this
        forms.update(secret.translate({ord(c): "\n" for c in _LINE_BREAKS}).split("\n"))
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS}


# Characters every escaping (URL, JSON, repr) leaves alone: a secret of only these has one spelling.
_UNESCAPED = re.compile(r"[A-Za-z0-9._~-]+")
# Characters JSON and repr (of the text and of its UTF-8 bytes) leave alone: printable ASCII
# but quotes and the backslash.
_NO_BACKSLASH_FORMS = re.compile(r"[ !#-&(-\[\]-~]*")


def _percent_forms(secret: str) -> set[str]:
    """Percent-encodings: each that differs from the secret holds a `%`."""
    if _UNESCAPED.fullmatch(secret):
        return set()
    return {f for f in (quote(secret, safe=""), quote(secret)) if len(f) >= MIN_SECRET_CHARS and f != secret}


def _backslash_forms(secret: str) -> set[str]:
    """JSON and repr escapes: each that differs from the secret holds a backslash."""
    if _NO_BACKSLASH_FORMS.fullmatch(secret):
        return set()
    forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1]}
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate has no byte form
        forms.add(repr(secret.encode("utf-8"))[2:-1])
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS and f != secret}


# Long spellings are found anywhere, by sampling the text every _STRIDE characters: a window of
# _WINDOW characters at a sampled position lies wholly inside any spelling of at least
# LONG_SECRET_CHARS characters, at one of its first _STRIDE offsets. All the scanning happens
# in C (slices, sets, `in`, map/compress), so 30 MB of `list --json` stay fast.
_WINDOW = 6
_STRIDE = 4
LONG_SECRET_CHARS = _WINDOW + _STRIDE - 1
# Shorter spellings (6–8 characters) are hidden where they stand as a word of their own.
_WHITESPACE = re.compile(r"\s")  # as str.split() and _WORD see it
_WORD = re.compile(r"""[^\s"'`:/@?&#=,;()\[\]{}<>\\]+""")
# Text longer than this is first reduced to its distinct whitespace-separated pieces (see
# `_distinct_pieces`): `list --json` repeats most of its words thousands of times.
_DISTINCT_FROM = 16 * 1024
# A spelling not yet indexed is looked for by slicing its own windows (in C) against the
# text's sampled windows. That costs a little per spelling on every scan; indexing costs
# more per spelling, once. After this many scans the index pays for itself.
_SCANS_BEFORE_INDEX = 8
# A text up to this long is searched for each secret not yet sorted out, rather than sorting
# them all out (an error message, a `resolve`, a notification).
_SEARCH_EACH_UP_TO = 4096
# Past this many candidates, indexing them beats searching the text for each.
_SEARCHES_BEFORE_INDEXING = 64


def _sampled_windows(text: str) -> tuple[range, list[str]]:
    starts = range(0, len(text), _STRIDE)
    return starts, list(map(text.__getitem__, map(slice, starts, range(_WINDOW, len(text) + _WINDOW, _STRIDE))))


def _distinct_pieces(text: str) -> str:
    """The text's distinct whitespace-separated pieces, one per line.

    A spelling without whitespace occurs in `text` exactly when it occurs in this (it lies
    inside one piece, and the line breaks added are whitespace); and a word (see _WORD, for
    which whitespace is a delimiter) stands in `text` exactly when it stands in this."""
    return "\n".join(set(text.split()))


class _LongSpellings:
    """Spellings of at least LONG_SECRET_CHARS characters, found anywhere in a text."""

    def __init__(self) -> None:
        # window → the (length, offset) codes of indexed spellings holding it near their start
        self._windows: dict[str, int | set[int]] = {}
        self._by_length: dict[int, set[str]] = {}
        self._unindexed: list[str] = []
        self._scans = 0

    def __bool__(self) -> bool:
        return bool(self._windows or self._unindexed)

    def add(self, spellings: set[str]) -> None:
        self._unindexed += spellings

    def _index(self) -> None:
        windows, by_length = self._windows, self._by_length
        for form in self._unindexed:
            length = len(form)
            by_length.setdefault(length, set()).add(form)
            base = length * _STRIDE
            for offset in range(_STRIDE):
                window, code = form[offset : offset + _WINDOW], base + offset
                # Most windows belong to one spelling: an int, not a set, keeps 100,000 small.
                held = windows.setdefault(window, code)
                if held == code:
                    continue
                if isinstance(held, int):
                    windows[window] = {held, code}
                else:
                    held.add(code)
        self._unindexed = []
        self._scans = 0

    def _scan_unindexed(self, text: str, starts: range, sampled: list[str], present: set[str], found: set[str]) -> None:
        """Adds the unindexed spellings in `text` (whose sampled windows are `present`) to `found`.

        A spelling occurring at p has, for some offset < _STRIDE, each of its windows at that
        offset, offset + _STRIDE, … among the sampled windows: filter on all of them (in C),
        so that few candidates are left to look for in the text."""
        by_length: dict[int, list[str]] = {}
        for form in self._unindexed:
            by_length.setdefault(len(form), []).append(form)
        candidates: set[str] = set()
        for length, forms in by_length.items():
            for offset in range(_STRIDE):
                left = forms
                for at in range(offset, length - _WINDOW + 1, _STRIDE):
                    windows = map(operator.itemgetter(slice(at, at + _WINDOW)), left)
                    left = list(itertools.compress(left, map(present.__contains__, windows)))
                    if not left:
                        break
                candidates.update(left)
        if len(candidates) < _SEARCHES_BEFORE_INDEXING:
            found.update(form for form in candidates if form in text)
            return
        # Many candidates (spellings whose windows are common in this text, e.g. digits): index
        # just those, and check each sampled position once, as for indexed spellings.
        index = _LongSpellings()
        index.add(candidates)
        index._index()
        index._forward(text, starts, sampled, present, found)

    def find(self, text: str, found: set[str]) -> None:
        if not self:
            return
        starts, sampled = _sampled_windows(text)
        present = set(sampled)
        if self._unindexed:
            if self._scans >= _SCANS_BEFORE_INDEX:
                self._index()
            else:
                self._scans += 1
                self._scan_unindexed(text, starts, sampled, present, found)
        self._forward(text, starts, sampled, present, found)

    def _forward(self, text: str, starts: range, sampled: list[str], present: set[str], found: set[str]) -> None:
        """Adds the indexed spellings in `text` to `found`: each sampled window held by one is
        checked against the spellings of that length, at that offset."""
        if not self._windows:
            return
        hits = present.intersection(self._windows)
        if not hits:
            return
        for at in itertools.compress(starts, map(hits.__contains__, sampled)):
            held = self._windows[text[at : at + _WINDOW]]
            for code in (held,) if isinstance(held, int) else held:
                length, offset = divmod(code, _STRIDE)
                start = at - offset
                if start >= 0 and text[start : start + length] in self._by_length[length]:
                    found.add(text[start : start + length])


# (the character every such spelling holds, "the secret has no such spelling", its spellings)
_ESCAPINGS = (("%", _UNESCAPED.fullmatch, _percent_forms), ("\\", _NO_BACKSLASH_FORMS.fullmatch, _backslash_forms))


class Redactor:
    """Knows every secret loaded; replaces each occurrence (longest first) by HIDDEN.

    Adding is cheap (loading 100,000 entries must stay fast): a secret's spellings are worked
    out on the next `redact`, and its escaped spellings only once a text holds the character
    (`%`, a backslash) every one of them holds.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._known: set[str] = set()
        self._pending: list[str | None] = []  # secrets added since the last redact
        self._pending_basic: list[tuple[str, str]] = []  # (user, password) whose header is not
        # … whose percent-encoded / backslash-escaped spellings are not
        self._pending_escaped: dict[str, list[str]] = {"%": [], "\\": []}
        self._raw: list[str] = []  # printable secrets, not yet among the spellings (see _work_out)
        self._spellings: set[str] = set()
        self._long = _LongSpellings()  # no whitespace: searched in the text's distinct pieces
        self._long_spaced = _LongSpellings()  # with whitespace: searched in the whole text
        self._short: set[str] = set()  # short spellings, matched as whole words
        self._short_odd: list[str] = []  # short spellings that contain a word delimiter

    def add(self, *secrets: str | None) -> None:
        # Called for every credential loaded: only noted here, sorted out on the next use.
        with self._lock:
            self._pending += secrets

    def add_basic(self, username: str, password: str) -> None:
        """HTTP basic auth sends base64("user:password"): that is a secret too."""
        with self._lock:
            self._pending.append(password)
            self._pending_basic.append((username, password))

    def clear(self) -> None:
        with self._lock:
            self._reset()

    def __contains__(self, secret: str) -> bool:
        with self._lock:
            self._work_out("")  # sorts the pending secrets in (without losing them)
        return secret in self._known

    def _take_pending(self) -> list[str]:
        """The secrets added since the last call that were not known yet (now known)."""
        pending, basic = self._pending, self._pending_basic
        self._pending, self._pending_basic = [], []
        for username, password in basic:
            pending.append(base64.b64encode(f"{username}:{password}".encode("utf-8", "surrogatepass")).decode("ascii"))
        new = set(filter(None, pending))  # neither None nor ""
        new -= self._known
        self._known |= new
        return list(new)

    def _add_spellings(self, forms: set[str]) -> None:
        forms -= self._spellings
        self._spellings |= forms
        long = {form for form in forms if len(form) >= LONG_SECRET_CHARS}
        spaced = set(filter(_WHITESPACE.search, long))
        self._long.add(long - spaced)
        self._long_spaced.add(spaced)
        for form in forms - long:
            if len(form) < MIN_SECRET_CHARS:
                continue
            if _WORD.fullmatch(form):
                self._short.add(form)
            else:
                self._short_odd.append(form)

    def _work_out(self, text: str) -> None:
        pending = self._take_pending() if self._pending or self._pending_basic else []
        if pending:
            printable = list(map(str.isprintable, pending))
            # The common case: a printable secret is its only plain spelling. Kept aside until a
            # large text comes: a small one is searched for each directly (in C), so that e.g.
            # `resolve` at 100,000 entries never sorts out the spellings of all of them.
            self._raw += itertools.compress(pending, printable)
            forms: set[str] = set()
            for secret in itertools.compress(pending, map(operator.not_, printable)):
                forms |= _plain_forms(secret)
            self._add_spellings(forms)
            for waiting in self._pending_escaped.values():
                waiting += pending
        if self._raw:
            if len(text) > _SEARCH_EACH_UP_TO:
                raw, self._raw = self._raw, []
                self._add_spellings(set(raw))
            else:
                hits = set(itertools.compress(self._raw, map(text.__contains__, self._raw)))
                if hits:
                    self._add_spellings(hits)
                    self._raw = [secret for secret in self._raw if secret not in hits]
        for mark, plain_only, forms_of in _ESCAPINGS:
            waiting = self._pending_escaped[mark]
            if waiting and mark in text:
                self._pending_escaped[mark] = []
                self._add_spellings(set().union(*map(forms_of, itertools.filterfalse(plain_only, waiting))))

    def _found_in(self, text: str) -> set[str]:
        found: set[str] = set()
        pieces = _distinct_pieces(text) if len(text) > _DISTINCT_FROM else text
        self._long.find(pieces, found)
        self._long_spaced.find(text, found)
        if self._short:
            found.update(self._short.intersection(_WORD.findall(pieces)))
        # (one holding no whitespace lies inside one piece, like a long one)
        found.update(form for form in self._short_odd if form in (text if _WHITESPACE.search(form) else pieces))
        return found

    def redact(self, text: str) -> str:
        if len(text) < MIN_SECRET_CHARS:
            return text
        with self._lock:
            self._work_out(text)
            found = self._found_in(text)
        if not found:
            return text
        pattern = re.compile("|".join(re.escape(form) for form in sorted(found, key=len, reverse=True)))
        return pattern.sub(HIDDEN, text)


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
    if keep:
        rest = text
        for ch in keep:  # str.replace per kept character: far faster than translate on megabytes
            rest = rest.replace(ch, "")
        if rest.isprintable():
            return text
    return "".join(
        _escape(ch) if ch not in keep and unicodedata.category(ch) in _ESCAPED_CATEGORIES else ch for ch in text
    )


def safe(text: str, keep: str = "") -> str:
    """Redacted, then plain: what may be shown of any text of unknown origin."""
    return plain(redact(text), keep)


_CHUNK = 256 * 1024  # text is passed on in pieces this large, cut after a line end


def write_json(out: TextIO, value: object) -> None:
    """JSON for scripts: through the C encoder (indented only for a person at a terminal),
    handed over in one piece so the gate scans it once. Keep the default separators (", ",
    ": "): their spaces are what lets the gate search a large output by its distinct pieces."""
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
