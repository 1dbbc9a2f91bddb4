"""The one exit gate for text: secrets out, outside text made plain.

Every credential object registers its secrets here when it is created (see model.py), and so
does every other secret the process holds or sends (an OAuth client secret, a device code), so
the redactor knows them all. Everything that leaves the process — CLI stdout/stderr,
notifications, crash reports, the state file, backup names — goes through `redact`, which
first hides every known secret, then masks the secrets written into URLs (core/urlmask.py).

How a secret is found, in one search:
- its spellings (the secret; each line of a multi-line one; NFC and NFD; base64 of it alone and
  of `user:password`; percent-encoded; JSON and repr escapes) are put, lower-cased, into ONE
  Aho–Corasick automaton, searched over the lower-cased text: upper case is found too;
- a long spelling is searched for by its first PREFIX_CHARS characters: where the whole
  spelling follows, it is hidden; where it does not (an echo cut short), the rest of that word
  is hidden with it;
- a word holding an escape (`%xx` in any case or depth, `&amp;`-style entities, `\\uXXXX`,
  `\\/`, a `+` for a space) is decoded and searched the same way; a hit hides the whole word.
A short secret (MIN_SECRET_CHARS to LONG_SECRET_CHARS) is hidden only where it stands as a word
of its own, and one spelled with letters only is not hidden at all: hiding a common word would
point at it (`Username + <hidden>` says the password is "password"). `set` warns about both.

`plain` is the other half: text from outside (keys, usernames, server answers, typed input) is
shown with control characters visibly escaped, never written raw to a terminal.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import functools
import io
import itertools
import json
import operator
import re
import threading
import unicodedata
from collections.abc import Collection, Iterator
from typing import Any, TextIO
from urllib.parse import quote, unquote

from pixi_auth_tui.core.urlmask import HIDDEN, mask_urls

# Shorter strings are too common to hide inside free text without mangling it.
MIN_SECRET_CHARS = 6
# Spellings of at least this many characters are hidden wherever they stand in a text;
# shorter ones only where they stand as a word of their own (see _WORD).
LONG_SECRET_CHARS = 9
# A longer spelling is searched for by this many first characters (see the module doc).
PREFIX_CHARS = 12
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# The patterns below are compiled when first used (functools.cache): a command whose output
# holds no secret, escape or URL never needs most of them.
_WORD = functools.cache(lambda: re.compile(r"""[^\s"'`:/@?&#=,;()\[\]{}<>\\]+"""))
# Where an echo of a secret cut short may continue: the characters tokens are made of.
_TOKEN_RUN = functools.cache(lambda: re.compile(r"""[^\s"'`<>,;()\[\]{}\\&?#@:]*"""))
# Where a word holds an escape that no spelling in the automaton foresees — any percent escape
# (in either case, however deep), an HTML entity, `\uXXXX` of an ASCII character, `\/` — the
# word is decoded (see _decoded). Each kind is looked for only if its lead character is there.
_ESCAPE_SITES = (
    ("%", functools.cache(lambda: re.compile(r"%[0-9A-Fa-f]{2}"))),
    ("&", functools.cache(lambda: re.compile(r"&#?[0-9A-Za-z]{2,8};"))),
    ("\\", functools.cache(lambda: re.compile(r"\\u00[0-7][0-9A-Fa-f]|\\/"))),
)
# Form encoding's space (looked for only if a secret holds one): a `+` touching a word, on
# either side, so that two spaces side by side (`++`) and a space at a word's end count too.
_PLUS_SITE = functools.cache(lambda: re.compile(r"[^\s+]\+|\+[^\s+]"))
_ENCODED_WORD_END = functools.cache(lambda: re.compile(r"""[\s"'`<>,()\[\]{}]"""))


def _lower(text: str) -> str:
    """`text` lower-cased, character for character (offsets in it are offsets in `text`), with
    lone surrogates (from files we did not understand) as U+FFFD, which the automaton takes."""
    lowered = text.lower()
    if len(lowered) != len(text):  # (a few characters lower-case to two: keep those as they are)
        lowered = "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)
    if not lowered.isascii():
        with contextlib.suppress(UnicodeEncodeError):
            lowered.encode("utf-8")
            return lowered
        lowered = "".join("\ufffd" if 0xD800 <= ord(ch) < 0xE000 else ch for ch in lowered)
    return lowered


