"""The redactor and the plain-text helper: every secret loaded is hidden in every spelling an
error message might use; outside text never reaches a terminal with control characters."""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.model import (
    BasicHTTP,
    BearerToken,
    CondaToken,
    OAuth,
    S3Credentials,
    masked_secret,
    parse_credential,
)
from pixi_auth_tui.core.redact import HIDDEN, REDACTOR, SafeWriter, plain, redact
from pixi_auth_tui.core.urlmask import MASK

TOKEN = "pfx_Zq0kV3ry5ecretT0ken1234"


def test_every_kind_registers_every_secret_when_created():
    creds = [
        BearerToken("bearer-secret-0001"),
        CondaToken("conda-secret-0002"),
        BasicHTTP("alice", "password-secret-0003"),
        S3Credentials("AKIAPUBLIC", "s3-secret-0004", "s3-session-0005"),
        OAuth("oauth-access-0006", "oauth-refresh-0007", None, "https://auth.example/token", None, "rattler"),
    ]
    secrets = [
        "bearer-secret-0001",
        "conda-secret-0002",
        "password-secret-0003",
        "s3-secret-0004",
        "s3-session-0005",
        "oauth-access-0006",
        "oauth-refresh-0007",
    ]
    text = " | ".join(secrets)
    out = redact(text)
    for secret in secrets:
        assert secret not in out
    assert out.count(HIDDEN) == len(secrets)
    # Public parts stay readable.
    assert redact("alice AKIAPUBLIC https://auth.example/token rattler") == (
        "alice AKIAPUBLIC https://auth.example/token rattler"
    )
    assert creds  # keep them alive for the reader


def test_the_spellings_libraries_echo_are_hidden_too():
    BasicHTTP("bob", "p@ss wörd/+x")
    token = BearerToken("tok-with\nline-break-and-more")
    header = base64.b64encode(b"bob:p@ss w\xc3\xb6rd/+x").decode()
    for leak in (
        f"Authorization: Basic {header}",
        quote("p@ss wörd/+x", safe=""),
        json.dumps("p@ss wörd/+x"),
        repr("p@ss wörd/+x".encode()),
        repr(token.token),
        "Invalid header value b'Bearer tok-with",  # the first line of a multi-line token
    ):
        out = redact(leak)
        assert HIDDEN in out, leak
        assert "p@ss" not in out and "tok-with" not in out


def test_unrecognised_entries_register_their_strings_but_not_public_fields():
    bare = parse_credential("a-bare-token-pasted-here")
    assert "a-bare-token-pasted-here" not in bare.reason
    parse_credential({"BasicHTTP": {"username": "carol-the-user", "pasword": "typo-secret-9"}})
    assert redact("typo-secret-9 a-bare-token-pasted-here") == f"{HIDDEN} {HIDDEN}"
    assert redact("carol-the-user") == "carol-the-user"


def test_credentials_never_show_a_secret_in_repr_or_str():
    creds = [
        BearerToken(TOKEN),
        CondaToken("conda-secret-abcdef-1234"),
        BasicHTTP("alice", "hunter2-password-long"),
        S3Credentials("AKIA", "s3-secret-abcdef-xyz", "session-abcdef-xyz"),
        OAuth("access-abcdef-xyz", "refresh-abcdef-xyz", 1, "https://a/t", None, "c"),
        parse_credential({"Other": "unknown-secret-xyz"}),
    ]
    shown = repr(creds) + str(creds) + "".join(f"{c}" for c in creds)
    for needle in ("Zq0kV3ry5ecret", "conda-secret", "hunter2", "s3-secret", "session-", "access-", "refresh-"):
        assert needle not in shown
    assert "unknown-secret" not in shown
    assert "alice" in shown  # the identity is what repr shows


def test_a_password_is_masked_without_any_of_its_characters():
    cred = BasicHTTP("alice", "correct-horse-battery-staple")
    assert masked_secret(cred) == "••••••"
    assert masked_secret(BearerToken(TOKEN)).endswith("1234")  # a token's tail identifies it


def test_plain_escapes_controls_bidi_and_surrogates_visibly():
    hostile = "a\x1b[31mred\x07\x9b\u202eevil\u2066\u200b\ud800\nend"
    out = plain(hostile)
    assert out == "a\\x1b[31mred\\x07\\x9b\\u202eevil\\u2066\\u200b\\ud800\\x0aend"
    assert plain("line\nnext", keep="\n") == "line\nnext"
    assert plain("ünïcødé 名前 ok") == "ünïcødé 名前 ok"
    out.encode("ascii")  # nothing left a terminal could act on


def test_safe_writer_redacts_across_chunks_and_escapes():
    BearerToken(TOKEN)
    sink = io.StringIO()
    writer = SafeWriter(sink)
    writer.write("token: pfx_Zq0k")
    writer.write("V3ry5ecretT0ken1234 \x1b[2J\n")
    writer.write("tail")
    writer.flush()
    assert sink.getvalue() == f"token: {HIDDEN} \\x1b[2J\ntail"


@settings(max_examples=200, deadline=None)
@given(
    secret=st.text(min_size=9, max_size=60).filter(lambda s: s.strip() == s and len(s) >= 9),
    before=st.text(max_size=40),
    after=st.text(max_size=40),
)
def test_a_long_secret_is_hidden_wherever_it_stands(secret, before, after):
    REDACTOR.clear()
    REDACTOR.add(secret)
    out = redact(before + secret + after)
    assert secret not in out and (HIDDEN in out or MASK in out)  # (or inside a URL's masked userinfo)


def test_a_short_secret_is_hidden_as_a_word_only():
    REDACTOR.clear()
    REDACTOR.add("pw1234")
    assert redact("password pw1234, and url https://u:pw1234@h/") == "password <hidden>, and url https://•••@h/"
    assert redact("xpw1234x") == "xpw1234x"  # inside another word: too common to hide
    REDACTOR.add("abc")  # shorter than 6: never searched for
    assert redact("abc def") == "abc def"


@given(st.text(st.characters(max_codepoint=0x7F)) | st.text(), st.sampled_from(["", "\n", "\n\t", "\t", "é\n"]))
def test_plain_escapes_exactly_the_characters_of_its_categories(text, keep):
    # The ASCII fast path (a byte scan) against the definition, one character at a time.
    import unicodedata

    from pixi_auth_tui.core.redact import _ESCAPED_CATEGORIES, _escape

    expected = "".join(
        _escape(ch) if ch not in keep and unicodedata.category(ch) in _ESCAPED_CATEGORIES else ch for ch in text
    )
    assert plain(text, keep) == expected
