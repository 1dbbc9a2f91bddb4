"""The add form never writes plain text silently (issue 11, item 1): when the keychain is
unusable the default store is credentials.json, and the form says so."""

from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm
from textual.widgets import Static

from tests.conftest import form_line, make_env
from tests.test_ui import settle


async def test_the_form_warns_before_a_plaintext_default(home):
    app = AuthApp(make_env(home))  # no session bus: the keychain is unavailable
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, CredentialForm)
        warning = app.screen.query_one("#store-warning", Static)
        assert warning.display and "PLAIN TEXT" in str(warning.render())


async def test_no_warning_when_the_default_is_rattler_auth_file(home):
    app = AuthApp(make_env(home, RATTLER_AUTH_FILE=str(home / "auth.json")))
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, CredentialForm)
        assert form_line(app.screen, "store-warning") == ""


async def test_a_secret_the_windows_keychain_refuses_goes_where_pixi_auth_login_falls_back(home):
    """As `set` does (one write_choice): the keychain `pixi auth login` would choose refuses a
    blob over its size limit, so the form offers credentials.json, says PLAIN TEXT, and writes
    only when Save is pressed again. Windows' credential API is FAKED (Windows cannot run here)."""
    import json

    from pixi_auth_tui.stores.windows import CredApiKeychain, WindowsCredentialStore
    from textual.widgets import Input, Select

    from tests.test_platform_keychains import FakeCredApi

    api = FakeCredApi()
    app = AuthApp(make_env(home)._replace(keychain=WindowsCredentialStore(CredApiKeychain(api))))
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CredentialForm)
        assert form.query_one("#store", Select).value == "keychain"
        form.query_one("#key", Input).value = "big.test"
        form.query_one("#token", Input).value = "y" * 2000
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # nothing written yet: the person is told first
        said = str(form.query_one("#store-error", Static).render())
        assert "keychain refuses it" in said and "PLAIN TEXT" in said
        assert form.query_one("#store", Select).value == "credentials"
        assert api.creds == {} and not (home / ".rattler/credentials.json").exists()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
    assert api.creds == {}
    assert json.loads((home / ".rattler/credentials.json").read_text()) == {"big.test": {"BearerToken": "y" * 2000}}
