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

Drawing the table after each filter keystroke renders every visible cell again (~36 rows x 7
cells): Textual hands each one to Rich as `Styled(Padding(text))`, ~60 µs a cell, two thirds of
the redraw. `_render_cell` draws the cells this table holds — one line of plain `Text` with at
most a style of its own, that fits its column — directly, as the same segments; any other cell
goes the general way (tests/test_filter_gc.py compares both on every kind of cell). And each
line asked the table's style and its row's (zebra) style, which Textual works out from every
ancestor at each call (~0.1 ms, twice a line): they are worked out once per drawing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._types import SegmentLines
from textual.cache import LRUCache
from textual.geometry import Region
from textual.strip import Strip
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


def text_width(text: Text) -> int:
    """What `textual.render.measure(console, text, 1)` answers for a Text: its widest line."""
    return max(map(cell_len, text.plain.splitlines()), default=0)


class UnlinkingLRUCache(LRUCache[K, V]):
    """An LRUCache whose `clear` empties each entry first: no cycle is left for the collector."""

    __slots__ = ()

    def clear(self) -> None:
        for link in self._cache.values():
            link.clear()
        super().clear()


class WideningTable(DataTable[Text]):
    _drawing_styles: dict[object, Style] | None = None  # styles asked during one drawing

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
        # Textual measures each new cell through Rich (~10 µs: a fresh ConsoleOptions each);
        # a row of Text cells is measured here the same way (`text_width`), the rest by Textual.
        super()._update_dimensions([key for key in new_rows if not self._measured(key)])
        if widths != [column.content_width for column in self.ordered_columns]:
            self._clear_caches()  # cells cached at the old widths must be drawn again

    def _measured(self, row_key: RowKey) -> bool:
        """Widen the columns to this row's cells, when they are all Text and the row has a
        fixed height and no label (else Textual measures it)."""
        row_index = self._row_locations.get(row_key)
        if row_index is None:
            return True  # removed before this idle: Textual skips it too
        row = self.rows[row_key]
        if row.label is not None or row.auto_height:
            return False
        cells = self._get_row_renderables(row_index)[1]
        texts = [cell for cell in cells if isinstance(cell, Text) and type(cell) is Text]
        if len(texts) != len(cells):
            return False
        for column, cell in zip(self.ordered_columns, texts, strict=False):  # as Textual pairs them
            width = text_width(cell)
            if width > column.content_width:
                column.content_width = width
        return True

    def render_lines(self, crop: Region) -> list[Strip]:
        # Nothing can restyle the table while it draws (no await): its styles hold throughout.
        self._drawing_styles = {}
        try:
            return super().render_lines(crop)
        finally:
            self._drawing_styles = None

    @property
    def rich_style(self) -> Style:
        styles = self._drawing_styles
        if styles is None:
            return super().rich_style
        style = styles.get(None)
        if style is None:
            style = styles[None] = super().rich_style
        return style

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        styles = self._drawing_styles
        if styles is None or row_index < self.fixed_rows:  # (the header is row -1)
            return super()._get_row_style(row_index, base_style)
        key = (row_index % 2, base_style)
        style = styles.get(key)
        if style is None:
            style = styles[key] = super()._get_row_style(row_index, base_style)
        return style

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        lines = self._render_plain_cell(row_index, column_index, base_style, width, cursor, hover)
        if lines is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        return lines

    def _render_plain_cell(
        self, row_index: int, column_index: int, base_style: Style, width: int, cursor: bool, hover: bool
    ) -> SegmentLines | None:
        """The cell's line as Textual's `_render_cell` makes it (same cache key, same segments),
        or None for a cell this does not draw."""
        if row_index < self.fixed_rows or column_index < self.fixed_columns or row_index < 0:
            return None  # header, row labels, fixed rows and columns
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:
            return None
        cache_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        cell = self._get_row_renderables(row_index)[1][column_index]
        padding = self.cell_padding
        inner = width - 2 * padding
        if (
            type(cell) is not Text
            or cell.spans
            or cell.justify not in (None, "default")
            or self.rows[row_key].height != 1
            or "\n" in cell.plain
            or "\t" in cell.plain
            or cell_len(cell.plain) > inner
        ):
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
        # Rich: Styled(Padding(text, (0, padding)), pre, post) at height 1 and no wrap — the
        # padding (and the blank after the text) in the null style, the text in its own
        # style (none when it has none), then `pre + style` and `+ post` on every segment.
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style

        def styled(style: Style | None) -> Style:
            under = pre + style
            return under + post_style if under else post_style

        blank = styled(None)
        plain = cell.plain
        line = [Segment(" " * padding, blank)] if padding else []
        if plain:  # (Rich draws an empty text as no segment, or an empty one: nothing either way)
            text_style = self.app.console.get_style(cell.style, default=Style.null()) if cell.style else None
            line.append(Segment(plain, styled(text_style)))
        if inner > cell_len(plain):
            line.append(Segment(" " * (inner - cell_len(plain)), blank))
        if padding:
            line.append(Segment(" " * padding, blank))
        lines = [line]
        self._cell_render_cache[cache_key] = lines
        return lines
