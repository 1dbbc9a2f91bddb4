"""OAuth sign-in, refresh, sign-out and `token`, end to end against a local OIDC provider,
with py-rattler as the oracle for what we store and refresh."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from pixi_auth_tui.cli import oauth as cli_oauth
from pixi_auth_tui.cli.main import main
from pixi_auth_tui.core.model import BearerToken, OAuth
from pixi_auth_tui.core.rattler_json import loads_credential
from pixi_auth_tui.oauth import flow as oauth

from tests.conftest import NO_BUS, rattler_fetch
from tests.oidc_provider import Provider

KEY = "127.0.0.1"  # the provider's host: what rattler keys its requests to the channel on


@pytest.fixture
def provider(provider_server: Provider) -> Provider:
    provider_server.reset()
    return provider_server


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Device-code polls wait what the provider asked for, recorded; really only 10 ms each."""
    asked: list[float] = []

    def fast(cancelled: threading.Event, seconds: float) -> bool:
        asked.append(seconds)
        return cancelled.wait(0.01)

    monkeypatch.setattr(oauth, "poll_wait", fast)
    return asked


def cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def stored(home: Path) -> dict:
    return json.loads((home / ".rattler/credentials.json").read_bytes())


def entry(home: Path) -> OAuth:
    cred = loads_credential(json.dumps(stored(home)[KEY]))
    assert isinstance(cred, OAuth)
    return cred


def login(provider: Provider, *extra: str) -> tuple[int, str, str]:
    return cli("login", KEY, "--issuer", provider.issuer, *extra)


def every_secret(provider: Provider) -> list[str]:
    return [*provider.access, *provider.refresh, *provider.devices, "cl-s3cret"]


def assert_no_secrets(provider: Provider, home: Path, *outputs: str) -> None:
    """No token, refresh token, device code or client secret in any output or any file but the store."""
    secrets = every_secret(provider)
    assert secrets
    for text in outputs:
        assert not [s for s in secrets if s in text]
    for path in home.rglob("*"):
        if path.is_file() and path != home / ".rattler/credentials.json":
            data = path.read_bytes()
            assert not [s for s in secrets if s.encode() in data], path


# -- sign in -------------------------------------------------------------------------------


def test_device_login_stores_what_rattler_stores_and_py_rattler_sends_it(provider, home):
    provider.device_script[:] = ["pending", "approve"]
    run = subprocess.run(
        [sys.executable, "-m", "pixi_auth_tui", "login", KEY, "--issuer", provider.issuer],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ["PATH"], "HOME": str(home), "DBUS_SESSION_BUS_ADDRESS": NO_BUS},
    )
    assert run.returncode == 0, run.stderr
    (device,) = provider.devices.values()
    assert device.polls == 2 and device.user_code in run.stderr and "/activate" in run.stderr
    assert "Signed in to 127.0.0.1 as alice@example.test; stored in credentials.json" in run.stdout
    raw = (home / ".rattler/credentials.json").read_bytes()
    cred = entry(home)
    # rattler's bytes: compact, fields in serde order, no trailing newline
    assert raw == json.dumps({KEY: {"OAuth": {
        "access_token": cred.access_token, "refresh_token": cred.refresh_token, "expires_at": cred.expires_at,
        "token_endpoint": f"{provider.issuer}/token", "revocation_endpoint": f"{provider.issuer}/revoke",
        "client_id": "rattler"}}}, separators=(",", ":")).encode()  # fmt: skip
    assert cred.access_token in provider.live_access_tokens() and abs(cred.expires_at - time.time() - 3600) < 60
    assert provider.devices[device.device_code].scope == "openid profile offline_access"

    assert rattler_fetch(home, [(provider.channel_url(), {})]) == ["OK"]
    assert f"Bearer {cred.access_token}" in provider.channel_auth
    assert (home / ".rattler/credentials.json").read_bytes() == raw  # used unchanged
    assert_no_secrets(provider, home, run.stdout, run.stderr)


