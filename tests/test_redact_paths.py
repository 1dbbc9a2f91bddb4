"""The redactor's one search (an Aho–Corasick automaton over the spellings' first characters,
whole spellings compared where one starts, words holding an escape decoded) finds exactly what
a plain search of the whole text for every spelling of every secret finds.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from urllib.parse import quote

from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.redact import (
    _ESCAPE_SITES,
    _PLUS_SITE,
    _TOKEN_RUN,
    HIDDEN,
    LONG_SECRET_CHARS,
    PREFIX_CHARS,
    Redactor,
    _decodings,
    _forms,
    _forms_of,
    _lower,
    _stands_alone,
)

_WORDS = re.compile(r"""[^\s"'`<>,()\[\]{}]+""")


def _plain_search(forms: set[str], view: str) -> list[tuple[int, int]]:
    """At every position, for every group of spellings sharing their first PREFIX_CHARS
    characters that starts there: the longest whole one (a short one only as a word of its
    own), or — for a long group none of whose spellings stands whole — the rest of the word."""
    groups: dict[str, set[str]] = {}
    for form in forms:
        groups.setdefault(form[:PREFIX_CHARS], set()).add(form)
    # Looked up by the text at each position, one lookup per prefix length (rather than every
    # group compared at every position): the same groups match, and thousands of secrets stay quick.
    sizes = sorted({len(prefix) for prefix in groups})
    spans = []
    for start in range(len(view)):
        for size in sizes:
            prefix = view[start : start + size]
            group = groups.get(prefix) if len(prefix) == size else None
            if group is None:
                continue
            whole = max((len(f) for f in group if view.startswith(f, start)), default=0)
            if whole:
                if whole >= LONG_SECRET_CHARS or _stands_alone(view, start, start + whole):
                    spans.append((start, start + whole))
            elif len(prefix) == PREFIX_CHARS:
                spans.append((start, _TOKEN_RUN().match(view, start + PREFIX_CHARS).end()))
    return spans


def reference(secrets: list[str], text: str, basic: list[tuple[str, str]] = ()) -> str:
    """Every spelling searched in the whole text, the slow and obvious way."""
    known = {s for s in secrets if s} | {base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in basic}
    forms = set().union(*map(_forms_of, known))  # one by one, the general way
    spaced = any(" " in s for s in known)
    spans = _plain_search(forms, _lower(text))
    for word in _WORDS.finditer(text):
        escaped = any(lead in word.group() and pattern().search(word.group()) for lead, pattern in _ESCAPE_SITES)
        readings = _decodings(word.group(), spaced)
        if (escaped or (spaced and _PLUS_SITE().search(word.group()))) and any(
            _plain_search(forms, _lower(reading)) for reading in readings
        ):
            spans.append(word.span())
    if not spans:
        return text
    covered = [False] * len(text)
    for start, end in spans:
        covered[start:end] = [True] * (end - start)
    runs = itertools.groupby(zip(text, covered, strict=True), key=lambda pair: pair[1])
    return "".join(HIDDEN if hidden else "".join(ch for ch, _ in run) for hidden, run in runs)


# Secrets from a small alphabet (so they overlap the filler and each other) with the characters
# that change spellings: whitespace, quotes, backslash, percent, non-ASCII, a line break.
ALPHABET = "ab01 -_:\"'\\%é\n=/"
secret_text = st.text(ALPHABET, min_size=6, max_size=24)
filler = st.text(ALPHABET + "xyz,{}[]", max_size=60)


@settings(max_examples=150, deadline=None, phases=[Phase.generate])
@given(
    secrets=st.lists(secret_text, min_size=1, max_size=4),
    parts=st.lists(filler, min_size=1, max_size=6),
    batches=st.integers(1, 3),
    cut=st.integers(0, 30),
)
def test_the_automaton_hides_what_a_plain_search_hides(secrets, parts, batches, cut):
    # Each spelling, upper-cased or cut short now and then, between random filler.
    spellings = [form for secret in secrets for form in sorted(_forms_of(secret))]
    variants = itertools.cycle([str.upper, lambda f: f[: max(PREFIX_CHARS, len(f) - cut)], lambda f: f])
    text = "".join(p + v(s) for p, s, v in zip(parts, spellings * len(parts), variants, strict=False))
    redactor = Redactor()
    for batch in range(batches):  # added in several batches: the automaton is rebuilt for each
        redactor.add(*secrets[batch::batches])
        redactor.redact("warm-up text")
    assert redactor.redact(text) == reference(secrets, text)


@settings(max_examples=200, deadline=None, phases=[Phase.generate])
@given(secrets=st.lists(st.text(ALPHABET + "AZ~.+!#\x00\ud800", max_size=14), max_size=8))
def test_a_batch_of_secrets_has_the_spellings_each_has_alone(secrets):
    # A load's secrets are spelled out together (most of them in one joined text): exactly
    # the spellings each secret has when worked out alone, the general way.
    assert _forms(secrets) == set().union(*map(_forms_of, secrets))


# How a secret may travel encoded in a text: each is decoded by the redactor before it searches.
ENCODINGS = {
    "plus": lambda s: quote(s, safe="").replace("%20", "+"),
    "lower": lambda s: quote(s, safe="").lower(),
    "deep": lambda s: quote("".join(f"%{b:02X}" for b in s.encode()), safe=""),
    "entity": lambda s: "".join(f"&#{ord(c)};" for c in s),
    "json": lambda s: "".join(f"\\u{ord(c):04x}" if ord(c) < 0x80 else c for c in s),
}


