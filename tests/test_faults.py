"""Fault injection: killed writers, a second writer, real full and read-only file systems,
a permission wall, a keychain that dies or locks mid-session, and huge inputs.
Whatever happens, no stored credential is lost or corrupted."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from pixi_auth_tui.core.model import BearerToken, CondaToken, credential_to_json, mask
from pixi_auth_tui.core.validation import MAX_SECRET_CHARS, secret_problem
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.engine.operations import move_entry
from pixi_auth_tui.stores.base import StoreError, StoreState
from pixi_auth_tui.stores.jsonfile import JsonFileStore, parse_document, serialise_document
from pixi_auth_tui.stores.netrc import NetrcStore
from pixi_auth_tui.stores.secretservice import KeychainLocked, SecretServiceStore

from tests.conftest import make_env, skip_unless_ci
from tests.fault_child import ROTATING, rotation_token, temp_files

ROOT = Path(__file__).resolve().parent.parent


def credentials_store(home: Path) -> JsonFileStore:
    return JsonFileStore("credentials", "credentials.json", home / ".rattler" / "credentials.json")


# -- SIGKILL during writes ------------------------------------------------------------------


def test_sigkill_mid_write_leaves_old_or_new_file_and_no_lasting_temp_files(home):
    """Kill a writer many times, inside a write and between writes: the file is always a whole
    version, in rattler's bytes. The kill points follow the writer's own progress, not the clock,
    so the test proves the same thing on a busy machine as on an idle one."""
    store = credentials_store(home)
    base = {f"host{i:05d}.example": credential_to_json(BearerToken(f"token-{i:05d}-" + "x" * 40)) for i in range(3000)}
    store.path.parent.mkdir(mode=0o700)
    store.path.write_bytes(serialise_document(base))
    rng = random.Random(20261125)
    versions: set[str] = set()
    previous: str | None = None  # the rotating token the file held before this round
    for round_ in range(24):
        writes_before = round_ // 3 % 4  # 0..3 completed writes of this child before the kill
        stall = round_ % 3 == 0  # every third kill lands inside a write (temp file, no rename)
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.fault_child", "writer", str(store.path)]
            + ([str(writes_before + 1)] if stall else []),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        for n in range(1, writes_before + 1):
            assert child.stdout.readline().strip() == f"wrote {n}"
        if stall:
            assert child.stdout.readline().strip() == "in-write"
        else:
            time.sleep(rng.uniform(0.0, 0.01))  # anywhere in the next write, or between writes
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        if stall:
            assert temp_files(store.path.parent), "the kill inside a write left no temp file"
        doc = parse_document(store.path.read_bytes())  # raises on a torn file
        rotating = doc.pop(ROTATING, None)
        assert doc == base, "an untouched entry changed"
        held = (rotating or {}).get("BearerToken")
        if stall:  # killed inside write N+1: the file holds exactly write N (or the last round's)
            assert held == (rotation_token(writes_before) if writes_before else previous)
        previous = held
        if rotating is not None:
            token = rotating["BearerToken"]
            assert token == rotation_token(int(token[1:10]))
            versions.add(token)
        expected = dict(base, **({ROTATING: rotating} if rotating else {}))
        assert store.path.read_bytes() == serialise_document(expected)  # whole, in rattler's bytes
    assert len(versions) > 1
    # The next write of any run cleans up what the killed writers left behind.
    store.set("after.example", BearerToken("t"), expect=store.load().version)
    assert temp_files(store.path.parent) == []
    assert len(store.load().entries) == len(base) + 2


# -- a second writer ----------------------------------------------------------------------


def test_second_writer_between_read_and_write_is_never_overwritten(home):
    store = credentials_store(home)
    store.set("mine.example", BearerToken("mine"))
    inventory = load_inventory(make_env(home))
    # `pixi auth login` in another terminal, writing the file the way rattler does:
    other = credentials_store(home)
    other.set("theirs.example", CondaToken("theirs"), expect=other.load().version)
    with pytest.raises(StoreError, match="changed on disk"):
        store.set("new.example", BearerToken("x"), expect=inventory.snapshots["credentials"].version)
    keys = {e.key for e in store.load().entries}
    assert keys == {"mine.example", "theirs.example"}


# -- real file-system failures (a private tmpfs in a private mount namespace) -------------


def run_in_private_tmpfs(mode: str, size: str) -> dict:
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "-rm", "true"], capture_output=True) if unshare else None
    if probe is None or probe.returncode != 0:
        skip_unless_ci("file-system fault", "needs `unshare -rm` (user and mount namespaces) for a private tmpfs")
    folder = Path(tempfile.mkdtemp(prefix="pixi-auth-tui-fs-"))
    try:
        script = f'mount -t tmpfs -o size={size},mode=0700 tmpfs "$1" && exec "$2" -m tests.fault_child {mode} "$1"'
        proc = subprocess.run(
            [unshare, "-rm", "sh", "-c", script, "sh", str(folder), sys.executable],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_full_disk_is_a_clear_error_and_the_file_is_intact():
    result = run_in_private_tmpfs("disk-full", "256k")
    assert "disk full" in result["add_error"] and "intact" in result["add_error"]
    assert "disk full" in result["rotate_error"]
    assert result["intact"] is True
    assert result["leftovers"] == []
    assert result["after_space_freed"] is None
    assert result["entries_after"] == ["kept.example", "new.example"]


def test_read_only_file_system_is_a_clear_error_and_the_file_is_intact():
    result = run_in_private_tmpfs("read-only", "1m")
    assert "Read-only file system" in result["add_error"]
    assert "Read-only file system" in result["rotate_error"]
    assert result["intact"] is True
    assert result["state"] == "ok"  # still readable, still listed
    assert result["cli_exit"] == 1
    lines = result["cli_stderr"].strip().splitlines()
    assert len(lines) == 1 and "Read-only file system" in lines[0] and "Traceback" not in result["cli_stderr"]


def run_cli_as(uid: int | None, argv: list[str], stdin: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run the CLI in a forked child, as `uid` when given (set after Python is loaded, since
    an unprivileged user may not be able to start this interpreter). Returns (exit, stderr, stdout)."""
    import io

    from pixi_auth_tui.cli.main import main

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code, err, out = 99, io.StringIO(), io.StringIO()
        try:
            if uid is not None:
                os.setgid(uid)
                os.setuid(uid)
            os.environ.clear()
            os.environ.update(env)
            code = main(argv, out=out, err=err, stdin=io.StringIO(stdin))
        except BaseException as exc:  # report, never fall back into the test runner
            err.write(f"child crashed: {exc!r}")
        finally:
            os.write(write_end, json.dumps([code, err.getvalue(), out.getvalue()]).encode())
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        raw = pipe.read()
    os.waitpid(pid, 0)
    code, err_text, out_text = json.loads(raw)
    return code, err_text, out_text


