"""Issue 22, items 1–6 and 12: no flow loses, reverts or misattributes a credential, and
nothing we write is unreadable by rattler. Real parts: files in a temporary HOME, a real
gnome-keyring in a private D-Bus session, the real CLI, a local HTTP server, py-rattler.

Each test here failed on the code before its fix (see the report of branch lose-nothing).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pixi_auth_tui.audit.findings import run_audit
from pixi_auth_tui.audit.fixes import apply_fix, undo_fix
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, dumps_credential
from pixi_auth_tui.engine.inventory import KEYCHAIN, load_inventory
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm
from pixi_auth_tui.ui.dialogs.move import MoveScreen
from textual.widgets import Input

from tests.conftest import make_env, rattler_fetch, said, until
from tests.test_ui import last_test, screen_text, select_row, settle, write_json

SIZES = [(120, 40), (80, 24)]
SIZE_IDS = ["120x40", "80x24"]


def messages(app) -> list[str]:
    return said(app)


def credentials(home: Path) -> dict:
    return json.loads((home / ".rattler/credentials.json").read_text())


def keychain_items(keychain, key: str) -> list[str]:
    return [dumps_credential(e.credential) for e in keychain.load().entries if e.key == key]


def run_cli(home: Path, args: list[str], stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent",
        **{name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ},
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "pixi_auth_tui", *args], input=stdin, capture_output=True, text=True, env=full
    )


# -- 1. a move onto a key the target already holds ----------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_move_onto_a_held_key_shows_both_keeps_one_backs_up_the_other_and_z_restores_exactly(
    home, keychain, keyring_daemon, size
):
    """`m` of a file entry into a keychain that already holds the key: it used to overwrite
    the keychain item silently (the active one), and nothing was kept."""
    key = "held.example"
    write_json(home / ".rattler/credentials.json", {key: {"BearerToken": "file-token-aaaa1111"}})
    keychain.set(key, BearerToken("keychain-token-bbbb2222"))
    before_keychain = keychain_items(keychain, key)
    app = AuthApp(make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        select_row(app, key, "credentials")
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, MoveScreen)
        await pilot.press("ctrl+s")  # the first target: the keychain
        await settle(pilot)
        # nothing written yet (the keychain's item is the active one) …
        assert keychain_items(keychain, key) == before_keychain and key in credentials(home)
        # … and both shown, masked, with their last test
        await until(pilot, lambda: type(app.screen).__name__ == "KeepChoiceScreen", "the keep-which chooser")
        text = screen_text(app)
        assert "…1111" in text and "…2222" in text
        assert "file-token" not in text and "keychain-token" not in text
        assert text.count("never tested") == 2
        holders = str(app.screen.query_one("#holders").content)
        assert "…2222 — pixi uses this one now" in holders and holders.count("pixi uses") == 1
        await pilot.press("1")  # keep the moved one
        await settle(pilot)
        assert keychain_items(keychain, key) == ['{"BearerToken":"file-token-aaaa1111"}']
        assert key not in credentials(home)
        # the one not kept is in a private backup under our state folder
        backups = home / ".local/state/pixi-auth-tui/backups"
        [backup] = list(backups.glob("entry-*.json"))
        assert stat.S_IMODE(backup.stat().st_mode) == 0o600 and stat.S_IMODE(backups.stat().st_mode) == 0o700
        assert "keychain-token-bbbb2222" in backup.read_text()
        assert any("private backup" in m and "z undoes it" in m for m in messages(app))
        # z puts both stores back exactly: the keychain item is restored, never deleted
        await pilot.press("z")
        await settle(pilot)
        assert keychain_items(keychain, key) == before_keychain
        assert credentials(home) == {key: {"BearerToken": "file-token-aaaa1111"}}


async def test_move_keeping_the_one_there_removes_the_source_into_a_backup(home, keychain, keyring_daemon):
    key = "held.example"
    write_json(home / ".rattler/credentials.json", {key: {"BearerToken": "file-token-aaaa1111"}})
    keychain.set(key, BearerToken("keychain-token-bbbb2222"))
    app = AuthApp(make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        select_row(app, key, "credentials")
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert keychain_items(keychain, key) == ['{"BearerToken":"keychain-token-bbbb2222"}']
        await until(pilot, lambda: type(app.screen).__name__ == "KeepChoiceScreen", "the keep-which chooser")
        await pilot.press("2")  # keep the keychain's
        await settle(pilot)
        assert keychain_items(keychain, key) == ['{"BearerToken":"keychain-token-bbbb2222"}']
        assert key not in credentials(home)
        [backup] = list((home / ".local/state/pixi-auth-tui/backups").glob("entry-*.json"))
        assert "file-token-aaaa1111" in backup.read_text()
        await pilot.press("z")
        await settle(pilot)
        assert credentials(home) == {key: {"BearerToken": "file-token-aaaa1111"}}
        assert keychain_items(keychain, key) == ['{"BearerToken":"keychain-token-bbbb2222"}']


def test_audit_move_into_the_keychain_never_overwrites_and_undo_never_deletes_an_item_that_was_there(
    home, keychain, keyring_daemon, tmp_path
):
    """The audit's "move into the keychain" fix: a key the keychain holds differently is left
    in the file; one it holds identically is moved, and undo then keeps that item."""
    write_json(
        home / ".rattler/credentials.json",
        {
            "differs.example": {"BearerToken": "file-differs-1111"},
            "same.example": {"BearerToken": "same-token-2222"},
            "free.example": {"BearerToken": "free-token-3333"},
        },
    )
    keychain.set("differs.example", BearerToken("keychain-differs-4444"))
    keychain.set("same.example", BearerToken("same-token-2222"))
    env = make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address)
    inventory = load_inventory(env)
    finding = next(
        f for f in run_audit(inventory, home) if f.code == "plaintext-secrets" and f.store_id == "credentials"
    )
    outcome, record = apply_fix(inventory, finding, "move-to-keychain", tmp_path / "backups")
    assert not outcome.ok and "differs.example: the keychain already holds a different credential" in outcome.message
    assert keychain_items(keychain, "differs.example") == ['{"BearerToken":"keychain-differs-4444"}']
    assert credentials(home) == {"differs.example": {"BearerToken": "file-differs-1111"}}
    assert keychain_items(keychain, "free.example") == ['{"BearerToken":"free-token-3333"}']
    undone = undo_fix(record, load_inventory(env))
    assert undone.ok, undone.message
    assert credentials(home) == {
        "differs.example": {"BearerToken": "file-differs-1111"},
        "same.example": {"BearerToken": "same-token-2222"},
        "free.example": {"BearerToken": "free-token-3333"},
    }
    # exactly the state before: the item that was there stays, the one the fix made is gone
    assert keychain_items(keychain, "same.example") == ['{"BearerToken":"same-token-2222"}']
    assert keychain_items(keychain, "differs.example") == ['{"BearerToken":"keychain-differs-4444"}']
    assert keychain_items(keychain, "free.example") == []


# -- 2. an edit must not revert another program's rotation ---------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_an_open_edit_form_never_writes_back_a_password_rotated_by_the_cli(home, size):
    key = "rotated.example"
    path = home / ".rattler/credentials.json"
    write_json(path, {key: {"BasicHTTP": {"username": "alice", "password": "old-password-1111"}}})
    app = AuthApp(make_env(home, XDG_STATE_HOME=str(home / ".local/state")))
    app.watch_seconds = 0.2
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, CredentialForm)
        # another terminal rotates the password while the form is open
        done = run_cli(home, ["set", key, "--kind", "basic", "--username", "alice", "--stdin"], "new-password-2222\n")
        assert done.returncode == 0, done.stderr
        await until(pilot, lambda: any("changed on disk" in m for m in messages(app)), "the reload")
        form = app.screen
        assert isinstance(form, CredentialForm)
        form.query_one("#username", Input).value = "bob"  # a username change, password left empty
        await pilot.press("ctrl+s")
        await settle(pilot)
        # the rotation is kept; the person is told which field changed and sees the form again
        assert credentials(home)[key] == {"BasicHTTP": {"username": "alice", "password": "new-password-2222"}}
        said = [m for m in messages(app) if "since the form was opened" in m]
        assert said and "password" in said[-1] and "new-password" not in said[-1]
        await until(pilot, lambda: isinstance(app.screen, CredentialForm), "the form, re-opened")
        # on the new value: saving the username change now keeps the rotated password
        app.screen.query_one("#username", Input).value = "bob"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert credentials(home)[key] == {"BasicHTTP": {"username": "bob", "password": "new-password-2222"}}


async def test_an_add_form_never_overwrites_a_key_added_meanwhile(home):
    path = home / ".rattler/credentials.json"
    write_json(path, {"other.example": {"BearerToken": "other-token"}})
    app = AuthApp(make_env(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        form.query_one("#key", Input).value = "new.example"
        form.query_one("#token", Input).value = "typed-token-1111"
        write_json(path, {"other.example": {"BearerToken": "other-token"}, "new.example": {"BearerToken": "theirs"}})
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert credentials(home)["new.example"] == {"BearerToken": "theirs"}


# -- 5. a test result belongs to the secret it tested --------------------------------------------


async def test_a_rotation_clears_the_last_test_also_after_a_restart_and_when_another_program_rotates(home, http_server):
    from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen

    key = "127.0.0.1"
    write_json(home / ".rattler/credentials.json", {key: {"BearerToken": "good-token"}})
    state = home / ".local/state/pixi-auth-tui/state.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"probe_urls": {key: f"{http_server.base}/private/x"}, "results": {}}))
    env = make_env(home, XDG_STATE_HOME=str(home / ".local/state"))
    app = AuthApp(env)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert last_test(app, app.main.table.shown_rows[0]) == "accepted"
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#token", Input).value = "rotated-token-1111"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(m.startswith(f"Rotated {key}") for m in messages(app))
        assert last_test(app, app.main.table.shown_rows[0]) == ""
    assert "rotated-token" not in state.read_text() and "good-token" not in state.read_text()
    # after a restart too: the state file's result is not shown for the new secret
    app = AuthApp(env)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert last_test(app, app.main.table.shown_rows[0]) == ""
    # and back on the secret it tested (rotated back by another program), it is shown again
    done = run_cli(home, ["set", key, "--kind", "bearer", "--stdin"], "good-token\n")
    assert done.returncode == 0, done.stderr
    app = AuthApp(env)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert last_test(app, app.main.table.shown_rows[0]) == "accepted"


def test_a_cli_test_result_is_not_shown_once_another_program_rotates_the_secret(home, http_server):
    key = "127.0.0.1"
    write_json(home / ".rattler/credentials.json", {key: {"BearerToken": "good-token"}})
    done = run_cli(home, ["test", key, "--url", f"{http_server.base}/private/x", "--allow-http"])
    assert done.returncode == 0, done.stdout + done.stderr
    write_json(home / ".rattler/credentials.json", {key: {"BearerToken": "bad-token-rotated"}})
    done = run_cli(home, ["audit", "--json"])
    from pixi_auth_tui.probe.state import ProbeState

    state = ProbeState.default({"XDG_STATE_HOME": str(home / ".local/state")})
    assert state.result_for("credentials", key, BearerToken("bad-token-rotated")) is None
    assert state.result_for("credentials", key, BearerToken("good-token")) is not None
    saved = (home / ".local/state/pixi-auth-tui/state.json").read_text()
    assert "good-token" not in saved


# -- 6. our own files are never written through a planted link -----------------------------------


def test_a_symlink_planted_at_our_state_file_is_replaced_not_followed(home):
    from pixi_auth_tui.probe.state import ProbeState

    victim = home / "victim.txt"
    victim.write_text("precious")
    folder = home / ".local/state/pixi-auth-tui"
    folder.mkdir(parents=True)
    (folder / "state.json").symlink_to(victim)
    state = ProbeState.default({"XDG_STATE_HOME": str(home / ".local/state")})
    state.urls["a.example"] = "https://a.example/x"
    state.save()
    assert victim.read_text() == "precious"
    assert not (folder / "state.json").is_symlink()
    assert stat.S_IMODE((folder / "state.json").stat().st_mode) == 0o600


def test_a_symlink_planted_at_a_lock_or_a_crash_report_is_never_written_through(home):
    from pixi_auth_tui.stores.jsonfile import JsonFileStore, lock_path
    from pixi_auth_tui.system.crash import write_report

    victim = home / "victim.txt"
    victim.write_text("precious")
    path = home / ".rattler/credentials.json"
    write_json(path, {"a.example": {"BearerToken": "t"}})
    lock = lock_path(path)
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.symlink_to(victim)
    store = JsonFileStore("credentials", "credentials.json", path)
    with pytest.raises(Exception, match="lock"):
        store.set("b.example", BearerToken("b"))
    assert victim.read_text() == "precious"
    assert credentials(home) == {"a.example": {"BearerToken": "t"}}
    # a crash report goes to a fresh file; a planted folder link is refused
    reports = home / ".local/state/pixi-auth-tui/crash-reports"
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    reports.parent.mkdir(parents=True, exist_ok=True)
    reports.symlink_to(elsewhere)
    assert write_report(RuntimeError("boom"), {"XDG_STATE_HOME": str(home / ".local/state")}) is None
    assert list(elsewhere.iterdir()) == []


def test_a_shared_folder_like_tmp_is_never_made_private(tmp_path):
    """A lock whose folders reach a folder every user shares (sticky and world-writable, as
    /tmp) must leave that folder as it is: run as root, tightening it to 0700 once locked
    every other user out of /tmp (the benchmark's keychain lock sat two levels under it)."""
    from pixi_auth_tui.stores.locking import exclusive

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    lock = shared / "ours" / "keychain.lock"
    with pytest.raises(Exception, match="shared"), exclusive(lock, "the keychain"):
        pass
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777


# -- 12 and 13: rewrites end 0600 (and say so); no lock files in the user's folders --------------


def test_a_rewrite_says_the_file_is_now_0600_and_leaves_no_lock_file_beside_it(home):
    path = home / ".rattler/credentials.json"
    write_json(path, {"a.example": {"BearerToken": "t"}})
    path.chmod(0o644)
    override = home / "pixi-auth-override.json"
    write_json(override, {})
    done = run_cli(home, ["set", "b.example", "--kind", "bearer", "--store", "credentials", "--stdin"], "tok\n")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "now 0600 (was 0644)" in done.stdout + done.stderr
    (home / ".config/pixi").mkdir(parents=True)
    (home / ".config/pixi/config.toml").write_text(f'authentication-override-file = "{override}"\n')
    done = run_cli(home, ["set", "c.example", "--kind", "bearer", "--store", "override", "--stdin"], "tok\n")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (home / ".rattler").iterdir()) == ["credentials.json"]
    assert not (home / "pixi-auth-override.lock").exists()
    assert list((home / ".local/state/pixi-auth-tui/locks").glob("*.lock"))