def test_slow_down_is_honoured(provider, home, waits):
    provider.device_script[:] = ["pending", "slow_down", "pending", "approve"]
    code, out, err = login(provider)
    assert code == 0, err
    assert waits == [1, 1, 6, 6]  # interval 1, then +5 s after slow_down (RFC 8628 §3.5)
    assert "slow down: polling every 6 s" in err
    assert entry(home).access_token in provider.live_access_tokens()
    assert_no_secrets(provider, home, out, err)


@pytest.mark.parametrize(
    ("script", "reason"),
    [(["pending", "deny"], "denied at the provider"), (["pending", "expire"], "device code expired")],
)
def test_denied_and_expired_device_codes_store_nothing(provider, home, waits, script, reason):
    provider.device_script[:] = script
    code, out, err = login(provider)
    assert code == 1 and reason in err and out == ""
    assert not (home / ".rattler/credentials.json").exists()
    assert_no_secrets(provider, home, out, err)


def test_device_code_past_its_lifetime_is_not_polled_again(provider, home, waits):
    provider.device_expires_in = 0  # expired the moment it is issued: we stop on our own clock
    code, _out, err = login(provider)
    assert code == 1 and "expired before sign-in was approved" in err
    assert [d.polls for d in provider.devices.values()] == [0]


def test_cancel_stores_nothing(provider, home, monkeypatch):
    def interrupted(cancelled: threading.Event, seconds: float) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(oauth, "poll_wait", interrupted)
    code, _out, err = login(provider)
    assert code == 1 and "cancelled; nothing was stored" in err
    assert not (home / ".rattler/credentials.json").exists()


def test_auth_code_flow_with_pkce_and_a_loopback_redirect(provider, home, monkeypatch):
    opened: list[str] = []

    def browser(url: str) -> bool:  # a browser whose user is already signed in at the provider
        opened.append(url)
        threading.Thread(target=lambda: httpx.get(url, follow_redirects=True, timeout=30), daemon=True).start()
        return True

    monkeypatch.setattr(cli_oauth, "open_browser", browser)
    code, out, err = login(provider, "--flow", "auth-code", "--scope", "openid", "--scope", "channel:read")
    assert code == 0, err
    (url,) = opened
    query = dict(httpx.URL(url).params)
    assert query["code_challenge_method"] == "S256" and query["redirect_uri"].startswith("http://127.0.0.1:")
    assert query["scope"] == "openid channel:read"
    exchange = provider.token_requests[-1]
    assert exchange["grant_type"] == "authorization_code" and exchange["client_id"] == "rattler"
    assert entry(home).access_token in provider.live_access_tokens()  # the provider checked the PKCE verifier
    assert_no_secrets(provider, home, out, err, url)


def test_a_token_endpoint_answering_nonsense_is_a_failure_said_plainly(provider, home, monkeypatch, waits):
    """In the browser flow (it used to escape as a crash there) as in the device flow."""

    def browser(url: str) -> bool:
        threading.Thread(target=lambda: httpx.get(url, follow_redirects=True, timeout=30), daemon=True).start()
        return True

    monkeypatch.setattr(cli_oauth, "open_browser", browser)
    provider.token_nonsense = True
    provider.device_script[:] = ["approve"]
    for flow in ("auth-code", "device-code"):
        code, _out, err = login(provider, "--flow", flow)
        assert code == cli_oauth.EXIT_FAILED and "the token endpoint answered nonsense" in err, (flow, err)
        assert "Traceback" not in err and not (home / ".rattler" / "credentials.json").exists()


def test_confidential_client_secret_from_stdin_never_shown(provider, home, waits):
    provider.device_script[:] = ["approve"]
    code, out, err = cli(
        "login", KEY, "--issuer", provider.issuer, "--client-id", "confidential", "--client-secret-stdin",
        stdin="cl-s3cret\n",
    )  # fmt: skip
    assert code == 0, err
    assert entry(home).client_id == "confidential"
    assert_no_secrets(provider, home, out, err)


