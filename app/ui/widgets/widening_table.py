"""A DataTable whose cells are drawn again when a column widens, and drawn once per look.

Textual's DataTable (checked on 8.2) widens auto-width columns on its next idle, after rows were
added, and caches every rendered cell and line under keys that do not hold the column's width.
A paint between `add_row` and that idle — what a loaded machine does, the compositor running
before the table's queue drains — caches cells cut at the old width, and the screen keeps
showing them after the column widened (seen as an audit table stuck at its titles' widths).

Drawing a cell (Rich's Styled → Padding → Text pipeline) costs ~45 µs, and a screenful is
~250 cells: 12 ms of every full redraw, which the table does when its rows arrive and again
when the focus leaves it (the cursor's and the table's tint change every cell's style). Most
cells repeat a look already drawn: the kind, store, status, an empty expiry or test result, on
an odd or even row. Textual caches cells per row and column only; here a cell drawn once is
reused for every cell that looks the same, by value: same text, spans and styles, same width.
Textual marks every cell's style with its row and column (for the mouse), so that mark is added
to the reused segments, exactly as Textual's own drawing would have placed it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.renderables.styled import Styled
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

SegmentLines = list[list[Segment]]


def _plain_style(style: str | Style) -> bool:
    """A style with no meta and no link: adding Textual's mark to it commutes."""
    return isinstance(style, str) or (not style._meta and not style.link)


class WideningTable(DataTable[Text]):
    reuse_cells: bool = True  # off only to compare with Textual's own drawing (tests)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Before DataTable's own set-up, whose watchers clear the caches already.
        self._look_cache: LRUCache[tuple[object, ...], SegmentLines] = LRUCache(4096)
        super().__init__(*args, **kwargs)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        widths = [column.content_width for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if widths != [column.content_width for column in self.ordered_columns]:
            self._clear_caches()  # cells cached at the old widths must be drawn again

    def _clear_caches(self) -> None:
        super()._clear_caches()
        self._look_cache.clear()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._look_cache.clear()

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        lines = self._reused_cell(row_index, column_index, base_style, width, cursor, hover)
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        return lines

    def _reused_cell(
        self, row_index: int, column_index: int, base_style: Style, width: int, cursor: bool, hover: bool
    ) -> SegmentLines | None:
        """A body cell of one line drawn from a cell that looks the same; None: let Textual draw it."""
        if not self.reuse_cells or row_index < self.fixed_rows or column_index < self.fixed_columns:
            return None  # the header, row labels and fixed cells keep Textual's drawing
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return None
        # Textual's own cache, under Textual's own key (see DataTable._render_cell).
        textual_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._cell_render_cache.get(textual_key)
        if cached is not None:
            return cached
        row = self.rows.get(row_key)
        cells: Sequence[object] = self._get_row_renderables(row_index).cells
        if row is None or row.height != 1 or row.auto_height or column_index >= len(cells):
            return None
        cell = cells[column_index]
        if type(cell) is not Text or not all(_plain_style(s) for s in (cell.style, *(s.style for s in cell.spans))):
            return None
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre_style = base_style + component_style
        if not pre_style or not all(_plain_style(s) for s in (base_style, component_style, post_style)):
            return None
        look = (
            cell.plain,
            cell.style,
            tuple(cell.spans),
            cell.justify,
            cell.overflow,
            cell.no_wrap,
            cell.end,
            cell.tab_size,
            pre_style,
            post_style,
            width,
            self.cell_padding,
        )
        drawn = self._look_cache.get(look)
        if drawn is None:
            # Textual's drawing of the cell, without the mark of its row and column.
            options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
            renderable = Styled(Padding(cell, (0, self.cell_padding)), pre_style=pre_style, post_style=post_style)
            drawn = self.app.console.render_lines(renderable, options)
            self._look_cache[look] = drawn
        # The mark Textual puts on every cell's base style; it adds no colour or attribute.
        mark = Style.from_meta({"row": row_index, "column": column_index})
        lines = [
            [Segment(text, None if control else style + mark, control) for text, style, control in line]
            for line in drawn
        ]
        self._cell_render_cache[textual_key] = lines
        return lines
