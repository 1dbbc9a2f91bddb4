"""The terminal UI driven through Textual's Pilot, on real files, the real gnome-keyring
and py-rattler as the judge of what the UI wrote."""

import html
import json
import re

import pytest
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken, S3Credentials
from pixi_auth_tui.engine.inventory import Status
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.commands import screen_commands
from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen
from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm
from pixi_auth_tui.ui.dialogs.help import HelpScreen
from pixi_auth_tui.ui.dialogs.move import MoveScreen
from pixi_auth_tui.ui.reading import KeychainAhead
from pixi_auth_tui.ui.widgets.credential_table import row_id, verdict_cell
from pixi_auth_tui.ui.widgets.line_table import LineTable
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Button, Input, Select

from tests.conftest import make_env, rattler_fetch, said, until

SECRET = "pfx_UI-SECRET-0123456789abcdefXq7f"


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


async def settle(pilot):
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def layout_requests(monkeypatch) -> list[str]:
    """From now on, the class name of each widget that asks for a layout (Widget.refresh)."""
    asked: list[str] = []
    refresh = Widget.refresh

    def noting(widget: Widget, *regions: Region, repaint: bool = True, layout: bool = False, **other: bool):
        if layout:
            asked.append(type(widget).__name__)
        return refresh(widget, *regions, repaint=repaint, layout=layout, **other)

    monkeypatch.setattr(Widget, "refresh", noting)
    return asked