def test_login_refuses_a_plain_http_issuer_elsewhere(home):
    code, _out, err = cli("login", "example.org", "--issuer", "http://example.org")
    assert code == 2 and "not https" in err


# -- refresh ------------------------------------------------------------------------------------


def test_refresh_writes_back_in_place_and_py_rattler_uses_it_unchanged(provider, home, waits):
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0
    before = entry(home)
    code, out, err = cli("refresh", KEY)
    assert code == 0, err
    after = entry(home)
    assert "Refreshed 127.0.0.1 in credentials.json" in out
    assert after.access_token != before.access_token and after.refresh_token != before.refresh_token
    assert (after.token_endpoint, after.revocation_endpoint, after.client_id) == (
        before.token_endpoint,
        before.revocation_endpoint,
        before.client_id,
    )
    grant = provider.token_requests[-1]
    assert grant == {"grant_type": "refresh_token", "refresh_token": before.refresh_token, "client_id": "rattler"}
    raw = (home / ".rattler/credentials.json").read_bytes()
    assert rattler_fetch(home, [(provider.channel_url(), {})]) == ["OK"]
    assert (home / ".rattler/credentials.json").read_bytes() == raw  # not due: py-rattler did not refresh again
    assert provider.channel_auth[-1] == f"Bearer {after.access_token}"
    assert_no_secrets(provider, home, out, err)


def test_refresh_without_rotation_keeps_the_refresh_token(provider, home, waits):
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0
    provider.rotate_refresh = False
    before = entry(home)
    assert cli("refresh", KEY)[0] == 0
    assert entry(home).refresh_token == before.refresh_token  # rattler keeps the old one


def test_revoked_refresh_token_leaves_the_entry_untouched(provider, home, waits):
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0
    raw = (home / ".rattler/credentials.json").read_bytes()
    provider.revoke_all()
    code, out, err = cli("refresh", KEY)
    assert code == 1 and "expired or revoked: sign in again" in err and "left untouched" in err
    assert (home / ".rattler/credentials.json").read_bytes() == raw
    assert_no_secrets(provider, home, out, err)


def test_unreachable_token_endpoint_says_network(home):
    cred = OAuth("at-x", "rt-x", int(time.time()) + 10, "http://127.0.0.1:9/token", None, "rattler")
    with pytest.raises(oauth.OAuthFailure) as failure:
        oauth.refresh_credential(cred)
    assert failure.value.reason == "network" and "at-x" not in str(failure.value)


def test_py_rattler_refreshes_our_expiring_entry_where_we_expect(provider, home, waits):
    provider.access_lifetime = 60  # within rattler's 300 s window from the start
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0
    provider.access_lifetime = 3600  # what py-rattler gets back is long-lived: one refresh
    ours = entry(home)
    assert rattler_fetch(home, [(provider.channel_url(), {})]) == ["OK"]
    theirs = entry(home)  # written back by py-rattler into the same file, same key
    assert provider.token_requests[-1] == {
        "grant_type": "refresh_token",
        "refresh_token": ours.refresh_token,
        "client_id": "rattler",
    }
    assert theirs.access_token != ours.access_token and theirs.refresh_token != ours.refresh_token
    assert provider.channel_auth[-1] == f"Bearer {theirs.access_token}"
    assert set(stored(home)) == {KEY}
    # and what py-rattler wrote is an entry we read and refresh in turn
    assert cli("refresh", KEY)[0] == 0 and entry(home).access_token in provider.live_access_tokens()


def test_test_and_token_refresh_first_when_rattler_would(provider, home, waits):
    provider.access_lifetime = 60
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0
    old = entry(home)
    code, out, err = cli("test", KEY, "--url", f"{provider.channel_url()}/noarch/repodata.json", "--allow-http")
    assert "rattler refreshes it first" in err and "Refreshed 127.0.0.1" in err
    assert code == 0 and "ACCEPTED" in out, out + err
    refreshed = entry(home)
    assert refreshed.access_token != old.access_token
    assert f"Bearer {refreshed.access_token}" in provider.channel_auth
    assert_no_secrets(provider, home, out, err)

    provider.access_lifetime = 3600
    code, out, err = cli("token", KEY)
    assert code == 0 and "rattler refreshes it first" in err
    assert out == entry(home).access_token + "\n" != refreshed.access_token + "\n"


