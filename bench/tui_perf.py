"""The terminal UI beside its floors (issue 16): cold start, filter latency, peak memory.

    python bench/tui_perf.py [--repeats 5] [--only start keychain huge filter memory]

Cold start is whole-process and on a REAL pseudo-terminal: `python -m pixi_auth_tui` and a bare
Textual app (an App with an empty DataTable) are started alternately on a pty of 160×48, and
the bench reads what they draw. "Ready" is the moment the pty shows a row of the table (a key
the bench stored); then the bench presses `/` and waits for the filter box to show that it has
the focus (its placeholder tells how to leave it), so the app provably takes a key. The bare
app's column header is its ready mark and `/` adds a second column. Each figure is the median
over paired runs, with the spread (min–max) of the per-pair gaps beside it. The gap is split
into our first frame over the bare app's answer, the rows after it, and the answer to `/`; and
each process's CPU time (user + system, from wait4, until the bench stops it right after the
answer) is printed too: the machine's other load moves it far less than wall time.

With a keychain, a private gnome-keyring (own D-Bus session, never yours) holds the items, and
the keychain floor — a fresh process doing one SearchItems and one batched GetSecrets, timed
from connect to last reply — is measured in the same run, interleaved. Beside it the bench
prints what it can see of our run from outside: the app's timing line (PIXI_AUTH_TUI_TIMINGS:
when the keychain listing started and ended, when the stores were read; perf_counter, which
every process on Linux shares), the first frame and rows on the pty, gnome-keyring's CPU, and
the per-item attribute reads the floor leaves out (timed in the floor's process, apart).

Filter latency is on a real pty too, over 100,000 rows, paired in one run with a bare Textual
app that has the same table (a LineTable of the same rows) under a filter box scanning every
row's text: from writing a key to the end of the last frame it caused, as the terminal received
it (the bench answers Textual's synchronized-output query, so each frame ends with a mark).

Memory is the peak RSS (VmHWM) of the real UI process on the pty, at 100,000 entries, after
the table is shown, filtered and the audit has run.

Every run uses a fresh temporary HOME; nothing of this machine's is read.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (160, 48)
APP_ROW = re.compile(rb"(?:auth|host|net|kc)\d+\.example\.(?:org|com|net|io)")
APP_KEY_ANSWER = b"Esc clears"  # the focused filter box's placeholder (FilterBox.TYPING), drawn once `/` is taken
BARE_ROW = b"BARE-READY"
BARE_KEY_ANSWER = b"KEY-ACCEPTED"
FIRST_FRAME = b"pixi-auth-tui"  # the header's title: the first frame of our app


# -- data -------------------------------------------------------------------------------------


def make_home(files: int) -> Path:
    """A HOME with `files` entries spread over RATTLER_AUTH_FILE, credentials.json and netrc."""
    home = Path(tempfile.mkdtemp(prefix="pixi-auth-bench-"))
    per = files // 3
    auth = {f"auth{i}.example.org": {"BasicHTTP": {"username": f"user{i}", "password": "p" * 20}} for i in range(per)}
    creds = {f"host{i}.example.com": {"BearerToken": f"token-{i:08d}-" + "x" * 32} for i in range(files - 2 * per)}
    (home / ".rattler").mkdir(mode=0o700)
    (home / ".rattler" / "credentials.json").write_text(json.dumps(creds, separators=(",", ":")))
    (home / "auth.json").write_text(json.dumps(auth, separators=(",", ":")))
    (home / ".netrc").write_text("".join(f"machine net{i}.example.net login n{i} password pw{i}\n" for i in range(per)))
    return home


def app_env(home: Path, bus: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "RATTLER_AUTH_FILE": str(home / "auth.json"),
        "PIXI_NO_CONFIG": "1",
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    if bus:
        env["DBUS_SESSION_BUS_ADDRESS"] = bus
    # Children may write bytecode (this machine sets PYTHONDONTWRITEBYTECODE): an installed app
    # has it from `pip install`, as Textual has; one untimed warm-up run per case fills it.
    return env


def start_keyring(items: int):  # -> KeyringDaemon
    from pixi_auth_tui.core.model import CondaToken
    from pixi_auth_tui.stores.secretservice import SecretServiceStore

    from tests.keyring_daemon import KeyringDaemon

    daemon = KeyringDaemon()
    daemon.start()
    store = SecretServiceStore(daemon.address, daemon.root / "locks" / "keychain.lock")  # locks: a folder of ours
    for i in range(items):
        store.set(f"kc{i}.example.io", CondaToken(f"ct-{i:08d}-" + "y" * 40))
    snap = store.load()
    assert len(snap.entries) == items, snap.message
    return daemon


# -- a real pseudo-terminal ------------------------------------------------------------------


@dataclass
class PtyRun:
    started: float = 0.0  # perf_counter at the start (Linux: the same clock in every process)
    first: float | None = None  # first frame (our header, or the bare app's table)
    ready: float | None = None  # a table row on screen
    answered: float | None = None  # the answer to `/` on screen
    rss_mib: float | None = None
    cpu: float | None = None  # the process's CPU time (user + system), until the bench stops it

    output: bytearray = field(default_factory=bytearray)


def run_on_pty(
    argv: list[str],
    env: dict[str, str],
    cwd: Path,
    first: re.Pattern[bytes],
    ready: re.Pattern[bytes],
    answer: bytes,
    after: Callable[[int, PtyRun], None] | None = None,
    timeout: float = 180.0,
) -> PtyRun:
    """Start `argv` on a fresh pty; time the first frame, a table row, and the answer to `/`."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True, close_fds=True
    )
    os.close(slave)
    run = PtyRun(started=start)
    deadline = start + timeout
    try:
        while run.answered is None:
            if time.perf_counter() > deadline or proc.poll() is not None:
                tail = bytes(run.output[-2000:]).decode(errors="replace")
                raise RuntimeError(f"{argv} never answered (exit {proc.poll()}); last output:\n{tail}")
            readable, _, _ = select.select([master], [], [], 0.5)
            if not readable:
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:
                continue
            now = time.perf_counter() - start
            seen = len(run.output)
            run.output += chunk
            window = bytes(run.output[max(0, seen - 200) :])  # a mark may straddle two reads
            if run.first is None and first.search(window):
                run.first = now
            if run.ready is None and ready.search(window):
                run.ready = now
                os.write(master, b"/")
            elif run.ready is not None and answer in window:
                run.answered = now
        if after is not None:
            after(master, run)
        run.rss_mib = peak_rss_mib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)  # only the process this bench started
        run.cpu = reap(proc)
        os.close(master)
    return run


