"""OAuth through the terminal UI (Pilot), against the local OIDC provider: sign in with the
device code (link, code, QR, countdown), slow_down, denial, expiry, cancel; refresh now
(and a revoked refresh token); sign out; the detail view; test refreshing first."""

from __future__ import annotations

import json
import threading

import pytest
from pixi_auth_tui.core.model import OAuth
from pixi_auth_tui.core.rattler_json import loads_credential
from pixi_auth_tui.oauth import flow as oauth
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen
from pixi_auth_tui.ui.oauth_screens import SignInDialog, SignInForm
from textual.widgets import Input, Static

from tests.conftest import make_env, rattler_fetch, said, until
from tests.oidc_provider import Provider
from tests.test_ui import open_add_form, screen_text, select_row, settle

KEY = "127.0.0.1"


@pytest.fixture
def provider(provider_server: Provider, monkeypatch: pytest.MonkeyPatch) -> Provider:
    provider_server.reset()

    def fast(cancelled: threading.Event, seconds: float) -> bool:
        return cancelled.wait(0.02)

    monkeypatch.setattr(oauth, "poll_wait", fast)
    return provider_server


def stored(home) -> dict:
    path = home / ".rattler/credentials.json"
    return json.loads(path.read_bytes()) if path.exists() else {}


def entry(home) -> OAuth:
    cred = loads_credential(json.dumps(stored(home)[KEY]))
    assert isinstance(cred, OAuth)
    return cred


def no_secrets(provider: Provider, text: str) -> bool:
    return not [s for s in (*provider.access, *provider.refresh, *provider.devices) if s in text]


async def submit_form(pilot, provider: Provider) -> None:
    app = pilot.app
    await pilot.press("l")
    await settle(pilot)
    assert isinstance(app.screen, SignInForm)
    app.screen.query_one("#host", Input).value = KEY
    app.screen.query_one("#issuer", Input).value = provider.issuer
    await pilot.pause()
    await pilot.click("#signin")


async def open_dialog(pilot, provider: Provider) -> SignInDialog:
    await submit_form(pilot, provider)
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, SignInDialog)
    await until(pilot, lambda: dialog.code is not None or dialog.finished, "the device code on screen")
    return dialog


async def test_sign_in_shows_code_link_and_qr_then_stores_what_py_rattler_sends(provider, home):
    provider.device_script[:] = ["pending", "slow_down"]
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        dialog = await open_dialog(pilot, provider)
        code = dialog.code
        assert code is not None
        text = screen_text(app)
        assert f"Code: {code.user_code}" in text and "/activate?user_code=" in text
        assert "▄" in str(dialog.query_one("#qr", Static).render())  # the QR code, in half blocks
        await until(pilot, lambda: dialog.session.interval == 6, "slow_down honoured")
        # The dialog redraws its status on its own tick: wait for what the person sees.
        await until(pilot, lambda: "checking every 6 s" in screen_text(app), "the new interval shown")
        assert "Code expires in 9:" in screen_text(app)
        assert no_secrets(provider, screen_text(app))
        provider.approve(code.user_code)
        await until(pilot, lambda: not isinstance(app.screen, SignInDialog), "sign-in finished")
        await settle(pilot)
        cred = entry(home)
        assert cred.access_token in provider.live_access_tokens()
        select_row(app, KEY, "credentials")
        await pilot.pause()
        text = app.main.detail.text().plain  # what the detail pane shows
        assert "expires in 59m" in text or "expires in 1h 00m" in text
        assert "Subject      user-1234" in text and "Client id    rattler" in text
        assert "Renewable    yes (refresh token stored)" in text and f"Issuer       {provider.issuer}" in text
        assert no_secrets(provider, text)
    assert rattler_fetch(home, [(provider.channel_url(), {})]) == ["OK"]
    assert f"Bearer {cred.access_token}" in provider.channel_auth
    for path in home.rglob("*"):  # no token or device code in any file but the store (state, caches)
        if path.is_file() and path.name != "credentials.json":
            assert no_secrets(provider, path.read_bytes().decode("utf-8", "replace")), path


@pytest.mark.parametrize(("script", "says"), [(["deny"], "denied at the provider"), (["expire"], "expired")])
async def test_denied_and_expired_say_so_and_store_nothing(provider, home, script, says):
    provider.device_script[:] = ["pending", *script]
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        dialog = await open_dialog(pilot, provider)
        await until(pilot, lambda: dialog.finished, "the failure")
        assert "Sign-in failed" in screen_text(app) and says in screen_text(app)
        await pilot.press("escape")  # Close
        await until(pilot, lambda: not isinstance(app.screen, SignInDialog), "the dialog closed")
        await settle(pilot)
    assert stored(home) == {}


async def test_cancel_stops_polling_and_stores_nothing(provider, home):
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        await open_dialog(pilot, provider)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, SignInDialog), "the dialog closed")
        await settle(pilot)
        (device,) = provider.devices.values()
        polls = device.polls
        provider.approve(device.user_code)  # too late: nobody is polling any more
        await settle(pilot)
        assert device.polls == polls
    assert stored(home) == {}


