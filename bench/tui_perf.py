"""UI and store performance: cold start, filter latency, peak memory, write latency.

    python bench/tui_perf.py [--repeats 5]

Entries are spread over RATTLER_AUTH_FILE, credentials.json, netrc and an in-memory keychain
(the real keychain's listing is measured by bench/keychain_list.py). Every run uses a fresh
temporary HOME; nothing of this machine's is read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_home(entries: int) -> Path:
    home = Path(tempfile.mkdtemp(prefix="pixi-auth-bench-"))
    per = max(1, entries // 4) if entries else 0
    creds = {f"host{i}.example.com": {"BearerToken": f"token-{i:08d}-" + "x" * 32} for i in range(per)}
    auth = {f"auth{i}.example.org": {"BasicHTTP": {"username": f"user{i}", "password": "p" * 20}} for i in range(per)}
    (home / ".rattler").mkdir(mode=0o700)
    (home / ".rattler" / "credentials.json").write_text(json.dumps(creds, separators=(",", ":")))
    (home / "auth.json").write_text(json.dumps(auth, separators=(",", ":")))
    (home / ".netrc").write_text("".join(f"machine net{i}.example.net login n{i} password pw{i}\n" for i in range(per)))
    keychain = [(f"kc{i}.example.io", json.dumps({"CondaToken": f"ct-{i:08d}"})) for i in range(entries - 3 * per)]
    (home / "keychain.json").write_text(json.dumps(keychain))
    return home


def environment(home: Path):
    from pixi_auth_tui.paths import Environment
    from pixi_auth_tui.stores.memory import MemoryKeychainStore

    keychain = MemoryKeychainStore([tuple(item) for item in json.loads((home / "keychain.json").read_text())])
    env = {
        "HOME": str(home),
        "RATTLER_AUTH_FILE": str(home / "auth.json"),
        "PIXI_NO_CONFIG": "1",
        "XDG_STATE_HOME": str(home / "state"),
    }
    return Environment(home=home, env=env, keychain=keychain)


# -- child processes (cold start, memory) ---------------------------------------------------


def child_app(home: Path) -> None:
    """Start the real app headless; exit on the first frame after every store is read."""
    from pixi_auth_tui.ui.app import AuthApp
    from pixi_auth_tui.ui.main_screen import MainScreen

    class MeasuredScreen(MainScreen):
        def show_inventory(self, inventory, message=None, select=None):
            super().show_inventory(inventory, message, select)
            self.app.call_after_refresh(self.app.exit)

    class Measured(AuthApp):
        def get_default_screen(self):
            return MeasuredScreen(self.environment, self.clock)

    Measured(environment(home)).run(headless=True, size=(160, 48))
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rss_mib": rss_kib / 1024}))


def child_bare() -> None:
    """A bare Textual app showing an empty table: the floor for cold start."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            self.call_after_refresh(self.exit)

    Bare().run(headless=True, size=(160, 48))
    print(json.dumps({"rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def timed_child(args: list[str], repeats: int) -> tuple[float, float]:
    """Median wall time and peak RSS of a fresh process, after one untimed warm-up run.

    Children may write bytecode caches (even under PYTHONDONTWRITEBYTECODE): an installed
    app has them from `pip install`, and Textual's own are already there, so both sides of
    the comparison start the way a user's would.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    times, rss = [], []
    for attempt in range(repeats + 1):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True, env=env)
        if attempt == 0:
            continue  # warm-up: caches and page cache
        times.append(time.perf_counter() - start)
        rss.append(json.loads(out.stdout.strip().splitlines()[-1])["rss_mib"])
    return statistics.median(times), max(rss)


# -- in-process measurements -------------------------------------------------------------------


async def filter_latency(home: Path, text: str) -> list[float]:
    """From a keystroke to the frame that shows its result (the app stamps the refresh)."""
    from pixi_auth_tui.ui.app import AuthApp
    from pixi_auth_tui.ui.widgets.credential_table import CredentialTable

    drawn: list[float] = []

    class StampedTable(CredentialTable):
        def render_rows(self, select=None) -> None:
            super().render_rows(select)
            self.call_after_refresh(lambda: drawn.append(time.perf_counter()))

    app = AuthApp(environment(home))
    # The table is composed by the main screen; measure it by swapping in the stamped one.
    import pixi_auth_tui.ui.main_screen as main_screen

    main_screen.CredentialTable = StampedTable
    latencies = []
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        for char in text:
            drawn.clear()
            start = time.perf_counter()
            await pilot.press(char)
            while not drawn:
                await pilot.pause()
            latencies.append(drawn[0] - start)
        table = app.main.table
        assert table.row_count == min(len(table.shown_rows), table.loaded)
    return latencies


def write_latency(repeats: int) -> list[tuple[str, float, float]]:
    from pixi_auth_tui.model import BearerToken
    from pixi_auth_tui.stores.jsonfile import JsonFileStore

    rows = []
    home = make_home(1000)
    for name, path in (("credentials.json (250 entries)", home / ".rattler/credentials.json"),):
        store = JsonFileStore("credentials", name, path)
        add, rotate = [], []
        for i in range(repeats * 4):
            start = time.perf_counter()
            store.set(f"new{i}.example", BearerToken("t"), expect=store.load().version)
            add.append(time.perf_counter() - start)
            start = time.perf_counter()
            store.set(f"new{i}.example", BearerToken("rotated"), expect=store.load().version)
            rotate.append(time.perf_counter() - start)
        rows.append((name, statistics.median(add), statistics.median(rotate)))
    try:
        from tests.keyring_daemon import KeyringDaemon, keyring_missing_reason
    except ImportError:
        return rows
    if keyring_missing_reason():
        return rows
    from pixi_auth_tui.stores.secretservice import SecretServiceStore

    daemon = KeyringDaemon()
    daemon.start()
    try:
        store = SecretServiceStore(daemon.address)
        for i in range(100):
            store.set(f"seed{i}.example", BearerToken("s"))
        add, rotate = [], []
        for i in range(repeats * 4):
            start = time.perf_counter()
            store.set(f"k{i}.example", BearerToken("t"))
            add.append(time.perf_counter() - start)
            start = time.perf_counter()
            store.set(f"k{i}.example", BearerToken("rotated"))
            rotate.append(time.perf_counter() - start)
        rows.append(("keychain (gnome-keyring, 100 items)", statistics.median(add), statistics.median(rotate)))
    finally:
        daemon.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", choices=("app", "bare"))
    parser.add_argument("--home")
    args = parser.parse_args()
    if args.child == "app":
        child_app(Path(args.home))
        return 0
    if args.child == "bare":
        child_bare()
        return 0

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    bare, bare_rss = timed_child(["--child", "bare"], args.repeats)
    print(f"\ncold start to first frame with every store read (median of {args.repeats}, includes imports)")
    print(f"  bare Textual app, empty table : {bare * 1000:7.0f} ms   peak RSS {bare_rss:6.1f} MiB")
    for entries in (0, 1000, 10000):
        home = make_home(entries)
        elapsed, rss = timed_child(["--child", "app", "--home", str(home)], args.repeats)
        print(
            f"  pixi-auth-tui, {entries:>6} entries: {elapsed * 1000:7.0f} ms   (+{(elapsed - bare) * 1000:5.0f} ms)"
            f"   peak RSS {rss:6.1f} MiB"
        )

    home = make_home(10000)
    latencies = asyncio.run(filter_latency(home, "host12"))
    print("\nfilter latency per keystroke over 10,000 rows (typing 'host12')")
    print("  " + "  ".join(f"{ms * 1000:.0f}" for ms in latencies) + " ms")
    print(f"  median {statistics.median(latencies) * 1000:.0f} ms, worst {max(latencies) * 1000:.0f} ms")

    print("\nwrite latency (median)")
    for name, add, rotate in write_latency(args.repeats):
        print(f"  {name:<38} add {add * 1000:6.1f} ms   rotate {rotate * 1000:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