def reap(proc: subprocess.Popen[bytes]) -> float | None:
    """Wait for `proc` (killed after 10 s) and return its CPU time, user + system, from wait4:
    a figure the other processes on the machine barely move. It runs until the bench's SIGTERM,
    sent as soon as the answer to `/` is seen (Textual installs no SIGTERM handler)."""
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    return None


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def pump(master: int, seconds: float) -> None:
    """Read (and drop) what the app draws for `seconds`: a pty that is not read blocks its writer.
    (The filter box's cursor blinks, so the screen is never quiet for long.)"""
    end = time.perf_counter() + seconds
    while (left := end - time.perf_counter()) > 0:
        readable, _, _ = select.select([master], [], [], left)
        if readable:
            try:
                os.read(master, 1 << 16)
            except OSError:
                return


APP_ARGV = [sys.executable, "-m", "pixi_auth_tui"]
BARE_ARGV = [sys.executable, __file__, "--child", "bare"]


def run_app(
    home: Path, bus: str | None, after: Callable[[int, PtyRun], None] | None = None, timings: Path | None = None
) -> PtyRun:
    env = app_env(home, bus)
    if timings is not None:
        env["PIXI_AUTH_TUI_TIMINGS"] = str(timings)  # one line per read of the stores (ui/reading.py)
    return run_on_pty(APP_ARGV, env, home, re.compile(re.escape(FIRST_FRAME)), APP_ROW, APP_KEY_ANSWER, after)


def first_timing_line(path: Path) -> dict[str, float]:
    line = json.loads(path.read_text().splitlines()[0])
    path.unlink()
    return line


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ns(pid: int) -> int:
    """CPU time all of a process's threads have run so far, in ns (schedstat: finer than the
    clock ticks of /proc/PID/stat)."""
    return sum(int(task.joinpath("schedstat").read_text().split()[0]) for task in Path(f"/proc/{pid}/task").iterdir())


def run_bare(home: Path) -> PtyRun:
    mark = re.compile(re.escape(BARE_ROW))
    return run_on_pty(BARE_ARGV, app_env(home, None), home, mark, mark, BARE_KEY_ANSWER)


def child_bare() -> None:
    """The floor: a bare Textual app with an empty DataTable (its header is the ready mark)."""
    from textual.app import App, ComposeResult
    from textual.binding import BindingType
    from textual.widgets import DataTable

    class Bare(App[None]):
        BINDINGS: ClassVar[list[BindingType]] = [("slash", "mark", "mark")]

        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            self.query_one(DataTable).add_column(BARE_ROW.decode())

        def action_mark(self) -> None:
            self.query_one(DataTable).add_column(BARE_KEY_ANSWER.decode())

    Bare().run()


