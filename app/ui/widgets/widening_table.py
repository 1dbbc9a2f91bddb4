"""A DataTable whose cells are drawn again when a column widens, and whose caches free by
reference counting when cleared.

Textual's DataTable (checked on 8.2) widens auto-width columns on its next idle, after rows were
added, and caches every rendered cell and line under keys that do not hold the column's width.
A paint between `add_row` and that idle — what a loaded machine does, the compositor running
before the table's queue drains — caches cells cut at the old width, and the screen keeps
showing them after the column widened (seen as an audit table stuck at its titles' widths).

Its render caches are `LRUCache`s: each entry is a list linked to its neighbours in a ring, so
a cleared cache leaves a reference cycle holding every rendered cell, line and strip (tens of
thousands of objects per filter keystroke over a big table) that only a full garbage
collection frees — 15–75 ms, the worst keystrokes of the filter. `UnlinkingLRUCache` breaks
the ring when it is cleared, so reference counting frees it all at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from rich.text import Text
from textual.cache import LRUCache
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

K = TypeVar("K")
V = TypeVar("V")

# The DataTable's LRU caches (Textual 8.2), all cleared whenever its rows or styles change.
LRU_CACHES = (
    "_row_render_cache",
    "_cell_render_cache",
    "_row_renderable_cache",
    "_line_cache",
    "_offset_cache",
    "_ordered_row_cache",
)


class UnlinkingLRUCache(LRUCache[K, V]):
    """An LRUCache whose `clear` empties each entry first: no cycle is left for the collector."""

    __slots__ = ()

    def clear(self) -> None:
        for link in self._cache.values():
            link.clear()
        super().clear()


class WideningTable(DataTable[Text]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in LRU_CACHES:
            cache: LRUCache[Any, Any] = getattr(self, name)
            setattr(self, name, UnlinkingLRUCache(cache.maxsize))

    def repaint_now(self) -> None:
        """Tell the screen now that the table needs repainting, not when the table is next idle.

        A keystroke in the filter box makes the box and the table dirty; the screen draws the
        box's frame as soon as it is idle, and the table's request (sent when the table has
        measured its new rows, 5–10 ms later over a window of rows) used to miss that frame and
        wait for Textual's next frame (its update timer then skips one period: 25–35 ms)."""
        self._check_refresh()

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        widths = [column.content_width for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if widths != [column.content_width for column in self.ordered_columns]:
            self._clear_caches()  # cells cached at the old widths must be drawn again