# -- 3. a sign-in is never thrown away by an unrelated write -------------------------------------


def test_a_sign_in_is_stored_although_another_key_was_written_during_the_wait(home):
    from pixi_auth_tui.core.model import OAuth
    from pixi_auth_tui.oauth.flow import SignInResult, store_sign_in

    path = home / ".rattler/credentials.json"
    write_json(path, {"a.example": {"BearerToken": "a"}})
    env = make_env(home)
    inventory = load_inventory(env)  # read when the sign-in started
    write_json(path, {"a.example": {"BearerToken": "a"}, "b.example": {"BearerToken": "written-meanwhile"}})
    fresh = OAuth("fresh-access", "fresh-refresh", 2_000_000_000, "https://idp.example/token", None, "rattler")
    result = SignInResult(fresh, None, "login.example")
    store = inventory.store("credentials")
    message = store_sign_in(inventory, result, store)
    assert message.startswith("Signed in to login.example")
    assert credentials(home)["b.example"] == {"BearerToken": "written-meanwhile"}
    assert credentials(home)["login.example"]["OAuth"]["access_token"] == "fresh-access"


def test_a_sign_in_over_the_same_key_written_meanwhile_keeps_that_entry_in_a_backup(home):
    from pixi_auth_tui.core.model import OAuth
    from pixi_auth_tui.oauth.flow import SignInResult, store_sign_in

    path = home / ".rattler/credentials.json"
    write_json(path, {})
    env = make_env(home, XDG_STATE_HOME=str(home / ".local/state"))
    inventory = load_inventory(env)
    write_json(path, {"login.example": {"BearerToken": "theirs-meanwhile-1111"}})
    fresh = OAuth("fresh-access", "fresh-refresh", 2_000_000_000, "https://idp.example/token", None, "rattler")
    message = store_sign_in(inventory, SignInResult(fresh, None, "login.example"), inventory.store("credentials"))
    assert "private backup" in message
    assert credentials(home)["login.example"]["OAuth"]["access_token"] == "fresh-access"
    [backup] = list((home / ".local/state/pixi-auth-tui/backups").glob("entry-*.json"))
    assert "theirs-meanwhile-1111" in backup.read_text()