async def signed_in(pilot, provider: Provider, home) -> OAuth:
    provider.device_script[:] = ["approve"]
    await submit_form(pilot, provider)  # approved at the first poll: the dialog may be gone at once
    await until(pilot, lambda: KEY in stored(home) and not isinstance(pilot.app.screen, SignInDialog), "signed in")
    await settle(pilot)
    select_row(pilot.app, KEY, "credentials")
    await pilot.pause()
    return entry(home)


async def test_refresh_now_and_a_revoked_refresh_token(provider, home):
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        before = await signed_in(pilot, provider, home)
        await pilot.press("R")
        await settle(pilot)
        after = entry(home)
        assert after.access_token != before.access_token and after.access_token in provider.live_access_tokens()
        provider.revoke_all()
        raw = (home / ".rattler/credentials.json").read_bytes()
        select_row(app, KEY, "credentials")
        await pilot.press("R")
        await settle(pilot)
        assert (home / ".rattler/credentials.json").read_bytes() == raw
        messages = " ".join(said(app))
        assert "expired or revoked: sign in again" in messages and "left untouched" in messages
        assert no_secrets(provider, messages + screen_text(app))


async def test_sign_out_revokes_then_removes_and_asks_when_revocation_fails(provider, home):
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        await signed_in(pilot, provider, home)
        provider.revocation_status = 503
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "revoked at the provider" in screen_text(app)
        await pilot.click("#confirm")
        await until(pilot, lambda: "Revocation did not succeed" in screen_text(app), "the question")
        assert "HTTP 503" in screen_text(app)
        await pilot.click("#cancel")  # keep it
        await settle(pilot)
        assert KEY in stored(home)

        provider.revocation_status = 200
        select_row(app, KEY, "credentials")
        await pilot.press("d")
        await settle(pilot)
        await pilot.click("#confirm")
        await settle(pilot)
        assert stored(home) == {}
        assert [r["token_type_hint"] for r in provider.revocations[-2:]] == ["refresh_token", "access_token"]
        assert not provider.live_access_tokens()


async def test_test_refreshes_first_when_rattler_would(provider, home):
    provider.access_lifetime = 60
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        before = await signed_in(pilot, provider, home)
        provider.access_lifetime = 3600
        app.main.probe_state.urls[KEY] = f"{provider.channel_url()}/noarch/repodata.json"
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # plain http to 127.0.0.1: asked first
        await pilot.click("#confirm")
        await settle(pilot)
        messages = " ".join(said(app))
        assert "rattler refreshes it first" in messages
        after = entry(home)
        assert after.access_token != before.access_token
        assert f"Bearer {after.access_token}" in provider.channel_auth
        result = app.main.last_result(next(r for r in app.main.inventory.rows if r.key == KEY))
        assert result is not None and result.verdict.value == "accepted"


async def test_add_form_offers_sign_in_preselected_for_prefix_dev(provider, home):
    from textual.widgets import Select

    provider.device_script[:] = ["approve"]
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        form = await open_add_form(pilot)
        kind = form.query_one("#kind", Select)
        await pilot.press(*"repo.prefix.dev")
        # as `pixi auth login prefix.dev` does: OAuth, with no token field
        await until(pilot, lambda: kind.value == "OAuth" and not form.query_one("#group-token").display, "OAuth")
        form.query_one("#key", Input).value = KEY
        await until(pilot, lambda: kind.value == "BearerToken", "only a suggestion")
        kind.value = "OAuth"  # chosen by the person: kept
        await until(pilot, lambda: not form.query_one("#group-token").display, "the sign-in kind shown")
        await settle(pilot)  # laid out without the token field: the click lands on Save, not where it was
        await pilot.click("#save")
        await until(pilot, lambda: isinstance(app.screen, SignInForm), "the sign-in form")
        assert app.screen.query_one("#host", Input).value == KEY
        app.screen.query_one("#issuer", Input).value = provider.issuer
        await pilot.click("#signin")
        await until(pilot, lambda: KEY in stored(home) and not isinstance(app.screen, SignInDialog), "signed in")
        await settle(pilot)  # the table is re-read after the write: let it finish before quitting
    assert entry(home).access_token in provider.live_access_tokens()


async def test_browser_sign_in_from_the_ui(provider, home, monkeypatch):
    import httpx
    from pixi_auth_tui.ui import oauth_screens
    from textual.widgets import Select

    def browser(url: str) -> bool:  # a browser whose user is already signed in at the provider
        threading.Thread(target=lambda: httpx.get(url, follow_redirects=True, timeout=30), daemon=True).start()
        return True

    monkeypatch.setattr(oauth_screens, "open_browser", browser)
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 60)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        form = app.screen
        form.query_one("#host", Input).value = KEY
        form.query_one("#issuer", Input).value = provider.issuer
        form.query_one("#flow", Select).value = "auth-code"
        await pilot.pause()
        await pilot.click("#signin")
        await until(pilot, lambda: KEY in stored(home) and not isinstance(app.screen, SignInDialog), "signed in")
        await settle(pilot)
    assert provider.token_requests[-1]["grant_type"] == "authorization_code" and not provider.devices
    assert entry(home).access_token in provider.live_access_tokens()