def child_keychain_floor(bus: str) -> None:
    """The keychain floor: connect, one SearchItems, a plain session, one batched GetSecrets."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    start = time.perf_counter()
    conn = open_dbus_connection(bus=bus)
    service = DBusAddress("/org/freedesktop/secrets", "org.freedesktop.secrets", "org.freedesktop.Secret.Service")
    unlocked, _locked = conn.send_and_get_reply(
        new_method_call(service, "SearchItems", "a{ss}", ({"service": "rattler"},)), timeout=30
    ).body
    _out, session = conn.send_and_get_reply(
        new_method_call(service, "OpenSession", "sv", ("plain", ("s", ""))), timeout=30
    ).body
    (secrets,) = conn.send_and_get_reply(
        new_method_call(service, "GetSecrets", "aoo", (unlocked, session)), timeout=30
    ).body
    elapsed = time.perf_counter() - start
    conn.close()
    assert len(secrets) == len(unlocked)
    # Not part of the floor: what it leaves out, the one attribute read per item that yields
    # each item's key (pipelined, on a connection of its own, by the app's own client).
    from pixi_auth_tui.stores.secretservice import _Bus

    start = time.perf_counter()
    attribute_bus = _Bus(bus)
    attributes, _ = attribute_bus.get_attributes(unlocked)
    attribute_seconds = time.perf_counter() - start
    attribute_bus.close()
    assert len(attributes) == len(unlocked)
    print(json.dumps({"seconds": elapsed, "items": len(secrets), "attribute_reads": attribute_seconds}))


def keychain_floor(bus: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", "floor", "--bus", bus], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


# -- reporting --------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def spread(values: list[float]) -> str:
    return f"median {ms(statistics.median(values))} (spread {ms(min(values))} … {ms(max(values))})"


def verdict(value: float, target: float) -> str:
    return f"target ≤ {ms(target)}: {'met' if value <= target else 'NOT met'}"


# -- cold start ------------------------------------------------------------------------------


def bench_start(repeats: int, files: int) -> None:
    home = make_home(files)
    empty = Path(tempfile.mkdtemp(prefix="pixi-auth-bench-empty-"))
    daemon = start_keyring(0)  # a desktop has a keychain: an empty one, so only files count
    try:
        run_bare(empty), run_app(home, daemon.address)  # warm-up: bytecode and page cache
        bare, app, gaps, first, rows, answer, cpu_bare, cpu_app = [], [], [], [], [], [], [], []
        for _ in range(repeats):
            b = run_bare(empty)
            a = run_app(home, daemon.address)
            assert b.answered and b.ready and a.answered and a.ready and a.first and a.cpu and b.cpu
            cpu_bare.append(b.cpu)
            cpu_app.append(a.cpu)
            answer.append(a.answered - a.ready)
            bare.append(b.answered)
            app.append(a.answered)
            gaps.append(a.answered - b.answered)
            first.append(a.first - b.answered)
            rows.append(a.ready - a.first)
    finally:
        daemon.stop()
        shutil.rmtree(home, ignore_errors=True)
    print(f"\ncold start to an interactive table, {files:,} file entries, pty {SIZE[0]}×{SIZE[1]}, {repeats} pairs")
    print(f"  bare Textual app (empty DataTable) : {spread(bare)}")
    print(f"  pixi-auth-tui                      : {spread(app)}")
    print(f"  gap (pairwise)                     : {spread(gaps)}   {verdict(statistics.median(gaps), 0.100)}")
    print(f"    of it: our first frame over bare  : {spread(first)}  (imports, our screen)")
    print(f"    then: first frame to rows on pty  : {spread(rows)}  (reading the stores, the rows)")
    print(f"    then: rows to the answer to `/`   : {spread(answer)}  (the focus in the filter box)")
    cpu_gaps = [a - b for a, b in zip(cpu_app, cpu_bare, strict=True)]
    print(f"  CPU time of the process, bare      : {spread(cpu_bare)}  (user + system, until stopped)")
    print(f"  CPU time of the process, ours      : {spread(cpu_app)}")
    print(f"  CPU gap (pairwise)                 : {spread(cpu_gaps)}")


def bench_keychain(repeats: int, items: int) -> None:
    empty = Path(tempfile.mkdtemp(prefix="pixi-auth-bench-empty-"))
    home = make_home(0)
    (home / "auth.json").unlink()  # keychain only
    timings = home / "timings.jsonl"
    started = time.perf_counter()
    daemon = start_keyring(items)
    keyring_pid = daemon.procs[1].pid
    print(f"\n(filled a private gnome-keyring with {items:,} items in {time.perf_counter() - started:.1f} s)")
    try:
        run_bare(empty), run_app(home, daemon.address), keychain_floor(daemon.address)
        bare, floor, app, gaps, first, rows = [], [], [], [], [], []
        listing_start, listing, read_end, attribute_reads, daemon_app, daemon_floor = [], [], [], [], [], []
        for _ in range(repeats):
            b = run_bare(empty)
            cpu = cpu_seconds(keyring_pid)
            f = keychain_floor(daemon.address)
            daemon_floor.append(cpu_seconds(keyring_pid) - cpu)
            cpu = cpu_seconds(keyring_pid)
            a = run_app(home, daemon.address, timings=timings)
            daemon_app.append(cpu_seconds(keyring_pid) - cpu)
            assert b.answered and a.answered and a.first and a.ready
            line = first_timing_line(timings)
            bare.append(b.answered)
            floor.append(f["seconds"])
            attribute_reads.append(f["attribute_reads"])
            app.append(a.answered)
            gaps.append(a.answered - b.answered - f["seconds"])
            first.append(a.first)
            rows.append(a.ready)
            listing_start.append(line["keychain_start"] - a.started)
            listing.append(line["keychain_end"] - line["keychain_start"])
            read_end.append(line["read_end"] - a.started)
    finally:
        daemon.stop()
        shutil.rmtree(home, ignore_errors=True)
    print(f"cold start to an interactive table, {items:,} items in a real gnome-keyring, {repeats} rounds")
    print(f"  bare Textual app                   : {spread(bare)}")
    print(f"  keychain floor (Search+GetSecrets) : {spread(floor)}")
    print(f"  pixi-auth-tui                      : {spread(app)}")
    print(f"  gap over bare + floor (per round)  : {spread(gaps)}   {verdict(statistics.median(gaps), 0.100)}")
    print("    our run, from its start (the app's timing line, PIXI_AUTH_TUI_TIMINGS, and the pty):")
    print(f"    keychain listing starts at       : {spread(listing_start)}")
    print(f"    keychain listing takes           : {spread(listing)}")
    print(f"    stores read, rows built at       : {spread(read_end)}")
    print(f"    first frame on the pty at        : {spread(first)}")
    print(f"    first rows on the pty at         : {spread(rows)}")
    print(f"    gnome-keyring CPU during our run : {spread(daemon_app)}")
    print("  not in the floor: one Get Attributes per item (the only place an item's key is), pipelined")
    print(f"    on a fresh connection            : {spread(attribute_reads)}")
    print(f"    gnome-keyring CPU, floor + these : {spread(daemon_floor)}")


def bench_huge(repeats: int, files: int) -> None:
    home = make_home(files)
    empty = Path(tempfile.mkdtemp(prefix="pixi-auth-bench-empty-"))
    daemon = start_keyring(0)
    try:
        run_bare(empty), run_app(home, daemon.address)
        bare, first, ready = [], [], []
        for _ in range(repeats):
            b = run_bare(empty)
            a = run_app(home, daemon.address)
            assert b.answered and a.first and a.answered
            bare.append(b.answered)
            first.append(a.first)
            ready.append(a.answered)
    finally:
        daemon.stop()
        shutil.rmtree(home, ignore_errors=True)
    print(f"\ncold start at {files:,} file entries, {repeats} pairs")
    print(f"  bare Textual app                   : {spread(bare)}")
    print(f"  pixi-auth-tui, first frame         : {spread(first)}   {verdict(statistics.median(first), 1.0)}")
    gaps = [r - b for r, b in zip(ready, bare, strict=True)]
    print(f"  pixi-auth-tui, interactive table   : {spread(ready)}   (bare + {ms(statistics.median(gaps))})")


def bench_memory(files: int) -> None:
    home = make_home(files)
    daemon = start_keyring(0)

    def filter_then_settle(master: int, run: PtyRun) -> None:
        for char in b"host1":
            os.write(master, bytes([char]))
            pump(master, 0.3)
        os.write(master, b"\x7f")
        pump(master, 4.0)  # the audit and watcher rounds run meanwhile

    try:
        run = run_app(home, daemon.address, after=filter_then_settle)
    finally:
        daemon.stop()
        shutil.rmtree(home, ignore_errors=True)
    assert run.rss_mib is not None
    verdict_text = "met" if run.rss_mib <= 250 else "NOT met"
    print(f"\npeak RSS of the UI process at {files:,} entries (shown, filtered, audited)")
    print(f"  {run.rss_mib:.1f} MiB   target ≤ 250 MB: {verdict_text}")


# -- filter latency --------------------------------------------------------------------------


FILTER_KEYS = [
    *b"host12",
    *[0x7F] * 6,
    *b"user7",
    *[0x7F] * 5,
    *b"example.org",
    *[0x7F] * 11,
]
KEY_WINDOW = 0.45  # seconds a keystroke's frames are read for (the cursor blinks 0.5 s after a key)


def filter_floor_argv(home: Path) -> list[str]:
    return [sys.executable, __file__, "--child", "filter-floor", "--home", str(home)]


def child_filter_floor(home: Path) -> None:
    """The floor: a bare Textual app with a filter box over the same table (a LineTable of the
    same rows), filtering with a plain substring scan of every row's text at each keystroke."""
    from pixi_auth_tui.ui.widgets.credential_table import COLUMNS
    from pixi_auth_tui.ui.widgets.line_table import LineTable
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    rows: list[tuple[str, ...]] = []
    for key, value in json.loads((home / "auth.json").read_text()).items():
        rows.append((key, "user+pass", "override file", "active", value["BasicHTTP"]["username"], "", ""))
    for key in json.loads((home / ".rattler" / "credentials.json").read_text()):
        rows.append((key, "bearer", "credentials.json", "active", "…xxxx", "", ""))
    for line in (home / ".netrc").read_text().splitlines():
        words = line.split()
        rows.append((words[1], "user+pass", "netrc", "active", words[3], "", ""))
    texts = [" ".join(row).lower() for row in rows]

    class Floor(App[None]):
        def compose(self) -> ComposeResult:
            yield Input(placeholder="filter: key, kind, store, username")
            yield LineTable()

        def on_mount(self) -> None:
            self.query_one(LineTable).set_columns(COLUMNS)
            self.show("")

        def show(self, needle: str) -> None:
            shown = [row for row, text in zip(rows, texts, strict=True) if needle in text]
            self.query_one(LineTable).set_rows(len(shown), lambda i: [Text(cell) for cell in shown[i]])

        def on_input_changed(self, event: Input.Changed) -> None:
            self.show(event.value.lower())

    Floor().run()


