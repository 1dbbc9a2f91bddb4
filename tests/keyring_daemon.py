"""A private D-Bus session with an unlocked gnome-keyring: a real Secret Service that is
never the developer's own. Used by the tests and by bench/."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REAL_BUS = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <!-- the limits of Debian's session.conf, so the private bus behaves like a desktop's -->
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_incoming_unix_fds">250000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_outgoing_unix_fds">250000000</limit>
  <limit name="max_message_size">1000000000</limit>
  <limit name="service_start_timeout">120000</limit>
  <limit name="auth_timeout">240000</limit>
  <limit name="pending_fd_timeout">150000</limit>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_incomplete_connections">10000</limit>
  <limit name="max_connections_per_user">100000</limit>
  <limit name="max_pending_service_starts">10000</limit>
  <limit name="max_names_per_connection">50000</limit>
  <limit name="max_match_rules_per_connection">50000</limit>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
"""


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
        # No <servicedir>: nothing is D-Bus-activated, so only our keyring daemon (with the
        # secrets component) can own org.freedesktop.secrets — no race with a second one.
        config = self.root / "bus.conf"
        config.write_text(BUS_CONFIG)
        bus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", f"--address={self.address}"],
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
        # gnome-keyring answers the alias a moment before its service is steady: wait for
        # a few listings in a row to succeed.
        from pixi_auth_tui.stores.secretservice import SecretServiceStore

        store = SecretServiceStore(self.address)
        streak = 0

        def steady() -> bool:
            nonlocal streak
            streak = streak + 1 if store.load().state.value == "ok" else 0
            return streak >= 3

        _wait_for(steady, "gnome-keyring's Secret Service")

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
            reply = conn.send_and_get_reply(new_method_call(service, "ReadAlias", "s", ("default",)), timeout=2)
            return len(reply.body[0]) > 1
        finally:
            conn.close()

    def kill_keyring(self) -> None:
        self.procs[1].send_signal(signal.SIGKILL)
        self.procs[1].wait()

    def kill_bus(self) -> None:
        """Drop the D-Bus session itself: every connection to it breaks at once."""
        self.procs[0].send_signal(signal.SIGKILL)
        self.procs[0].wait()

    def restart(self) -> None:
        """Start bus and keyring again on the same address and keyring files (items kept)."""
        self._terminate()
        (self.run_dir / "bus").unlink(missing_ok=True)
        self.procs = []
        self.start()

    def stop(self) -> None:
        self._terminate()
        shutil.rmtree(self.root, ignore_errors=True)

    def _terminate(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
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
