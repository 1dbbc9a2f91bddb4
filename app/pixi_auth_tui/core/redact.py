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

import binascii
import contextlib
import functools
import io
import itertools
import json
import operator
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from typing import TextIO
from urllib.parse import quote

from pixi_auth_tui.core.urlmask import mask_urls

HIDDEN = "<hidden>"  # ASCII: safe on any terminal encoding, and not markup
# Shorter strings are too common to hide inside free text without mangling it; the scan
# test and the validation (a secret is at least this long to be hidden) agree on it.
MIN_SECRET_CHARS = 6
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _forms(secret: str) -> set[str]:
    """The secret and the ways libraries and error messages spell it."""
    return _plain_forms(secret) | _percent_forms(secret) | _backslash_forms(secret)


def spellings(secret: str) -> set[str]:
    """The spellings of `secret` this gate hides (the secret, its lines, percent- and
    JSON/repr-escapes): what another gate — a CI runner's log masks — must hide too."""
    return _forms(secret)


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
    data = _utf8(secret)  # (a lone surrogate, from a file we did not understand, has no UTF-8)
    return {f for f in (quote(data, safe=""), quote(data)) if len(f) >= MIN_SECRET_CHARS and f != secret}


def _backslash_forms(secret: str) -> set[str]:
    """JSON and repr escapes: each that differs from the secret holds a backslash."""
    if _NO_BACKSLASH_FORMS.fullmatch(secret):
        return set()
    forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1]}
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate has no byte form
        forms.add(repr(secret.encode("utf-8"))[2:-1])
    return {f for f in forms if len(f) >= MIN_SECRET_CHARS and f != secret}


# Spellings of at least this many characters are hidden wherever they stand in a text;
# shorter ones (6–8 characters) only where they stand as a word of their own (see _WORD).
LONG_SECRET_CHARS = 9
_WORD = re.compile(r"""[^\s"'`:/@?&#=,;()\[\]{}<>\\]+""")
# A text up to this long is searched for each spelling not yet in an automaton (an error
# message, a `resolve`, a notification): cheaper than building one for 10,000 secrets.
_SEARCH_EACH_UP_TO = 4096
# Searching a small text for each secret costs about as much as putting this many of its
# substrings in a set (see _contained_in).
_SECRETS_PER_LENGTH = 90
# After this many such searches the spellings waiting go into an automaton.
_SCANS_BEFORE_INDEX = 8
# New spellings go into a second, small automaton; it is merged into the main one once it
# holds this fraction of it, so adding one secret never rebuilds an automaton of 100,000.
_RECENT_SHARE = 4


_base64 = functools.partial(binascii.b2a_base64, newline=False)  # base64.b64encode, without its Python call


def _utf8(text: str) -> bytes:
    # Lone surrogates (from files we did not understand) are encoded too, as in every pattern.
    return text.encode("utf-8", "surrogatepass")


def _stands_alone(text: str, start: int, end: int) -> bool:
    """text[start:end] (a whole word-like spelling) is a whole word of `text`: the characters
    either side are word delimiters (or the text ends); `.` and `!` ending a sentence after it
    count as its end (`s3cr3t.` is the word, `s3cr3t.example` a host name)."""
    if start > 0 and _WORD.match(text, start - 1, start) is not None:
        return False
    while end < len(text) and text[end] in ".!":  # a sentence's end is no part of the word
        end += 1
    return end == len(text) or _WORD.match(text, end, end + 1) is None


# The automaton searches for each spelling's first characters only (its anchor); where an
# anchor stands, the spellings it begins are compared whole. Secrets often share their first
# characters (`pfx_`, `ghp_`, a JWT's header), so there are fewer anchors than spellings, and
# shorter ones: the automaton is built faster, and it is built for every large text a process writes first.
_ANCHOR_CHARS = 8


class _Automaton:
    """A fixed set of spellings, all found in one pass over a text (Aho–Corasick, in C)."""

    def __init__(self, spellings: list[str]) -> None:
        self.spellings = spellings
        self._search = None
        self._by_anchor: dict[str, dict[int, set[str]]] | None = None  # made on the first hit
        if spellings:
            import ahocorasick  # (imported with the first large text)

            search = ahocorasick.Automaton()
            for anchor in dict.fromkeys(spelling[:_ANCHOR_CHARS] for spelling in spellings):
                search.add_word(anchor, anchor)
            search.make_automaton()
            self._search = search

    def _spellings_of(self, anchor: str) -> dict[int, set[str]]:
        """The spellings beginning with `anchor`, by length."""
        if self._by_anchor is None:
            self._by_anchor = {}
            for form in self.spellings:
                self._by_anchor.setdefault(form[:_ANCHOR_CHARS], {}).setdefault(len(form), set()).add(form)
        return self._by_anchor[anchor]

    def find(self, text: str, words: set[str], found: set[str]) -> None:
        """Adds to `found` each spelling in `text`: anywhere, or for one in `words` (short and
        word-like) where it stands as a whole word."""
        if self._search is None:
            return
        for end, anchor in self._search.iter(text):
            start = end + 1 - len(anchor)
            for length, spellings in self._spellings_of(anchor).items():
                form = text[start : start + length]
                if (
                    form in spellings
                    and form not in found
                    and (form not in words or _stands_alone(text, start, start + length))
                ):
                    found.add(form)


