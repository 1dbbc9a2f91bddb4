"""Shared fixtures. Every test runs with a temporary HOME and no session bus, so nothing
here can read or write a developer's real `~/.rattler`, netrc, pixi config or keychain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from pixi_auth_tui.core.redact import REDACTOR
from pixi_auth_tui.system.paths import Environment
from textual.widget import Widget

from tests.keyring_daemon import KeyringDaemon, keyring_missing_reason
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
    "XDG_RUNTIME_DIR",  # libdbus's fallback bus, $XDG_RUNTIME_DIR/bus: never the real user's
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
    REDACTOR.clear()  # secrets one test loaded must not hide text in the next one
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


def skip_unless_ci(what: str, reason: str) -> NoReturn:
    """Skip with the reason on a developer's machine; under CI, fail: CI never goes green by skipping."""
    if IN_CI:
        pytest.fail(f"CI must run the {what} tests, but this machine {reason}")
    pytest.skip(reason)


def running_daemon() -> Iterator[KeyringDaemon]:
    reason = keyring_missing_reason()
    if reason:
        skip_unless_ci("keychain", reason)
    daemon = KeyringDaemon()
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def keyring_daemon() -> Iterator[KeyringDaemon]:
    yield from running_daemon()


@pytest.fixture
def own_daemon() -> Iterator[KeyringDaemon]:
    """A daemon of the test's own, for tests that lock, kill or restart it."""
    yield from running_daemon()


@pytest.fixture
def keychain(keyring_daemon: KeyringDaemon, monkeypatch: pytest.MonkeyPatch):
    """A SecretServiceStore on the private daemon, emptied of rattler items before each test."""
    from pixi_auth_tui.stores.secretservice import SecretServiceStore

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


def rattler_fetch(
    home: Path,
    cases: list[tuple[str, dict[str, str]]],
    bus: str = NO_BUS,
    extra_env: dict[str, str] | None = None,
) -> list[str]:
    """Run py-rattler on each (url, env) case with HOME=home; returns 'OK' or 'ERR …' per case.

    `extra_env` is added to the process environment (e.g. `http_proxy` for the proxy oracle).
    """
    refuse_real_home(home)
    env = {
        **(extra_env or {}),
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


async def until(pilot, condition, what: str) -> None:
    """Wait for workers, watchers and servers, never a fixed time: the condition decides. The
    bound only ends a test that would otherwise hang: generous, so a loaded machine (CI's two
    cores running two workers, each with a keyring daemon and servers) never trips it."""
    give_up = time.monotonic() + 180
    while not condition():
        if time.monotonic() > give_up:
            raise AssertionError(f"never happened: {what}")
        await pilot.pause(0.01)


async def until_store_rows(pilot, store_id: str, count: int) -> None:
    """Wait until the main screen lists `count` entries of the store `store_id`."""

    def listed() -> bool:
        inventory = pilot.app.main.inventory
        return inventory is not None and sum(r.store.id == store_id for r in inventory.rows) == count

    await until(pilot, listed, f"{count} rows of {store_id}")


@pytest.fixture(scope="module")
def provider_server():
    """A local OIDC provider on 127.0.0.1 (tests/oidc_provider.py), one per test module."""
    from tests.oidc_provider import start_provider

    provider, server = start_provider()
    yield provider
    server.shutdown()


@pytest.fixture
def http_server():
    """A scripted HTTP server on 127.0.0.1 (tests/servers.py); yields its state (what it saw)."""
    from tests.servers import ScriptedServer, start_scripted_server

    state = ScriptedServer()
    server = start_scripted_server(state)
    yield state
    server.shutdown()


_SAID: weakref.WeakKeyDictionary[object, list[str]] = weakref.WeakKeyDictionary()


@pytest.fixture(autouse=True)
def _record_notifications(monkeypatch):
    """Every notification an app shows, kept for `said(app)`: through Textual's public `notify`,
    never its private list of notifications."""
    from textual.app import App

    shown = App.notify

    def notify(self, message, *args, **kwargs):
        _SAID.setdefault(self, []).append(str(message))
        return shown(self, message, *args, **kwargs)

    monkeypatch.setattr(App, "notify", notify)


def said(app) -> list[str]:
    """The messages `app` has notified, oldest first."""
    return list(_SAID.get(app, []))


def form_line(form: Widget, line_id: str) -> str:
    """What a form's hint, warning or error line says ("" while it has said nothing: the form
    mounts such a line only when it first has something to say)."""
    found = form.query(f"#{line_id}")
    return str(found.first().render()) if found and found.first().display else ""
