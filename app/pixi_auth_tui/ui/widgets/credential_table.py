"""The credential table: every entry in pixi's lookup order (or sorted), filtered as you type.

The DataTable holds only a window of the shown rows (anywhere in the list), and the filter
and sort work on a `RowIndex` built once per load, so 100,000 entries stay quick to filter and
redraw; the table tells the screen what is highlighted or chosen with messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from pixi_auth_tui.engine.inventory import Inventory, Row, Status
from pixi_auth_tui.probe.state import ProbeResult, Verdict
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.row_index import LAST_TEST, Level, Order, RowIndex, SortKey, column_key, position_in
from pixi_auth_tui.ui.widgets.widening_table import WideningTable

COLUMNS = ("Key", "Kind", "Store", "Status", "User / secret", "Expires", "Last test")
ROW_WINDOW = 80  # rows handed to the DataTable at a time (two screens' worth)
ROW_PRELOAD = 30  # load the next window when the cursor comes this close to either end
# A row further down than this is shown in a window of its own instead of after every row
# before it (the DataTable takes ~0.1 ms a row: `End` over 100,000 rows would take seconds).
FAR = 2 * ROW_WINDOW
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


class CredentialTable(WideningTable):
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
        self.shown_rows: Sequence[Row] = ()  # every row matching the filter, in display order
        self.window_start = 0  # the DataTable holds shown_rows[window_start : window_start + loaded]
        self.loaded = 0
        self.needle = ""
        self.sort_column: int | None = None  # None: pixi's lookup order
        self.sort_reverse = False
        self.testing: set[RowId] = set()
        self.index: RowIndex | None = None  # filter texts and display orders of the inventory's rows
        self._order: Order | None = None  # the display order shown
        self.level: Level | None = None  # the rows of that order matching the filter

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for index, name in enumerate(COLUMNS):
            label = Text(name)
            if index == self.sort_column:
                label.append(" ▼" if self.sort_reverse else " ▲", style="bold")
            self.add_column(label, key=name)

    # -- what is shown ---------------------------------------------------------------------

    def show(self, inventory: Inventory, select: tuple[str, str] | None = None, index: RowIndex | None = None) -> None:
        """Show a freshly read inventory, keeping the selection (or moving to `select`).

        `index` is the inventory's `RowIndex` when the loading thread built it already."""
        self.inventory = inventory
        self.index = index if index is not None and index.rows is inventory.rows else RowIndex(inventory.rows)
        self.render_rows(select)

    def set_filter(self, needle: str) -> None:
        self.needle = needle
        self.render_rows(redraw=False)

    def render_rows(self, select: tuple[str, str] | None = None, *, redraw: bool = True) -> None:
        """Show the rows matching the filter in the current order. With `redraw` False (a new
        needle, same rows' cells) rows the table already holds, at the same places, are kept:
        a broad needle often leaves the first screenful as it was, and nothing is redrawn."""
        index = self.index
        if self.inventory is None or index is None:
            return
        selected = self.selected_row()
        before, before_order = self.level, self._order
        cursor = self.cursor_index
        order = index.order(self.sort_column, self.sort_reverse, self._sort_key)
        self._order, self.level = order, order.matching(self.needle.lower())
        held_before = self.shown_rows[self.window_start : self.window_start + self.loaded]
        self.shown_rows = self.level.rows
        target: int | None
        if select is not None:
            store_id, key = select
            target = next((i for i, r in enumerate(self.shown_rows) if r.key == key and r.store.id == store_id), 0)
        elif selected is None:
            target = 0
        elif order is before_order and before is not None and 0 <= cursor < len(before.positions):
            # the same rows in the same order, filtered anew: find the selection by position
            target = position_in(self.level, before.positions[cursor]) or 0
        else:
            keep = row_id(selected)
            # The selected row gone (deleted, here or by another program): the cursor stays where
            # it was, on the row that took its place, never back at the top.
            stay = min(max(cursor, 0), max(len(self.shown_rows) - 1, 0))
            target = next((i for i, r in enumerate(self.shown_rows) if row_id(r) == keep), stay)
        start, end = self.window_start, self.window_start + self.loaded
        held_now = self.shown_rows[start:end]
        keep = (
            not redraw
            and start <= target < end
            and len(held_now) == len(held_before)
            and all(a is b for a, b in zip(held_now, held_before, strict=True))
        )
        if keep:
            self._load_rows_through(target)  # a window's worth, if the old list ended early
            if target != self.cursor_index:
                self.move_cursor(row=target - start, animate=False)
        else:
            self._hold(0, 0)
            self._load_rows_through(target)
            if target:
                self.move_cursor(row=target - self.window_start, animate=False)
        self.repaint_now()
        self.post_message(self.Highlighted(self.selected_row()))

    def _sort_key(self, column: int) -> SortKey:
        return column_key(column, self.clock(), lambda row: verdict_cell(self.last_result(row), False).plain)

    def _cells(self, row: Row, now: float) -> list[Text]:
        style = "" if row.status is Status.ACTIVE else "dim"
        if row.status is Status.IGNORED:
            style = "dim red"
        elif row.status is Status.BLOCKING:
            style = "red"  # matched, but nothing is sent for its hosts
        cells = [Text(cell, style=style) for cell in present.row_cells(row, now)]
        if present.expired(row, now):
            # A credential that no longer works: its Expires cell, and its key, which is on
            # screen at any width (at 80 columns the Expires column is scrolled out of view).
            for column in ("Key", "Expires"):
                cells[COLUMNS.index(column)].stylize("bold red")
        return [*cells, verdict_cell(self.last_result(row), row_id(row) in self.testing)]

    def _load_rows_through(self, index: int) -> None:
        """Make the table hold shown row `index` (and at least a window): it only ever holds
        what a person can reach soon. Rows just below are appended; a far row gets a window
        of its own around it."""
        total = len(self.shown_rows)
        end = self.window_start + self.loaded
        if self.window_start <= index < end and (self.loaded >= ROW_WINDOW or end == total):
            return
        if self.window_start <= index < end + FAR:
            self._append_through(min(total, max(index + 1, end + ROW_WINDOW)))
            return
        start = 0 if index < FAR else max(0, min(index - ROW_WINDOW // 2, total - ROW_WINDOW))
        self._hold(start, min(total, max(index + 1, start + ROW_WINDOW)))

    def _hold(self, start: int, end: int) -> None:
        """The table holds shown rows start…end (the cursor is put on `start`)."""
        self.clear()
        self.window_start, self.loaded = start, 0
        self._append_through(end)

    def _append_through(self, end: int) -> None:
        now = self.clock()
        for position in range(self.window_start + self.loaded, end):
            self.add_row(*self._cells(self.shown_rows[position], now), key=str(position))
        self.loaded = max(self.loaded, end - self.window_start)

    @property
    def remaining(self) -> int:
        """Shown rows the table does not hold (above or below its window)."""
        return len(self.shown_rows) - self.loaded

    @property
    def cursor_index(self) -> int:
        """The cursor's position among `shown_rows`."""
        return self.window_start + self.cursor_row

    # -- selection -------------------------------------------------------------------------

    def selected_row(self) -> Row | None:
        if not self.shown_rows or self.row_count == 0:
            return None
        index = self.cursor_index
        return self.shown_rows[index] if 0 <= index < len(self.shown_rows) else None

    def select_index(self, index: int) -> None:
        """Move the cursor to shown row `index`, loading rows up to it first."""
        self._load_rows_through(index)
        self.move_cursor(row=index - self.window_start, animate=False)

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
        # The cursor as it is now: the event may be older than a reload of the window.
        cursor, total = self.cursor_row, len(self.shown_rows)
        if cursor >= self.loaded - ROW_PRELOAD and self.window_start + self.loaded < total:
            self._append_through(min(total, self.window_start + cursor + ROW_WINDOW))
        elif cursor < ROW_PRELOAD and self.window_start > 0:
            # Moving up out of a far window: hold the rows above too, the cursor stays put.
            index = self.window_start + cursor
            start = 0 if self.window_start <= FAR else self.window_start - ROW_WINDOW
            self._hold(start, min(self.window_start + self.loaded, index + ROW_WINDOW))
            self.move_cursor(row=index - start, animate=False)
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
        if self.index is not None:
            self.index.forget(LAST_TEST)  # sorted by Last test: sort again at the next change
        held = self.shown_rows[self.window_start : self.window_start + self.loaded]
        for index, shown in enumerate(held, self.window_start):
            if row_id(shown) == row_id(row):
                self.update_cell(str(index), "Last test", cell, update_width=True)