# (the character every such spelling holds, "the secret has no such spelling", its spellings)
_ESCAPINGS = (("%", _UNESCAPED.fullmatch, _percent_forms), ("\\", _NO_BACKSLASH_FORMS.fullmatch, _backslash_forms))


def _contained_in(text: str, secrets: list[str]) -> Callable[[str], bool]:
    """`text.__contains__`, for testing many secrets at once: with far more secrets than distinct
    lengths among them (10,000 tokens of a few lengths), the text's substrings of those lengths
    are put in a set once (a few thousand slices of a small text, in C), and each secret is one
    lookup instead of a search of the text."""
    lengths = set(map(len, secrets))
    if len(lengths) * _SECRETS_PER_LENGTH > len(secrets):
        return text.__contains__
    size = len(text)
    windows: set[str] = set()
    for length in lengths:
        windows.update(map(text.__getitem__, map(slice, range(size - length + 1), range(length, size + 1))))
    return windows.__contains__


class Redactor:
    """Knows every secret loaded; replaces each occurrence (longest first) by HIDDEN.

    Adding is cheap (loading 100,000 entries must stay fast): a secret's spellings are worked
    out on the next `redact`, and its escaped spellings only once a text holds the character
    (`%`, a backslash) every one of them holds. Spellings are searched for all at once by an
    automaton; a small text is searched for the few not yet in one directly.
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
        self._words: set[str] = set()  # short word-like spellings: hidden only as whole words
        self._main = _Automaton([])
        self._recent = _Automaton([])  # spellings added after the main automaton was built
        self._unindexed: list[str] = []  # spellings in neither automaton yet
        self._scans = 0  # small texts searched for the unindexed spellings one by one

    def add(self, *secrets: str | None) -> None:
        # Called for every credential loaded: only noted here, sorted out on the next use.
        with self._lock:
            self._pending += secrets

    def add_basic(self, username: str, password: str) -> None:
        """HTTP basic auth sends base64("user:password"): that is a secret too."""
        with self._lock:
            self._pending.append(password)
            self._pending_basic.append((username, password))

    def add_basics(self, pairs: list[tuple[str, str]]) -> None:
        """`add_basic` of each (username, password)."""
        with self._lock:
            self._pending += [password for _username, password in pairs]
            self._pending_basic += pairs

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
        if basic:  # base64("user:password") of each, mapped in C
            header = map(str.encode, map(":".join, basic), itertools.repeat("utf-8"), itertools.repeat("surrogatepass"))
            pending += map(bytes.decode, map(_base64, header), itertools.repeat("ascii"))
        new = set(filter(None, pending))  # neither None nor ""
        if not self._known:  # (the first batch: no set to subtract, none to copy)
            self._known = new
            return list(new)
        new -= self._known
        self._known |= new
        return list(new)

    def _add_spellings(self, forms: set[str]) -> None:
        # (lengths compared in C: 10,000 secrets come at once)
        forms = set(itertools.compress(forms, map(MIN_SECRET_CHARS.__le__, map(len, forms)))) - self._spellings
        self._spellings |= forms
        short = itertools.compress(forms, map(LONG_SECRET_CHARS.__gt__, map(len, forms)))
        self._words.update(filter(_WORD.fullmatch, short))
        self._unindexed += forms

    def _work_out(self, text: str) -> None:
        pending = self._take_pending() if self._pending or self._pending_basic else []
        if pending and _printable_ascii("".join(pending)):
            self._raw += pending  # (the common case, told by one scan of them all)
        elif pending:
            printable = list(map(str.isprintable, pending))
            # The common case: a printable secret is its only plain spelling. Kept aside until a
            # large text comes: a small one is searched for each directly (in C), so that e.g.
            # `resolve` at 100,000 entries never sorts out the spellings of all of them.
            self._raw += itertools.compress(pending, printable)
            forms: set[str] = set()
            for secret in itertools.compress(pending, map(operator.not_, printable)):
                forms |= _plain_forms(secret)
            self._add_spellings(forms)
        if pending:
            for waiting in self._pending_escaped.values():
                waiting += pending
        if self._raw:
            if len(text) > _SEARCH_EACH_UP_TO:
                raw, self._raw = self._raw, []
                self._add_spellings(set(raw))
            else:
                hits = set(itertools.compress(self._raw, map(_contained_in(text, self._raw), self._raw)))
                if hits:
                    self._add_spellings(hits)
                    self._raw = [secret for secret in self._raw if secret not in hits]
        for mark, plain_only, forms_of in _ESCAPINGS:
            waiting = self._pending_escaped[mark]
            if waiting and mark in text:
                # worked out before the list is emptied: nothing waiting is ever dropped
                self._add_spellings(set().union(*map(forms_of, itertools.filterfalse(plain_only, waiting))))
                self._pending_escaped[mark] = []

    def _index(self) -> None:
        """Every spelling into an automaton: the recent one, or all into the main one once the
        recent one would hold a fair share of them (so each spelling is rebuilt O(1) times)."""
        recent = self._recent.spellings + self._unindexed
        self._unindexed, self._scans = [], 0
        if len(recent) * _RECENT_SHARE >= len(self._main.spellings):
            self._main, self._recent = _Automaton(self._main.spellings + recent), _Automaton([])
        else:
            self._recent = _Automaton(recent)

    def _found_in(self, text: str) -> set[str]:
        found: set[str] = set()
        if self._unindexed and len(text) <= _SEARCH_EACH_UP_TO and self._scans < _SCANS_BEFORE_INDEX:
            self._scans += 1
            # Each waiting spelling searched directly (in C); the few in the text are then
            # checked below as the automaton would check them.
            waiting = list(itertools.compress(self._unindexed, map(text.__contains__, self._unindexed)))
            if waiting:
                _Automaton(waiting).find(text, self._words, found)
        elif self._unindexed:
            self._index()
        if self._main.spellings or self._recent.spellings:
            self._main.find(text, self._words, found)
            self._recent.find(text, self._words, found)
        return found

    def redact(self, text: str) -> str:
        if len(text) < MIN_SECRET_CHARS:
            return text
        with self._lock:
            self._work_out(text)
            found = self._found_in(text)
        if not found:
            return text
        return _hide(text, found)


def _hide(text: str, found: set[str]) -> str:
    """`text` with every stretch covered by occurrences of the spellings replaced by one HIDDEN:
    where occurrences overlap (two secrets sharing a stretch) or touch, their union is hidden —
    a replacement of one must never leave the other's tail standing."""
    spans: list[tuple[int, int]] = []
    for form in found:
        start = text.find(form)
        while start >= 0:
            spans.append((start, start + len(form)))
            start = text.find(form, start + 1)
    spans.sort()
    pieces: list[str] = []
    shown = 0  # text before this is already in pieces
    cover_start, cover_end = spans[0]
    for start, end in spans[1:]:
        if start <= cover_end:  # overlaps (or touches) the stretch being hidden: extend it
            cover_end = max(cover_end, end)
            continue
        pieces += (text[shown:cover_start], HIDDEN)
        shown, (cover_start, cover_end) = cover_end, (start, end)
    pieces += (text[shown:cover_start], HIDDEN, text[cover_end:])
    return "".join(pieces)


