"""A small text is searched for only the secrets whose heads it holds (core/redact.py, _Waiting):
it must hide exactly what the search for every secret hides, in every spelling, also when many
secrets wait and texts come one after another (the automaton then grows by what each one held)."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import Iterator

from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core import redact
from pixi_auth_tui.core.redact import (
    HEAD_CHARS,
    HIDDEN,
    NARROW_CHARS_PER_SECRET,
    NARROW_SEARCHES,
    PREFIX_CHARS,
    Redactor,
    _forms_of,
    _Waiting,
)

from tests.test_redact_paths import ALPHABET, ENCODINGS, filler, reference, secret_text


@contextlib.contextmanager
def heads_found_by(how: str) -> Iterator[None]:
    """The heads a text holds found by cutting it into pieces, or by the automaton of the heads
    (as for a large text)."""
    saved = redact.HEADS_BY_SLICES_UP_TO
    redact.HEADS_BY_SLICES_UP_TO = saved if how == "slices" else 0
    try:
        yield
    finally:
        redact.HEADS_BY_SLICES_UP_TO = saved


# Secrets a load brings by the thousand: printable ASCII, most of them long.
plain_secret = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=30)


@settings(max_examples=300, deadline=None, phases=[Phase.generate])
@given(secrets=st.lists(st.one_of(secret_text, plain_secret, st.text(ALPHABET + "AZ~.+!#é\n"))), pick=st.data())
def test_a_view_holding_any_spelling_of_a_secret_finds_that_secret(secrets, pick):
    # Each spelling the automaton would hold starts with one of the secret's heads.
    waiting = _Waiting()
    waiting.add(set(secrets))
    spelled = [(secret, form) for secret in set(secrets) for form in sorted(_forms_of(secret))]
    if not spelled:
        return
    secret, form = pick.draw(st.sampled_from(spelled))
    around = pick.draw(filler)
    with heads_found_by(pick.draw(st.sampled_from(["slices", "automaton"]))):
        assert secret in waiting.take_found([around + form + around])


def test_each_spelling_of_a_secret_whose_base64_holds_a_slash_finds_it():
    # base64 of "???>>>" is "Pz8/Pj4+": its URL-safe spelling ("Pz8_Pj4-") has heads of its own.
    for secret in ("???>>>abcdef", "???>>>", ">>>???x"):
        for form in _forms_of(secret):
            waiting = _Waiting()
            waiting.add({secret, "some-other-secret-1234"})
            assert waiting.take_found([f"x {form} y"]) == {secret}, form


@settings(max_examples=150, deadline=None, phases=[Phase.generate])
@given(
    secrets=st.lists(secret_text, min_size=1, max_size=4),
    parts=st.lists(filler, min_size=1, max_size=6),
    cut=st.integers(0, 30),
    texts=st.integers(1, NARROW_SEARCHES + 1),
    how=st.sampled_from(["slices", "automaton"]),
)
def test_small_texts_among_many_secrets_are_hidden_as_a_plain_search_hides(secrets, parts, cut, texts, how):
    # Many other secrets wait, so each of these texts is small enough to be searched narrowly.
    others = [f"other-{i:04d}-{i * 7919 % 10007:05d}" for i in range(200)]
    spellings = [form for secret in secrets for form in sorted(_forms_of(secret))]
    variants = itertools.cycle([str.upper, lambda f: f[: max(PREFIX_CHARS, len(f) - cut)], lambda f: f])
    text = "".join(p + v(s) for p, s, v in zip(parts, spellings * len(parts), variants, strict=False))
    assert len(text) <= NARROW_CHARS_PER_SECRET * len(others)
    redactor = Redactor()
    redactor.add(*others)
    redactor.redact("no secret here at all")  # (a first narrow search: nothing to put in)
    redactor.add(*secrets)
    everything = [*others, *secrets]
    with heads_found_by(how):
        for shown in range(texts):  # later texts: some secrets in the automaton already, the rest waiting
            piece = text[shown::texts] if shown else text
            assert redactor.redact(piece) == reference(everything, piece)
        assert redactor.redact(f"x {others[7]} y") == reference(everything, f"x {others[7]} y")


def test_a_narrow_search_puts_in_only_what_the_text_held():
    redactor = Redactor()
    tokens = [f"tok_{i:08d}abcdefabcdef" for i in range(1000)]
    redactor.add(*tokens)
    out = redactor.redact(f"GET https://h.example/t/{tokens[5]}/ failed; see {tokens[9].upper()[:14]}...")
    assert tokens[5] not in out and "TOK_00000009" not in out
    held = {form[:HEAD_CHARS] for form in _forms_of(tokens[5]) | _forms_of(tokens[9])}
    assert {spelling[:HEAD_CHARS] for spelling in redactor._automaton.spellings} <= held
    assert tokens[123] in redactor  # every secret is still known
    assert redactor.redact(f"later: {tokens[123]}") == f"later: {HIDDEN}"


@settings(max_examples=100, deadline=None, phases=[Phase.generate])
@given(secret=secret_text, how=st.sampled_from(["plus", "lower", "deep", "entity", "json"]))
def test_a_small_text_holding_an_encoded_secret_is_searched_for_it(secret, how):
    # The heads are looked for in the decodings of the text's encoded words too.
    encoded = ENCODINGS[how](secret)
    others = [f"other-{i:04d}-{i * 7919 % 10007:05d}" for i in range(200)]
    text = f"error: {encoded} (end)"
    redactor = Redactor()
    redactor.add(*others, secret)
    assert redactor.redact(text) == reference([*others, secret], text)


def test_a_large_text_among_many_secrets_is_searched_for_the_few_it_holds():
    # As `list --json` among thousands of entries: an automaton of the heads finds which secrets
    # the text could hold; only theirs are spelled out, and the text is hidden exactly as before.
    tokens = [hashlib.sha256(f"token {i}".encode()).hexdigest()[:24] for i in range(1200)]  # heads all differ
    rows = [f'{{"key": "h{i:06d}.example", "identity": "tok_\u2026{i:04d}"}}' for i in range(3000)]
    rows[1234] = f'{{"key": "leak", "identity": "{tokens[77]}", "again": "{tokens[77].upper()[:13]}..."}}'
    text = "[" + ", ".join(rows) + "]"
    redactor = Redactor()
    redactor.add(*tokens)
    out = redactor.redact(text)
    assert out == reference(tokens, text)
    assert tokens[77] not in out and tokens[77].upper()[:13] not in out
    assert len(redactor._waiting) == len(tokens) - 1  # the rest still wait
    assert {spelling[:HEAD_CHARS] for spelling in redactor._automaton.spellings} <= {
        form[:HEAD_CHARS] for form in _forms_of(tokens[77])
    }
    assert redactor.redact(text.replace("leak", tokens[5])) == reference(tokens, text.replace("leak", tokens[5]))
    clean = text.replace(tokens[77], "nothing").replace(tokens[77].upper()[:13], "nothing")
    assert redactor.redact(clean) == clean  # (the automaton of heads kept: nothing was taken)
    redactor.add("late-secret-0123456789")  # its heads too, in the next text's automaton of heads
    later = text.replace("leak", "late-secret-0123456789")
    assert redactor.redact(later) == reference([*tokens, "late-secret-0123456789"], later)
    assert "late-secret" not in redactor.redact(later)


@contextlib.contextmanager
def searched_in_pieces_of(chars: int) -> Iterator[None]:
    """A large text is searched piece by piece (core/redact.py, _matches): pieces this small
    make a short text as many pieces as a large one."""
    saved = redact.SEARCH_PIECE_CHARS
    redact.SEARCH_PIECE_CHARS = chars
    try:
        yield
    finally:
        redact.SEARCH_PIECE_CHARS = saved


@settings(max_examples=150, deadline=None, phases=[Phase.generate])
@given(
    secrets=st.lists(secret_text, min_size=1, max_size=3),
    parts=st.lists(filler, min_size=1, max_size=8),
    cut=st.integers(0, 30),
    piece=st.integers(1, 40),
    narrow=st.booleans(),
)
def test_a_text_searched_piece_by_piece_is_hidden_as_a_whole_search_hides(secrets, parts, cut, piece, narrow):
    # Every spelling (upper-cased, cut short) wherever it falls: across a piece's edge, in the
    # characters a piece takes from the one before, at the text's ends. With many other secrets
    # waiting, the heads are found by their automaton piece by piece too.
    spellings = [form for secret in secrets for form in sorted(_forms_of(secret))]
    variants = itertools.cycle([str.upper, lambda f: f[: max(PREFIX_CHARS, len(f) - cut)], lambda f: f])
    text = "".join(p + v(s) for p, s, v in zip(parts, spellings * len(parts), variants, strict=False))
    others = [f"other-{i:04d}-{i * 7919 % 10007:05d}" for i in range(200)] if narrow else []
    redactor = Redactor()
    redactor.add(*others, *secrets)
    with searched_in_pieces_of(piece), heads_found_by("automaton"):
        assert redactor.redact(text) == reference([*others, *secrets], text)