def filter_keystrokes(argv: list[str], home: Path, open_box: bytes | None) -> dict[str, list[float]]:
    """Each keystroke of FILTER_KEYS: from writing it to the end of the last frame it caused."""
    from bench.pty_term import Terminal

    term = Terminal(argv, app_env(home, None), home, SIZE)
    try:
        term.wait_for(b"example.", timeout=300)  # a row on screen
        term.drain(1.5)  # the audit's badge, the first frames
        if open_box is not None:
            _, since = term.press(open_box)
            term.wait_for(APP_KEY_ANSWER, since)
            term.drain(0.6)
        latency, missing, frames = [], [], []
        for key in FILTER_KEYS:
            at, _ = term.press(bytes([key]))
            end = term.last_frame_within(at, KEY_WINDOW)
            frames.append(float(sum(1 for t, _ in term.frames if at < t <= at + KEY_WINDOW)))
            if end is None:
                missing.append(1.0)
            else:
                latency.append(end - at)
            term.drain(0.05)
        idle_bytes, idle_frames = term.bytes_within(6.0)  # the box focused, nobody types
    finally:
        term.close()
    return {"latency": latency, "missing": missing, "frames": frames, "idle": [idle_bytes / 6.0, idle_frames / 6.0]}


def bench_filter(files: int, repeats: int) -> None:
    home = make_home(files)
    ours: list[float] = []
    floor: list[float] = []
    idle: dict[str, list[float]] = {"ours": [], "floor": []}
    missing = {"ours": 0, "floor": 0}
    frames: dict[str, list[float]] = {"ours": [], "floor": []}
    try:
        for _ in range(repeats):
            f = filter_keystrokes(filter_floor_argv(home), home, None)
            o = filter_keystrokes(APP_ARGV, home, b"/")
            floor += f["latency"]
            ours += o["latency"]
            missing["floor"] += len(f["missing"])
            missing["ours"] += len(o["missing"])
            frames["floor"] += f["frames"]
            frames["ours"] += o["frames"]
            idle["floor"].append(f["idle"][0])
            idle["ours"].append(o["idle"][0])
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(
        f"\nfilter at {files:,} rows on a pty {SIZE[0]}×{SIZE[1]}: keystroke → end of its last frame as the "
        f"terminal received it ({len(FILTER_KEYS)} keystrokes × {repeats} runs, typing and backspace)"
    )
    for name, values in (("bare Textual app, same table (floor)", floor), ("pixi-auth-tui", ours)):
        if values:
            print(
                f"  {name:<38}: median {ms(statistics.median(values))}, worst {ms(max(values))}, "
                f"p90 {ms(sorted(values)[int(len(values) * 0.9)])}"
            )
    if ours:
        median, worst = statistics.median(ours), max(ours)
        print(
            f"  pixi-auth-tui: median {ms(median)} (target ≤ 16 ms: {'met' if median <= 0.016 else 'NOT met'}), "
            f"worst {ms(worst)} (target ≤ 50 ms: {'met' if worst <= 0.050 else 'NOT met'})"
        )
    print(
        "  frames per keystroke (a frame after the one with the rows is a wait the person sees): "
        + ", ".join(
            f"{name} median {statistics.median(values):.0f}, most {max(values):.0f}, "
            f"one frame {sum(v == 1 for v in values)}/{len(values)}"
            for name, values in frames.items()
            if values
        )
    )
    print(
        f"  keystrokes without a frame within {KEY_WINDOW * 1000:.0f} ms: "
        f"ours {missing['ours']}, floor {missing['floor']}"
    )
    print(
        "  idle 6 s, filter box focused, bytes/s: "
        f"ours {' '.join(f'{v:.0f}' for v in idle['ours'])}, floor {' '.join(f'{v:.0f}' for v in idle['floor'])} "
        "(both: the blinking cursor)"
    )


