"""Reading every store for the UI, with the table's indexes (no Textual: it runs in a worker).

(Starting the *file* read in a thread before Textual is imported was tried and measured
(bench/RESULTS.md): the reading thread holds the GIL while the main thread imports, and the
first frame came much later. So the files are read from the mounted screen. The
keychain is different: its listing mostly waits for the keychain daemon, one attribute read per
item, so it starts before Textual is imported (`KeychainAhead`) and overlaps its start.)
"""

from __future__ import annotations

import contextlib
import gc
import json
import sys
import threading
import time
from typing import NamedTuple

from pixi_auth_tui.engine.inventory import KEYCHAIN, Inventory, gc_paused, load_inventory, make_keychain_store
from pixi_auth_tui.stores.base import Store
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui.row_index import RowIndex


class Read(NamedTuple):
    inventory: Inventory
    index: RowIndex


# Set to a file name, the UI appends one line of timings per read of the stores (for
# bench/tui_perf.py: perf_counter seconds, which every process on Linux shares; no secrets).
TIMINGS_VARIABLE = "PIXI_AUTH_TUI_TIMINGS"


class KeychainAhead:
    """The Secret Service keychain, listing in a thread from before Textual is imported: the
    listing is ~1,000 round trips the keychain daemon answers while this process imports and
    draws. `environment()` hands that same store to every read of the session; the first read
    gets what it listed.

    The store is made in the thread too: its module imports jeepney, which the main thread
    would otherwise import before Textual's import. A keychain the environment already names (the
    demo's, a test's) and the other platforms' are left as they are."""

    def __init__(self, environment: Environment) -> None:
        self._environment = environment
        self._store: Store | None = None
        self._thread: threading.Thread | None = None
        if environment.keychain is None and sys.platform not in ("darwin", "win32"):
            self._thread = threading.Thread(target=self._start, name="keychain store", daemon=True)
            self._thread.start()

    def _start(self) -> None:
        from pixi_auth_tui.stores.secretservice import SecretServiceStore

        try:
            store = make_keychain_store(self._environment)
            if isinstance(store, SecretServiceStore):
                store.read_ahead()
                self._store = store
        except Exception:  # the first read makes its own store, and reports what fails
            return

    def environment(self) -> Environment:
        if self._thread is not None:
            self._thread.join()
        if self._store is None:
            return self._environment
        return self._environment._replace(keychain=self._store)


def read_stores(environment: Environment) -> Read:
    """Every store, and the indexes the table and detail pane ask (built here, off the event
    loop: at 100,000 entries they take hundreds of milliseconds the first frame would wait for)."""
    if gc.get_freeze_count():
        # A reload: free the garbage waiting for a full collection first, or the freeze
        # below would keep it for good.
        gc.collect()
    started = time.perf_counter()
    # Reading 100,000 entries makes a million objects, none of them garbage: the collector
    # would walk them all several times while they are built.
    with gc_paused():
        inventory = load_inventory(environment)
        index = RowIndex(inventory.rows)
        inventory.rows_for("")  # builds the index by key
        # What was read lives until the next reload and holds no reference cycles: out of
        # the collector's sight, a full collection no longer walks every row while someone
        # types. Reference counting still frees it after a reload.
        gc.freeze()
    timings = environment.get(TIMINGS_VARIABLE)
    if timings:
        _write_timings(timings, inventory, started)
    return Read(inventory, index)


def _write_timings(path: str, inventory: Inventory, started: float) -> None:
    line = {"read_start": started, "read_end": time.perf_counter(), "rows": len(inventory.rows)}
    from pixi_auth_tui.stores.secretservice import SecretServiceStore

    keychain = inventory.store(KEYCHAIN)
    if isinstance(keychain, SecretServiceStore) and keychain.read_ahead_times is not None:
        line["keychain_start"], line["keychain_end"] = keychain.read_ahead_times
    with contextlib.suppress(OSError), open(path, "a", encoding="utf-8") as out:  # a bench's aid only
        out.write(json.dumps(line) + "\n")