REDACTOR = Redactor()


def redact(text: str) -> str:
    """Every URL's own secrets masked, then every known secret hidden."""
    return REDACTOR.redact(mask_urls(text))


# -- outside text is text ---------------------------------------------------------------------

# Control (Cc), format (Cf: bidi overrides, zero-width), lone surrogates (Cs) and line/paragraph
# separators: invisible, or able to move the cursor, recolour, reorder or break a terminal.
_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# The only ASCII characters among them (str.isprintable is False for exactly these in ASCII).
_ASCII_CONTROLS = bytes([*range(0x20), 0x7F])


def _printable_ascii(text: str, keep: str = "") -> bool:
    """`text` is ASCII with no control character but those in `keep`: a scan of its bytes in
    C (str.isprintable looks each character up in Unicode's tables)."""
    if not text.isascii():
        return False
    data = text.encode("ascii")
    return len(data.translate(None, _ASCII_CONTROLS.translate(None, keep.encode("ascii", "ignore")))) == len(data)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text: str, keep: str = "") -> str:
    """`text` with every control/format character shown as an escape (`\\x1b`, `\\u202e`).

    Characters in `keep` (e.g. "\\n" for multi-line messages of our own) pass through.
    """
    if text.isascii():  # (a flag: O(1))
        if _printable_ascii(text, keep):
            return text
    elif text.isprintable():
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


class OutputError(OSError):
    """The stream a SafeWriter passes text to refused it (a full disk, a closed file) — not a
    reader that went away (BrokenPipeError passes as it is)."""


@contextlib.contextmanager
def _output_errors() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputError(error.errno, error.strerror) from error


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
        with _output_errors():
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
        with _output_errors():
            self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"