def test_token_prints_what_pixi_would_send(provider, home):
    (home / ".rattler").mkdir()
    (home / ".rattler/credentials.json").write_text(json.dumps({"*.example.com": {"BearerToken": "bt-123"}}))
    assert cli("token", "repo.example.com") == (0, "bt-123\n", "")
    assert cli("token", "other.org")[0] == 3


# -- sign out ----------------------------------------------------------------------------------


def test_logout_revokes_then_removes(provider, home, waits):
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0
    cred = entry(home)
    code, out, err = cli("logout", KEY)
    assert code == 0, err
    assert "Signed out of 127.0.0.1: removed from credentials.json" in out
    hints = [(r["token_type_hint"], r["client_id"]) for r in provider.revocations]
    assert hints == [("refresh_token", "rattler"), ("access_token", "rattler")]
    assert cred.access_token not in provider.live_access_tokens()
    assert stored(home) == {}
    assert_no_secrets(provider, home, out, err)


def test_logout_when_revocation_fails_asks_before_removing(provider, home, waits):
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0
    provider.revocation_status = 503
    code, _out, err = cli("logout", KEY)  # no terminal to ask on: kept
    assert code == 1 and "HTTP 503" in err and "was kept" in err
    assert KEY in stored(home)
    code, out, _err = cli("logout", KEY, "--yes")
    assert code == 0 and "Signed out" in out and stored(home) == {}


# -- pieces ------------------------------------------------------------------------------------


def test_login_keys_and_prefix_dev_defaults():
    assert [oauth.oauth_login_key(h) for h in ("prefix.dev", "*.prefix.dev", "https://Repo.Prefix.dev/x/")] == [
        "prefix.dev",
        "prefix.dev",
        "repo.prefix.dev",
    ]
    assert oauth.oauth_login_key("bücher.example") == "xn--bcher-kva.example"
    assert oauth.oauth_login_key("localhost:8080") == "localhost"
    plan = oauth.plan_login("prefix.dev")
    assert (plan.issuer, plan.client_id, plan.key) == ("https://prefix.dev", "rattler", "prefix.dev")
    assert plan.scopes == ("openid", "profile", "offline_access", "channel:read", "channel:upload")
    assert oauth.plan_login("example.org").scopes == ("openid", "profile", "offline_access")


def test_refresh_rule_and_details_from_claims(provider, home, waits):
    now = 1_800_000_000
    cred = OAuth("not-a-jwt", None, now + 299, "https://x/token", None, "rattler")
    assert oauth.needs_refresh(cred, now) and not oauth.needs_refresh(cred, now - 1)
    assert not oauth.needs_refresh(OAuth("t", None, None, "https://x/token", None, "c"), now)
    provider.device_script[:] = ["approve"]
    assert login(provider, "--scope", "openid", "--scope", "channel:read")[0] == 0
    details = oauth.token_details(entry(home))
    assert details is not None and details.refresh_token is True
    assert (details.issuer, details.subject, details.client_id) == (provider.issuer, "user-1234", "rattler")
    assert details.scopes == ("channel:read", "openid")
    jwt_bearer = BearerToken(entry(home).access_token)
    assert oauth.token_details(jwt_bearer).scopes == ("channel:read", "openid")
    assert oauth.token_details(BearerToken("opaque")) is None
    assert oauth.countdown(now + 3725, now) == "expires in 1h 02m 05s"
    assert oauth.countdown(now - 190, now) == "expired 3m 10s ago"


# -- where the entry goes ------------------------------------------------------------------------


