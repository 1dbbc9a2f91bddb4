"""Reading every store for the UI, with the table's indexes (no Textual: it runs in a worker).

(Starting this read in a thread before Textual is imported was tried and measured: at 100,000
entries the reading thread holds the GIL while the main thread imports, and the first frame
came after 3.1 s instead of 0.7 s. So the read starts from the mounted screen, as before.)
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from pixi_auth_tui.inventory import Inventory, gc_paused, load_inventory
from pixi_auth_tui.paths import Environment
from pixi_auth_tui.ui.row_index import RowIndex


@dataclass(frozen=True)
class Read:
    inventory: Inventory
    index: RowIndex


def read_stores(environment: Environment) -> Read:
    """Every store, and the indexes the table and detail pane ask (built here, off the event
    loop: at 100,000 entries they take hundreds of milliseconds the first frame would wait for)."""
    if gc.get_freeze_count():
        # A reload: free the garbage waiting for a full collection first (the UI runs those
        # when idle, app/ui/collection.py), or the freeze below would keep it for good.
        gc.collect()
    # Reading 100,000 entries makes a million objects, none of them garbage: the collector
    # would walk them all several times (0.1–0.3 s each) while they are built.
    with gc_paused():
        inventory = load_inventory(environment)
        index = RowIndex(inventory.rows)
        inventory.rows_for("")  # builds the index by key
        # What was read lives until the next reload and holds no reference cycles: out of
        # the collector's sight, a full collection no longer walks every row (0.1–0.6 s while
        # someone types). Reference counting still frees it after a reload.
        gc.freeze()
    return Read(inventory, index)