DIALOG_WINDOW = 3.0  # seconds the frames of opening a dialog are read for, at most
IDLE_SECONDS = 8.0


def dialog_floor_argv(home: Path, same_controls: bool = False, boxed: bool = True) -> list[str]:
    child = ("dialog-floor-same" if boxed else "dialog-floor-same-full") if same_controls else "dialog-floor"
    return [sys.executable, __file__, "--child", child, "--home", str(home)]


def open_dialog(argv: list[str], home: Path) -> tuple[float | None, float, tuple[int, int]]:
    """`n` → the end of the last frame of the dialog's opening, bytes/s while it is open, and
    the opening's bytes and frames."""
    from bench.pty_term import Terminal

    term = Terminal(argv, app_env(home, None), home, SIZE)
    try:
        term.wait_for(b"example.", timeout=120)
        term.drain(1.0, limit=5)
        at, before = term.press(b"n")
        end = term.last_frame_before_pause(at, 0.3, DIALOG_WINDOW)
        opening = [(t, size) for t, size in term.frames if at < t <= (end or at)]
        sent = (opening[-1][1] - before if opening else 0, len(opening))
        term.drain(0.6, limit=3)
        idle_bytes, _frames = term.bytes_within(IDLE_SECONDS)
    finally:
        term.close()
    return (None if end is None else end - at), idle_bytes / IDLE_SECONDS, sent