# -- 4. nothing we write is unreadable by rattler -------------------------------------------------


def test_a_refresh_whose_expires_in_rattler_refuses_writes_nothing_and_the_file_stays_readable(
    provider_server, home, monkeypatch
):
    """`expires_in: 1e30` used to be stored as a 31-digit `expires_at`: py-rattler then
    refused the whole file, and pixi lost every entry in it."""
    from tests.test_oauth import KEY, cli, login

    provider_server.reset()
    monkeypatch.setattr("pixi_auth_tui.oauth.flow.poll_wait", lambda cancelled, seconds: cancelled.wait(0.01))
    provider_server.device_script[:] = ["approve"]
    assert login(provider_server)[0] == 0
    path = home / ".rattler/credentials.json"
    before = path.read_bytes()
    provider_server.access_lifetime = 1e30  # type: ignore[assignment]
    code, _out, err = cli("refresh", KEY)
    assert code == 1 and "expires_in" in err
    assert path.read_bytes() == before
    assert rattler_fetch(home, [(provider_server.channel_url(), {})]) == ["OK"]


def test_a_refresh_answer_rattler_would_refuse_writes_nothing(home):
    from pixi_auth_tui.oauth.flow import OAuthFailure, tokens_from

    for bad in (1e30, 3600.5, "3600", True, 2**63):
        with pytest.raises(OAuthFailure, match="expires_in"):
            tokens_from({"access_token": "a", "expires_in": bad})
    assert tokens_from({"access_token": "a", "expires_in": 3600}).expires_in == 3600