def _plain_forms(secret: str) -> set[str]:
    """The secret, and for a secret with a line break each of its lines (a multi-line secret is
    often echoed up to the break)."""
    forms = {secret}
    if not secret.isprintable():
        forms.update(secret.translate({ord(c): "\n" for c in _LINE_BREAKS}).split("\n"))
    return forms


# Characters JSON and repr (of the text and of its UTF-8 bytes) leave alone: a secret of only
# these (nearly every token, password and header) is its own only plain spelling.
_NO_BACKSLASH_FORMS = functools.cache(lambda: re.compile(r"[ !#-&(-\[\]-~]*"))


def _backslash_forms(secret: str) -> set[str]:
    """JSON and repr escapes, exactly (so a JSON output keeps its quotes around HIDDEN)."""
    if _NO_BACKSLASH_FORMS().fullmatch(secret):
        return set()
    forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], repr(secret)[1:-1]}
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate has no byte form
        forms.add(repr(secret.encode("utf-8"))[2:-1])
    return forms


_base64 = functools.partial(binascii.b2a_base64, newline=False)  # base64.b64encode, without its Python call
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def _exact_forms(secret: str) -> set[str]:
    """The spellings of `secret` in their own case: the secret, each line of a multi-line one,
    NFC and NFD, JSON and repr escapes, and base64 of it alone (standard and URL-safe,
    unpadded)."""
    forms = _plain_forms(secret) | _backslash_forms(secret)
    if not secret.isascii():
        forms |= {unicodedata.normalize(form, secret) for form in ("NFC", "NFD")}
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate has no byte form
        encoded = base64.b64encode(secret.encode("utf-8")).decode("ascii").rstrip("=")
        forms |= {encoded, encoded.replace("+", "-").replace("/", "_")}
    return forms


def _forms_of(secret: str) -> set[str]:
    """Every spelling of `secret` searched for by the automaton, lower-cased (the text searched
    is lower-cased too). Percent-encodings, entities and the rest are found by decoding the
    word they stand in."""
    return {form.lower() if form.isascii() else _lower(form) for form in _exact_forms(secret) if hideable(form)}


def spellings(secret: str) -> set[str]:
    """The spellings of `secret` a log may show, exactly as they would stand: those above and
    its percent-encodings — what another gate that matches exact strings (a CI runner's log
    masks) must hide. (This gate also finds other cases and deeper escapes, which such a gate
    cannot.)"""
    forms = _exact_forms(secret)
    with contextlib.suppress(UnicodeEncodeError):
        data = secret.encode("utf-8")
        forms |= {quote(data, safe=""), quote(data)}
    return set(filter(hideable, forms))


# A batch of secrets, one a line, each printable ASCII with no quote or backslash.
_PLAIN_LINES = functools.cache(lambda: re.compile(r"[ !#-&(-\[\]-~\n]*"))


def _plain_batch(secrets: set[str], shortest: int = LONG_SECRET_CHARS) -> tuple[list[str], str]:
    """The secrets of a batch (of at least `shortest` characters) whose only spellings are
    themselves and their base64 — printable ASCII with no quote or backslash: nearly all of a
    load — and those joined a line each (one check, in C, for the whole batch). Of at least
    LONG_SECRET_CHARS characters, each of those spellings is hideable."""
    chosen = list(itertools.compress(secrets, map(shortest.__le__, map(len, secrets)))) if shortest else list(secrets)
    joined = "\n".join(chosen)
    # (each line break in the joined text must be one that joins: a secret may hold one)
    if not (joined.isascii() and _PLAIN_LINES().fullmatch(joined) and joined.count("\n") == len(chosen) - 1):
        chosen = list(filter(_NO_BACKSLASH_FORMS().fullmatch, filter(str.isascii, chosen)))
        joined = "\n".join(chosen)
    return chosen, joined


def _base64_lines(joined: str) -> bytes:
    """base64 of each line of `joined`, a line each (b2a_base64 ends each with one), unpadded,
    lower-cased."""
    return b"".join(map(binascii.b2a_base64, joined.encode().split(b"\n"))).replace(b"=", b"").lower()


def _forms(secrets: Collection[str]) -> set[str]:
    """`_forms_of` each of `secrets`. A load brings thousands at once, nearly all of them plain
    (see _plain_batch): those are worked out for the whole batch at once, joined into one text
    (one lower-casing, one URL-safe translation), the rest one by one."""
    secrets = set(secrets)
    plain, joined = _plain_batch(secrets)
    forms = set(joined.lower().split("\n")) if plain else set()
    encoded = _base64_lines(joined)
    forms.update(encoded.decode().split("\n"))
    if b"+" in encoded or b"/" in encoded:
        forms.update(encoded.translate(_URL_SAFE).decode().split("\n"))
    for secret in secrets.difference(plain):
        forms |= _forms_of(secret)
    forms.discard("")
    return forms