def bench_dialog(repeats: int, files: int) -> None:
    home = make_home(files)
    ours: list[float] = []
    floor: list[float] = []
    same: list[float] = []
    full: list[float] = []
    idle: dict[str, list[float]] = {"ours": [], "floor": [], "same": [], "full": []}
    sent: dict[str, list[tuple[int, int]]] = {"ours": [], "floor": [], "same": [], "full": []}
    cases = (
        ("floor", dialog_floor_argv(home), floor),
        ("same", dialog_floor_argv(home, same_controls=True), same),
        ("full", dialog_floor_argv(home, same_controls=True, boxed=False), full),
        ("ours", APP_ARGV, ours),
    )
    try:
        for _name, argv, _into in cases:  # warm-up
            open_dialog(argv, home)
        for _ in range(repeats):
            for name, argv, into in cases:
                took, rate, opening = open_dialog(argv, home)
                if took is not None:
                    into.append(took)
                idle[name].append(rate)
                sent[name].append(opening)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"\n`n` (add form) on a pty {SIZE[0]}×{SIZE[1]}, {files} entries: key → end of the opening's last frame")

    def said(name: str) -> str:
        kib = statistics.median(size for size, _ in sent[name]) / 1024
        return f"({kib:.0f} KiB in {statistics.median(n for _, n in sent[name]):.0f} frames)"

    print(f"  bare app, same table, a 3-input dialog          : {spread(floor)} {said('floor')}")
    print(f"  bare app, same table, the form's visible controls: {spread(same)} {said('same')}")
    print(f"    the same, filling the screen (no dimmed table) : {spread(full)} {said('full')}")
    print(f"  pixi-auth-tui                                   : {spread(ours)} {said('ours')}")
    gaps = [o - f for o, f in zip(ours, same, strict=False)]
    met = verdict(statistics.median(gaps), 0.030) if gaps else "no pairs"
    print(f"  gap to the same controls (pairwise)             : {spread(gaps)}   {met}")
    print(
        f"  idle {IDLE_SECONDS:.0f} s with the dialog open, bytes/s: ours "
        f"{' '.join(f'{v:.0f}' for v in idle['ours'])}; floor {' '.join(f'{v:.0f}' for v in idle['floor'])} "
        "(both: the blinking cursor)"
    )


KEYS = {  # key → what it opens, and the floor app's equivalent
    "n": ("add form", "same controls"),
    "e": ("edit form of the highlighted entry", "same controls"),
    "a": ("audit screen (the findings loaded)", "table screen"),
    "w": ("workspace screen (pixi.toml with two channels)", "table screen"),
    "?": ("help", "3-input dialog"),
    "/": ("the focus into the filter box above the table", "the focus into an input above the table"),
    "s": ("status screen (each host's verdict)", "table screen"),
    "down": ("the next row, and its detail pane", "the next row"),
}
KEY_BYTES = {"down": b"\x1b[B"}  # what the terminal sends for a key not spelled by its name


def keys_floor_argv(home: Path) -> list[str]:
    return [sys.executable, __file__, "--child", "keys-floor", "--home", str(home)]


