import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pixi_auth_tui.core.model import (
    BasicHTTP,
    BearerToken,
    CondaToken,
    NotRead,
    OAuth,
    S3Credentials,
    Unrecognised,
    all_secrets,
    credential_to_json,
    dumps_credential,
    expires_at,
    mask,
    parse_credential,
    public_identity,
    rattler_accepts,
)
from pixi_auth_tui.core.rattler_json import loads_credential

text = st.text(min_size=0, max_size=40)
opt_text = st.none() | text
credentials = st.one_of(
    st.builds(BearerToken, text),
    st.builds(CondaToken, text),
    st.builds(BasicHTTP, text, text),
    st.builds(S3Credentials, text, text, opt_text),
    st.builds(OAuth, text, opt_text, st.none() | st.integers(0, 2**40), text, opt_text, text),
)


@given(credentials)
def test_every_kind_round_trips(cred):
    assert parse_credential(credential_to_json(cred)) == cred
    assert loads_credential(dumps_credential(cred)) == cred
    assert rattler_accepts(cred)


def test_a_credential_equals_only_one_of_its_own_kind_with_the_same_values():
    token = "same-token-0123456789"
    assert BearerToken(token) == BearerToken(token) and hash(BearerToken(token)) == hash(BearerToken(token))
    assert BearerToken(token) != CondaToken(token) and CondaToken(token) != BearerToken(token)
    assert len({BearerToken(token), CondaToken(token), BearerToken(token)}) == 2
    assert BasicHTTP("u", "pw-0123456789") != BasicHTTP("u", "pw-0123456789", misspelled=True)
    assert Unrecognised({"A": token}, "why") != Unrecognised({"A": token}, "another reason")
    assert NotRead() == NotRead() and NotRead() and hash(NotRead()) == hash(NotRead())
    assert BearerToken(token) != (token,) and NotRead() != ()  # a record of its kind, not a tuple


@given(credentials)
def test_a_credential_cannot_be_changed_after_its_secrets_were_registered(cred):
    for name in ("token", "password", "secret_access_key", "access_token", "misspelled"):
        if hasattr(cred, name):
            with pytest.raises(AttributeError):
                setattr(cred, name, "another-secret-0123")
            with pytest.raises(AttributeError):
                delattr(cred, name)
    with pytest.raises(AttributeError):
        cred.extra = "another-secret-0123"  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        NotRead().token = "another-secret-0123"  # type: ignore[attr-defined]


def test_serialised_form_is_rattlers_bytes():
    # serde's externally tagged enum, compact, field order as declared in rattler.
    assert dumps_credential(BearerToken("t")) == '{"BearerToken":"t"}'
    assert dumps_credential(CondaToken("t")) == '{"CondaToken":"t"}'
    assert dumps_credential(BasicHTTP("u", "p")) == '{"BasicHTTP":{"username":"u","password":"p"}}'
    assert (
        dumps_credential(S3Credentials("a", "s"))
        == '{"S3Credentials":{"access_key_id":"a","secret_access_key":"s","session_token":null}}'
    )
    assert dumps_credential(BearerToken("é")) == '{"BearerToken":"é"}'  # UTF-8 kept, like serde_json


def test_misspelled_basic_is_read_flagged_and_repaired_on_write():
    cred = parse_credential({"BasicHttp": {"username": "u", "password": "p"}})
    assert cred == BasicHTTP("u", "p", misspelled=True)
    assert not rattler_accepts(cred)
    assert credential_to_json(cred) == {"BasicHTTP": {"username": "u", "password": "p"}}


def test_unknown_values_are_kept_untouched():
    for raw in [{"GoogleCloud": None}, "Conda", [1, 2], {"BearerToken": 5}, {"A": 1, "B": 2}, None]:
        cred = parse_credential(raw)
        assert isinstance(cred, Unrecognised)
        assert credential_to_json(cred) == raw
        assert not rattler_accepts(cred)
        assert cred.reason


def test_s3_missing_session_token_is_none_like_serde():
    cred = parse_credential({"S3Credentials": {"access_key_id": "a", "secret_access_key": "s"}})
    assert cred == S3Credentials("a", "s", None)


def test_mask_never_reveals_more_than_four_trailing_characters():
    assert mask("pfx_abcdefghijklmnopXq7f") == "pfx_…Xq7f"
    assert mask("short") == "••••••"
    assert mask("") == "(empty)"


@given(st.text(min_size=12, max_size=200))
def test_mask_hides_the_body(secret):
    masked = mask(secret)
    assert len(masked.replace("…", "")) <= 4 + 6
    assert secret not in masked


def test_public_identity_shows_usernames_not_secrets():
    assert public_identity(BasicHTTP("alice", "hunter2hunter2")) == "alice"
    assert "hunter2" not in public_identity(BearerToken("hunter2hunter2"))
    assert all_secrets(S3Credentials("id", "sec", "tok")) == ["sec", "tok"]


def _jwt(claims):
    import base64

    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJub25lIn0.{body}.sig"


def test_expiry_from_jwt_and_oauth():
    assert expires_at(BearerToken(_jwt({"exp": 1767225600}))) == 1767225600
    assert expires_at(BearerToken("not-a-jwt")) is None
    assert expires_at(BearerToken(_jwt({"exp": "soon"}))) is None
    assert expires_at(OAuth("a", None, 42, "https://t", None, "rattler")) == 42
