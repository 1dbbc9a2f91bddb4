"""The credential table: every entry in pixi's lookup order (or sorted), filtered as you type.

The table (a LineTable) draws only the rows on screen, from the shown rows; the filter and
sort work on a `RowIndex` built once per load, so 100,000 entries stay quick to filter and
redraw; the table tells the screen what is highlighted or chosen with messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual import on
from textual.message import Message

from pixi_auth_tui.core.model import expires_at
from pixi_auth_tui.engine.inventory import Inventory, Row, Status
from pixi_auth_tui.probe.state import ProbeResult, Verdict
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.row_index import LAST_TEST, Level, Order, RowIndex, SortKey, column_key, position_in
from pixi_auth_tui.ui.widgets.line_table import LineTable

COLUMNS = ("Key", "Kind", "Store", "Status", "User / secret", "Expires", "Last test")
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
KEPT_CELLS = 2_000  # rows whose cells are kept from one filtering to the next; past it, start again
EXPIRY_RECHECK = 1.0  # seconds an expiring row's cells are kept: its Expires text moves with time


def row_id(row: Row) -> RowId:
    return (row.store.id, row.key, row.entry.item_ref)


def verdict_cell(result: ProbeResult | None, testing: bool) -> Text:
    if testing:
        return Text("testing…", style="italic")
    if result is None:
        return Text("")
    label = VERDICT_CELL.get(result.verdict, result.verdict.value)
    return Text(label, style=VERDICT_STYLE.get(result.verdict, "yellow"))


class CredentialTable(LineTable):
    """Calls `on_highlight` with the selected row (see LineTable), and posts `Chosen` on Enter
    or a click."""

    DEFAULT_CSS = """
    CredentialTable {
        width: 1fr;
        height: 1fr;
    }
    """

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
        on_highlight: Callable[[Row | None], None] = lambda _row: None,
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(on_highlight=lambda _cursor: on_highlight(self.selected_row()), id=id)
        self.clock = clock
        self.last_result = last_result
        self.inventory: Inventory | None = None
        self.shown_rows: Sequence[Row] = ()  # every row matching the filter, in display order
        self.needle = ""
        self.sort_column: int | None = None  # None: pixi's lookup order
        self.sort_reverse = False
        self.testing: set[RowId] = set()
        self.index: RowIndex | None = None  # filter texts and display orders of the inventory's rows
        self._order: Order | None = None  # the display order shown
        self.level: Level | None = None  # the rows of that order matching the filter
        self._now = clock()  # the time the shown cells were worked out at
        # The cells of rows drawn lately, by row (id → the row, its cells, the time they were
        # worked out at or None when time does not change them): a keystroke in the filter
        # shows mostly rows drawn a keystroke before.
        self._kept: dict[int, tuple[Row, list[Text], float | None]] = {}
        self._add_columns()

    def on_mount(self) -> None:
        self._add_columns()  # the sort may have been set (a remembered one) after construction

    def _add_columns(self) -> None:
        labels: list[Text] = []
        for index, name in enumerate(COLUMNS):
            label = Text(name)
            if index == self.sort_column:
                label.append(" ▼" if self.sort_reverse else " ▲", style="bold")
            labels.append(label)
        self.set_columns(labels)

    # -- what is shown ---------------------------------------------------------------------

    def show(self, inventory: Inventory, select: tuple[str, str] | None = None, index: RowIndex | None = None) -> None:
        """Show a freshly read inventory, keeping the selection (or moving to `select`).

        `index` is the inventory's `RowIndex` when the loading thread built it already."""
        self.inventory = inventory
        self._kept.clear()
        self.index = index if index is not None and index.rows is inventory.rows else RowIndex(inventory.rows)
        self.render_rows(select)

    def set_filter(self, needle: str) -> None:
        self.needle = needle
        self.render_rows()

    def render_rows(self, select: tuple[str, str] | None = None) -> None:
        """Show the rows matching the filter in the current order, keeping the selection."""
        index = self.index
        if self.inventory is None or index is None:
            return
        selected = self.selected_row()
        before, before_order = self.level, self._order
        cursor = self.cursor_row
        order = index.order(self.sort_column, self.sort_reverse, self._sort_key)
        self._order, self.level = order, order.matching(self.needle.lower())
        self.shown_rows = self.level.rows
        target: int
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
        self._now = self.clock()
        shown = self.shown_rows
        self.set_rows(len(shown), lambda position: self.kept_cells(shown[position], self._now), target)

    def kept_cells(self, row: Row, now: float) -> list[Text]:
        kept = self._kept.get(id(row))
        if kept is not None and kept[0] is row and (kept[2] is None or 0 <= now - kept[2] < EXPIRY_RECHECK):
            return kept[1]
        cells = self.row_cells(row, now)
        if len(self._kept) >= KEPT_CELLS:
            self._kept.clear()
        expiring = expires_at(row.entry.credential) is not None
        self._kept[id(row)] = (row, cells, now if expiring else None)
        return cells

    def _sort_key(self, column: int) -> SortKey:
        return column_key(column, self.clock(), lambda row: verdict_cell(self.last_result(row), False).plain)

    def row_cells(self, row: Row, now: float) -> list[Text]:
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

    @property
    def cursor_index(self) -> int:
        """The cursor's position among `shown_rows`."""
        return self.cursor_row

    # -- selection -------------------------------------------------------------------------

    def selected_row(self) -> Row | None:
        index = self.cursor_row
        return self.shown_rows[index] if 0 <= index < len(self.shown_rows) else None

    def select_index(self, index: int) -> None:
        """Move the cursor to shown row `index`."""
        self.move_cursor(index)

    def select_entry(self, store_id: str, key: str) -> bool:
        for index, row in enumerate(self.shown_rows):
            if (row.store.id, row.key) == (store_id, key):
                self.select_index(index)
                return True
        return False

    @on(LineTable.RowSelected)
    def _selected(self, event: LineTable.RowSelected) -> None:
        event.stop()
        row = self.selected_row()
        if row is not None:
            self.post_message(self.Chosen(row))

    # -- sorting ---------------------------------------------------------------------------

    def sort_by(self, column: int | None, reverse: bool = False) -> None:
        self.sort_column, self.sort_reverse = column, reverse
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

    @on(LineTable.HeaderSelected)
    def _header_clicked(self, event: LineTable.HeaderSelected) -> None:
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
        if self.index is not None:
            self.index.forget(LAST_TEST)  # sorted by Last test: sort again at the next change
        shown = self.shown_rows
        wanted = row_id(row)
        for key in [key for key, (kept, _, _) in self._kept.items() if row_id(kept) == wanted]:
            del self._kept[key]
        # only rows whose cells were asked for can show the old cell: the others are asked when drawn
        self.refresh_rows([i for i in self.cached_rows() if row_id(shown[i]) == wanted])
