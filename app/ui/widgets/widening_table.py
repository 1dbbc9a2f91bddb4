"""A DataTable whose cells are drawn again when a column widens, and drawn once per look.

Textual's DataTable (checked on 8.2) widens auto-width columns on its next idle, after rows were
added, and caches every rendered cell and line under keys that do not hold the column's width.
A paint between `add_row` and that idle — what a loaded machine does, the compositor running
before the table's queue drains — caches cells cut at the old width, and the screen keeps
showing them after the column widened (seen as an audit table stuck at its titles' widths).

Drawing a cell (Rich's Styled → Padding → Text pipeline) costs ~45 µs, and a screenful is
~250 cells: 12 ms of every full redraw, which the table does when its rows arrive and again
when the focus leaves it (the table's tint and the cursor change every cell's style). Textual
caches a cell per row, column and style; here a cell's text is drawn once per look (same text,
spans and width), unstyled, and each use applies the row's styles to those segments as Rich's
Styled does (pre style under, post style over), then the row/column mark Textual puts on every
cell for the mouse. Cells of one line only; anything else is drawn by Textual itself. Tests
compare every line with Textual's own drawing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

SegmentLines = list[list[Segment]]


def _plain_style(style: str | Style) -> bool:
    """A style with no meta and no link: adding Textual's mark to it commutes."""
    return isinstance(style, str) or (not style._meta and not style.link)


class WideningTable(DataTable[Text]):
    reuse_cells: bool = True  # off only to compare with Textual's own drawing (tests)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A cell's text drawn unstyled depends on its text, spans and width alone (all in the
        # key): restyling the table (focus, theme) leaves it valid, so it is never cleared.
        self._look_cache: LRUCache[tuple[object, ...], SegmentLines] = LRUCache(4096)
        self._drawing_styles: dict[object, Style] | None = None  # set while lines are drawn
        super().__init__(*args, **kwargs)

    # -- styles, worked out once per drawing -------------------------------------------------
    # DataTable asks its own style and its rows' odd/even styles for every line it draws, and
    # each answer walks the widget's ancestors' CSS (~50 µs): a tenth of a full redraw. Nothing
    # restyles the table while it draws, so each is worked out once per `render_lines`.

    def render_lines(self, crop: Region) -> list[Strip]:
        self._drawing_styles = {} if self.reuse_cells else None
        try:
            return super().render_lines(crop)
        finally:
            self._drawing_styles = None

    @property
    def rich_style(self) -> Style:
        styles = self._drawing_styles
        if styles is None:
            return super().rich_style
        style = styles.get("table")
        if style is None:
            style = styles["table"] = super().rich_style
        return style

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        styles = self._drawing_styles
        if styles is None or row_index < self.fixed_rows:  # the header (-1) and fixed rows: as Textual
            return super()._get_row_style(row_index, base_style)
        key = ("row", row_index % 2 if self.zebra_stripes else None, base_style)
        style = styles.get(key)
        if style is None:
            style = styles[key] = super()._get_row_style(row_index, base_style)
        return style

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        widths = [column.content_width for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if widths != [column.content_width for column in self.ordered_columns]:
            self._clear_caches()  # cells cached at the old widths must be drawn again

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

    def _drawn_unstyled(self, cell: Text, width: int) -> SegmentLines:
        """Textual's drawing of a cell (Padding → Text, one line) before Styled applies the
        row's styles; empty when a line is not exactly the cell's width (Styled's outer crop
        and pad would then act, and Textual draws that cell itself)."""
        options = self.app.console_options.update_dimensions(width, 1).update(no_wrap=True)
        lines = self.app.console.render_lines(Padding(cell, (0, self.cell_padding)), options)
        if any(Segment.get_line_length(line) != width for line in lines):
            return []
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
        if not isinstance(cell, Text) or type(cell) is not Text:  # a subclass may draw itself otherwise
            return None
        if not all(_plain_style(style) for style in (cell.style, *(span.style for span in cell.spans))):
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
            width,
            self.cell_padding,
        )
        drawn = self._look_cache.get(look)
        if drawn is None:
            drawn = self._drawn_unstyled(cell, width)
            self._look_cache[look] = drawn
        if not drawn:
            return None
        # As Rich's Styled applies its styles (Segment.apply_style): the pre style under each
        # segment's own, the post style over it; then the mark Textual puts on each cell's base
        # style (its row and column, for the mouse), which adds no colour or attribute.
        mark = Style.from_meta({"row": row_index, "column": column_index})
        styles: dict[Style | None, Style] = {}
        lines: SegmentLines = []
        for line in drawn:
            styled_line = []
            for text, style, control in line:
                if control:
                    styled_line.append(Segment(text, None, control))
                    continue
                combined = styles.get(style)
                if combined is None:
                    combined = pre_style + style
                    if post_style:
                        combined += post_style
                    combined = styles[style] = combined + mark
                styled_line.append(Segment(text, combined, control))
            lines.append(styled_line)
        self._cell_render_cache[textual_key] = lines
        return lines
