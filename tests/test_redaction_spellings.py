"""The redactor against the spellings a provider or a library may echo a secret in, the order
of hiding and cutting, the secrets the process holds besides credentials, and the class of
hiding that reveals (a secret that is a common word)."""

from __future__ import annotations

import base64
import html
import io
import json
import time
import unicodedata
from urllib.parse import quote, quote_plus

import pytest
from pixi_auth_tui.cli import main as cli
from pixi_auth_tui.core.redact import HIDDEN, REDACTOR, redact
from pixi_auth_tui.oauth.flow import DeviceCode, make_client
from pixi_auth_tui.oauth.info import clean

TOKEN = "pfx_Kq7vLm2Np9Rs4Tu6Wx8Yz0Ab1"  # 29 characters
PASSWORD = "correct horse/battery&staple é"


def spellings() -> dict[str, str]:
    every_byte = "".join(f"%{b:02x}" for b in PASSWORD.encode())
    return {
        "form-encoded": quote_plus(PASSWORD),
        "lower-case percent": quote(PASSWORD, safe="").lower(),
        "over-encoded": "".join(f"%{b:02X}" for b in TOKEN.encode()),
        "double-encoded": quote(every_byte, safe=""),
        "JSON with \\/": json.dumps(PASSWORD)[1:-1].replace("/", "\\/"),
        "\\u0026 escapes": "".join(f"\\u{ord(c):04x}" for c in TOKEN),
        "HTML entities": html.escape(PASSWORD),
        "numeric entities": "".join(f"&#{ord(c)};" for c in TOKEN),
        "base64 of the token": base64.b64encode(TOKEN.encode()).decode(),
        "base64 without padding": base64.urlsafe_b64encode(TOKEN.encode()).decode().rstrip("="),
        "upper case": TOKEN.upper(),
        "NFD": unicodedata.normalize("NFD", PASSWORD),
        "a long prefix": TOKEN[:20],
        "plain": TOKEN,
    }


@pytest.mark.parametrize("name", list(spellings()))
def test_every_spelling_of_a_secret_is_hidden(name):
    REDACTOR.add(TOKEN, PASSWORD)
    spelled = spellings()[name]
    for text in (f"server said: {spelled}", f'{{"error": "bad credential {spelled}"}}', f"x={spelled}&y=1"):
        out = redact(text)
        assert spelled not in out and HIDDEN in out, (name, out)
        assert "horse" not in out and "Kq7vLm2N" not in out.replace(HIDDEN, "")


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: "".join(f"&#{ord(c)};" for c in s),  # HTML entities
        lambda s: "".join(f"\\u{ord(c):04x}" for c in s),  # JSON \uXXXX, the `\` and `/` too
    ],
    ids=["entities", "json-u-escapes"],
)
def test_a_secret_holding_an_escape_of_its_own_is_hidden_when_encoded(encode):
    # A password holding a literal `\/`: decoding must not take the secret's own `\/` for an
    # escape (JSON is read in one pass; the reading before JSON unescaping is searched too).
    password = "pa\\/ss-w0rd-with-slash"
    REDACTOR.add(password)
    encoded = encode(password)
    out = redact(f"server said: {encoded} (end)")
    assert encoded not in out and HIDDEN in out


def test_a_known_secret_in_a_url_is_hidden_whole_and_the_url_still_masked():
    # A hostile server's redirect echoing the password in a `token=` parameter: masking the
    # parameter first cut the password at its space, and its tail was then no known spelling
    # ("token=••• horse/battery&staple é"). Known secrets are hidden first, then URLs masked —
    # across the mark, so a conda token after a hidden password is masked too.
    REDACTOR.add(PASSWORD)
    out = redact(f"redirected to http://127.0.0.1:1/next?token={PASSWORD}&x=1 (refused)")
    assert out == "redirected to http://127.0.0.1:1/next?token=•••&x=1 (refused)"
    out = redact(f"not fetched: https://alice:{PASSWORD}@host.example/t/unknown-tok-0123/chan")
    assert "horse" not in out and "unknown-tok" not in out


def test_text_from_a_server_is_redacted_before_it_is_cut():
    REDACTOR.add(TOKEN)
    text = "e" * 190 + " " + TOKEN + " tail"  # the token crosses the 200-character cut
    out = clean(text, 200)
    assert TOKEN[:6] not in out


def test_opaque_token_like_words_from_a_server_are_not_echoed():
    # Not registered anywhere (a provider's own token, or one spelled in a way nobody foresaw).
    out = clean("invalid_grant: the refresh token zQ9xW2vB7nM4kL1pR8sT5yU3 was revoked")
    assert "zQ9xW2vB7nM4kL1pR8sT5yU3" not in out and "invalid_grant" in out and "revoked" in out
    # What the person must read is kept: a user code, a link.
    assert clean("WDJB-MJHT", 40, opaque=False) == "WDJB-MJHT"
    link = "https://auth0-tenant123.example.com/activate?user_code=WDJB-MJHT"
    assert clean(link, 500, opaque=False) == link


def test_the_client_secret_and_the_device_code_are_registered():
    client_secret = "cs-0123456789-client-secret-value"
    make_client("my-client", client_secret)
    assert (
        redact(f"token endpoint said: client {client_secret} unknown")
        == f"token endpoint said: client {HIDDEN} unknown"
    )
    device_code = "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS"
    code = DeviceCode("WDJB-MJHT", "https://a.example/device", None, 600, 5, time.monotonic(), _device_code=device_code)
    assert code.user_code == "WDJB-MJHT"
    assert device_code not in redact(f"polling with {device_code}")


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_hiding_never_points_at_a_common_word_and_set_warns_about_short_secrets(home):
    code, _out, err = run("set", "word.example", "--kind", "basic", "--username", "bob", "--stdin", stdin="password\n")
    assert code == 0 and "cannot be hidden in messages" in err
    code, out, _err = run("list")
    # `Username + <hidden>` would say that the password is "password".
    assert code == 0 and HIDDEN not in out
    code, _out, err = run("set", "long.example", "--kind", "bearer", "--stdin", stdin="pfx_long-enough-token-123\n")
    assert code == 0 and "cannot be hidden" not in err
