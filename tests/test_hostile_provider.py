"""A hostile or broken OAuth provider on 127.0.0.1 (issue 23, items 2 and 8): odd `expires_in`,
tokens holding control characters, a drip-fed answer, a device interval longer than the code
lives, huge or deeply nested documents, and endpoints on other hosts or over plain http.
Each ends as one clear line and stores nothing; no token travels where it should not."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pixi_auth_tui.core.model import OAuth
from pixi_auth_tui.oauth import bounded, info
from pixi_auth_tui.oauth import flow as oauth

from tests.oidc_provider import Provider, start_provider
from tests.test_oauth import KEY, assert_no_secrets, cli, entry, login

NESTED = "[" * 5000 + "]" * 5000


@pytest.fixture
def provider(provider_server: Provider) -> Provider:
    provider_server.reset()
    return provider_server


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[Provider]:
    """A second provider on another port: another origin, recording what reaches its userinfo."""
    other, server = start_provider()
    yield other
    server.shutdown()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    asked: list[float] = []

    def fast(cancelled: threading.Event, seconds: float) -> bool:
        asked.append(seconds)
        return cancelled.wait(0.01)

    monkeypatch.setattr(oauth, "poll_wait", fast)
    return asked


def signed_in(provider: Provider, home: Path) -> bytes:
    provider.device_script[:] = ["approve"]
    code, _out, err = login(provider)
    assert code == 0, err
    return (home / ".rattler/credentials.json").read_bytes()


def one_line(err: str) -> None:
    """One line, the last, says what failed (the sign-in's progress lines before it are not failures)."""
    lines = err.splitlines()
    failures = [line for line in lines if line.startswith("pixi-auth-tui:")]
    assert failures == lines[-1:] and "Traceback" not in err and "internal error" not in err, err


# -- item 8: what a token endpoint answers --------------------------------------------------------


@pytest.mark.parametrize("expires_in", ["Infinity", "NaN", "1e400", "[1]", "{}", '"3600"', "3600.5", NESTED])
def test_an_odd_expires_in_is_refused_as_one_line_on_refresh_and_sign_in(provider, home, waits, expires_in):
    raw = signed_in(provider, home)
    answer = f'{{"access_token": "at-odd-0123456789", "token_type": "Bearer", "expires_in": {expires_in}}}'
    provider.token_raw = answer.encode()
    code, out, err = cli("refresh", KEY)
    assert code == 1, err
    one_line(err)
    assert (home / ".rattler/credentials.json").read_bytes() == raw  # left untouched
    (home / ".rattler/credentials.json").unlink()
    provider.device_script[:] = ["approve"]
    code, out, err = login(provider)
    assert code == 1 and not (home / ".rattler/credentials.json").exists(), err
    assert "at-odd-0123456789" not in out + err


@pytest.mark.parametrize("bad", ["at-line\nbreak-0123456789", "at-esc\x1b[2J-0123456789", "at-nul\x00-0123456789"])
def test_a_token_holding_a_control_character_is_refused_like_a_typed_secret(provider, home, waits, bad):
    provider.token_extra["access_token"] = bad
    provider.device_script[:] = ["approve"]
    code, out, err = login(provider)
    assert code == 1 and "access token contains" in err and "nothing was stored" in err, err
    one_line(err)
    assert not (home / ".rattler/credentials.json").exists() and bad not in out + err
    provider.token_extra.clear()
    raw = signed_in(provider, home)
    provider.token_extra["refresh_token"] = bad
    code, out, err = cli("refresh", KEY)
    assert code == 1 and "refresh token contains" in err, err
    assert (home / ".rattler/credentials.json").read_bytes() == raw


def test_a_drip_fed_answer_is_cut_at_the_whole_request_deadline(provider, home, waits, monkeypatch):
    """A byte every 0.2 s would take about a minute; the whole request has 1 s (the default is
    rattler's 30 s), however often a byte arrives."""
    signed_in(provider, home)
    cred = entry(home)
    assert cred.expires_at is not None
    provider.drip_seconds = 0.2
    monkeypatch.setattr(bounded, "TOTAL_SECONDS", 1.0)
    code, _out, err = cli("refresh", KEY)
    assert code == 1 and "no complete answer within 1 s" in err, err
    one_line(err)
    assert provider.drip_cut.wait(30)  # the provider saw the connection end
    assert entry(home) == cred


def test_the_device_code_is_never_waited_for_past_its_expiry(provider, home, monkeypatch):
    asked: list[float] = []

    def recorded(cancelled: threading.Event, seconds: float) -> bool:
        asked.append(seconds)
        return cancelled.wait(min(seconds, 2.0))  # (before the fix it was asked for 3,600 s)

    monkeypatch.setattr(oauth, "poll_wait", recorded)
    provider.device_extra.update({"interval": 3600, "expires_in": 1})
    started = time.monotonic()
    code, _out, err = login(provider)
    assert code == 1 and "expired before sign-in was approved" in err, err
    assert asked and max(asked) <= 1 and time.monotonic() - started >= 1
    assert [d.polls for d in provider.devices.values()] == [0]


@pytest.mark.parametrize(
    "value", [{"interval": "Infinity"}, {"interval": 10**30}, {"interval": 0}, {"expires_in": [1]}]
)
def test_odd_device_answers_are_read_as_absent(provider, home, waits, value):
    provider.device_extra.update(value)
    provider.device_script[:] = ["approve"]
    code, _out, err = login(provider)
    assert code == 0, err


# -- item 8: size and shape of every answer ------------------------------------------------------------


@pytest.mark.parametrize("unsized", [False, True])
def test_a_huge_discovery_document_is_not_read_whole(provider, home, waits, unsized):
    provider.discovery_padding = 3 * 1024 * 1024
    provider.discovery_unsized = unsized
    code, _out, err = login(provider)
    assert code == 1 and ("at most 1,048,576 are read" in err or "more than 1,024 KiB" in err), err
    one_line(err)
    assert not (home / ".rattler/credentials.json").exists()


def test_deeply_nested_answers_are_one_line(provider, home, waits):
    provider.discovery_extra["x-nested"] = json.loads("[" * 100 + "]" * 100)
    code, _out, err = login(provider)
    assert code == 1 and "nested 101 levels deep" in err, err
    one_line(err)
    provider.discovery_extra.clear()
    provider.token_raw = (f'{{"access_token": "at-deep-0123456789", "x": {NESTED}}}').encode()
    provider.device_script[:] = ["approve"]
    code, _out, err = login(provider)
    assert code == 1 and "nested too deeply" in err, err
    one_line(err)


# -- item 2: every endpoint from discovery ---------------------------------------------------------


def test_the_access_token_never_goes_to_a_userinfo_endpoint_on_another_origin(provider, elsewhere, home, waits):
    elsewhere.reset()
    provider.discovery_extra["userinfo_endpoint"] = f"{elsewhere.issuer}/userinfo"
    provider.device_script[:] = ["approve"]
    code, out, err = login(provider)
    assert code == 0, err
    assert elsewhere.userinfo_auth == []  # nothing reached the other origin
    assert "as alice@example.test" in out  # who signed in: from the ID token's claims
    provider.discovery_extra["userinfo_endpoint"] = "http://userinfo.example/userinfo"
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0
    provider.discovery_extra.clear()
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0 and provider.userinfo_auth  # its own userinfo is still asked
    assert_no_secrets(provider, home, out, err)


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("revocation_endpoint", "http://revoke.example/revoke"),
        ("revocation_endpoint", "https://revoke.example/revoke"),
        ("device_authorization_endpoint", "http://device.example/device"),
        ("device_authorization_endpoint", "https://device.example/device"),
        ("token_endpoint", "http://token.example/token"),
    ],
)
def test_an_endpoint_over_plain_http_or_on_another_host_is_refused(provider, home, waits, name, url):
    provider.discovery_extra[name] = url
    provider.device_script[:] = ["approve"]
    code, _out, err = login(provider)
    assert code in (1, 2) and url in err, err
    assert ("not https" in err) if url.startswith("http:") else ("another host" in err)
    one_line(err)
    assert not (home / ".rattler/credentials.json").exists()


def test_logout_sends_no_token_to_a_revocation_endpoint_elsewhere(provider, elsewhere, home, waits):
    elsewhere.reset()
    cred = OAuth("at-x-0123456789", "rt-x-0123456789", None, f"{provider.issuer}/token",
                 f"{elsewhere.issuer}/revoke", "rattler")  # fmt: skip
    assert oauth.revoke(cred) and elsewhere.revocations == []
    assert info.foreign_url(f"{provider.issuer}/userinfo", "userinfo endpoint", (provider.issuer,)) is None
    assert info.origin("https://a.example") == info.origin("https://A.example:443/x") == ("https", "a.example", 443)
