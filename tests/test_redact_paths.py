"""The redactor's fast paths find exactly what a plain search for every spelling finds.

Small texts are searched for spellings not yet indexed one by one, large ones by automata (a
main one and a recent one for spellings added later), escaped spellings worked out only once a
text holds `%` or a backslash: each is checked against a reference that searches the whole
text for every spelling of every secret.
"""

from __future__ import annotations

import base64
import itertools
import json
from urllib.parse import quote

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core import redact as redact_module
from pixi_auth_tui.core.redact import _WORD, HIDDEN, LONG_SECRET_CHARS, MIN_SECRET_CHARS, Redactor, _forms


def reference(secrets: list[str], text: str) -> str:
    """Every spelling searched in the whole text, the slow and obvious way."""
    forms = {form for secret in secrets for form in _forms(secret)}
    words = set(_WORD.findall(text))
    words |= {word.rstrip(".!") for word in words}  # a sentence's end is no part of its last word
    found = {
        form
        for form in forms
        if (len(form) >= LONG_SECRET_CHARS and form in text)
        or (
            MIN_SECRET_CHARS <= len(form) < LONG_SECRET_CHARS
            and (form in words if _WORD.fullmatch(form) else form in text)
        )
    }
    if not found:
        return text
    # every character any occurrence covers is hidden; each run of them becomes one HIDDEN
    covered = [False] * len(text)
    for form in found:
        for start in range(len(text)):
            if text.startswith(form, start):
                covered[start : start + len(form)] = [True] * len(form)
    runs = itertools.groupby(zip(text, covered, strict=True), key=lambda pair: pair[1])
    return "".join(HIDDEN if hidden else "".join(ch for ch, _ in run) for hidden, run in runs)


# Secrets from a small alphabet (so they overlap the filler and each other) with the characters
# that change spellings: whitespace, quotes, backslash, percent, non-ASCII, a line break.
ALPHABET = "ab01 -_:\"'\\%é\n=/"
secret_text = st.text(ALPHABET, min_size=6, max_size=24)
filler = st.text(ALPHABET + "xyz,{}[]", max_size=60)


# Secrets the reference does not know of, which fill the main automaton so that the secrets
# under test land in the recent one (no character of theirs is in ALPHABET or the filler).
DECOYS = [f"QQ{i:04d}QQQQQQ" for i in range(400)]
WARM_UP = "warm-up text " * (redact_module._SEARCH_EACH_UP_TO // 10)  # large: builds an automaton


def redactor_in(state: str, secrets: list[str]) -> Redactor:
    """A redactor holding `secrets`, with its spellings where `state` says."""
    redactor = Redactor()
    if state == "recent":  # the main automaton holds the decoys, the recent one the secrets
        redactor.add(*DECOYS)
        redactor.redact(WARM_UP)
    redactor.add(*secrets)
    if state in ("indexed", "recent"):  # worked out and put into an automaton by a large text
        redactor.redact(WARM_UP)
    if state == "scanned":  # small texts searched one by one often enough: the next one indexes
        redactor.redact("warm-up text")
        redactor._scans = redact_module._SCANS_BEFORE_INDEX
    return redactor


@settings(max_examples=120, deadline=None, phases=[Phase.generate])
@given(secrets=st.lists(secret_text, min_size=1, max_size=4), parts=st.lists(filler, min_size=1, max_size=6))
@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("state", ["fresh", "scanned", "indexed", "recent"])
def test_every_path_hides_what_a_plain_search_hides(secrets, parts, large, state):
    spellings = [form for secret in secrets for form in sorted(_forms(secret))]
    text = "".join(p + s for p, s in zip(parts, spellings * len(parts), strict=False))
    if large:  # over _SEARCH_EACH_UP_TO: every spelling goes into an automaton first
        text = text + " pad" * (redact_module._SEARCH_EACH_UP_TO // 4) + " " + text
    redactor = redactor_in(state, secrets)
    if state == "recent":
        assert redactor._main.spellings and redactor._recent.spellings  # the path under test
    assert redactor.redact(text) == reference(secrets, text)


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


@settings(max_examples=60, deadline=None, phases=[Phase.generate])
@given(planted=st.lists(st.integers(0, 999), max_size=3), parts=st.lists(filler, min_size=1, max_size=4))
def test_a_small_text_is_searched_for_many_secrets_at_once_exactly(planted, parts):
    # 1,000 secrets of two lengths: the small-text search puts the text's substrings of those
    # lengths in a set instead of searching the text for each secret.
    secrets = [f"tok{i:06d}xx" for i in range(500)] + [f"password-{i:05d}" for i in range(500)]
    text = "".join(p + secrets[i] for p, i in zip(parts, planted + [0] * len(parts), strict=False))
    text = text if planted else text.replace(secrets[0], "")
    redactor = Redactor()
    redactor.add(*secrets)
    assert redactor.redact(text) == reference(secrets, text)
    assert len(text) <= redact_module._SEARCH_EACH_UP_TO  # the path under test