def screen_text(app) -> str:
    """The words on screen, from Textual's own SVG export (spans joined, entities decoded)."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>(.*?)</text>", svg))).replace("\xa0", " ")


def select_row(app, key, store_id):
    assert app.main.table.select_entry(store_id, key)


def detail(app) -> str:
    return app.main.detail.text().plain


def last_test(app, row) -> str:
    return verdict_cell(app.main.last_result(row), row_id(row) in app.main.table.testing).plain


async def open_add_form(pilot) -> CredentialForm:
    """`n` on the main screen, settled: the add form, on screen."""
    await pilot.press("n")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, CredentialForm)
    return form


async def fill(pilot, values: dict[str, str]):
    screen = pilot.app.screen
    for name, value in values.items():
        widget = screen.query_one(f"#{name}")
        widget.value = value
        if isinstance(widget, Select):
            await pilot.pause()  # the form mounts the fields of a kind when it is chosen
    await pilot.pause()


@pytest.fixture
def files_home(home):
    write_json(
        home / ".rattler/credentials.json",
        {
            "plain.example": {"BearerToken": SECRET},
            "shared.example": {"BasicHTTP": {"username": "file-user", "password": "file-pass"}},
        },
    )
    (home / ".netrc").write_text("machine shared.example login netrc-user password netrc-pass\n")
    return home


async def test_main_screen_shows_every_store_in_lookup_order(files_home):
    app = AuthApp(make_env(files_home))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        rows = [(r.key, r.store.id, r.status) for r in app.main.table.shown_rows]
        assert rows == [
            ("plain.example", "credentials", Status.ACTIVE),
            ("shared.example", "credentials", Status.ACTIVE),
            ("shared.example", "netrc", Status.SHADOWED),
        ]
        text = screen_text(app)
        assert "unavailable" in text  # the keychain: no bus in tests
        select_row(app, "shared.example", "netrc")
        await pilot.pause()
        assert "shadowed by credentials.json" in detail(app)
        assert SECRET not in text and "pfx_…Xq7f" in text
        # the shadowed row is dimmed
        cell = app.main.table.cells(2)[0]
        assert "dim" in str(cell.style)


async def test_filter_sort_reveal_and_copy(files_home):
    app = AuthApp(make_env(files_home))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"netrc")
        await pilot.pause()
        assert [r.store.id for r in app.main.table.shown_rows] == ["netrc"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(app.main.table.shown_rows) == 3
        await pilot.press("slash", *"file-user")
        await pilot.pause()
        assert [r.key for r in app.main.table.shown_rows] == ["shared.example"]
        await pilot.press("escape")

        await pilot.press("o", "o", "o")  # sort by the Store column
        await pilot.pause()
        assert [r.store.id for r in app.main.table.shown_rows] == ["credentials", "credentials", "netrc"]

        select_row(app, "plain.example", "credentials")
        await pilot.pause()
        assert SECRET not in detail(app)
        await pilot.press("v")
        assert SECRET in detail(app)
        await pilot.press("down")  # leaving the row hides it again
        await pilot.pause()
        select_row(app, "plain.example", "credentials")
        await pilot.pause()
        assert SECRET not in detail(app)
        copied = []
        app.copy_to_clipboard = copied.append
        await pilot.press("c")
        assert copied == [SECRET]


async def test_add_with_the_keyboard_alone_into_the_keychain(home, keychain, keyring_daemon, server):
    env = make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address)
    app = AuthApp(env)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, CredentialForm)
        await pilot.press(*"127.0.0.1")
        await pilot.press("tab", "tab")  # kind select (Bearer by default), then the token field
        focused = app.focused
        assert isinstance(focused, Input) and focused.id == "token"
        await pilot.press(*"ui-keyboard-token")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, CredentialForm)
        rows = [(r.key, r.store.id) for r in app.main.table.shown_rows]
        assert ("127.0.0.1", "keychain") in rows
    server.expect["kb"] = BearerToken("ui-keyboard-token")
    assert rattler_fetch(home, [(server.url("kb"), {})], bus=keyring_daemon.address) == ["OK"]


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        ("BearerToken", {"token": "tok-abc"}, BearerToken("tok-abc")),
        ("CondaToken", {"token": "ct-abc"}, CondaToken("ct-abc")),
        ("BasicHTTP", {"username": "u", "password": "p w"}, BasicHTTP("u", "p w")),
        ("S3Credentials", {"access_key_id": "AK", "secret_access_key": "SK"}, S3Credentials("AK", "SK", None)),
    ],
)
async def test_add_each_kind_to_each_writable_file_store(home, kind, fields, expected):
    auth = home / "auth.json"
    env = make_env(home, RATTLER_AUTH_FILE=str(auth))
    for store_id, path in (("credentials", home / ".rattler/credentials.json"), ("auth-file", auth)):
        app = AuthApp(env)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await pilot.pause()
            await fill(pilot, {"key": "new.example", "kind": kind, "store": store_id, **fields})
            await pilot.press("ctrl+s")
            await settle(pilot)
        stored = json.loads(path.read_text())["new.example"]
        from pixi_auth_tui.core.model import parse_credential

        assert parse_credential(stored) == expected


async def test_validation_errors_are_inline_and_nothing_is_written(home):
    app = AuthApp(make_env(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, {"key": "bad host:8080", "token": "   "})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CredentialForm)
        errors = str(app.screen.query_one("#key-error").render()) + str(app.screen.query_one("#token-error").render())
        assert "Invalid key" in errors and "empty" in errors
        await fill(pilot, {"key": "a.example", "token": "line\nbreak"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "line break" in str(app.screen.query_one("#token-error").render())
        # the pixi-login suggestion and the host/kind warning
        await fill(pilot, {"key": "prefix.dev", "kind": "CondaToken"})
        assert "*.prefix.dev" in str(app.screen.query_one("#key-hint").render())
        assert "Bearer" in str(app.screen.query_one("#kind-warning").render())
        await pilot.press("escape")
        await settle(pilot)
    assert not (home / ".rattler/credentials.json").exists()


async def test_existing_key_offers_rotation(files_home):
    app = AuthApp(make_env(files_home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, {"key": "plain.example", "token": "rotated-token", "store": "credentials"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CredentialForm)
        assert app.screen.query_one("#rotate-instead").display
        await pilot.click("#rotate-instead")
        await settle(pilot)
    stored = json.loads((files_home / ".rattler/credentials.json").read_text())
    assert stored["plain.example"] == {"BearerToken": "rotated-token"}


async def test_edit_keeps_blank_secrets_and_rotates_keychain_in_place(home, keychain, keyring_daemon, server):
    keychain.set("127.0.0.1", BasicHTTP("kc-user", "old-pass"))
    env = make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address)
    app = AuthApp(KeychainAhead(env).environment())  # as run_tui starts it: the keychain listed ahead
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        select_row(app, "127.0.0.1", "keychain")
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.query_one("#username", Input).value == "kc-user"
        assert app.screen.query_one("#password", Input).value == ""  # secrets never prefilled
        await fill(pilot, {"username": "renamed"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert keychain.load().entries[0].credential == BasicHTTP("renamed", "old-pass")
        select_row(app, "127.0.0.1", "keychain")
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.query_one("#username", Input).value == "renamed"  # read again, not ahead
        await fill(pilot, {"password": "new-pass"})
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert len(keychain.items_for("127.0.0.1")) == 1
    server.expect["ed"] = BasicHTTP("renamed", "new-pass")
    assert rattler_fetch(home, [(server.url("ed"), {})], bus=keyring_daemon.address) == ["OK"]


async def test_move_plaintext_into_the_keychain(home, keychain, keyring_daemon, server):
    path = home / ".rattler/credentials.json"
    write_json(path, {"127.0.0.1": {"CondaToken": "moving-token"}, "stay.example": {"BearerToken": "s"}})
    env = make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address)
    app = AuthApp(env)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        select_row(app, "127.0.0.1", "credentials")
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MoveScreen)
        assert app.screen.query_one("#target", Select).value == "keychain"
        await pilot.click("#move")
        await settle(pilot)
        moved = [(r.key, r.store.id) for r in app.main.table.shown_rows if r.key == "127.0.0.1"]
        assert moved == [("127.0.0.1", "keychain")]
    assert json.loads(path.read_text()) == {"stay.example": {"BearerToken": "s"}}
    server.expect["mv"] = CondaToken("moving-token")
    assert rattler_fetch(home, [(server.url("mv"), {})], bus=keyring_daemon.address) == ["OK"]


async def test_move_failure_loses_nothing(home, keychain, keyring_daemon):
    path = home / ".rattler/credentials.json"
    write_json(path, {"dup.example": {"BearerToken": "t"}})
    # two items for the key make the keychain refuse the write
    keychain.set("dup.example", BearerToken("a"))
    import keyring.backends.SecretService

    keyring.backends.SecretService.Keyring().set_password("rattler", "dup.example", '{"BearerToken":"b"}')
    app = AuthApp(make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        select_row(app, "dup.example", "credentials")
        await pilot.press("m")
        await pilot.pause()
        await pilot.click("#move")
        await settle(pilot)
    assert json.loads(path.read_text()) == {"dup.example": {"BearerToken": "t"}}
    assert len(keychain.items_for("dup.example")) == 2


async def test_delete_confirms_and_names_the_successor(files_home):
    path = files_home / ".rattler/credentials.json"
    app = AuthApp(make_env(files_home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        select_row(app, "shared.example", "credentials")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "netrc" in app.screen.question and "shared.example" in app.screen.question
        await pilot.press("escape")  # cancel
        await settle(pilot)
        assert "shared.example" in json.loads(path.read_text())
        select_row(app, "shared.example", "credentials")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        rows = [(r.key, r.store.id, r.status) for r in app.main.table.shown_rows if r.key == "shared.example"]
        assert rows == [("shared.example", "netrc", Status.ACTIVE)]
    assert "shared.example" not in json.loads(path.read_text())


async def test_malformed_file_is_shown_and_untouched(home):
    path = home / ".rattler/credentials.json"
    path.parent.mkdir()
    content = b'{"a.example": {"BasicHttp": {"username": "u", "password": "p"}}}'
    path.write_bytes(content)
    app = AuthApp(make_env(home, RATTLER_AUTH_FILE=str(home / "auth.json")))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "rejected" in text and "conda requests fail" in text
        select_row(app, "a.example", "credentials")
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, CredentialForm)
        await pilot.press("n")
        await pilot.pause()
        # the rejected file is not offered as a target (uv's own store is, before its file exists)
        options = [value for _label, value in app.screen.query_one("#store", Select)._options]
        assert options == ["auth-file", "uv"]
        await pilot.press("escape")
    assert path.read_bytes() == content


async def test_keychain_unavailable_and_oauth_read_only(home):
    write_json(
        home / ".rattler/credentials.json",
        {
            "auth.example": {
                "OAuth": {
                    "access_token": "oauth-access-token-0000",
                    "refresh_token": None,
                    "expires_at": 1,
                    "token_endpoint": "https://auth.example/token",
                    "revocation_endpoint": None,
                    "client_id": "rattler",
                }
            }
        },
    )
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert "no D-Bus session bus" in screen_text(app) or "unavailable" in screen_text(app)
        select_row(app, "auth.example", "credentials")
        text = detail(app)
        assert "expired" in text and "no refresh token: sign in again" in text
        await pilot.press("e")
        await pilot.pause()
        assert not isinstance(app.screen, CredentialForm)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.query_one("#store", Select).value == "credentials"


async def test_empty_state_help_and_palette(home):
    app = AuthApp(make_env(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "No credentials are stored" in text and "Press n to add one" in text
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.screen)] + [c.title for c in screen_commands(app.screen)]
        for wanted in ("Add", "Edit", "Move", "Delete", "Reveal secret", "Copy secret", "Filter", "Refresh", "Help"):
            assert wanted in titles


async def test_write_error_is_a_notification_not_a_traceback(files_home):
    path = files_home / ".rattler/credentials.json"
    app = AuthApp(make_env(files_home))
    app.watch_seconds = 3600  # this test is about a write that meets the change first
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # someone else writes the file after we read it
        path.write_text(json.dumps({"other.example": {"BearerToken": "theirs"}}))
        select_row(app, "plain.example", "credentials")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        messages = said(app)
        # refused: the entry the person confirmed is no longer what the file holds
        assert any("was removed from" in m and "by another program" in m for m in messages)
        # the table now shows the file as it really is
        assert [r.key for r in app.main.table.shown_rows] == ["other.example", "shared.example"]
    assert json.loads(path.read_text()) == {"other.example": {"BearerToken": "theirs"}}


async def test_a_change_by_another_program_is_noticed_and_shown(files_home, monkeypatch):
    """`pixi auth login` in another terminal: the table follows without a keypress, and the
    app never writes the file itself."""
    from pixi_auth_tui.stores.jsonfile import JsonFileStore
    from pixi_auth_tui.ui.widgets import store_reader

    checked: list[object] = []
    real_changed_files = store_reader.changed_files
    monkeypatch.setattr(store_reader, "changed_files", lambda *args: checked.append(1) or real_changed_files(*args))

    path = files_home / ".rattler/credentials.json"
    app = AuthApp(make_env(files_home))
    app.watch_seconds = 0.1
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        other = JsonFileStore("credentials", "credentials.json", path)
        other.set("login.example", BearerToken("from-pixi"), expect=other.load().version)
        written = path.read_bytes()
        await until(pilot, lambda: any(r.key == "login.example" for r in app.main.table.shown_rows), "reloaded")
        # Textual files a notification from a message of its own, a moment after the rows
        await until(
            pilot,
            lambda: any("changed on disk" in m and "reloaded" in m for m in said(app)),
            "the reload said why",
        )
        await settle(pilot)
        # nothing changed since: no second reload (over three more checks of the files), no write of ours
        reloads = sum("changed on disk" in m for m in said(app))
        checks = len(checked)
        await until(pilot, lambda: len(checked) >= checks + 3, "three more checks of the files")
        await settle(pilot)
        assert sum("changed on disk" in m for m in said(app)) == reloads
    assert path.read_bytes() == written


# -- test connection from the UI ------------------------------------------------------------


@pytest.fixture
def probe_servers():
    from tests.servers import ScriptedServer, start_scripted_server

    states, servers = [], []
    for i in range(3):
        state = ScriptedServer(host=f"127.0.0.{i + 1}")
        servers.append(start_scripted_server(state))
        states.append(state)
    yield states
    for server in servers:
        server.shutdown()


def remember_urls(home, urls):
    path = home / ".local/state/pixi-auth-tui/state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"probe_urls": urls, "results": {}}))


async def test_t_tests_the_selected_row(home, probe_servers):
    server = probe_servers[0]
    write_json(home / ".rattler/credentials.json", {"127.0.0.1": {"BearerToken": "good-token"}})
    remember_urls(home, {"127.0.0.1": f"{server.base}/private/noarch/repodata.json"})
    app = AuthApp(make_env(home, XDG_STATE_HOME=str(home / ".local/state")))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "plain http" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        row = app.main.table.shown_rows[0]
        assert last_test(app, row) == "accepted"
        assert "accepted" in detail(app) and "HTTP 200" in detail(app)
        assert any("accepted" in m for m in said(app))
        # the URL tested is said when the test starts and beside its result
        url = f"{server.base}/private/noarch/repodata.json"
        assert f"Testing 127.0.0.1: {url} …" in said(app)
        assert any(m.endswith(f"\n{url}") for m in said(app))
        assert url in detail(app)
    saved = (home / ".local/state/pixi-auth-tui/state.json").read_text()
    assert "accepted" in saved and "good-token" not in saved


async def test_wildcard_asks_for_a_url(home, probe_servers):
    from pixi_auth_tui.ui.dialogs.probe_url import ProbeUrlScreen

    server = probe_servers[0]
    write_json(
        home / ".rattler/credentials.json", {"*.localhost": {"BasicHTTP": {"username": "user", "password": "pass"}}}
    )
    app = AuthApp(make_env(home, XDG_STATE_HOME=str(home / ".local/state")))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ProbeUrlScreen)
        app.screen.query_one("#url", Input).value = f"http://localhost:{server.port}/private/x"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")  # plain http confirmation
        await settle(pilot)
        assert last_test(app, app.main.table.shown_rows[0]) == "accepted"
        assert app.main.probe_state.urls["*.localhost"].startswith("http://localhost:")


async def test_T_tests_all_with_progress_and_can_be_cancelled(home, probe_servers):
    for state in probe_servers:
        state.answering.clear()  # held until cancelled: every row is still testing when Esc comes
    creds = {s.host: {"BearerToken": "good-token" if i != 1 else "revoked"} for i, s in enumerate(probe_servers)}
    write_json(home / ".rattler/credentials.json", creds)
    remember_urls(home, {s.host: f"{s.base}/private" for s in probe_servers})
    app = AuthApp(make_env(home, XDG_STATE_HOME=str(home / ".local/state")))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        try:
            await pilot.press("T")
            await pilot.pause()
            await pilot.press("y")
            await until(
                pilot,
                lambda: all(last_test(app, r) == "testing…" for r in app.main.table.shown_rows),
                "every row testing",
            )
            assert app.query_one("#progress").display
            await pilot.press("escape")  # cancel
        finally:
            for state in probe_servers:
                state.answering.set()  # the answers now arrive, too late: none may be shown
        await settle(pilot)
        assert not app.query_one("#progress").display and app.main.table.testing == set()
        assert all(last_test(app, r) == "" for r in app.main.table.shown_rows)

        await pilot.press("T")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        verdicts = {r.key: last_test(app, r) for r in app.main.table.shown_rows}
        assert verdicts == {"127.0.0.1": "accepted", "127.0.0.2": "rejected", "127.0.0.3": "accepted"}
        assert any("1 rejected" in m for m in said(app))


async def test_form_can_test_before_saving(home, probe_servers):
    server = probe_servers[0]
    app = AuthApp(make_env(home))
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, {"key": "127.0.0.1", "token": "good-token", "probe-url": f"{server.base}/private"})
        test_button = app.screen.query_one("#test", Button)
        test_button.press()
        await pilot.pause()
        assert "plain http" in str(app.screen.query_one("#test-result").render())
        test_button.press()
        await until(
            pilot,
            lambda: (
                not any(
                    said in str(app.screen.query_one("#test-result").render()) for said in ("Testing", "plain http")
                )
            ),
            "tested",
        )
        assert "accepted" in str(app.screen.query_one("#test-result").render())
        await pilot.press("escape")
        await settle(pilot)
    assert not (home / ".rattler/credentials.json").exists()  # testing saved nothing


# -- audit from the UI ------------------------------------------------------------------------


async def test_audit_screen_fix_undo_and_jump(home):
    from pixi_auth_tui.ui.audit_screen import AuditScreen

    path = home / ".rattler/credentials.json"
    write_json(
        path, {"a.example": {"BasicHttp": {"username": "u", "password": "p"}}, "b.example": {"BearerToken": "t"}}
    )
    path.chmod(0o644)
    before = path.read_bytes()
    write_json(home / "auth.json", {"c.example": {"BearerToken": "wins"}})
    (home / ".netrc").write_text("machine c.example login n password shadowed\n")
    app = AuthApp(make_env(home, XDG_STATE_HOME=str(home / ".local/state"), RATTLER_AUTH_FILE=str(home / "auth.json")))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        assert "Audit:" in screen_text(app) and "error" in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        await pilot.press("d")  # main-screen actions are not bound here
        assert app.screen is screen
        codes = [f.code for f in screen.findings]
        assert "unreadable-file" in codes and "file-permissions" in codes
        table = screen.query_one("#findings", LineTable)
        table.move_cursor(row=codes.index("unreadable-file"))
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and "Back up" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        await until(pilot, lambda: "unreadable-file" not in [f.code for f in screen.findings], "audited again")
        assert json.loads(path.read_text())["a.example"] == {"BasicHTTP": {"username": "u", "password": "p"}}
        backups = list(home.glob(".rattler/credentials.json.bak-*"))
        assert len(backups) == 1 and backups[0].read_bytes() == before
        await pilot.press("z")  # undo
        await settle(pilot)
        await until(pilot, lambda: "unreadable-file" in [f.code for f in screen.findings], "audited again")
        assert path.read_bytes() == before
        conflict = next(i for i, f in enumerate(screen.findings) if f.code == "conflict")
        table.move_cursor(row=conflict)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, AuditScreen)
        assert (app.main.selected_row().store.id, app.main.selected_row().key) == ("netrc", "c.example")


async def test_looking_at_the_files_with_a_dialog_open_starts_no_worker(files_home, monkeypatch):
    """The watcher looks at the files every 2 s. On a real terminal each Textual worker's start
    and end redrew the whole screen while a dialog was open (32 KB twice a look at 160×48;
    bench/tui_perf.py measures the idle bytes): the looks start no worker."""
    from pixi_auth_tui.ui.widgets import store_reader
    from textual.worker_manager import WorkerManager

    checked: list[object] = []
    real_changed_files = store_reader.changed_files
    monkeypatch.setattr(store_reader, "changed_files", lambda *args: checked.append(1) or real_changed_files(*args))
    app = AuthApp(make_env(files_home))
    app.watch_seconds = 0.05
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, CredentialForm)
        started: list[str] = []
        add_worker = WorkerManager.add_worker
        monkeypatch.setattr(
            WorkerManager,
            "add_worker",
            lambda self, worker, **kw: (started.append(worker.name), add_worker(self, worker, **kw))[1],
        )
        looks = len(checked)
        await until(pilot, lambda: len(checked) >= looks + 3, "three looks at the files")
        assert started == []
