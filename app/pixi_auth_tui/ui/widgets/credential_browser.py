"""What the main screen shows of the stores: the filter box, the credential table and the
detail pane of the selected row (beside the table or under it), or why there is nothing to show.

The table owns its rows and sort, the pane its reveal; this container owns the filter box and
keeps the pane on the selected row. The screen hands it each inventory read (`show`) and what
the connection tests report; it tells the screen by messages (the table's Chosen, Said, Remember).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input, Static

from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import Inventory, Row
from pixi_auth_tui.probe.state import ProbeResult
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.messages import Remember, Said, Selection
from pixi_auth_tui.ui.row_index import RowIndex
from pixi_auth_tui.ui.terminal_text import PlainInput
from pixi_auth_tui.ui.widgets import hidden
from pixi_auth_tui.ui.widgets.credential_table import COLUMNS, CredentialTable, row_id
from pixi_auth_tui.ui.widgets.detail_pane import DetailPane


class FilterBox(PlainInput):
    """The filter box: it filters within its own handling of each change, before it asks the
    screen for its frame, so the typed letter and the rows it leaves are drawn together (a
    handler further up would run after that request, and the rows would come a frame later)."""

    # What the empty box says: how to get in, and, once in, how to get out.
    WAITING = "/ filter: key, kind, store, username"
    TYPING = "filter: key, kind, store, username — Enter keeps it, Esc clears"

    def __init__(self, on_change: Callable[[str], Awaitable[None]], **kwargs: Any) -> None:
        super().__init__(placeholder=self.WAITING, **kwargs)
        self.on_change = on_change

    def on_focus(self) -> None:
        self.placeholder = self.TYPING

    def on_blur(self) -> None:
        self.placeholder = self.WAITING

    @property
    def content_width(self) -> int:
        # Never less than the box's width: a needle that fits leaves the box's scroll range as it
        # was, so a keystroke asks for no layout of the screen (after a layout, Textual redraws
        # every scrollbar in a frame of its own).
        return max(super().content_width, self.scrollable_content_region.width)

    def on_resize(self) -> None:
        # The scroll range follows the box's new width now, not at the first letter typed
        # (whose frame would then wait for a layout); quietly, as this is a layout's outcome:
        # asking for another would draw the screen once more.
        self.set_reactive(cast("Reactive[Size]", FilterBox.virtual_size), Size(self.content_width, 1))

    @on(Input.Changed)
    async def _changed(self, event: Input.Changed) -> None:
        await self.on_change(event.value)


class CredentialBrowser(Vertical):
    DEFAULT_CSS = "CredentialBrowser { height: 1fr; }"

    def __init__(
        self,
        environment: Environment,
        clock: Callable[[], float],
        last_result: Callable[[Row], ProbeResult | None],
        url_for: Callable[[Row], str | None],
        sort: tuple[str | None, bool],
    ) -> None:
        super().__init__()
        self.environment = environment
        self.home = environment.home
        self.clock = clock
        self.last_result = last_result  # the row's last test (the Last test column, the pane)
        self.url_for = url_for  # the URL `t` tests for the row (said in the pane)
        self.sort = sort  # (column name, reverse) at start: the remembered choice
        self.inventory: Inventory | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            # The filter box stands above the table from the start: `/` only moves the focus
            # into it, so nothing changes size and nothing is laid out or drawn again but the
            # box (a box that opened made the table smaller: the whole table was drawn again).
            with Vertical(id="rows"):
                yield FilterBox(self._filter_changed, id="filter")
                table = CredentialTable(self.clock, self.last_result, self.show_detail, id="table")
                names = [name.lower() for name in COLUMNS]
                remembered, reverse = (self.sort[0] or "").lower(), self.sort[1]
                if remembered in names:
                    table.sort_column, table.sort_reverse = names.index(remembered), reverse
                yield table
            yield DetailPane(self.home, self.clock, env=self.environment.env, id="detail-pane")
        yield hidden(Static("", id="empty"))

    @property
    def table(self) -> CredentialTable:
        return self.query_one(CredentialTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    def show(self, inventory: Inventory, select: Selection = None, index: RowIndex | None = None) -> None:
        """A freshly read inventory; the cursor stays on its row (or moves to `select`)."""
        self.inventory = inventory
        self.table.show(inventory, select, index)  # (the pane shows its selected row)
        self._render_empty()

    def selected_row(self) -> Row | None:
        return self.table.selected_row()

    def row_or_say(self) -> Row | None:
        """The selected row; None after telling the person to select one."""
        row = self.selected_row()
        if row is None:
            self.post_message(Said("Select an entry first.", "warning"))
        return row

    def go_to(self, store_id: str, key: str) -> bool:
        """Select the entry (the filter cleared, so that it is shown); False when it is gone."""
        self.clear_filter()
        if not self.table.select_entry(store_id, key):
            return False
        self.table.focus()
        return True

    def back_to_table(self) -> bool:
        """Escape in the detail pane (read after Enter on a read-only row): back to the table."""
        if self.screen.focused is not self.detail:
            return False
        self.table.focus()
        return True

    # -- the detail pane -------------------------------------------------------------------

    def show_detail(self, row: Row | None = None) -> None:
        row = row if row is not None else self.selected_row()
        result = self.last_result(row) if row else None
        self.detail.show(row, self.inventory, result, self.url_for(row) if row else None)

    def mark_testing(self, rows: list[Row], running: bool) -> None:
        """The Last test cell says "testing…" while a test of the row runs."""
        for row in rows:
            if running:
                self.table.testing.add(row_id(row))
            elif row_id(row) in self.table.testing:
                self.table.testing.discard(row_id(row))
            else:
                continue
            self.refresh_row(row)

    def refresh_row(self, row: Row) -> None:
        """The row's last test or test URL changed: its cell, and the pane when it is selected."""
        self.table.refresh_result(row)
        selected = self.selected_row()
        if selected is not None and row_id(selected) == row_id(row):
            self.show_detail(selected)

    # -- filter and sort -------------------------------------------------------------------

    def open_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    async def _filter_changed(self, needle: str) -> None:
        # No frame until the table, its scrollbar and the pane have asked for theirs: one
        # frame shows them with the letter typed, not two frames a screen refresh apart.
        with self.app.batch_update():
            self.table.set_filter(needle)  # (the pane shows its selected row)
            self._render_empty()
            await self.table.wait_for_refresh()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.value or box.has_focus:
            box.value = ""
            self.table.focus()
            self.table.set_filter("")
            self._render_empty()

    @on(CredentialTable.SortChanged)
    def _sorted(self, event: CredentialTable.SortChanged) -> None:
        column = None if event.column is None else COLUMNS[event.column]
        self.post_message(Remember(sort=column.lower() if column else None, sort_reverse=event.reverse))
        if column is None:
            self.post_message(Said("Sorted in pixi's lookup order.", timeout=2))
        else:
            direction = "descending" if event.reverse else "ascending"
            self.post_message(Said(f"Sorted by {column}, {direction} (o: next column, O: reverse).", timeout=2))

    # -- nothing to show -------------------------------------------------------------------

    def _render_empty(self) -> None:
        """No row matches the filter, or no store holds any: say so, and what to do."""
        inventory = self.inventory
        if inventory is None:
            return
        empty = self.query_one("#empty", Static)
        body = self.query_one("#body")
        if inventory.rows:
            body.display = True
            empty.display = not self.table.shown_rows
            if empty.display:
                empty.update(Text(f"No entry matches “{plain(self.table.needle)}”. Esc clears the filter."))
            return
        body.display = False
        empty.display = True
        where = "\n".join(
            f"  {i}. {s.name}: {plain(present.display_path(s.location, self.home))}"
            for i, s in enumerate(inventory.stores, 1)
        )
        empty.update(
            Text(
                f"No credentials are stored anywhere pixi looks.\n\npixi looks, in this order, in:\n{where}\n\n"
                "Press n to add one."
            )
        )
