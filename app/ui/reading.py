"""Reading every store for the UI, with the table's indexes: plain threads, no Textual.

`start_reading` lets the UI read the stores while Textual is still being imported and starting
(about 150 ms, most of a bare app's start): a keychain's D-Bus round trips and the files' reads
overlap it instead of following it.
"""

from __future__ import annotations

import gc
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from pixi_auth_tui.inventory import Inventory, load_inventory
from pixi_auth_tui.paths import Environment
from pixi_auth_tui.ui.row_index import RowIndex


@dataclass(frozen=True)
class Read:
    inventory: Inventory
    index: RowIndex


def read_stores(environment: Environment) -> Read:
    """Every store, and the indexes the table and detail pane ask (built here, off the event
    loop: at 100,000 entries they take hundreds of milliseconds the first frame would wait for)."""
    # Reading 100,000 entries makes a million objects, none of them garbage: the collector
    # would walk them all several times (0.1–0.3 s each) while they are built.
    gc.disable()
    try:
        inventory = load_inventory(environment)
        index = RowIndex(inventory.rows)
        inventory.rows_for("")  # builds the index by key
        # What was read lives until the next reload and holds no reference cycles: out of
        # the collector's sight, a full collection no longer walks every row (0.1–0.6 s while
        # someone types). Reference counting still frees it after a reload.
        gc.freeze()
    finally:
        gc.enable()
    return Read(inventory, index)


def start_reading(environment: Environment) -> Future[Read]:
    """`read_stores` in a thread of its own, started now."""
    future: Future[Read] = Future()

    def run() -> None:
        try:
            future.set_result(read_stores(environment))
        except BaseException as err:  # handed to whoever waits for it (the first load)
            future.set_exception(err)

    threading.Thread(target=run, name="read stores early", daemon=True).start()
    return future