@pytest.mark.keychain
def test_login_goes_to_the_keychain_when_usable_and_py_rattler_refreshes_it_there(
    provider, home, waits, keychain, keyring_daemon
):
    provider.access_lifetime = 60
    provider.device_script[:] = ["approve"]
    code, out, err = login(provider)
    assert code == 0, err
    assert "stored in keychain" in out and not (home / ".rattler/credentials.json").exists()
    (ours,) = [e.credential for e in keychain.load().entries if e.key == KEY]
    provider.access_lifetime = 3600
    assert rattler_fetch(home, [(provider.channel_url(), {})], bus=keyring_daemon.address) == ["OK"]
    (theirs,) = [e for e in keychain.load().entries if e.key == KEY]  # refreshed in place: still one item
    assert isinstance(theirs.credential, OAuth) and theirs.credential.access_token != ours.access_token
    assert provider.channel_auth[-1] == f"Bearer {theirs.credential.access_token}"
    assert cli("refresh", KEY)[0] == 0 and len([e for e in keychain.load().entries if e.key == KEY]) == 1
    assert_no_secrets(provider, home, out, err)


def test_login_goes_to_rattler_auth_file_first(provider, home, waits, monkeypatch):
    auth_file = home / "auth.json"
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(auth_file))
    provider.device_script[:] = ["approve"]
    code, out, err = login(provider)
    assert code == 0, err
    assert "stored in RATTLER_AUTH_FILE" in out and KEY in json.loads(auth_file.read_bytes())
    assert not (home / ".rattler/credentials.json").exists()


def test_refresh_of_an_entry_outside_the_first_store_says_where_rattler_would_write(provider, home, waits, monkeypatch):
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0  # credentials.json
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(home / "auth.json"))
    code, out, err = cli("refresh", KEY)
    assert code == 0 and "Refreshed 127.0.0.1 in credentials.json" in out
    assert "rattler's own refresh would write the new tokens to RATTLER_AUTH_FILE" in err
    # which is what py-rattler does: the refreshed entry lands in the first store, not in place
    provider.access_lifetime = 60
    assert cli("refresh", KEY)[0] == 0
    provider.access_lifetime = 3600
    assert rattler_fetch(home, [(provider.channel_url(), {"RATTLER_AUTH_FILE": str(home / "auth.json")})]) == ["OK"]
    assert KEY in json.loads((home / "auth.json").read_bytes()) and KEY in stored(home)


def test_server_text_is_cleaned_of_terminal_escapes():
    assert oauth.clean("AB\x1b[2J\x07CD\nEF\u009b") == "AB[2JCDEF"
    assert oauth.clean("x" * 300).endswith("…") and len(oauth.clean("x" * 300)) == 200


def test_auto_flow_falls_back_to_the_device_code_without_a_browser(provider, home, waits, monkeypatch):
    monkeypatch.setattr(cli_oauth, "open_browser", lambda url: False)
    provider.device_script[:] = ["approve"]
    code, _out, err = login(provider, "--flow", "auto")
    assert code == 0, err
    assert "enter the code" in err and len(provider.devices) == 1 and not provider.codes
    assert entry(home).access_token in provider.live_access_tokens()


def test_check_test_sends_what_pixi_would_refreshing_first(provider, home, waits, tmp_path):
    """`check --test` runs `test`'s sequence: an OAuth entry rattler would refresh before the
    request is refreshed (and written back) before the host is asked, as pixi would send it."""
    provider.access_lifetime = 60
    provider.device_script[:] = ["approve"]
    assert login(provider)[0] == 0
    old = entry(home)
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "pixi.toml").write_text(
        f'[workspace]\nname = "w"\nchannels = ["{provider.channel_url()}"]\nplatforms = ["linux-64"]\n'
    )
    code, out, err = cli("check", "--test", "--allow-http", str(workspace))
    refreshed = entry(home)
    assert refreshed.access_token != old.access_token, out + err
    # (the anonymous request of the same test may arrive last: order is not part of it)
    assert f"Bearer {refreshed.access_token}" in provider.channel_auth
    assert f"Bearer {old.access_token}" not in provider.channel_auth
    assert code == 0 and "ACCEPTED" in out, out + err
    assert_no_secrets(provider, home, out, err)
