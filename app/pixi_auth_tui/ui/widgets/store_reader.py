"""Reading every store for the main screen: at start, on `r`, when another program rewrites one
of the files shown, and after each write of ours (in the writing thread: see `read_and_tell`).

Every read runs in a thread (the event loop only draws). The reader tells its screen by messages
(ui/messages): `StoresRead` first, so the table shows at once, then `Audited` for the badge.
The read at start is the exception to the first message: the screen waits for it a moment
before its first frame (`FirstRead`), so that frame has the rows."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from textual import work
from textual.widget import Widget

from pixi_auth_tui.audit.findings import run_audit
from pixi_auth_tui.engine.inventory import FileSignature, Inventory, changed_files
from pixi_auth_tui.engine.operations import Outcome
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.messages import Audited, Said, Selection, StoresRead
from pixi_auth_tui.ui.reading import Read, read_stores

# `r`'s outcome: said once the stores are read, with what was found.
REREAD = Outcome("Re-read every store")

# How long the main screen's first frame waits for the read at start. Stores of a usual size are
# read well within it, and the first frame shows their rows: drawing the screen empty first, then
# again with the rows, cost a whole frame more, and the reading thread and the first drawing
# competed for the interpreter. A larger (or slower) read is shown when it is done, as any other.
FIRST_READ_PATIENCE = 0.1


class FirstRead:
    """Hands the read at start to the screen waiting for it, or, once the screen stopped
    waiting, leaves it to `StoresRead` like any other read: exactly one of the two shows it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._waiting = True
        self._read: asyncio.Future[Read] = loop.create_future()
        self.drawn = threading.Event()  # set by the screen once the rows are drawn (then the audit)

    def hand_over(self, read: Read) -> bool:
        """From the reading thread: True when the screen still waits, and takes `read`."""
        with self._lock:
            if not self._waiting:
                return False
            self._waiting = False
        try:
            self._loop.call_soon_threadsafe(self._deliver, read)
        except RuntimeError:  # the app's loop is closed: nothing will draw it
            return False
        return True

    def _deliver(self, read: Read) -> None:
        if not self._read.done():  # (not when the screen went away while waiting)
            self._read.set_result(read)

    async def wait(self, patience: float) -> Read | None:
        """On the event loop: the read, if it comes within `patience` seconds; else None (the
        reading thread then tells it by StoresRead)."""
        try:
            return await asyncio.wait_for(asyncio.shield(self._read), patience)
        except TimeoutError:
            if self._stop_waiting():
                return None
            return await self._read  # handed over as the patience ran out: it is on its way
        except asyncio.CancelledError:
            self._stop_waiting()
            raise

    def _stop_waiting(self) -> bool:
        """Stops waiting; True when nothing was handed over (so nothing will be)."""
        with self._lock:
            handed = not self._waiting
            self._waiting = False
        return not handed


