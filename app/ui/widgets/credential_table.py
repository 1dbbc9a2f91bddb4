"""The credential table: every entry in pixi's lookup order (or sorted), filtered as you type.

Rows are handed to the DataTable in windows, so a store of 10,000 entries stays quick to
filter and redraw; the table owns its filter index and sort and tells the screen what is
highlighted or chosen with messages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from pixi_auth_tui.inventory import Inventory, Row, Status
from pixi_auth_tui.probe_state import ProbeResult, Verdict
from pixi_auth_tui.ui import present
from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

COLUMNS = ("Key", "Kind", "Store", "Status", "User / secret", "Expires", "Last test")
ROW_WINDOW = 80  # rows handed to the DataTable at a time (two screens' worth)
ROW_PRELOAD = 30  # load the next window when the cursor comes this close to the end
VERDICT_STYLE = {
    Verdict.ACCEPTED: "green",
    Verdict.PUBLIC: "yellow",
    Verdict.REJECTED: "bold red",
    Verdict.EXPIRED: "bold red",
}

# The Last test cell keeps to 13 characters, so every column fits 120; the detail pane and the
# notifications say the verdict in full.
VERDICT_CELL = {Verdict.REDIRECTED_AWAY: "redirected", Verdict.INSECURE: "confirm http"}

RowId = tuple[str, str, str | None]


def row_id(row: Row) -> RowId:
    return (row.store.id, row.key, row.entry.item_ref)


def verdict_cell(result: ProbeResult | None, testing: bool) -> Text:
    if testing:
        return Text("testing…", style="italic")
    if result is None:
        return Text("")
    label = VERDICT_CELL.get(result.verdict, result.verdict.value)
    return Text(label, style=VERDICT_STYLE.get(result.verdict, "yellow"))


class CredentialTable(DataTable[Text]):
    """Posts `Highlighted` when the selection changes and `Chosen` on Enter or a click."""

    DEFAULT_CSS = """
    CredentialTable {
        width: 1fr;
        height: 1fr;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
    ]

    class Highlighted(Message):
        def __init__(self, row: Row | None) -> None:
            super().__init__()
            self.row = row

    class Chosen(Message):
        def __init__(self, row: Row) -> None:
            super().__init__()
            self.row = row

    class SortChanged(Message):
        def __init__(self, column: int | None, reverse: bool) -> None:
            super().__init__()
            self.column = column
            self.reverse = reverse

    def __init__(
        self,
        clock: Callable[[], float],
        last_result: Callable[[Row], ProbeResult | None],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.clock = clock
        self.last_result = last_result
        self.inventory: Inventory | None = None
        self.shown_rows: list[Row] = []  # every row matching the filter, in display order
        self.loaded = 0  # how many of them the DataTable holds
        self.needle = ""
        self.sort_column: int | None = None  # None: pixi's lookup order
        self.sort_reverse = False
        self.testing: set[RowId] = set()
        self._filter_index: list[tuple[str, Row]] | None = None
        self._last_filter: tuple[str, list[tuple[str, Row]]] = ("", [])

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for index, name in enumerate(COLUMNS):
            label = Text(name)
            if index == self.sort_column:
                label.append(" ▼" if self.sort_reverse else " ▲", style="bold")
            self.add_column(label, key=name)

    # -- what is shown ---------------------------------------------------------------------

    def show(self, inventory: Inventory, select: tuple[str, str] | None = None) -> None:
        """Show a freshly read inventory, keeping the selection (or moving to `select`)."""
        self.inventory = inventory
        self._filter_index = None
        self.render_rows(select)

    def set_filter(self, needle: str) -> None:
        self.needle = needle
        self.render_rows()

    def render_rows(self, select: tuple[str, str] | None = None) -> None:
        inventory = self.inventory
        if inventory is None:
            return
        selected = self.selected_row()
        self.shown_rows = self._sorted(self._matching(inventory, self.needle.lower()))
        if select is not None:
            target = next((i for i, r in enumerate(self.shown_rows) if (r.store.id, r.key) == select), 0)
        else:
            keep = row_id(selected) if selected else None
            target = next((i for i, r in enumerate(self.shown_rows) if row_id(r) == keep), 0)
        self.clear()
        self.loaded = 0
        self._load_rows_through(target)
        if target:
            self.move_cursor(row=target, animate=False)
        self.post_message(self.Highlighted(self.selected_row()))

    def _sorted(self, rows: list[Row]) -> list[Row]:
        column = self.sort_column
        if column is None:
            return rows
        now = self.clock()

        def cell(row: Row) -> str:
            if column == len(COLUMNS) - 1:
                return verdict_cell(self.last_result(row), False).plain
            return present.row_cells(row, now)[column].lower()

        return sorted(rows, key=cell, reverse=self.sort_reverse)

    def _matching(self, inventory: Inventory, needle: str) -> list[Row]:
        """Rows whose filter text holds every word of `needle`, in lookup order.

        The (text, row) index is built once per load; while a person keeps typing, only the
        previous matches are searched again, so each keystroke over 10,000 rows stays cheap.
        """
        if self._filter_index is None:
            self._filter_index = [(present.filter_text(r), r) for r in inventory.rows]
            self._last_filter = ("", self._filter_index)
        previous_needle, previous = self._last_filter
        candidates = previous if needle.startswith(previous_needle) else self._filter_index
        words = needle.split()
        matches = [(text, row) for text, row in candidates if all(w in text for w in words)]
        self._last_filter = (needle, matches)
        return [row for _text, row in matches]

    def _cells(self, row: Row, now: float) -> list[Text]:
        style = "" if row.status is Status.ACTIVE else "dim"
        if row.status is Status.IGNORED:
            style = "dim red"
        cells = [Text(cell, style=style) for cell in present.row_cells(row, now)]
        if present.expired(row, now):
            # A credential that no longer works: its Expires cell, and its key, which is on
            # screen at any width (at 80 columns the Expires column is scrolled out of view).
            for column in ("Key", "Expires"):
                cells[COLUMNS.index(column)].stylize("bold red")
        return [*cells, verdict_cell(self.last_result(row), row_id(row) in self.testing)]

    def _load_rows_through(self, index: int) -> None:
        """Give the table rows up to `index` (at least one window): it only ever holds what
        a person can reach soon."""
        end = min(len(self.shown_rows), max(index + 1, self.loaded + ROW_WINDOW))
        if end <= self.loaded:
            return
        now = self.clock()
        for position in range(self.loaded, end):
            self.add_row(*self._cells(self.shown_rows[position], now), key=str(position))
        self.loaded = end

    @property
    def remaining(self) -> int:
        return len(self.shown_rows) - self.loaded

    # -- selection -------------------------------------------------------------------------

    def selected_row(self) -> Row | None:
        if not self.shown_rows or self.row_count == 0:
            return None
        index = self.cursor_row
        return self.shown_rows[index] if 0 <= index < len(self.shown_rows) else None

    def select_index(self, index: int) -> None:
        """Move the cursor to shown row `index`, loading rows up to it first."""
        self._load_rows_through(index)
        self.move_cursor(row=index, animate=False)

    def select_entry(self, store_id: str, key: str) -> bool:
        for index, row in enumerate(self.shown_rows):
            if (row.store.id, row.key) == (store_id, key):
                self.select_index(index)
                return True
        return False

    def action_first_row(self) -> None:
        if self.shown_rows:
            self.select_index(0)

    def action_last_row(self) -> None:
        if self.shown_rows:
            self.select_index(len(self.shown_rows) - 1)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.cursor_row >= self.loaded - ROW_PRELOAD:
            self._load_rows_through(event.cursor_row + ROW_WINDOW)
        self.post_message(self.Highlighted(self.selected_row()))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.selected_row()
        if row is not None:
            self.post_message(self.Chosen(row))

    # -- sorting ---------------------------------------------------------------------------

    def sort_by(self, column: int | None, reverse: bool = False) -> None:
        self.sort_column, self.sort_reverse = column, reverse
        self.clear(columns=True)
        self._add_columns()
        self.render_rows()
        self.post_message(self.SortChanged(column, reverse))

    def next_sort(self) -> None:
        """Lookup order → Key → Kind → … → Last test → lookup order."""
        if self.sort_column is None:
            self.sort_by(0)
        elif self.sort_column + 1 < len(COLUMNS):
            self.sort_by(self.sort_column + 1)
        else:
            self.sort_by(None)

    def reverse_sort(self) -> None:
        self.sort_by(self.sort_column if self.sort_column is not None else 0, not self.sort_reverse)

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        """A click sorts by that column, a second click reverses it, a third returns to
        pixi's lookup order."""
        event.stop()
        if self.sort_column != event.column_index:
            self.sort_by(event.column_index)
        elif not self.sort_reverse:
            self.sort_by(event.column_index, reverse=True)
        else:
            self.sort_by(None)

    # -- tests in progress -----------------------------------------------------------------

    def refresh_result(self, row: Row) -> None:
        """Redraw the Last test cell of `row` (testing…, or its verdict)."""
        cell = verdict_cell(self.last_result(row), row_id(row) in self.testing)
        for index, shown in enumerate(self.shown_rows[: self.loaded]):
            if row_id(shown) == row_id(row):
                self.update_cell(str(index), "Last test", cell, update_width=True)
