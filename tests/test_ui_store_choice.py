"""The add form never writes plain text silently (issue 11, item 1): when the keychain is
unusable the default store is credentials.json, and the form says so."""

from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm
from textual.widgets import Static

from tests.conftest import make_env
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
        assert not app.screen.query_one("#store-warning", Static).display
