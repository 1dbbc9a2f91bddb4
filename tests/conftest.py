"""Shared fixtures. Every test runs with a temporary HOME and no session bus, so nothing
here can read or write a developer's real `~/.rattler`, netrc, pixi config or keychain."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.paths import Environment
from tests.servers import RepoServer, start_repo_server

REAL_HOME = Path(os.path.expanduser("~")).resolve()
REAL_BUS = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
NO_BUS = "unix:path=/nonexistent/pixi-auth-tui-tests-have-no-session-bus"
SCRUBBED = (
    "RATTLER_AUTH_FILE",
    "NETRC",
    "PIXI_HOME",
    "PIXI_CONFIG_FILE",
    "PIXI_NO_CONFIG",
    "XDG_CONFIG_HOME",
    "DBUS_SESSION_BUS_ADDRESS",
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def refuse_real_home(path: Path) -> None:
    """A test must never touch the real home: stop it before it can."""
    resolved = path.resolve()
    if resolved == REAL_HOME or (REAL_HOME in resolved.parents and ".rattler" in resolved.parts):
        raise RuntimeError(f"refusing to run: test would touch the real home {REAL_HOME}")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    refuse_real_home(home)
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    return home


@pytest.fixture
def home(isolated: Path) -> Path:
    return isolated


def make_env(home: Path, **env: str) -> Environment:
    refuse_real_home(home)
    base = {"HOME": str(home), "DBUS_SESSION_BUS_ADDRESS": NO_BUS}
    base.update(env)
    return Environment(home=home, env=base)


# -- a real Secret Service ----------------------------------------------------------------


class KeyringDaemon:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pixi-auth-tui-keyring-"))
        self.run_dir = self.root / "run"
        self.run_dir.mkdir(mode=0o700)
        self.home = self.root / "home"
        self.home.mkdir()
        self.address = f"unix:path={self.run_dir / 'bus'}"
        self.procs: list[subprocess.Popen[bytes]] = []

    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.run_dir),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "DBUS_SESSION_BUS_ADDRESS": self.address,
        }

    def start(self) -> None:
        assert self.address != REAL_BUS
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", f"--address={self.address}"],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(bus)
        _wait_for(lambda: (self.run_dir / "bus").exists(), "dbus-daemon socket")
        keyring = subprocess.Popen(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground"],
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert keyring.stdin is not None
        keyring.stdin.write(b"test-password")
        keyring.stdin.close()
        self.procs.append(keyring)
        _wait_for(self._default_collection_ready, "gnome-keyring's unlocked login keyring")

    def _default_collection_ready(self) -> bool:
        # Read the alias only: secretstorage.get_default_collection would try to create
        # a collection (a prompt nobody answers) while the login keyring is being made.
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        conn = open_dbus_connection(bus=self.address)
        try:
            service = DBusAddress(
                "/org/freedesktop/secrets", "org.freedesktop.secrets", "org.freedesktop.Secret.Service"
            )
            reply = conn.send_and_get_reply(
                new_method_call(service, "ReadAlias", "s", ("default",)), timeout=2
            )
            return len(reply.body[0]) > 1
        finally:
            conn.close()

    def kill_keyring(self) -> None:
        self.procs[1].send_signal(signal.SIGKILL)
        self.procs[1].wait()

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def _wait_for(check, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # still starting
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {timeout}s")


def keyring_missing_reason() -> str | None:
    missing = [tool for tool in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        return f"needs {' and '.join(missing)} (apt-get install gnome-keyring dbus)"
    return None


@pytest.fixture(scope="session")
def keyring_daemon() -> Iterator[KeyringDaemon]:
    reason = keyring_missing_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI must run the keychain tests, but the machine {reason}")
        pytest.skip(reason)
    daemon = KeyringDaemon()
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture
def keychain(keyring_daemon: KeyringDaemon, monkeypatch: pytest.MonkeyPatch):
    """A SecretServiceStore on the private daemon, emptied of rattler items before each test."""
    from app.stores.secretservice import SecretServiceStore

    store = SecretServiceStore(keyring_daemon.address)
    wipe_rattler_items(keyring_daemon.address)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", keyring_daemon.address)
    return store


def wipe_rattler_items(address: str) -> None:
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    assert address != REAL_BUS
    conn = open_dbus_connection(bus=address)
    try:
        for item in secretstorage.search_items(conn, {"service": "rattler"}):
            item.delete()
    finally:
        conn.close()


# -- a real server and py-rattler as the reference reader ----------------------------------


@pytest.fixture(scope="session")
def repo_server() -> Iterator[RepoServer]:
    state, server = start_repo_server()
    yield state
    server.shutdown()


@pytest.fixture
def server(repo_server: RepoServer) -> RepoServer:
    repo_server.expect.clear()
    repo_server.seen.clear()
    return repo_server


RATTLER_ENV_NAMES = ("RATTLER_AUTH_FILE", "NETRC", "DBUS_SESSION_BUS_ADDRESS", "HOME")


def rattler_fetch(home: Path, cases: list[tuple[str, dict[str, str]]], bus: str = NO_BUS) -> list[str]:
    """Run py-rattler on each (url, env) case with HOME=home; returns 'OK' or 'ERR …' per case."""
    refuse_real_home(home)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "DBUS_SESSION_BUS_ADDRESS": bus,
        "XDG_CACHE_HOME": str(home / ".cache"),
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    payload = [
        {"url": url, "env": {name: case_env.get(name) for name in ("RATTLER_AUTH_FILE", "NETRC")}}
        for url, case_env in cases
    ]
    for _url, case_env in cases:
        assert "HOME" not in case_env and "DBUS_SESSION_BUS_ADDRESS" not in case_env
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("rattler_fetch.py"))],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    if not lines:
        raise AssertionError(f"py-rattler oracle failed: {proc.stderr[-2000:]}")
    return json.loads(lines[-1])
