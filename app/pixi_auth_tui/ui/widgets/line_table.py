"""A table of one-line rows drawn with Textual's Line API (`ScrollView.render_line`).

Only the lines on screen are built, from a row source (a count and a function giving the cells
of row i), so a table of 100,000 rows costs what a screenful costs. Public Textual API only:
the look follows DataTable's (header, zebra stripes, row cursor, the cursor's colours when
focused or not), the keys move a row cursor, a click highlights a row and a second click on it
chooses it, a click on a title selects that column.

Columns widen to the widest cell seen (the rows on screen and a window below them), never
narrow while the columns stay the same: a column that jumped while someone scrolls or types
would move every other column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, cast

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

PADDING = 1  # blank cells each side of a column, as DataTable's default cell padding
MEASURE = 80  # rows measured for the column widths, from the top of the view
CACHED_ROWS = 2_000  # rows whose cells are kept; the cache starts again past it

CellSource = Callable[[int], Sequence[Text]]


def text_width(text: Text) -> int:
    """A one-line cell's width on screen (its widest line, should it have several)."""
    plain = text.plain
    if plain.isascii() and plain.isprintable():  # one line, a cell per character
        return len(plain)
    return max(map(cell_len, plain.splitlines()), default=0)


class LineTable(ScrollView, can_focus=True):
    """Posts `RowHighlighted` when the cursor moves to another row, `RowSelected` on Enter or
    a second click on the highlighted row, and `HeaderSelected` on a click on a title.

    `on_highlight(row)` is called where `RowHighlighted` is posted, in the same handling: what
    shows the highlighted row (a detail pane) is then drawn in the frame that moves the cursor.
    Told by the message, handled after that frame is asked for, it came a frame later."""

    DEFAULT_CSS = """
    LineTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .line-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .line-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .line-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .line-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .line-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .line-table--odd-row {
        }
        & > .line-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .line-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "line-table--header",
        "line-table--odd-row",
        "line-table--even-row",
        "line-table--cursor",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
    ]

    class TableMessage(Message):
        """Sent by a LineTable (`control` is the table, as Textual's own widgets' messages)."""

        def __init__(self, table: LineTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> LineTable:
            return self.table

    class RowHighlighted(TableMessage):
        def __init__(self, table: LineTable, cursor_row: int) -> None:
            super().__init__(table)
            self.cursor_row = cursor_row

    class RowSelected(TableMessage):
        def __init__(self, table: LineTable, cursor_row: int) -> None:
            super().__init__(table)
            self.cursor_row = cursor_row

    class HeaderSelected(TableMessage):
        def __init__(self, table: LineTable, column_index: int) -> None:
            super().__init__(table)
            self.column_index = column_index

    def __init__(
        self,
        *,
        on_highlight: Callable[[int], None] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.on_highlight = on_highlight
        self.labels: list[Text] = []
        self.widths: list[int] = []  # each column's content width (padding not counted)
        self.row_count = 0
        self.cursor_row = 0
        self._source: CellSource = lambda _index: ()
        self._cell_cache: dict[int, Sequence[Text]] = {}  # cells of the rows asked so far
        # Cells that widened the columns already, by id (the cells kept, so the id stays theirs):
        # a row shown again after new rows were set is not measured again.
        self._measured: dict[int, Sequence[Text]] = {}
        # Drawn rows, by (id of their cells, odd row?, cursor?), at these widths and looks: a row
        # shown again (after a keystroke in a filter, say) is not drawn again while its source
        # hands out the same cells.
        self._strips: dict[tuple[int, bool, bool], tuple[Sequence[Text], Strip]] = {}
        self._styles: dict[str, Style] | None = None  # the component styles, worked out once per look
        self._drawing = (0, 0, 0)  # width, scroll x and scroll y of the drawing under way

    # -- content ---------------------------------------------------------------------------

    def set_columns(self, labels: Sequence[Text | str]) -> None:
        """The titles (columns start as wide as them, and widen with the cells)."""
        self.labels = [label if isinstance(label, Text) else Text(label) for label in labels]
        self.widths = [text_width(label) for label in self.labels]
        self._measured.clear()
        self._redraw()

    def set_rows(self, count: int, source: CellSource, cursor_row: int = 0) -> None:
        """Show `count` rows whose cells `source(i)` gives, with the cursor on `cursor_row`."""
        self.row_count = count
        self._source = source
        self._cell_cache.clear()
        self.cursor_row = max(0, min(cursor_row, count - 1))
        self._redraw(keep_strips=True)
        self._scroll_to_cursor()
        # The columns widen now, not while the frame is drawn: a table that widens as it draws
        # asks for a layout of its own, and its frame is followed by another.
        top = int(self.scroll_y)
        self._measure(top, top + max(MEASURE, self.size.height))
        self._declare_scrollbars()
        self._highlighted()

    def refresh_rows(self, rows: Sequence[int] | None = None) -> None:
        """Ask the source again for the cells of `rows` (every row when None)."""
        if rows is None:
            self._cell_cache.clear()
            self._measured.clear()
            self._redraw()
            return
        for row in rows:
            cells = self._cell_cache.pop(row, None)
            if cells is not None:
                self._measured.pop(id(cells), None)
                for odd, cursor in ((False, False), (False, True), (True, False), (True, True)):
                    self._strips.pop((id(cells), odd, cursor), None)
            self.refresh_line(row)

    def cached_rows(self) -> list[int]:
        """The rows whose cells the table holds (asked of the source since the rows were set)."""
        return list(self._cell_cache)

    def cells(self, row: int) -> Sequence[Text]:
        cells = self._cell_cache.get(row)
        if cells is None:
            if len(self._cell_cache) >= CACHED_ROWS:
                self._cell_cache.clear()
            cells = self._cell_cache[row] = self._source(row)
        return cells

    def _redraw(self, keep_strips: bool = False) -> None:
        if not keep_strips:
            self._strips.clear()
        self._update_virtual_size()
        self.refresh()

    def _declare_scrollbars(self) -> None:
        """Before the first layout: rows or columns that cannot fit on the screen will need
        their scrollbar, so it is there from that layout on. Found by Textual only once the
        layout has sized the table, it would ask for a second layout, drawing the table again."""
        if self.size:
            return
        screen = self.app.size
        if self.styles.overflow_y == "auto" and self.row_count + 1 > screen.height:  # + the header
            self.set_reactive(ScrollView.show_vertical_scrollbar, True)
        if self.styles.overflow_x == "auto" and self.table_width > screen.width:
            self.set_reactive(ScrollView.show_horizontal_scrollbar, True)

    def _update_virtual_size(self) -> None:
        size = Size(self.table_width, self.row_count + 1)
        if self._only_scroll_ranges_change(size):
            # Setting `virtual_size` asks for a layout of the screen, and after a layout Textual
            # redraws the scrollbars in a frame of their own, a frame after the new rows. With
            # the table's size and scrollbars staying as they are, only the scrollbars' thumbs
            # move: they are told here, and the rows and thumbs are drawn in one frame.
            self.set_reactive(cast("Reactive[Size]", LineTable.virtual_size), size)
            if self.show_vertical_scrollbar:
                self.vertical_scrollbar.window_virtual_size = size.height
            if self.show_horizontal_scrollbar:
                self.horizontal_scrollbar.window_virtual_size = size.width
            self.scroll_x, self.scroll_y = self.scroll_x, self.scroll_y  # validated again, in range
        else:
            self.virtual_size = size

    def _only_scroll_ranges_change(self, size: Size) -> bool:
        """True when the table's own size does not follow its rows and each scrollbar is
        needed before and after the change exactly as it is shown now."""
        if not self.is_mounted or self.styles.auto_dimensions:
            return False
        view = self.size

        def needs(virtual: Size) -> tuple[bool, bool]:
            return virtual.width > view.width, virtual.height > view.height

        shown = (self.show_horizontal_scrollbar, self.show_vertical_scrollbar)
        return needs(size) == needs(self.virtual_size) == shown

    @property
    def table_width(self) -> int:
        return sum(width + 2 * PADDING for width in self.widths)

    def _measure(self, first: int, last: int) -> None:
        """Widen the columns to the cells of rows first…last."""
        widths = self.widths
        widened = False
        for row in range(first, min(last, self.row_count)):
            cells = self.cells(row)
            if self._measured.get(id(cells)) is cells:
                continue
            if len(self._measured) >= CACHED_ROWS:
                self._measured.clear()
            self._measured[id(cells)] = cells
            for column, cell in enumerate(cells[: len(widths)]):
                width = text_width(cell)
                if width > widths[column]:
                    widths[column] = width
                    widened = True
        if widened:
            self._strips.clear()
            self._update_virtual_size()

    # -- the cursor ------------------------------------------------------------------------

    def move_cursor(self, row: int) -> None:
        row = max(0, min(row, self.row_count - 1))
        if row != self.cursor_row:
            self.refresh_line(self.cursor_row)
            self.cursor_row = row
            self.refresh_line(row)
            self._highlighted()
        self._scroll_to_cursor()

    def _highlighted(self) -> None:
        if self.on_highlight is not None:
            self.on_highlight(self.cursor_row)
        self.post_message(self.RowHighlighted(self, self.cursor_row))

    def refresh_line(self, row: int) -> None:
        """Repaint `row`, if it is on screen."""
        y = row - int(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    @property
    def page_rows(self) -> int:
        """Rows on screen below the titles."""
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top, page = int(self.scroll_y), self.page_rows
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + page:
            self.scroll_to(y=self.cursor_row - page + 1, animate=False, immediate=True)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor_row - self.page_rows)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor_row + self.page_rows)

    def action_first_row(self) -> None:
        self.move_cursor(0)

    def action_last_row(self) -> None:
        self.move_cursor(self.row_count - 1)

    def action_select_cursor(self) -> None:
        if self.row_count:
            self.post_message(self.RowSelected(self, self.cursor_row))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        if offset.y == 0:
            x = offset.x + int(self.scroll_x)
            for column, width in enumerate(self.widths):
                x -= width + 2 * PADDING
                if x < 0:
                    self.post_message(self.HeaderSelected(self, column))
                    return
            return
        row = int(self.scroll_y) + offset.y - 1
        if row >= self.row_count:
            return
        if row == self.cursor_row:
            self.post_message(self.RowSelected(self, row))
        else:
            self.move_cursor(row)

    # -- drawing ---------------------------------------------------------------------------

    def on_resize(self) -> None:
        self._strips.clear()  # a row's strip runs to the widget's edge in the row's style

    def on_focus(self) -> None:
        self._restyle()

    def on_blur(self) -> None:
        self._restyle()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._restyle()

    def _restyle(self) -> None:
        self._styles = None
        self._strips.clear()
        self.refresh()

    def _style(self, name: str) -> Style:
        styles = self._styles
        if styles is None:
            styles = self._styles = {}
        style = styles.get(name)
        if style is None:
            style = styles[name] = self.get_component_rich_style(f"line-table--{name}") if name else self.rich_style
        return style

    def render_lines(self, crop: Region) -> list[Strip]:
        # The columns widen before any line of this frame is drawn, so every line agrees.
        self._drawing = (self.size.width, int(self.scroll_x), int(self.scroll_y))
        top = self._drawing[2]
        self._measure(top, top + max(MEASURE, self.size.height))
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width, scroll_x, scroll_y = self._drawing  # worked out once per drawing, not per line
        if y == 0:
            strip = self._header()
        else:
            row = scroll_y + y - 1
            if row >= self.row_count:
                return Strip.blank(width, self._style(""))
            strip = self._row(row, row == self.cursor_row)
        return strip.crop_extend(scroll_x, scroll_x + width, self._style(""))

    def _header(self) -> Strip:
        return self._line(self.labels, self._style("header"), Style.null())

    def _row(self, row: int, cursor: bool) -> Strip:
        cells, odd = self.cells(row), row % 2 == 1
        key = (id(cells), odd, cursor)
        kept = self._strips.get(key)
        if kept is not None and kept[0] is cells:
            return kept[1]
        base = self._style("odd-row" if odd else "even-row")
        over = Style.null()
        if cursor:
            cursor_style = self._style("cursor")
            base += cursor_style
            over = Style.from_color(color=cursor_style.color)  # the cursor's colour wins over a cell's
        strip = self._line(cells, base, over)
        if len(self._strips) >= CACHED_ROWS:
            self._strips.clear()
        self._strips[key] = (cells, strip)
        return strip

    def _line(self, cells: Sequence[Text], base: Style, over: Style) -> Strip:
        """The cells at the columns' widths, then the row's style out to the widget's edge; runs
        of one style joined, as each piece reaches the terminal as its own escape sequence."""
        console = self.app.console
        segments: list[Segment] = []
        pad = Segment(" " * PADDING, base + over)
        for cell, width in zip(cells, self.widths, strict=False):
            segments.append(pad)
            # Text.render leaves the text's own style to its caller; its spans come styled.
            under = base + console.get_style(cell.style) if cell.style else base
            plain = cell.plain
            used = cell_len(plain)
            if not cell.spans and used <= width and "\n" not in plain:
                # The common cell, one unstyled run that fits: what Text.render would give.
                if plain:
                    segments.append(Segment(plain, under + over))
            else:
                text = cell.copy()
                text.no_wrap = True
                text.end = ""
                text.truncate(width, overflow="ellipsis")
                for segment in text.render(console):
                    style = under + segment.style if segment.style else under
                    segments.append(Segment(segment.text, style + over))
                used = cell_len(text.plain)
            blank = width - used
            if blank > 0:  # the rest of the column, in the row's style (as Rich pads a line)
                segments.append(Segment(" " * blank, base + over))
            segments.append(pad)
        filler = max(0, self._drawing[0] - self.table_width)
        if filler:
            segments.append(Segment(" " * filler, base))
        return Strip(segments).simplify()
