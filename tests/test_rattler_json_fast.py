"""The fast path for common entries answers exactly as the full serde check does.

`_common_credential` handles a token and a user/password pair; for everything else it
declines. On values generated around those shapes (surrogates, wrong types, extra, repeated
or misspelled fields, other variants), wherever it answers, the answer equals
`read_credential_strictly`'s — which tests/test_differential.py checks against py-rattler.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.model import BearerToken, path_encoded, path_encoded_by_character, path_unchanged
from pixi_auth_tui.core.rattler_json import (
    Number,
    Pairs,
    _common_credential,
    parse_json,
    read_credential,
    read_credential_strictly,
    read_credentials,
)
from pixi_auth_tui.core.redact import REDACTOR
from pixi_auth_tui.stores.base import Entry, make_entry

strings = st.text(max_size=8) | st.sampled_from(["\ud800", "tok\udfffen", "é", "", "a b", "t#k", "x\\y"])
scalars = strings | st.builds(Number, st.sampled_from(["1", "-0", "1e2"]), st.booleans()) | st.none() | st.booleans()
field_names = st.sampled_from(["username", "password", "user", "extra", "\ud800"])
fields = st.lists(st.tuples(field_names, scalars | st.lists(scalars, max_size=2)), max_size=4).map(Pairs)
variants = st.sampled_from(["BearerToken", "CondaToken", "BasicHTTP", "BasicHttp", "S3Credentials", "Other", "\ud800"])
payloads = scalars | fields | st.lists(scalars, max_size=3)
entries = st.lists(st.tuples(variants, payloads), min_size=0, max_size=2).map(Pairs) | scalars


@settings(max_examples=600, deadline=None)
@given(entries)
def test_the_fast_path_answers_as_the_full_check_or_declines(value):
    fast = _common_credential(value)
    strict = read_credential_strictly(value)
    if fast is not None:
        assert fast == strict
        assert type(fast) is type(strict)
    assert read_credential(value) == strict


def test_the_fast_path_takes_the_common_shapes_as_parsed_from_a_file():
    doc = parse_json(
        '{"a":{"BearerToken":"t1"},"b":{"CondaToken":"t2"},'
        '"c":{"BasicHTTP":{"username":"u","password":"p"}},"d":{"BasicHTTP":{"password":"p","username":"u"}}}'
    )
    for _key, value in doc:
        assert _common_credential(value) is not None
        assert _common_credential(value) == read_credential_strictly(value)
    # Shapes it leaves to the full check: a repeated field, an extra one, an array, a surrogate.
    for text in (
        '{"BasicHTTP":{"username":"u","username":"v"}}',
        '{"BasicHTTP":{"username":"u","password":"p","x":1}}',
        '{"BasicHTTP":["u","p"]}',
        '{"BearerToken":"\\ud800"}',
        '{"BasicHTTP":{"username":"u","password":"\\udfff"}}',
        '{"BasicHTTP":{"password":"p","username":"\\ud800"}}',
        '{"BearerToken":"t","CondaToken":"t"}',
    ):
        assert _common_credential(parse_json(text)) is None, text


def registered() -> set[str]:
    """Every secret the redactor knows (worked out of what was added), then forgotten."""
    assert "(nothing)" not in REDACTOR  # works the pending secrets out
    known = set(REDACTOR._known)
    REDACTOR.clear()
    return known


# The shapes the bulk path builds itself, with the characters that change what is registered
# (path-encoded in a conda URL, non-ASCII, a lone surrogate).
texts = st.text(st.sampled_from('ab1 #"\\é\ud800~{}'), max_size=6)


def basic(username: str, password: str, password_first: bool) -> Pairs:
    fields = [("username", username), ("password", password)]
    return Pairs([("BasicHTTP", Pairs(fields[::-1] if password_first else fields))])


common = st.builds(lambda v, t: Pairs([(v, t)]), st.sampled_from(["BearerToken", "CondaToken"]), texts) | st.builds(
    basic, texts, texts, st.booleans()
)


@settings(max_examples=300, deadline=None)
@given(st.lists(common | entries, max_size=6))
def test_a_whole_file_read_in_bulk_equals_each_entry_read_on_its_own(values):
    REDACTOR.clear()
    bulk = read_credentials(values)
    bulk_secrets = registered()
    one_by_one = [read_credential_strictly(value) for value in values]
    assert bulk == one_by_one
    assert [type(cred) for cred in bulk] == [type(cred) for cred in one_by_one]
    assert [[getattr(cred, name) for name in cred.__slots__] for cred in bulk] == [
        [getattr(cred, name) for name in cred.__slots__] for cred in one_by_one
    ]
    assert bulk_secrets == registered()  # the same secrets hidden, the path-encoded ones too


@given(st.text(max_size=6))
def test_a_token_the_path_carries_as_it_is_is_told_without_encoding_it(token):
    assert path_unchanged(token) == (path_encoded_by_character(token) == token)
    assert path_encoded(token) == path_encoded_by_character(token)


def test_an_entry_made_without_init_equals_one_made_with_it():
    cred = BearerToken("tok-123456")
    for note in (None, "superseded"):
        made, built = make_entry("k", cred, "credentials", note), Entry("k", cred, "credentials", note=note)
        assert made == built and made._asdict() == built._asdict() and hash(made) == hash(built)
