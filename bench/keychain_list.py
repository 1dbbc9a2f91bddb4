"""Keychain listing: our Secret Service store vs `secret-tool search --all service rattler`.

Starts a private D-Bus session with gnome-keyring (never your own), fills it with N items as
rattler writes them, then times, in interleaved pairs (the order alternating per pair), two
whole processes that list every rattler item with its secret:

- ours: a fresh interpreter running `SecretServiceStore.load()` (imports included);
- secret-tool: `secret-tool search --all --unlock service rattler` (libsecret).

Per side it prints the median wall time with its spread (min–max), the keychain daemon's
CPU time (the part a busy machine disturbs least), and the ratio per pair (median, min–max).
It also prints the D-Bus calls our listing makes and `load()` timed inside one process.
Needs: apt-get install gnome-keyring dbus libsecret-tools.

    python bench/keychain_list.py [--sizes 100 1000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jeepney import DBusAddress, new_method_call
from pixi_auth_tui.core.model import BearerToken, dumps_credential
from pixi_auth_tui.stores.secretservice import (
    BUS_NAME,
    COLLECTION_IFACE,
    SecretServiceStore,
    _encrypt,
    item_attributes,
    item_label,
)

from tests.keyring_daemon import KeyringDaemon, keyring_missing_reason

# Our side as a user runs it: a fresh interpreter, the store's imports, one listing.
OURS = (
    "import os, sys\n"
    "from pixi_auth_tui.stores.secretservice import SecretServiceStore\n"
    "snap = SecretServiceStore(os.environ['DBUS_SESSION_BUS_ADDRESS']).load()\n"
    "sys.stdout.write(f'{len(snap.entries)}\\n')\n"
)


def fill(store: SecretServiceStore, size: int) -> None:
    """N items exactly as rattler writes them (attributes, label, secret), created in one pipeline."""
    with store._bus() as bus:
        session = store._open_session(bus)
        collection = DBusAddress(store._default_collection(bus), BUS_NAME, COLLECTION_IFACE)
        calls = []
        for i in range(size):
            key = f"host{i}.example.com"
            properties = {
                "org.freedesktop.Secret.Item.Label": ("s", item_label(key)),
                "org.freedesktop.Secret.Item.Attributes": ("a{ss}", item_attributes(key)),
            }
            secret = dumps_credential(BearerToken(f"token-{i:06d}-" + "x" * 40)).encode()
            calls.append(
                new_method_call(
                    collection, "CreateItem", "a{sv}(oayays)b", (properties, _encrypt(session, secret), False)
                )
            )
        bus.call_many(calls)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(cmd: list[str], env: dict[str, str], keyring_pid: int) -> tuple[float, float, str]:
    cpu = cpu_seconds(keyring_pid)
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    return elapsed, cpu_seconds(keyring_pid) - cpu, out.stdout + out.stderr


def spread(values: list[float], fmt: str = ".3f") -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def run_size(size: int, repeats: int) -> None:
    daemon = KeyringDaemon()
    daemon.start()
    try:
        store = SecretServiceStore(daemon.address)
        fill(store, size)
        snap = store.load()
        assert len(snap.entries) == size and not snap.problems, snap.message
        calls = Counter(store.last_calls)
        in_process = []
        for _ in range(repeats):
            start = time.perf_counter()
            store.load()
            in_process.append(time.perf_counter() - start)

        env = daemon.env()  # without PYTHONDONTWRITEBYTECODE: our modules' bytecode is cached
        ours_cmd = [sys.executable, "-c", OURS]
        theirs_cmd = ["secret-tool", "search", "--all", "--unlock", "service", "rattler"]
        keyring_pid = daemon.procs[1].pid
        # One untimed run each: bytecode and page cache warm on both sides.
        assert timed(ours_cmd, env, keyring_pid)[2].strip() == str(size)
        listed = timed(theirs_cmd, env, keyring_pid)[2]
        assert listed.count("attribute.username = ") == size
        ours: list[tuple[float, float]] = []
        theirs: list[tuple[float, float]] = []
        for i in range(repeats):
            pair = [(ours, ours_cmd), (theirs, theirs_cmd)]
            for sink, cmd in pair if i % 2 == 0 else reversed(pair):
                elapsed, cpu, _ = timed(cmd, env, keyring_pid)
                sink.append((elapsed, cpu))
        ratios = [o[0] / t[0] for o, t in zip(ours, theirs, strict=True)]
        print(f"\n{size} items, {repeats} interleaved pairs; median (min–max)")
        for name, runs in (("ours, whole process", ours), ("secret-tool", theirs)):
            walls, cpu = [r[0] for r in runs], [r[1] for r in runs]
            print(f"  {name:<24}  {spread(walls)} s   daemon CPU {spread(cpu, '.2f')} s")
        print(f"  ratio ours / secret-tool  {spread(ratios, '.2f')}   (target ≤ 1.0)")
        print(f"  ours in-process load()    {spread(in_process)} s")
        print(f"  our D-Bus calls           {sum(calls.values())}: " + ", ".join(f"{n}× {c}" for c, n in calls.items()))
    finally:
        daemon.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    reason = keyring_missing_reason() or (None if shutil.which("secret-tool") else "secret-tool is not installed")
    if reason:
        print(f"cannot run: {reason} (apt-get install gnome-keyring dbus libsecret-tools)")
        return 1
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    for size in args.sizes:
        run_size(size, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
