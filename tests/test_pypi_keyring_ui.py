"""Python keyring entries in the terminal UI (issue 21), driven through Textual's Pilot at
120x40 and 80x24: shown as their own store after rattler's, rotated, deleted and added with the
keyboard, each change read back by the REAL `keyring get` (as uv runs it) from a private
gnome-keyring. Outside text (a user name with markup and an escape) stays data."""

from __future__ import annotations

import os

import pytest
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen
from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm
from textual.widgets import Input, Select

from tests.conftest import until_store_rows
from tests.test_pypi_keyring import VENV_BIN, real_keyring, wipe_python_keyring_items, workspace
from tests.test_ui import open_add_form, screen_text, settle

SIZES = [(120, 40), (80, 24)]
SERVICE = "https://idx.example/simple"


@pytest.fixture
def ui_env(keychain, keyring_daemon, home, tmp_path, monkeypatch):
    wipe_python_keyring_items(keyring_daemon.address)
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}/usr/bin:/bin")
    root = workspace(tmp_path, monkeypatch, ["https://alice@idx.example/simple"])
    env = dict(os.environ)
    return env, Environment(home=home, env=env, workspace=root)


def keyring_rows(app):
    return [r for r in app.main.inventory.rows if r.store.id == "keyring-pypi"]


async def wait_rows(pilot, count):
    await until_store_rows(pilot, "keyring-pypi", count)


@pytest.mark.keychain
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_keyring_entries_are_shown_rotated_and_deleted(ui_env, size):
    env, environment = ui_env
    assert real_keyring(env, "set", SERVICE, "alice", secret="first-pw-24680\n").returncode == 0
    assert real_keyring(env, "set", SERVICE, "[b]mallory\x1b[31m", secret="other-pw-13579\n").returncode == 0
    app = AuthApp(environment)
    async with app.run_test(size=size) as pilot:
        await wait_rows(pilot, 2)
        await settle(pilot)
        text = screen_text(app)
        assert "Python keyring" in text
        assert "first-pw-24680" not in text and "\x1b" not in text
        rows = {r.entry.item_ref: r for r in keyring_rows(app)}
        assert rows["alice"].status.value == "active"
        assert rows["[b]mallory\x1b[31m"].status.value == "ignored"
        # rotate alice's entry with the keyboard alone
        app.main.table.select_index(app.main.table.shown_rows.index(rows["alice"]))
        await settle(pilot)
        assert f"`keyring` is {VENV_BIN}/keyring" in app.main.detail.text().plain  # the program uv runs
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CredentialForm)
        assert form.query_one("#password", Input).has_focus
        await pilot.press(*"second-pw-97531", "enter")
        await settle(pilot)
        got = real_keyring(env, "get", SERVICE, "alice")
        assert got.stdout == "second-pw-97531\n"
        await wait_rows(pilot, 2)
        # delete it, after the confirmation
        row = next(r for r in keyring_rows(app) if r.entry.item_ref == "alice")
        app.main.table.select_index(app.main.table.shown_rows.index(row))
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "keyring get" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        await wait_rows(pilot, 1)
        assert real_keyring(env, "get", SERVICE, "alice").returncode != 0
        assert real_keyring(env, "get", SERVICE, "[b]mallory\x1b[31m").stdout == "other-pw-13579\n"


@pytest.mark.keychain
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_add_form_offers_the_keyring_and_the_user_at_url_change(ui_env, size):
    env, environment = ui_env
    app = AuthApp(environment)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        form = await open_add_form(pilot)
        stores = form.query_one("#store", Select)
        stores.value = "keyring-pypi"
        await settle(pilot)
        assert form.query_one("#kind", Select).value == "BasicHTTP"  # what keyring holds
        form.query_one("#key", Input).value = "idx.example"
        form.query_one("#username", Input).value = "bob"
        await settle(pilot)
        hint = str(form.query_one("#key-hint").render())
        assert "put `bob@` before the host in the index URL https://idx.example/simple" in hint
        form.query_one("#password", Input).value = "bob-pw-112233"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, CredentialForm)
        assert real_keyring(env, "get", "idx.example", "bob").stdout == "bob-pw-112233\n"


@pytest.mark.keychain
async def test_workspace_view_says_what_keyring_gives_uv_per_index(ui_env):
    from pixi_auth_tui.ui.workspace_screen import WorkspaceScreen

    from tests.test_workspace_ui import host_index
    from tests.test_workspace_ui import settle as ws_settle

    env, environment = ui_env
    assert real_keyring(env, "set", "idx.example", "alice", secret="host-pw-55555\n").returncode == 0
    app = AuthApp(environment)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_rows(pilot, 1)
        await pilot.press("w")
        await ws_settle(pilot)
        screen = app.screen
        assert isinstance(screen, WorkspaceScreen)
        screen.query_one("#hosts").move_cursor(row=host_index(screen, "idx.example"))
        await ws_settle(pilot)
        shown = str(screen.query_one("#host-detail").render())
        assert "uv's keyring for https://idx.example/simple" in shown
        assert "idx.example as alice (Python keyring)" in shown
        assert "host-pw-55555" not in shown
