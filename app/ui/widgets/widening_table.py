"""A DataTable whose cells are drawn again when a column widens.

Textual's DataTable (checked on 8.2) widens auto-width columns on its next idle, after rows were
added, and caches every rendered cell and line under keys that do not hold the column's width.
A paint between `add_row` and that idle — what a loaded machine does, the compositor running
before the table's queue drains — caches cells cut at the old width, and the screen keeps
showing them after the column widened (seen as an audit table stuck at its titles' widths).
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class WideningTable(DataTable[Text]):
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        widths = [column.content_width for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if widths != [column.content_width for column in self.ordered_columns]:
            self._clear_caches()  # cells cached at the old widths must be drawn again
