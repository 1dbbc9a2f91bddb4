"""Keychain listing: our Secret Service store vs `secret-tool search --all service rattler`.

Starts a private D-Bus session with gnome-keyring (never your own), fills it with N rattler
items, and prints wall time (median of repeats) and D-Bus round trips for each.
Needs: apt-get install gnome-keyring dbus libsecret-tools.

    python bench/keychain_list.py [--sizes 100 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pixi_auth_tui.model import BearerToken
from pixi_auth_tui.stores.secretservice import SecretServiceStore

from tests.keyring_daemon import KeyringDaemon, keyring_missing_reason


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def secret_tool_listing(daemon: KeyringDaemon) -> int:
    out = subprocess.run(
        ["secret-tool", "search", "--all", "--unlock", "service", "rattler"],
        env=daemon.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return (out.stdout + out.stderr).count("attribute.username = ")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    reason = keyring_missing_reason()
    if reason:
        print(f"cannot run: {reason}")
        return 1
    has_secret_tool = shutil.which("secret-tool") is not None
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"{'items':>6}  {'ours (s)':>9}  {'D-Bus calls':>11}  {'secret-tool (s)':>15}  {'ratio':>6}")
    for size in args.sizes:
        daemon = KeyringDaemon()
        daemon.start()
        try:
            store = SecretServiceStore(daemon.address)
            for i in range(size):
                store.set(f"host{i}.example.com", BearerToken(f"token-{i:06d}-" + "x" * 40))
            snap = store.load()
            assert len(snap.entries) == size, snap.message
            ours = median_time(store.load, args.repeats)
            calls = store.last_call_count
            if has_secret_tool:
                assert secret_tool_listing(daemon) == size
                theirs = median_time(lambda d=daemon: secret_tool_listing(d), args.repeats)
                print(f"{size:>6}  {ours:>9.3f}  {calls:>11}  {theirs:>15.3f}  {ours / theirs:>6.2f}")
            else:
                print(f"{size:>6}  {ours:>9.3f}  {calls:>11}  {'(not installed)':>15}")
        finally:
            daemon.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
