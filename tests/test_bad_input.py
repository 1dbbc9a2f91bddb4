"""Bad input never crashes or blocks: special files, nesting and number bounds, odd JWT
expiry values; and writes go through symlinks, keep owner and mode, make private folders."""

from __future__ import annotations

import base64
import json
import os
import stat
import threading

import pytest
from pixi_auth_tui.audit.findings import run_audit
from pixi_auth_tui.core.model import BearerToken, OAuth, credential_to_json, expires_at
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.stores.base import StoreState
from pixi_auth_tui.stores.jsonfile import JsonFileStore

from tests.conftest import make_env


def finishes(function, *args):
    """Run `function`; a blocking read would hang here, so wait in a thread (a guard, not a timing)."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(function(*args)), daemon=True)
    thread.start()
    thread.join(60)
    assert not thread.is_alive(), f"{function.__name__} blocked"
    return result[0]


def test_special_files_are_refused_without_blocking(home):
    rattler = home / ".rattler"
    rattler.mkdir(mode=0o700)
    os.mkfifo(rattler / "credentials.json")
    (home / ".config" / "pixi").mkdir(parents=True)
    os.mkfifo(home / ".config" / "pixi" / "config.toml")
    auth_folder = home / "auth-folder"
    auth_folder.mkdir()
    state = home / ".local" / "state" / "pixi-auth-tui"
    state.mkdir(parents=True)
    os.mkfifo(state / "state.json")
    env = make_env(home, NETRC="/dev/zero", RATTLER_AUTH_FILE=str(auth_folder), XDG_CONFIG_HOME=str(home / ".config"))
    inv = finishes(load_inventory, env)
    messages = {store_id: (snap.state, snap.message) for store_id, snap in inv.snapshots.items()}
    assert messages["credentials"] == (
        StoreState.ERROR,
        f"{rattler / 'credentials.json'} is a FIFO (named pipe), not a file; it was not read",
    )
    assert messages["netrc"] == (StoreState.ERROR, "/dev/zero is a character device, not a file; it was not read")
    assert messages["auth-file"][0] is StoreState.ERROR and "is a folder" in messages["auth-file"][1]
    assert any("FIFO" in error for error in inv.override.errors)
    probe_state = finishes(ProbeState, state / "state.json")
    assert probe_state.urls == {}
    finishes(run_audit, inv, home)


def test_nesting_and_number_bounds_give_a_clear_message(home):
    store = JsonFileStore("credentials", "credentials.json", home / "c.json")
    store.path.write_text('{"a": ' + "[" * 200 + "]" * 200 + "}")
    snap = store.load()
    # 200 levels are no credential (rattler refuses the entry) but not a parse failure:
    # py-rattler reads such nesting inside a field it ignores (tests/test_differential.py).
    assert snap.state is StoreState.REJECTED
    store.path.write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "nested too deeply" in store.load().message
    store.path.write_text('{"a": {"OAuth": {"expires_at": ' + "9" * 50_000 + "}}}")
    snap = store.load()
    # serde_json reads the file; rattler then refuses the entry, and with it the whole file.
    assert snap.state is StoreState.REJECTED and "50,000 digits" in snap.problems[0] and len(snap.problems[0]) < 500


def jwt(claims: str) -> str:
    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    return f"{part('{}')}.{part(claims)}.c2ln"


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ('{"exp": 1800000000}', 1800000000),
        ('{"exp": 1800000000000}', 1800000000),  # milliseconds
        ('{"exp": 1800000000.5}', 1800000000),
        ('{"exp": Infinity}', None),
        ('{"exp": NaN}', None),
        ('{"exp": 1e300}', None),
        ('{"exp": -5}', None),
        ('{"exp": "tomorrow"}', None),
        ('{"exp": ' + "9" * 5000 + "}", None),
        ('{"x": ' + "[" * 5000 + "]" * 5000 + "}", None),
    ],
)
def test_jwt_expiry_values_never_crash(claims, expected):
    assert expires_at(BearerToken(jwt(claims))) == expected


def test_odd_expiry_times_are_audited_and_shown_without_crashing(home):
    path = home / ".rattler" / "credentials.json"
    path.parent.mkdir(mode=0o700)
    oauth = OAuth("access-0123456789", None, 2**62, "https://auth.example/token", None, "c")
    entries = {
        "ms.example": {"BearerToken": jwt('{"exp": 1000000000000}')},
        "inf.example": {"BearerToken": jwt('{"exp": Infinity}')},
        "far.example": {"OAuth": credential_to_json(oauth)["OAuth"]},
    }
    path.write_text(json.dumps(entries))
    path.chmod(0o600)
    findings = run_audit(load_inventory(make_env(home)), home, now=1_700_000_000)
    assert any(f.code == "expired" and f.key == "ms.example" and "2001-09-09" in f.explanation for f in findings)


# -- the write path --------------------------------------------------------------------------


def test_a_symlinked_credentials_file_is_written_through_keeping_its_owner_and_ending_0600(home):
    real = home / "dotfiles" / "credentials.json"
    real.parent.mkdir()
    real.write_text(json.dumps({"old.example": {"BearerToken": "old-token-1"}}))
    real.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(real, 4321, 4321)
    link = home / ".rattler" / "credentials.json"
    link.parent.mkdir(mode=0o700)
    link.symlink_to(real)
    store = JsonFileStore("credentials", "credentials.json", link)
    store.set("new.example", BearerToken("new-token-1"), expect=store.load().version)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert set(json.loads(real.read_text())) == {"old.example", "new.example"}
    info = real.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600  # as rattler's rewrite leaves it (issue 22, item 12)
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (4321, 4321)
    assert [p.name for p in link.parent.iterdir() if "pixi-auth-tui" in p.name] == []


def test_a_symlink_to_a_missing_folder_is_refused_with_the_reason(home):
    link = home / ".rattler" / "credentials.json"
    link.parent.mkdir(mode=0o700)
    link.symlink_to(home / "nowhere" / "credentials.json")
    store = JsonFileStore("credentials", "credentials.json", link)
    with pytest.raises(Exception, match="whose folder does not exist"):
        store.set("a.example", BearerToken("token-abcdef"))
    assert link.is_symlink()


def test_folders_we_create_are_0700_whatever_the_umask(home):
    store = JsonFileStore("credentials", "credentials.json", home / "a" / "b" / "credentials.json")
    old = os.umask(0o277)  # would make mkdir(0o700) a 0500 folder we cannot even write into
    try:
        store.set("a.example", BearerToken("token-abcdef"))
    finally:
        os.umask(old)
    for folder in (home / "a", home / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
