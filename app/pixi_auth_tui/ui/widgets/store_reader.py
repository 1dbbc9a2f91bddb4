"""Reading every store for the main screen: at start, on `r`, when another program rewrites one
of the files shown, and after each write of ours (in the writing thread: see `read_and_tell`).

Every read runs in a thread (the event loop only draws). The reader tells its screen by messages
(ui/messages): `StoresRead` first, so the table shows at once, then `Audited` for the badge."""

from __future__ import annotations

import asyncio
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
from pixi_auth_tui.ui.reading import read_stores

# `r`'s outcome: said once the stores are read, with what was found.
REREAD = Outcome("Re-read every store")


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
    def load(self, outcome: Outcome | None = None, select: Selection = None) -> None:
        self.read_and_tell(outcome, select)

    def read_and_tell(self, outcome: Outcome | None, select: Selection) -> None:
        """From a worker thread: the table first, then the audit badge (the audit of 10,000
        entries takes tens of milliseconds, and nobody should wait for it to see the table).

        A write calls this in its own thread right after writing: nothing can run between the
        write and the read, so the table never shows the stores as they were before it, and
        a look at the files meanwhile cannot take our own write for another program's."""
        read = read_stores(self.environment)
        probes = self.probes()
        shown = StoresRead(read, probes, select)
        if not self.post_message(shown):
            return  # the app is closing: nothing will draw it (and no frame to wait for)
        if outcome is not None:
            self.post_message(self._said(outcome, read.inventory))
        # The audit waits for the table's frame: on two cores it would otherwise compete with
        # the first drawing of the rows.
        shown.drawn.wait(timeout=5)
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
