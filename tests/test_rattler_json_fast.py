"""The fast path for common entries answers exactly as the full serde check does.

`_common_credential` handles a token and a user/password pair; for everything else it
declines. On values generated around those shapes (surrogates, wrong types, extra, repeated
or misspelled fields, other variants), wherever it answers, the answer equals
`read_credential_strictly`'s — which tests/test_differential.py checks against py-rattler.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.rattler_json import (
    Number,
    Pairs,
    _common_credential,
    parse_json,
    read_credential,
    read_credential_strictly,
)

strings = st.text(max_size=8) | st.sampled_from(["\ud800", "tok\udfffen", "é", ""])
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
