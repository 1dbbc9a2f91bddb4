"""Audit fixes lose nothing: no plaintext backup of a move into the keychain, undo that never
discards a later change, leftover backups reported, and undo history that outlives the screen."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pixi_auth_tui.audit.findings import run_audit
from pixi_auth_tui.audit.fixes import apply_fix, undo_fix
from pixi_auth_tui.core.model import BearerToken
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.stores.base import StoreError
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.audit_screen import AuditScreen
from pixi_auth_tui.ui.widgets.line_table import LineTable

from tests.conftest import make_env


def write(path: Path, data: object, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(json.dumps(data))
    path.chmod(mode)
    return path


def finding(findings, code):
    return next(f for f in findings if f.code == code)


def misspelled_file(home: Path) -> Path:
    return write(
        home / ".rattler" / "credentials.json",
        {"a.example": {"BasicHttp": {"username": "u", "password": "misspelled-secret-1"}}},
    )


def test_move_into_the_keychain_keeps_no_plaintext_and_undo_moves_back_on_top_of_later_changes(
    home, keychain, keyring_daemon
):
    path = write(
        home / ".rattler" / "credentials.json",
        {"one.example": {"BearerToken": "move-secret-1"}, "two.example": {"BearerToken": "move-secret-2"}},
    )
    env = make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address)
    inv = load_inventory(env)
    outcome, record = apply_fix(inv, finding(run_audit(inv, home), "plaintext-secrets"), "move-to-keychain", home)
    assert outcome.ok and json.loads(path.read_text()) == {}
    leftovers = [p for p in home.rglob("*") if p.is_file() and b"move-secret" in p.read_bytes()]
    assert leftovers == []  # no backup, no temp file: the move leaves no plaintext copy
    # After the fix: one.example is rotated in the keychain, two.example is written to the file again.
    keychain.set("one.example", BearerToken("rotated-after-fix"))
    write(path, {"two.example": {"BearerToken": "written-after-fix"}})
    result = undo_fix(record, load_inventory(env))
    assert not result.ok and "two.example" in result.message and "left as it is" in result.message
    assert json.loads(path.read_text()) == {
        "one.example": {"BearerToken": "rotated-after-fix"},  # the later rotation is kept
        "two.example": {"BearerToken": "written-after-fix"},  # the later write is kept
    }
    assert {e.key: e.credential for e in keychain.load().entries} == {"two.example": BearerToken("move-secret-2")}


def test_undo_refuses_to_discard_a_change_made_after_the_fix(home):
    path = misspelled_file(home)
    env = make_env(home)
    inv = load_inventory(env)
    _, record = apply_fix(inv, finding(run_audit(inv, home), "unreadable-file"), "rewrite-spelling", home)
    later = {"a.example": {"BearerToken": "a-later-edit-1"}}
    write(path, later)
    with pytest.raises(StoreError, match="changed after the fix"):
        undo_fix(record, load_inventory(env))
    assert json.loads(path.read_text()) == later

    write(path, later, mode=0o644)
    inv = load_inventory(env)
    _, chmod = apply_fix(inv, finding(run_audit(inv, home), "file-permissions"), "chmod-file", home)
    os.chmod(path, 0o640)  # changed again by someone else
    with pytest.raises(StoreError, match="changed mode"):
        undo_fix(chmod)
    assert path.stat().st_mode & 0o777 == 0o640


def test_leftover_backups_with_secrets_are_reported_and_removable_only_when_nothing_is_lost(home):
    misspelled_file(home)
    env = make_env(home)
    inv = load_inventory(env)
    _, record = apply_fix(inv, finding(run_audit(inv, home), "unreadable-file"), "rewrite-spelling", home)
    backups = home / "backups"
    write(backups / "keychain-b.example-1.json", {"key": "b.example", "items": {"/x/1": {"BearerToken": "only-here"}}})
    inv = load_inventory(env)
    leftovers = [f for f in run_audit(inv, home, backup_dir=backups) if f.code == "leftover-backup"]
    assert {Path(f.path).name for f in leftovers} == {Path(record.backup).name, "keychain-b.example-1.json"}
    safe_to_delete = next(f for f in leftovers if f.path == record.backup)
    only_copy = next(f for f in leftovers if f.path != record.backup)
    assert only_copy.fixes == [] and "nowhere else" in only_copy.explanation
    for f in leftovers:
        assert "misspelled-secret" not in json.dumps(f.to_json()) and "only-here" not in json.dumps(f.to_json())
    outcome, _ = apply_fix(inv, safe_to_delete, "remove-backup", backups)
    assert outcome.ok and not Path(record.backup).exists()
    assert (backups / "keychain-b.example-1.json").exists()


async def test_undo_history_survives_leaving_the_audit_screen(home):
    path = misspelled_file(home)
    before = path.read_bytes()
    app = AuthApp(make_env(home, XDG_STATE_HOME=str(home / ".local/state")))
    async with app.run_test(size=(140, 40)) as pilot:

        async def settle() -> None:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()

        await settle()
        await pilot.press("a")
        await settle()
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        codes = [f.code for f in screen.findings]
        screen.query_one("#findings", LineTable).move_cursor(row=codes.index("unreadable-file"))
        await pilot.press("f")
        await settle()
        await pilot.press("y")
        await settle()
        await settle()
        assert path.read_bytes() != before
        await pilot.press("escape")  # leave the audit screen …
        await settle()
        await pilot.press("a")  # … and come back: a new screen
        await settle()
        assert isinstance(app.screen, AuditScreen) and app.screen is not screen
        await pilot.press("z")
        await settle()
        await settle()
        assert path.read_bytes() == before