def test_no_store_writes_a_value_rattler_cannot_read(home, keychain):
    from pixi_auth_tui.core.model import OAuth, S3Credentials
    from pixi_auth_tui.stores.base import StoreError
    from pixi_auth_tui.stores.jsonfile import JsonFileStore
    from pixi_auth_tui.stores.memory import MemoryKeychainStore

    path = home / ".rattler/credentials.json"
    write_json(path, {"kept.example": {"BearerToken": "kept"}})
    bad = [
        ("big.example", OAuth("a", "r", 10**30, "https://t/", None, "c")),
        ("big2.example", OAuth("a", "r", 2**63, "https://t/", None, "c")),
        ("float.example", OAuth("a", "r", 1.5, "https://t/", None, "c")),  # type: ignore[arg-type]
        ("bool.example", OAuth("a", "r", True, "https://t/", None, "c")),  # type: ignore[arg-type]
        ("none.example", OAuth("a", "r", None, None, None, "c")),  # type: ignore[arg-type]
        ("surrogate.example", BearerToken("a\ud800b")),
        ("s3.example", S3Credentials("id", "\udfff", None)),
        ("key\udc80.example", BearerToken("t")),
    ]
    stores = [JsonFileStore("credentials", "credentials.json", path), MemoryKeychainStore(), keychain]
    for store in stores:
        for key, cred in bad:
            with pytest.raises(StoreError, match="rattler"):
                store.set(key, cred)
    assert credentials(home) == {"kept.example": {"BearerToken": "kept"}}
    assert [e.key for e in keychain.load().entries] == []