def child_keys_floor(home: Path, n_controls: str = "add", boxed: bool = True) -> None:
    """The floors of `--only dialog keys`: a bare Textual app with the same table. Its n and e
    open a dialog with the controls our add and edit forms show (labelled inputs, Selects,
    buttons; an edit of a user name and password), ? a dialog of a title, three inputs and two
    buttons ("small"; n too with `n_controls="small"`), a, w and s a screen of a 12-row table,
    a text pane and a footer (what the audit, workspace and status screens show), / the focus
    moved into a one-line input standing above the table (Escape moves it back), as our filter
    box takes it, and the down arrow moves the table's cursor. (Before 2026-12-08's third
    session the floor's input, as ours, appeared on `/`.)

    A dialog is a bordered box centred over the dimmed table, as ours are (Textual's own modal
    example looks the same); `boxed=False` lets it fill the screen instead, which hides the
    table under it: Textual then neither tints nor re-sends the table (the floor before
    2026-12-08)."""
    from pixi_auth_tui.ui.widgets.credential_table import COLUMNS
    from pixi_auth_tui.ui.widgets.line_table import LineTable
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.binding import BindingType
    from textual.containers import Horizontal, Vertical
    from textual.screen import ModalScreen, Screen
    from textual.widgets import Button, Footer, Input, Label, Select, Static

    keys = list(json.loads((home / ".rattler" / "credentials.json").read_text()))

    class Dialog(ModalScreen[None]):
        BINDINGS: ClassVar[list[BindingType]] = [("escape", "dismiss", "Cancel"), ("ctrl+s", "dismiss", "Save")]
        DEFAULT_CSS = (
            """
        Dialog { align: center middle; }
        Dialog > Vertical {
            width: 74; max-width: 100%; height: auto; max-height: 100%;
            border: thick $primary; background: $surface; padding: 0 1;
        }
        Dialog Horizontal { height: auto; }
        """
            if boxed
            else ""
        )

        def __init__(self, controls: str) -> None:
            super().__init__()
            self.controls = controls

        def compose(self) -> ComposeResult:
            with Vertical():
                if self.controls == "add":
                    yield Label("Add a credential")
                    yield Label("Key")
                    yield Input()
                    yield Label("Kind")
                    yield Select([(k, k) for k in ("Bearer", "Conda", "Basic", "S3", "Sign in")], value="Bearer")
                    yield Label("Token")
                    yield Input(password=True)
                    yield Label("Store")
                    yield Select([(k, k) for k in ("keychain", "credentials.json", "auth file")], value="keychain")
                elif self.controls == "edit":
                    yield Label("Edit / rotate a host (Username + password) in credentials.json")
                    yield Label("Username")
                    yield Input(value="user0")
                    yield Label("Password")
                    yield Input(password=True, placeholder="leave empty to keep the current value")
                else:
                    yield Label("Add credential")
                    yield Input(placeholder="key")
                    yield Input(placeholder="token")
                if self.controls in ("add", "edit"):
                    yield Label("Test URL")
                    yield Input(placeholder="https://host/channel/noarch/repodata.json")
                    with Horizontal():
                        yield Button("Save")
                        yield Button("Test")
                        yield Button("Cancel")
                else:
                    yield Input(placeholder="test URL")
                    yield Button("Save")
                    yield Button("Cancel")
            yield Footer()

    class Report(Screen[None]):
        BINDINGS: ClassVar[list[BindingType]] = [("escape", "dismiss", "Back")]

        def compose(self) -> ComposeResult:
            yield LineTable()
            yield Static("details of the highlighted line\n" * 6)
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(LineTable)
            table.set_columns(("Host", "Verdict", "Why"))
            table.set_rows(12, lambda i: [Text(keys[i % len(keys)]), Text("ok"), Text("a reason " * 4)])
            table.focus()

    class Floor(App[None]):
        BINDINGS: ClassVar[list[BindingType]] = [
            ("n", f"dialog('{n_controls}')", "Add"),
            ("e", "dialog('edit')", "Edit"),
            ("question_mark", "dialog('small')", "Help"),
            ("a", "report", "Audit"),
            ("w", "report", "Workspace"),
            ("s", "report", "Status"),
            ("slash", "filter(True)", "Filter"),
            ("escape", "filter(False)", "Clear"),
        ]
        CSS = "#filter { height: 1; border: none; }"

        def compose(self) -> ComposeResult:
            yield Input(placeholder="filter", id="filter")
            yield LineTable()
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(LineTable)
            table.set_columns(COLUMNS)
            table.set_rows(len(keys), lambda i: [Text(keys[i]), Text("bearer"), Text("credentials.json")])
            table.focus()

        def action_dialog(self, controls: str) -> None:
            self.push_screen(Dialog(controls))

        def action_report(self) -> None:
            self.push_screen(Report())

        def action_filter(self, typing: bool) -> None:
            (self.query_one("#filter", Input) if typing else self.query_one(LineTable)).focus()

    Floor().run()


