"""The LineTable (public Line API) against Textual's own DataTable: the same rows drawn the same
way (characters, colours, attributes; not the mouse metadata DataTable adds), with the cursor
on a row, focused or not, scrolled down and sideways, zebra stripes, styled spans, wide
characters, blank cells; and the keys, clicks and messages a user relies on."""

from itertools import pairwise

from pixi_auth_tui.ui.widgets.line_table import LineTable, text_width
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable

from tests.conftest import until


def rows() -> list[list[Text]]:
    shouted = Text("expired.example")
    shouted.stylize("bold red", 0, 7)
    looks = [Text("bearer"), Text("bearer", style="dim"), Text(""), Text("basic", style="dim red")]
    keys = [shouted, Text("日本語.example"), Text("italic.example", style="italic"), Text("x" * 30)]
    out = []
    for i in range(30):
        key = keys[i] if i < len(keys) else Text(f"host{i}.example")
        out.append([key, looks[i % 4], Text(f"user{i % 3}"), looks[(i + 1) % 4], Text("accepted", style="green")])
    return out


COLUMNS = ["Key", "Kind", "User", "Expires", "Last test"]


class Pair(App[None]):
    CSS = "LineTable, DataTable { height: 14; width: 90; }"

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield LineTable(id="ours")
        yield DataTable(id="textual", cursor_type="row", zebra_stripes=True)

    def on_line_table_row_highlighted(self, message: LineTable.RowHighlighted) -> None:
        self.messages.append(message)

    def on_line_table_row_selected(self, message: LineTable.RowSelected) -> None:
        self.messages.append(message)

    def on_line_table_header_selected(self, message: LineTable.HeaderSelected) -> None:
        self.messages.append(message)


def looks(widget: Widget) -> list[list[tuple[str, Style | None]]]:
    """Each cell of the widget as drawn: its character and style, without mouse metadata."""
    strips = widget.render_lines(Region(0, 0, *widget.size))
    return [
        [
            (char, segment.style.clear_meta_and_links() if segment.style else None)
            for segment in strip
            for char in segment.text
        ]
        for strip in strips
    ]


def chars(strip) -> list[tuple[str, Style | None]]:
    return [(char, segment.style) for segment in strip for char in segment.text]


def first_difference(a, b) -> str:
    for y, (line_a, line_b) in enumerate(zip(a, b, strict=True)):
        for x, (cell_a, cell_b) in enumerate(zip(line_a, line_b, strict=True)):
            if cell_a != cell_b:
                return f"line {y}, column {x}: {cell_a} != {cell_b}"
    return "none"


async def fill(app: Pair, pilot) -> tuple[LineTable, DataTable]:
    ours = app.query_one(LineTable)
    textual = app.query_one(DataTable)
    data = rows()
    ours.set_columns(COLUMNS)
    ours.set_rows(len(data), data.__getitem__)
    for name in COLUMNS:
        textual.add_column(name, key=name)
    for row in data:
        textual.add_row(*row)
    await pilot.pause()
    return ours, textual


async def test_the_line_table_draws_what_textuals_datatable_draws():
    app = Pair()
    async with app.run_test(size=(100, 32)) as pilot:
        ours, textual = await fill(app, pilot)
        for cursor, focused in ((0, True), (3, True), (5, False), (20, True), (29, False)):
            ours.move_cursor(cursor)
            textual.move_cursor(row=cursor, animate=False)
            (ours if focused else textual).focus()
            await pilot.pause()
            ours_drawn = looks(ours)
            (textual if focused else ours).focus()
            await pilot.pause()
            theirs = looks(textual)
            assert ours_drawn == theirs, (cursor, focused, first_difference(ours_drawn, theirs))
            assert int(ours.scroll_y) == int(textual.scroll_y)
        # scrolled sideways (at 80 columns the credential table's right columns are out of view)
        for table in (ours, textual):
            table.styles.width = 40
        await pilot.pause()
        for table in (ours, textual):
            table.scroll_to(x=9, animate=False, immediate=True)
        await pilot.pause()
        ours.focus()
        await pilot.pause()
        ours_drawn = looks(ours)
        textual.focus()
        await pilot.pause()
        theirs = looks(textual)
        assert int(ours.scroll_x) == int(textual.scroll_x) == 9
        assert ours_drawn == theirs, first_difference(ours_drawn, theirs)


async def test_each_line_goes_out_in_as_few_pieces_as_its_styles_allow():
    """Each piece of a line reaches the terminal as its own escape sequence, text and reset: a
    cell's padding, text and blank in one style are one piece, not four. (A dialog re-sends the
    whole dimmed table under it, piece by piece.)"""
    app = Pair()
    async with app.run_test(size=(100, 32)) as pilot:
        ours, _textual = await fill(app, pilot)
        ours.move_cursor(3)
        await pilot.pause()
        for y, strip in enumerate(ours.render_lines(Region(0, 0, *ours.size))):
            styles = [segment.style for segment in strip]
            assert all(a != b for a, b in pairwise(styles)), (y, list(strip))


async def test_keys_clicks_and_messages():
    app = Pair()
    async with app.run_test(size=(100, 32)) as pilot:
        ours, _textual = await fill(app, pilot)
        ours.focus()
        app.messages.clear()
        await pilot.press("down", "down", "end", "pageup", "home", "enter")
        kinds = [(type(m).__name__, getattr(m, "cursor_row", None)) for m in app.messages]
        page = ours.page_rows
        assert kinds == [
            ("RowHighlighted", 1),
            ("RowHighlighted", 2),
            ("RowHighlighted", 29),
            ("RowHighlighted", 29 - page),
            ("RowHighlighted", 0),
            ("RowSelected", 0),
        ]
        app.messages.clear()
        # a click highlights a row, a second click on it chooses it; a title click selects its column
        await pilot.click(LineTable, offset=(2, 3))
        await pilot.click(LineTable, offset=(2, 3))
        await pilot.click(LineTable, offset=(ours.widths[0] + 2 + 1, 0))
        await until(pilot, lambda: len(app.messages) == 3, "three messages")
        assert [
            (type(m).__name__, getattr(m, "cursor_row", getattr(m, "column_index", None))) for m in app.messages
        ] == [
            ("RowHighlighted", 2),
            ("RowSelected", 2),
            ("HeaderSelected", 1),
        ]


def test_a_text_is_measured_as_textual_measures_it():
    import random

    from rich.console import Console
    from textual.render import measure

    console = Console(width=80)
    rng = random.Random(16)
    pieces = ["a", "host1.example", " ", "\n", "\r\n", "\t", "\x0b", "\u2028", "界", "é", "\u200b", "", "😀"]
    texts = [Text(""), Text("\n"), Text("plain")]
    texts += [Text("".join(rng.choice(pieces) for _ in range(rng.randrange(8)))) for _ in range(300)]
    for text in texts:
        assert text_width(text) == measure(console, text, 1), repr(text.plain)