EXTREME = {
    "bearer-long.example": BearerToken('é✓\t"\\/' + "x" * 20_000),
    "bearer-nul.example": BearerToken("a\x00b\u2028c"),
    "conda.example": {"CondaToken": "sp ace/%?#\u00e9"},
    "basic.example": BasicHTTP("", "pa:ss\u00e9\x7f"),
    "s3.example": {"S3Credentials": {"access_key_id": "AK", "secret_access_key": "s" * 5000, "session_token": None}},
    "s3-token.example": {
        "S3Credentials": {"access_key_id": "", "secret_access_key": "", "session_token": "\U0001f600"}
    },
    "oauth-max.example": {
        "OAuth": {
            "access_token": "max-access-\u00e9",
            "refresh_token": None,
            "expires_at": 2**63 - 1,
            "token_endpoint": "https://idp.example/token",
            "revocation_endpoint": None,
            "client_id": "",
        }
    },
    "oauth-min.example": {
        "OAuth": {
            "access_token": "min-access",
            "refresh_token": "r",
            "expires_at": -(2**63),
            "token_endpoint": "",
            "revocation_endpoint": "https://idp.example/revoke",
            "client_id": "rattler",
        }
    },
}


def test_every_kind_with_extreme_values_through_every_write_path_is_read_by_py_rattler(
    home, keychain, keyring_daemon, tmp_path
):
    """Written by the file store, the keychain, a move, a sign-in and the CLI, then read back
    by py-rattler: it builds its store from every file (one unreadable entry would fail the
    whole file) and sends what we say it sends."""
    from pixi_auth_tui.core.model import OAuth, parse_credential
    from pixi_auth_tui.engine.operations import move_entry
    from pixi_auth_tui.oauth.flow import SignInResult, store_sign_in

    from tests.oracle import Case, check_all

    creds = {k: v if not isinstance(v, dict) else parse_credential(v) for k, v in EXTREME.items()}
    env = make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address)
    inventory = load_inventory(env)
    store = inventory.store("credentials")
    for key, cred in creds.items():
        store.set(key, cred)  # the file store
        keychain.set("kc-" + key, cred)  # the Secret Service
    # a move (file → keychain), a sign-in and the CLI's `set`
    store.set("moved.example", BearerToken("m" * 3000 + "\u00e9"))
    inventory = load_inventory(env)
    row = next(r for r in inventory.rows if r.key == "moved.example")
    assert move_entry(inventory, row, inventory.store(KEYCHAIN)).ok
    fresh = OAuth("signed-in", None, 2**63 - 1, "https://idp.example/token", None, "rattler")
    store_sign_in(load_inventory(env), SignInResult(fresh, None, "signin.example"), store)
    done = run_cli(home, ["set", "cli.example", "--kind", "bearer", "--store", "credentials", "--stdin"], "é✓\n")
    assert done.returncode == 0, done.stderr
    urls = [
        "bearer-long.example",
        "basic.example",
        "oauth-max.example",
        "kc-bearer-long.example",
        "kc-basic.example",
        "kc-oauth-max.example",
        "moved.example",
        "signin.example",
        "cli.example",
    ]
    cases = [Case(home, f"http://{host}/c{i}", label=host) for i, host in enumerate(urls)]
    assert check_all(cases, bus=keyring_daemon.address, keychain_for=lambda case: keychain) == []