@settings(max_examples=100, deadline=None, phases=[Phase.generate])
@given(
    secret=secret_text, before=filler, after=filler, how=st.sampled_from(["plus", "lower", "deep", "entity", "json"])
)
def test_an_encoded_word_is_hidden_as_a_plain_search_of_its_decoding_finds(secret, before, after, how):
    encoded = ENCODINGS[how](secret)
    text = f"{before} {encoded} {after}"
    redactor = Redactor()
    redactor.add(secret)
    out = redactor.redact(text)
    assert out == reference([secret], text)
    if _forms_of(secret):  # (a secret too short or too common is never hidden)
        assert encoded not in out


def test_escaped_spellings_are_found_after_plain_texts_were_redacted():
    redactor = Redactor()
    secret = 'p@ss wörd/+x "quoted" \\ and more'
    redactor.add(secret)
    assert redactor.redact("nothing to see here, no escapes") == "nothing to see here, no escapes"
    for spelling in (quote(secret, safe=""), quote(secret), json.dumps(secret), repr(secret.encode())):
        out = redactor.redact(f"error: {spelling} (end)")
        assert "p@ss" not in out and "p%40ss" not in out and HIDDEN in out, spelling


def test_a_secret_in_every_spelling_never_gets_out_of_a_large_text():
    redactor = Redactor()
    password = "hunter2 'x' \"y\" é%\\"
    token = "tok-with\nline-break-and-more"
    redactor.add_basic("bob", password)
    redactor.add(token)
    header = base64.b64encode(f"bob:{password}".encode()).decode()
    leaks = [
        password,
        header,
        quote(password, safe=""),
        quote(password),
        json.dumps(password),
        json.dumps(password, ensure_ascii=False),
        repr(password),
        repr(password.encode()),
        "tok-with",
        "line-break-and-more",
    ]
    # Many rows, as `list --json` writes them, with the leaks glued to other words and punctuation.
    rows = [json.dumps({"key": f"h{i:06d}.example", "identity": f"user{i}", "mask": "\u2022" * 6}) for i in range(3000)]
    rows[1500:1500] = [f"x{leak}y, ({leak})," for leak in leaks]  # short pieces: hidden as words
    out = redactor.redact("[" + ", ".join(rows) + "]")
    for needle in ("hunter2", header, "(tok-with", "line-break-and-more", "hunter2%20"):
        assert needle not in out
    assert out.count(HIDDEN) >= len(leaks)
    assert "h002999.example" in out  # the rest is untouched


def test_sequential_secrets_among_similar_host_names_are_found_exactly():
    # Sequential secrets share most of their characters with the host names around them (as
    # in bench/cli_floor.py): only the planted ones are hidden, and nothing else.
    secrets = [f"pw{i:08d}" for i in range(400)] + [f"ct-{i:08d}" for i in range(400)]
    planted = ["pw00000123", "ct-00000399", "pw00000007"]
    text = ", ".join(f'"h{i:06d}.example": "u{i}"' for i in range(4000))
    text = text[:5000] + f" ({planted[0]}) x{planted[1]}y " + text[5000:] + f" {planted[2]}"
    redactor = Redactor()
    redactor.add(*secrets)
    out = redactor.redact(text)
    assert out == reference(secrets, text)
    assert out.count(HIDDEN) == 3 and not any(p in out for p in planted)


def test_asking_whether_a_secret_is_known_keeps_it_hidden():
    redactor = Redactor()
    redactor.add("asked-about-secret-1234")
    assert "asked-about-secret-1234" in redactor
    assert redactor.redact("x asked-about-secret-1234 y") == f"x {HIDDEN} y"


def test_a_later_batch_never_changes_the_spellings_a_search_in_progress_reads():
    # `redact` searches outside the lock with the automaton it took under it: a batch added
    # meanwhile by another thread must build new sets, never grow the ones being read (a set
    # changing size while the first hit groups it by prefix raises RuntimeError).
    redactor = Redactor()
    redactor.add("first-secret-0123456789")
    redactor.redact("warm-up text")
    in_use = redactor._automaton.spellings
    before = set(in_use)
    redactor.add("second-secret-0123456789")
    redactor.redact("warm-up text")
    assert in_use == before


def test_a_secret_with_spaces_side_by_side_is_hidden_in_its_form_encoding():
    """Found by the property test above: form encoding spells two spaces `++`, and a `+` beside
    another `+` (or at a word's end) was not looked at, so `b1a1++` kept `b1a1  ` readable."""
    for secret in ("b1a1  ", "  b1a1 x", "pass  word"):
        encoded = quote(secret, safe="").replace("%20", "+")
        redactor = Redactor()
        redactor.add(secret)
        out = redactor.redact(f"form: user=u&password={encoded} (end)")
        assert encoded not in out and HIDDEN in out, (secret, out)


def test_a_secret_added_while_the_pending_ones_are_taken_stays_pending():
    # Adding takes no lock: an add landing between the moment the pending secrets are read and
    # the moment they are removed (another thread's credential being built) must not be lost.
    class AddsMeanwhile(list):
        def __delitem__(self, index):
            if not late:
                late.append("added-meanwhile-secret-42")
                redactor.add(late[0])  # (lands after the read, before the removal)
            super().__delitem__(index)

    late: list[str] = []
    redactor = Redactor()
    redactor._pending = AddsMeanwhile()
    redactor.add("first-secret-1234")
    assert "first-secret-1234" in redactor
    assert late == ["added-meanwhile-secret-42"]
    assert "added-meanwhile-secret-42" in redactor
    assert redactor.redact("x added-meanwhile-secret-42 y") == f"x {HIDDEN} y"
