"""A keychain that is missing, unreachable, hung or locked is diagnosed in one line (issue 25,
item 3): in `list`'s store header, as an audit finding with its fix, and in `audit --json`.
Real parts: private D-Bus sessions (one with no Secret Service, one whose gnome-keyring is
stopped with SIGSTOP) and the private gnome-keyring."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import jsonschema
import pytest
import secretstorage
from jeepney.io.blocking import open_dbus_connection
from pixi_auth_tui.cli.main import main
from pixi_auth_tui.core.model import BearerToken
from pixi_auth_tui.engine.inventory import KEYCHAIN, load_inventory
from pixi_auth_tui.stores.base import StoreState
from pixi_auth_tui.stores.secretservice import CALL_TIMEOUT, SecretServiceStore
from pixi_auth_tui.system.paths import Environment

from tests.conftest import skip_unless_ci
from tests.keyring_daemon import BUS_CONFIG, KeyringDaemon, keyring_missing_reason

AUDIT_SCHEMA = json.loads(Path(__file__).with_name("audit.schema.json").read_text())


def env_without_bus(home: Path, **extra: str) -> Environment:
    return Environment(home=home, env={"HOME": str(home), **extra})


def audit_json(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict:
    for name in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    main(["audit", "--json"], out=out, err=io.StringIO())
    report = json.loads(out.getvalue())
    jsonschema.validate(report, AUDIT_SCHEMA)
    return report


def test_no_session_bus_is_one_line_with_the_plain_text_consequence(home, tmp_path, monkeypatch) -> None:
    inv = load_inventory(env_without_bus(home, XDG_RUNTIME_DIR=str(tmp_path)))
    snap = inv.snapshots[KEYCHAIN]
    assert snap.state is StoreState.UNAVAILABLE and snap.diagnosis == "no-session-bus"
    assert snap.message == "no D-Bus session; logins in plain text"
    assert "no DBUS_SESSION_BUS_ADDRESS, no $XDG_RUNTIME_DIR/bus" in snap.problems[0]
    out = io.StringIO()
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    main(["list"], out=out, err=io.StringIO())
    header = next(line for line in out.getvalue().splitlines() if " keychain " in line)
    assert header.endswith("(no D-Bus session; logins in plain text)")
    report = audit_json(monkeypatch, {"XDG_RUNTIME_DIR": str(tmp_path)})
    assert report["keychain"]["diagnosis"] == "no-session-bus" and "dbus-run-session" in report["keychain"]["fix"]
    finding = next(f for f in report["findings"] if f["code"] == "keychain-state")
    assert "Fix: run inside `dbus-run-session`" in finding["explanation"]


def test_the_user_bus_in_xdg_runtime_dir_is_used_as_libdbus_does(keychain, keyring_daemon: KeyringDaemon, home) -> None:
    """pixi's libdbus falls back to $XDG_RUNTIME_DIR/bus when DBUS_SESSION_BUS_ADDRESS is unset.
    (The shared daemon, emptied by `keychain`: this test only reads, nothing to lock or kill.)"""
    keychain.set("fallback.example", BearerToken("via-user-bus-0123456789"))
    inv = load_inventory(env_without_bus(home, XDG_RUNTIME_DIR=str(keyring_daemon.run_dir)))
    snap = inv.snapshots[KEYCHAIN]
    assert snap.state is StoreState.OK, snap.message
    assert [e.key for e in snap.entries] == ["fallback.example"]


def _private_bus_without_keychain(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    (root / "bus.conf").write_text(BUS_CONFIG)
    socket = root / "bus"
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={root / 'bus.conf'}", "--nofork", f"--address=unix:path={socket}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(2000):  # wait for the socket (a condition, not a time)
        if socket.exists() or bus.poll() is not None:
            break
        time.sleep(0.005)
    return bus, f"unix:path={socket}"


def test_a_bus_without_secret_service_and_a_stopped_daemon(own_daemon: KeyringDaemon, home, monkeypatch) -> None:
    if keyring_missing_reason():
        skip_unless_ci("keychain", keyring_missing_reason() or "")
    root = Path(tempfile.mkdtemp(prefix="pixi-auth-tui-nokeychain-"))
    bus, address = _private_bus_without_keychain(root)
    try:
        snap = SecretServiceStore(address).load()
        assert snap.diagnosis == "no-secret-service" and snap.message == "no keychain daemon; logins in plain text"
    finally:
        bus.terminate()
        bus.wait()
    # A Secret Service that never answers (its daemon stopped): a bounded wait, then one line.
    keyring = own_daemon.procs[1]
    keyring.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        snap = SecretServiceStore(own_daemon.address).load()
        waited = time.monotonic() - started
    finally:
        keyring.send_signal(signal.SIGCONT)
    assert snap.state is StoreState.UNAVAILABLE and snap.diagnosis == "not-answering", snap.message
    assert waited < CALL_TIMEOUT * 3  # bounded by the call timeout, never a hang
    assert "pixi would wait too" in snap.message and "within 10 s" in snap.problems[0]


def test_a_locked_collection_with_no_one_to_prompt(own_daemon: KeyringDaemon, home, monkeypatch) -> None:
    store = SecretServiceStore(own_daemon.address, can_prompt=False)
    store.set("locked.example", BearerToken("locked-away-0123456789"))
    conn = open_dbus_connection(bus=own_daemon.address)
    try:
        secretstorage.get_default_collection(conn).lock()
    finally:
        conn.close()
    report = audit_json(monkeypatch, {"DBUS_SESSION_BUS_ADDRESS": own_daemon.address})
    assert report["keychain"]["state"] == "locked" and report["keychain"]["diagnosis"] == "locked-no-prompter"
    finding = next(f for f in report["findings"] if f["code"] == "keychain-state")
    assert finding["severity"] == "warning" and "without limit" in finding["explanation"]