class StoreReader(Widget):
    """Has nothing to show: it reads, watches the files and reports."""

    DEFAULT_CSS = "StoreReader { display: none; }"

    def __init__(self, environment: Environment, clock: Callable[[], float], watch_seconds: float) -> None:
        super().__init__()
        self.environment = environment
        self.clock = clock
        self.watch_seconds = watch_seconds  # how often files are checked for changes by other programs
        # What the screen shows now, set by it ("attributes down"): the files are compared with it.
        self.inventory: Inventory | None = None
        self.probe_state: ProbeState | None = None  # made by the first read (it reads a file)
        self.checking_files = False  # a look at the files for changes is under way
        self.files_checked = 0  # looks at the files for changes so far
        self._first: FirstRead | None = None  # the read at start (load_first)

    def on_mount(self) -> None:
        self.set_interval(self.watch_seconds, self._watch_files)

    def probes(self) -> ProbeState:
        """The connection tests' state (test URLs and results), made when first needed."""
        if self.probe_state is None:
            self.probe_state = ProbeState.default(self.environment.env)
        return self.probe_state

    def backup_dir(self) -> Path:
        """Where a move or a fix keeps what it replaced (private, beside the tests' state)."""
        state = self.probe_state or ProbeState.default(self.environment.env)
        return state.path.parent / "backups"

    @work(thread=True, exclusive=True, group="load", description="load stores")
    def load(self, outcome: Outcome | None = None, select: Selection = None, first: FirstRead | None = None) -> None:
        self.read_and_tell(outcome, select, first)

    async def load_first(self) -> Read | None:
        """Starts the read at start. Returns it when it is done within FIRST_READ_PATIENCE, for
        the screen's first frame (the screen calls `first_drawn` once it is drawn); else None,
        and StoresRead tells it when it is done."""
        self._first = FirstRead(asyncio.get_running_loop())
        self.load(first=self._first)
        return await self._first.wait(FIRST_READ_PATIENCE)

    def first_drawn(self) -> None:
        """The rows `load_first` returned are drawn: the reading thread goes on to the audit."""
        if self._first is not None:
            self._first.drawn.set()

    def read_and_tell(self, outcome: Outcome | None, select: Selection, first: FirstRead | None = None) -> None:
        """From a worker thread: the table first, then the audit badge (the audit of 10,000
        entries takes tens of milliseconds, and nobody should wait for it to see the table).

        A write calls this in its own thread right after writing: nothing can run between the
        write and the read, so the table never shows the stores as they were before it, and
        a look at the files meanwhile cannot take our own write for another program's."""
        read = read_stores(self.environment)
        probes = self.probes()
        if first is not None and first.hand_over(read):
            drawn = first.drawn  # the screen waiting for its first frame shows it
        else:
            shown = StoresRead(read, probes, select)
            if not self.post_message(shown):
                return  # the app is closing: nothing will draw it (and no frame to wait for)
            if outcome is not None:
                self.post_message(self._said(outcome, read.inventory))
            drawn = shown.drawn
        # The audit waits for the table's frame: on two cores it would otherwise compete with
        # the first drawing of the rows.
        drawn.wait(timeout=5)
        home, now = self.environment.home, self.clock()
        self.post_message(Audited(run_audit(read.inventory, home, probes, now=now, backup_dir=self.backup_dir())))

    def _said(self, outcome: Outcome, inventory: Inventory) -> Said:
        """What a read tells the person: what it found (`r`), or how the write before it went."""
        if outcome is REREAD:
            entries = present.plural(len(inventory.rows), "entry")
            return Said(f"Re-read {present.plural(len(inventory.stores), 'store')}: {entries}.", timeout=4)
        text = present.tilde(outcome.message, self.environment.home)
        return Said(text, "information" if outcome.ok else "warning", timeout=8)

    async def _watch_files(self) -> None:
        """Another program (say `pixi auth login`) may rewrite a file while we show it.

        The files are looked at in a thread of asyncio's, not in a Textual worker: on a real
        terminal each worker's start and end redrew the whole screen while a dialog was open
        (checked on Textual 8.2; bench/tui_perf.py measures the bytes sent while idle)."""
        busy = any(w.group in ("load", "write") and w.is_running for w in self.workers)
        inventory = self.inventory
        if inventory is None or busy or self.checking_files:
            return
        # The thread gets the stores (a handful) and the files' signatures, never the inventory.
        stores, signature = list(inventory.stores), inventory.files
        self.checking_files = True
        try:
            changed = await asyncio.to_thread(changed_files, stores, signature)
        finally:
            self.checking_files = False
        self.files_checked += 1
        if changed:
            self._reload_if_current(signature, ", ".join(s.name for s in changed))

    def _reload_if_current(self, signature: FileSignature, names: str) -> None:
        if self.inventory is not None and self.inventory.files is signature:  # not reloaded meanwhile
            self.load(Outcome(f"{names} changed on disk (another program wrote it); reloaded"))