# Every spelling the automaton holds is at least this long (see hideable): a text holds one only
# where it holds the spelling's first HEAD_CHARS characters.
HEAD_CHARS = MIN_SECRET_CHARS


class _Waiting:
    """Secrets noted whose spellings are not in the automaton yet, each with its heads: the first
    HEAD_CHARS characters of each of its spellings, as the automaton would hold them. A text
    none of whose views holds one of a secret's heads holds none of its spellings, so a small
    text needs only the secrets whose heads it holds in the automaton (see Redactor.redact)."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self._unsorted: list[set[str]] = []  # batches noted; heads not worked out yet (a large text needs none)
        # per batch, its plain secrets (see _plain_batch) and, in the same order, a column of
        # heads per spelling: the secret's own, its base64's, and (where that holds + or /) its
        # URL-safe base64's
        self._plain: list[tuple[list[str], list[list[str]]]] = []
        self._other: dict[str, set[str]] = {}  # the rest: the heads of each, worked out one by one
        self._search: Any = None  # an automaton of every waiting head, made for the first large text

    def __len__(self) -> int:
        return len(self.secrets)

    def add(self, secrets: set[str]) -> None:
        self.secrets |= secrets
        self._unsorted.append(secrets)
        self._search = None

    def _sort_out(self) -> None:
        """The heads of the secrets noted since the last search."""
        secrets = set().union(*self._unsorted)
        self._unsorted = []
        plain, _joined = _plain_batch(secrets, shortest=0)
        if plain:
            # A plain secret's spellings start as those of its first HEAD_CHARS characters do
            # (base64's first HEAD_CHARS characters come from its first HEAD_CHARS - 1 bytes);
            # a head of a spelling too short to hide only makes its secret searched for.
            first = operator.itemgetter(slice(HEAD_CHARS))
            heads = "\n".join(map(first, plain))
            encoded = _base64_lines(heads)[:-1]  # (each line ends with a line break)
            columns = [heads.lower().split("\n"), list(map(first, encoded.decode().split("\n")))]
            if b"+" in encoded or b"/" in encoded:
                columns.append(list(map(first, encoded.translate(_URL_SAFE).decode().split("\n"))))
            self._plain.append((plain, columns))
        if len(plain) < len(secrets):
            for secret in secrets.difference(plain):
                self._other[secret] = {form[:HEAD_CHARS] for form in _forms_of(secret)}

    def take_found(self, views: list[str]) -> set[str]:
        """The waiting secrets one of whose heads some view holds, no longer waiting."""
        if self._unsorted:
            self._sort_out()
        if sum(map(len, views)) <= HEADS_BY_SLICES_UP_TO:  # every HEAD_CHARS-long piece of each view
            held = set()
            for view in views:
                held.update(map(view.__getitem__, map(slice, range(len(view)), range(HEAD_CHARS, len(view) + 1))))
        else:  # the heads the views hold, found by an automaton of the heads (one pass, in C)
            held = self._heads_in(views)
        found: set[str] = set()
        for plain, columns in self._plain:
            for column in columns:
                found.update(itertools.compress(plain, map(held.__contains__, column)))
        found.update(secret for secret, heads in self._other.items() if not heads.isdisjoint(held))
        if found:
            self._remove(found)
        return found

    def _heads_in(self, views: list[str]) -> set[str]:
        if self._search is None:
            import ahocorasick  # (pyahocorasick, as _Automaton)

            heads: set[str] = set()
            heads.update(*(column for _plain, columns in self._plain for column in columns), *self._other.values())
            # (a head shorter than HEAD_CHARS is a whole spelling too short to hide)
            heads = set(itertools.compress(heads, map(HEAD_CHARS.__eq__, map(len, heads))))
            if not heads:
                return set()
            self._search = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
            collections.deque(map(self._search.add_word, heads), 0)
            self._search.make_automaton()
        held: set[str] = set()
        for view in views:
            held.update(view[last - length + 1 : last + 1] for last, length in _matches(self._search, view, HEAD_CHARS))
        return held

    def take_all(self) -> set[str]:
        secrets = self.secrets
        self.secrets, self._unsorted, self._plain, self._other, self._search = set(), [], [], {}, None
        return secrets

    def _remove(self, secrets: set[str]) -> None:
        batches, self._plain = self._plain, []
        for plain, columns in batches:
            keep = list(map(operator.not_, map(secrets.__contains__, plain)))
            if any(keep):
                kept = [list(itertools.compress(column, keep)) for column in columns]
                self._plain.append((list(itertools.compress(plain, keep)), kept))
        for secret in secrets:
            self._other.pop(secret, None)
        self.secrets -= secrets
        self._search = None


def hideable(secret: str) -> bool:
    """Whether `secret` can be hidden in text at all: long enough, and not a word of letters
    only that is short enough to be a common word (hiding it would point at it)."""
    if len(secret) < MIN_SECRET_CHARS:
        return False
    return len(secret) >= LONG_SECRET_CHARS or not secret.isalpha()


_JSON_ESCAPE = functools.cache(lambda: re.compile(r"\\u([0-9A-Fa-f]{4})|\\/"))


def _unescape(match: re.Match[str]) -> str:
    # One pass, as a JSON reader reads: `\u005c\u002f` is a backslash and a slash, `\/` a slash.
    code = match.group(1)
    return "/" if code is None else chr(int(code, 16))


def _decodings(word: str, spaced: bool) -> list[str]:
    """A word as a browser, a form decoder or a JSON reader would read it: entities, `\\uXXXX`
    and `\\/` escapes, then percent escapes (in any case) one level at a time — a secret may
    hold a `%` of its own, so each level is a reading — and, when a secret holds a space,
    each level read with `+` as a space."""
    import html  # (only for a word holding an escape: most outputs have none)

    text = html.unescape(word)
    readings = [text]
    if "\\" in text:  # (a secret may hold a `\/` of its own: the reading before this is kept)
        text = _JSON_ESCAPE().sub(_unescape, text)
        readings.append(text)
    for _ in range(3):  # over-encoded: %2570 is %70 is p
        if "%" not in text:
            break
        text = unquote(text, errors="surrogateescape")
        readings.append(text)
    if spaced:
        readings += [reading.replace("+", " ") for reading in readings if "+" in reading]
    return [unicodedata.normalize("NFC", reading) for reading in readings]


# A large text is searched this many characters at a time (see _matches).
SEARCH_PIECE_CHARS = 1 << 16


def _matches(search: Any, view: str, longest: int) -> Iterator[tuple[int, int]]:
    """(last offset, length) of each occurrence in `view` of the words of `search` (a
    pyahocorasick automaton whose words are at most `longest` characters long), in order.

    pyahocorasick copies the whole text it is given into 4 bytes a character before searching
    it: a large text is given piece by piece, each with the `longest - 1` characters before it,
    so that copy stays small (in the processor's cache, in memory already mapped). Each
    occurrence is reported by the piece its last character is in (the characters before
    that piece are there only to find the occurrences that begin in them)."""
    if len(view) <= SEARCH_PIECE_CHARS:
        yield from search.iter(view)
        return
    lead = longest - 1
    for start in range(0, len(view), SEARCH_PIECE_CHARS):
        begin = max(start - lead, 0)
        for last, length in search.iter(view[begin : start + SEARCH_PIECE_CHARS]):
            if begin + last >= start:
                yield begin + last, length


class _Automaton:
    """Every spelling, found in one pass over a text (Aho–Corasick, in C): a short spelling
    whole, a long one by its first PREFIX_CHARS characters."""

    def __init__(self, spellings: set[str]) -> None:
        self.spellings = spellings
        self.search: Any = None
        self._by_prefix: dict[str, dict[int, set[str]]] | None = None  # made on the first hit
        if spellings:
            import ahocorasick  # (pyahocorasick; imported with the first secret)

            # Each prefix with its length as its value: added by a map, in C (no Python call each).
            search = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
            collections.deque(map(search.add_word, set(map(operator.itemgetter(slice(PREFIX_CHARS)), spellings))), 0)
            search.make_automaton()
            self.search = search

    def _spellings_of(self, prefix: str) -> dict[int, set[str]]:
        """The spellings beginning with `prefix`, by length: where a prefix stands, they are
        compared whole (one slice and one set lookup per length)."""
        by_prefix = self._by_prefix
        if by_prefix is None:
            # Built whole before it is published: another thread searching at the same time
            # sees either none or all of it (it may build its own; both are the same).
            by_prefix = {}
            for spelling in self.spellings:
                lengths = by_prefix.setdefault(spelling[:PREFIX_CHARS], {})
                lengths.setdefault(len(spelling), set()).add(spelling)
            self._by_prefix = by_prefix
        return by_prefix[prefix]

    def spans(self, view: str) -> list[tuple[int, int]]:
        """Where spellings stand in `view` (lower-cased text): (start, end) character offsets."""
        if self.search is None:
            return []
        found: list[tuple[int, int]] = []
        for last, length in _matches(self.search, view, PREFIX_CHARS):
            start, end = last - length + 1, last + 1
            prefix = view[start:end]
            whole = 0
            for length, spellings in self._spellings_of(prefix).items():
                if length > whole and view[start : start + length] in spellings:
                    whole = length
            if whole:
                if whole >= LONG_SECRET_CHARS or _stands_alone(view, start, start + whole):
                    found.append((start, start + whole))
            elif len(prefix) == PREFIX_CHARS:  # a long spelling's start, cut short: hide the rest of the word
                run = _TOKEN_RUN().match(view, end)  # (always matches: it may be empty)
                found.append((start, run.end() if run else end))
        return found


def _stands_alone(text: str, start: int, end: int) -> bool:
    """text[start:end] is a whole word of `text`: the characters either side are word
    delimiters (or the text ends); `.` and `!` ending a sentence after it count as its end
    (`s3cr3t.` is the word, `s3cr3t.example` a host name)."""
    if start > 0 and _WORD().match(text, start - 1, start):
        return False
    while end < len(text) and text[end] in ".!":
        end += 1
    return not (end < len(text) and _WORD().match(text, end, end + 1))


# A text is searched for only the secrets whose heads it holds (see _Waiting) while it has at
# most this many characters per secret not yet in the automaton, and for this many texts;
# a larger text, or the next one, puts them all in: for a small output (`resolve` among thousands
# of entries) the automaton then holds only what it could hide, while the texts of a long-lived
# process (the UI) soon share one automaton of them all.
NARROW_CHARS_PER_SECRET = 8
NARROW_SEARCHES = 4
# ...or, whatever the text's size, while this many secrets wait: their heads are fewer and shorter
# than their spellings, so one pass of an automaton of the heads costs less than working out
# every spelling and its automaton; where the text holds none, the automaton stays as it was.
NARROW_FROM_SECRETS = 1000
# The heads a view holds are found by cutting it into pieces up to this size, by an automaton above.
HEADS_BY_SLICES_UP_TO = 16384


class Redactor:
    """Knows every secret loaded; replaces each occurrence by HIDDEN.

    Adding is cheap (loading 100,000 entries must stay fast): secrets are only noted, and their
    spellings worked out and put into the automaton on the next `redact` that follows an add —
    for a small text, only those of the secrets whose heads it holds (see NARROW_SEARCHES).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._known: set[str] = set()
        self._pending: list[str | None] = []  # secrets added since the last redact
        self._pending_basic: list[tuple[str, str]] = []  # (user, password): base64 of both
        self._waiting = _Waiting()  # known, not in the automaton yet
        self._narrow_searches = 0
        self._spellings: set[str] = set()
        self._spaced = False  # a secret holds a space: a `+` may stand for it
        self._automaton = _Automaton(set())

    # Adding takes no lock (it is called for every credential loaded, from any thread): each add
    # is one list operation, which no other thread sees half done, and _take_pending (under the
    # lock) removes from the lists exactly what it read, so an add made meanwhile stays pending.

    def add(self, *secrets: str | None) -> None:
        # Only noted here, sorted out on the next use.
        self._pending.extend(secrets)

    def add_basic(self, username: str, password: str) -> None:
        """HTTP basic auth sends base64("user:password"): that is a secret too (as is the password)."""
        self._pending_basic.append((username, password))

    def add_basics(self, pairs: list[tuple[str, str]]) -> None:
        """`add_basic` of each (username, password)."""
        self._pending_basic.extend(pairs)

    def clear(self) -> None:
        with self._lock:
            self._reset()

    def __contains__(self, secret: str) -> bool:
        with self._lock:
            self._take_pending()
        return secret in self._known

    def _take_pending(self) -> None:
        """The pending secrets (and the basic auth headers of the pending pairs), known and waiting."""
        if not self._pending and not self._pending_basic:
            return
        pending, basic = self._pending[:], self._pending_basic[:]
        del self._pending[: len(pending)], self._pending_basic[: len(basic)]
        new = set(filter(None, pending))  # neither None nor ""
        if basic:  # each password, and base64("user:password") of each, mapped in C
            new.update(filter(None, map(operator.itemgetter(1), basic)))
            header = map(str.encode, map(":".join, basic), itertools.repeat("utf-8"), itertools.repeat("surrogatepass"))
            new.update(map(bytes.decode, map(_base64, header)))
        new -= self._known
        if not new:
            return
        self._known |= new
        self._spaced = self._spaced or any(map(operator.contains, new, itertools.repeat(" ")))
        self._waiting.add(new)

    def _update(self, text: str, view: str) -> None:
        """The spellings of the waiting secrets `text` (lower-cased: `view`) could hold into the
        automaton: of those whose heads it holds (see NARROW_SEARCHES), else of them all."""
        self._take_pending()
        if not self._waiting:
            return
        waiting = len(self._waiting)
        if self._narrow_searches < NARROW_SEARCHES and (
            len(text) <= NARROW_CHARS_PER_SECRET * waiting or waiting >= NARROW_FROM_SECRETS
        ):
            self._narrow_searches += 1
            words = {word for _start, _end, word in _encoded_words(text, self._spaced)}
            views = [view, *(_lower(reading) for word in words for reading in _decodings(word, self._spaced))]
            secrets = self._waiting.take_found(views)
        else:
            secrets = self._waiting.take_all()
        spellings = _forms(secrets) if secrets else set()
        if not spellings <= self._spellings:
            # A new set, never the one the automaton in use holds: a search in another thread
            # may be reading that one (see _spellings_of).
            self._spellings = self._spellings | spellings if self._spellings else spellings
            self._automaton = _Automaton(self._spellings)

    def redact(self, text: str) -> str:
        if len(text) < MIN_SECRET_CHARS:
            return text
        view = _lower(text)
        with self._lock:
            self._update(text, view)
            automaton, spaced = self._automaton, self._spaced
        if automaton.search is None:
            return text
        spans = automaton.spans(view)
        hits: dict[str, bool] = {}  # per encoded word (a text may repeat one)
        for start, end, word in _encoded_words(text, spaced):
            hit = hits.get(word)
            if hit is None:
                hit = hits[word] = any(automaton.spans(_lower(reading)) for reading in _decodings(word, spaced))
            if hit:
                spans.append((start, end))
        return _hide(text, spans) if spans else text


def _encoded_words(text: str, spaced: bool) -> Iterator[tuple[int, int, str]]:
    """Each word of `text` holding an escape (see _ESCAPE_SITES), whose decodings are searched too:
    (start, end, word)."""
    sites = [site for lead, pattern in _ESCAPE_SITES if lead in text for site in pattern().finditer(text)]
    if spaced and "+" in text:
        sites += _PLUS_SITE().finditer(text)
    done_until = -1
    for site in sorted(sites, key=lambda match: match.start()):
        if site.start() < done_until:
            continue  # in a word already looked at
        start = site.start()
        while start > 0 and not _ENCODED_WORD_END().match(text, start - 1, start):
            start -= 1
        found = _ENCODED_WORD_END().search(text, site.end())
        end = found.start() if found else len(text)
        done_until = end
        yield start, end, text[start:end]


def _hide(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with every stretch covered by the spans replaced by one HIDDEN: where occurrences
    overlap (two secrets sharing a stretch) or touch, their union is hidden — a replacement of
    one must never leave the other's tail standing."""
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
    """Every known secret hidden, then every URL's own secrets masked. In this order: masking
    first could cut a known secret (a `token=` value ends at a space the secret holds) and
    leave its tail, no longer a known spelling, standing."""
    return mask_urls(REDACTOR.redact(text))


# Opaque token-like words in text from a server: long runs of token characters mixing letters and
# digits. A provider that echoes a secret may spell it in a way no list of spellings foresees:
# such words are not shown at all.
_OPAQUE_WORD = functools.cache(lambda: re.compile(r"[A-Za-z0-9._~+/=%-]{20,}"))


def without_opaque_words(text: str) -> str:
    """`text` (from a server) with every opaque token-like word replaced by HIDDEN."""
    return _OPAQUE_WORD().sub(
        lambda m: HIDDEN if re.search(r"[A-Za-z]", m.group()) and re.search(r"\d", m.group()) else m.group(), text
    )


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