@pytest.mark.parametrize("lock_exists", [False, True], ids=["no-lock-file", "lock-file-left-by-pixi"])
def test_permission_denied_on_the_folder_is_a_clear_error(home, lock_exists):
    """A real permission wall: as root (CI) the write runs as `nobody`, since root ignores modes."""
    folder = Path(tempfile.mkdtemp(prefix="pixi-auth-tui-perm-"))
    rattler = folder / ".rattler"
    try:
        os.chmod(folder, 0o755)
        rattler.mkdir()
        path = rattler / "credentials.json"
        path.write_text('{"kept.example":{"BearerToken":"kept"}}')
        os.chmod(path, 0o644)
        owned = [rattler, path]
        if lock_exists:  # then the lock opens, and the temp file is what the folder refuses
            (rattler / "credentials.lock").touch(mode=0o600)
            owned.append(rattler / "credentials.lock")
        before = path.read_bytes()
        uid = None
        if os.geteuid() == 0:
            uid = 65534  # nobody
            for owned_path in owned:
                os.chown(owned_path, uid, uid)
        os.chmod(rattler, 0o555)  # the folder refuses new files: no temp file, no rename
        env = {"HOME": str(folder), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent", "PATH": os.environ["PATH"]}
        code, err, _ = run_cli_as(uid, ["set", "new.example", "--kind", "bearer", "--stdin"], "t\n", env)
        assert code == 1, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Permission denied" in lines[0], err
        assert "intact" in lines[0] or "nothing was written" in lines[0]
        assert path.read_bytes() == before
        assert temp_files(rattler) == []
    finally:
        with contextlib.suppress(OSError):
            os.chmod(rattler, 0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_permission_denied_on_the_file_is_shown_and_nothing_is_written(home):
    """The file itself unreadable (mode 0000, someone else's): listed as an error, never written."""
    folder = Path(tempfile.mkdtemp(prefix="pixi-auth-tui-perm-"))
    rattler = folder / ".rattler"
    try:
        os.chmod(folder, 0o755)
        rattler.mkdir(mode=0o777)
        path = rattler / "credentials.json"
        path.write_text('{"kept.example":{"BearerToken":"kept"}}')
        os.chmod(path, 0)
        before = path.read_bytes()
        uid = 65534 if os.geteuid() == 0 else None  # root reads any file: be nobody
        env = {"HOME": str(folder), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent", "PATH": os.environ["PATH"]}
        code, err, out = run_cli_as(uid, ["list", "--json"], "", env)
        assert code == 0, err  # the other stores are still listed
        stores = {s["id"]: s for s in json.loads(out)["stores"]}
        assert stores["credentials"]["state"] == "error" and "Permission denied" in stores["credentials"]["message"]
        assert stores["netrc"]["state"] == "missing"
        code, err, _ = run_cli_as(uid, ["set", "new.example", "--kind", "bearer", "--stdin"], "t\n", env)
        assert code == 1 and "Permission denied" in err and "Traceback" not in err, err
        assert path.read_bytes() == before
        assert temp_files(rattler) == []
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- the keychain failing mid-session ---------------------------------------------------------


def secret_of_item(store: SecretServiceStore, key: str) -> str:
    (entry,) = [e for e in store.load().entries if e.key == key]
    return entry.credential.token


def test_keyring_killed_then_recovers_on_refresh(own_daemon, home):
    store = SecretServiceStore(own_daemon.address)
    store.set("a.example", BearerToken("before"))
    own_daemon.kill_keyring()
    snap = store.load()
    assert snap.state in (StoreState.UNAVAILABLE, StoreState.ERROR, StoreState.LOCKED) and snap.message
    with pytest.raises(StoreError):
        store.set("a.example", BearerToken("half-way?"))
    own_daemon.restart()
    assert store.load().state is StoreState.OK  # refresh: the same store object recovers
    assert secret_of_item(store, "a.example") == "before"
    assert len(store.items_for("a.example")) == 1


def test_bus_dropped_is_unavailable_and_files_take_over(own_daemon, home):
    store = SecretServiceStore(own_daemon.address)
    store.set("a.example", BearerToken("before"))
    own_daemon.kill_bus()
    snap = store.load()
    assert snap.state is StoreState.UNAVAILABLE and snap.message
    inventory = load_inventory(make_env(home), keychain=store)
    assert inventory.default_write_store().id == "credentials"
    own_daemon.restart()
    assert secret_of_item(store, "a.example") == "before"


def test_collection_locked_between_list_and_write(own_daemon, home):
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    store = SecretServiceStore(own_daemon.address)
    store.set("a.example", BearerToken("before"))
    listed = store.load()
    assert listed.state is StoreState.OK
    conn = open_dbus_connection(bus=own_daemon.address)
    try:
        secretstorage.get_default_collection(conn).lock()
    finally:
        conn.close()
    with pytest.raises(KeychainLocked):
        store.set("a.example", BearerToken("after"))
    with pytest.raises(KeychainLocked):
        store.set("b.example", BearerToken("new"))
    own_daemon.restart()  # unlocked again with its password
    assert {e.key for e in store.load().entries} == {"a.example"}
    assert secret_of_item(store, "a.example") == "before"


def test_move_into_a_dead_keychain_keeps_the_original(own_daemon, home):
    files = credentials_store(home)
    files.set("plain.example", BearerToken("plain-secret"))
    store = SecretServiceStore(own_daemon.address)
    inventory = load_inventory(make_env(home), keychain=store)
    (row,) = [r for r in inventory.rows if r.key == "plain.example"]
    own_daemon.kill_keyring()
    with pytest.raises(StoreError):
        move_entry(inventory, row, store)
    (entry,) = files.load().entries
    assert entry.credential == BearerToken("plain-secret")


# -- huge inputs --------------------------------------------------------------------------


def test_a_50_mb_credentials_file_loads_and_a_write_keeps_it_whole(home):
    store = credentials_store(home)
    token = "t" * 1000
    doc = {f"h{i:06d}.example": {"BearerToken": token} for i in range(50_000)}
    store.path.parent.mkdir(mode=0o700)
    store.path.write_bytes(serialise_document(doc))
    assert store.path.stat().st_size > 50 * 1000 * 1000
    snap = store.load()
    assert snap.state is StoreState.OK and len(snap.entries) == 50_000
    store.set("new.example", BearerToken("n"), expect=snap.version)
    after = parse_document(store.path.read_bytes())
    assert after.pop("new.example") == {"BearerToken": "n"} and after == doc


def test_a_file_over_the_size_limit_is_refused_with_a_reason_and_untouched(home):
    store = credentials_store(home)
    store.path.parent.mkdir(mode=0o700)
    with store.path.open("wb") as out:
        out.truncate(65 * 1024 * 1024)  # sparse: costs no disk
    snap = store.load()
    assert snap.state is StoreState.ERROR and "MiB" in snap.message
    with pytest.raises(StoreError):
        store.set("x.example", BearerToken("t"), expect=snap.version)
    assert store.path.stat().st_size == 65 * 1024 * 1024


def test_a_1_mb_token_round_trips_and_is_masked(home):
    token = "z" * (MAX_SECRET_CHARS - 4) + "Q7fX"
    assert secret_problem(token) is None
    assert "longer than" in secret_problem(token + "z")
    store = credentials_store(home)
    store.set("big.example", BearerToken(token))
    (entry,) = store.load().entries
    assert entry.credential.token == token
    assert mask(token) == "…Q7fX"
    cli = subprocess.run(
        [sys.executable, "-m", "pixi_auth_tui", "list"],
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(home)},
        cwd=ROOT,
    )
    assert cli.returncode == 0 and "…Q7fX" in cli.stdout and "zzzzzzzz" not in cli.stdout


def test_a_1_mb_token_in_the_keychain(keychain):
    token = "k" * (MAX_SECRET_CHARS - 4) + "abcd"
    keychain.set("big.example", BearerToken(token))
    (entry,) = keychain.load().entries
    assert entry.credential.token == token


def test_ten_thousand_netrc_machines(home):
    (home / ".netrc").write_text("".join(f"machine m{i}.example login user{i} password pw{i}\n" for i in range(10_000)))
    snap = NetrcStore(home / ".netrc").load()
    assert snap.state is StoreState.OK and len(snap.entries) == 10_000
    assert snap.entries[9_999].credential.password == "pw9999"
    inventory = load_inventory(make_env(home))
    assert inventory.resolve("https://m1234.example/x").row.entry.credential.username == "user1234"