def key_times(argv: list[str], home: Path, rounds: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each key of KEYS pressed `rounds` times in one run of the app: key → end of the last frame
    of what it opened (Escape closes it between presses), and key → the CPU time the app used
    from the key to 0.3 s after that frame (what load on the machine does not stretch)."""
    from bench.pty_term import Terminal

    took: dict[str, list[float]] = {key: [] for key in KEYS}
    cpu: dict[str, list[float]] = {key: [] for key in KEYS}
    term = Terminal(argv, app_env(home, None), home, SIZE)
    try:
        term.wait_for(b"example.", timeout=120)
        term.drain(1.0, limit=5)
        for round_ in range(rounds + 1):  # round 0 warms each screen up (its first mount)
            for key in KEYS:
                before = cpu_ns(term.proc.pid)
                at, _ = term.press(KEY_BYTES.get(key, key.encode()))
                end = term.last_frame_before_pause(at, 0.3, DIALOG_WINDOW)
                if end is not None and round_ > 0:
                    took[key].append(end - at)
                    cpu[key].append((cpu_ns(term.proc.pid) - before) / 1e9)
                term.press(b"\x1b")
                term.drain(0.5, limit=3)
    finally:
        term.close()
    return took, cpu


def bench_keys(repeats: int, files: int) -> None:
    home = make_home(files)
    keys = list(json.loads((home / ".rattler" / "credentials.json").read_text()))
    (home / "pixi.toml").write_text(
        '[workspace]\nname = "bench"\nplatforms = ["linux-64"]\n'
        f'channels = ["https://{keys[0]}/one", "https://{keys[1]}/two"]\n'
    )
    floor: dict[str, list[float]] = {key: [] for key in KEYS}
    ours: dict[str, list[float]] = {key: [] for key in KEYS}
    floor_cpu: dict[str, list[float]] = {key: [] for key in KEYS}
    ours_cpu: dict[str, list[float]] = {key: [] for key in KEYS}
    try:
        for _ in range(repeats):  # interleaved: one floor run, one of ours
            for into, into_cpu, argv in ((floor, floor_cpu, keys_floor_argv(home)), (ours, ours_cpu, APP_ARGV)):
                took, cpu = key_times(argv, home, 3)
                for key in KEYS:
                    into[key].extend(took[key])
                    into_cpu[key].extend(cpu[key])
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"\neach key's screen on a pty {SIZE[0]}×{SIZE[1]}, {files} entries: key → end of its last frame")
    for key, (what, like) in KEYS.items():
        gap = statistics.median(ours[key]) - statistics.median(floor[key]) if ours[key] and floor[key] else None
        said = "no figure" if gap is None else f"gap {gap * 1000:+.0f} ms, {verdict(gap, 0.030)}"
        print(f"  {key!s:<2} {what:<48} floor ({like}) {spread(floor[key])}; ours {spread(ours[key])}; {said}")
        if ours_cpu[key] and floor_cpu[key]:
            cpu_gap = statistics.median(ours_cpu[key]) - statistics.median(floor_cpu[key])
            cpus = f"floor {spread(floor_cpu[key])}; ours {spread(ours_cpu[key])}"
            print(f"     CPU: {cpus}; gap {cpu_gap * 1000:+.0f} ms")


def write_latency(repeats: int) -> list[tuple[str, float, float]]:
    """Median add and rotate, on a file and on a real gnome-keyring (kept from the first benchmarks)."""
    from pixi_auth_tui.core.model import BearerToken
    from pixi_auth_tui.stores.jsonfile import JsonFileStore

    rows = []
    home = make_home(750)  # 250 entries in credentials.json
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
    from pixi_auth_tui.stores.secretservice import SecretServiceStore

    from tests.keyring_daemon import KeyringDaemon

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
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("start", "keychain", "huge", "filter", "dialog", "keys", "memory", "writes"),
        default=["start", "keychain", "huge", "filter", "dialog", "keys", "memory", "writes"],
    )
    children = (
        "bare",
        "floor",
        "filter-floor",
        "dialog-floor",
        "dialog-floor-same",
        "dialog-floor-same-full",
        "keys-floor",
    )
    parser.add_argument("--child", choices=children)
    parser.add_argument("--bus")
    parser.add_argument("--home", type=Path)
    args = parser.parse_args()
    if args.child == "bare":
        child_bare()
        return 0
    if args.child == "floor":
        child_keychain_floor(args.bus)
        return 0
    if args.child == "filter-floor":
        child_filter_floor(args.home)
        return 0
    if args.child == "keys-floor":
        child_keys_floor(args.home)
        return 0
    if args.child in ("dialog-floor", "dialog-floor-same", "dialog-floor-same-full"):
        controls = "small" if args.child == "dialog-floor" else "add"
        child_keys_floor(args.home, controls, boxed=args.child != "dialog-floor-same-full")
        return 0

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}")
    if "start" in args.only:
        bench_start(args.repeats, 1000)
    if "keychain" in args.only:
        bench_keychain(args.repeats, 1000)
    if "huge" in args.only:
        bench_huge(max(3, args.repeats // 2), 100_000)
    if "filter" in args.only:
        bench_filter(100_000, max(1, args.repeats // 2))
    if "dialog" in args.only:
        bench_dialog(args.repeats, 21)
    if "keys" in args.only:
        bench_keys(max(1, args.repeats // 2), 21)
    if "memory" in args.only:
        bench_memory(100_000)
    if "writes" in args.only:
        print("\nwrite latency (median)")
        for name, add, rotate in write_latency(args.repeats):
            print(f"  {name:<38} add {add * 1000:6.1f} ms   rotate {rotate * 1000:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
