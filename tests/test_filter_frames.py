"""A keystroke in the filter box is drawn in one frame (issue 24: the rows came a frame or two
after the letter typed).

Textual draws a layout's consequences late: after a layout it redraws every scrollbar in a frame
of its own. So typing must ask for no layout when nothing changes size — not the box (Textual's
Input widens its scroll range with every letter), not the table (its row count is its scroll
range), not the detail pane (a row of the same shape) — and the rows and the pane must be
drawn with the letter, not after it.
"""

import pytest
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.scenes import SCENES, scene_app
from pixi_auth_tui.ui.widgets.line_table import LineTable
from textual.widgets import Static

from tests.conftest import make_env, until
from tests.test_table_index import many_rows_home
from tests.test_ui import layout_requests, screen_text, settle


async def test_typing_in_the_filter_asks_for_no_layout(home):
    app = AuthApp(make_env(many_rows_home(home, 600)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        await settle(pilot)
        needle = "mirror1"  # basic-auth rows only: each selected row fills the pane alike

        async def type_and_erase() -> None:
            for key in [*needle, *["backspace"] * len(needle)]:
                await pilot.press(key)
                await settle(pilot)

        await type_and_erase()  # the columns widen to the widest key these needles show
        layouts = []
        screen = app.screen
        screen.screen_layout_refresh_signal.subscribe(screen, layouts.append, immediate=True)
        shown = []
        for key in [*needle, *["backspace"] * len(needle)]:
            await pilot.press(key)
            await settle(pilot)
            shown.append((app.main.table.row_count, app.main.table.selected_row()))
        assert not layouts, f"{len(layouts)} layouts while typing {needle!r} and erasing it"
        # and the keystrokes did filter: fewer rows as the needle grew, all of them at the end
        counts = [count for count, _ in shown]
        typed = counts[: len(needle)]
        assert typed == sorted(typed, reverse=True) and typed[-1] < counts[-1] == 610
        row = app.main.table.selected_row()
        assert row is not None and row.key in str(app.main.detail.query_one("#detail", Static).render())


async def test_the_pane_holds_all_of_each_row_it_shows(tmp_path):
    """Rows of other shapes (a token, a user and password, OAuth, one shadowed by another
    store) follow each other in the pane as the cursor moves or the needle changes; when the
    pane skips a layout, no line of it may be cut off."""
    app = scene_app(next(s for s in SCENES if s.name == "detail"), tmp_path / "demo-home")
    async with app.run_test(size=(160, 34)) as pilot:
        await settle(pilot)
        pane = app.main.detail
        static = pane.query_one("#detail", Static)
        seen = set()
        for key in [*["down"] * 9, "slash", "p", "backspace", "e", "x", "backspace", "backspace"]:
            await pilot.press(key)
            await settle(pilot)
            text = pane.text()
            needed = static.get_content_height(pane.size, app.size, static.size.width)
            assert static.size.height >= needed, (key, static.size.height, needed)  # no line cut off
            assert text.plain.splitlines()[0] in screen_text(app)
            seen.add(needed)
        assert len(seen) > 2  # rows of different heights were shown


@pytest.mark.parametrize("size", [(160, 40), (120, 40), (80, 24)])
async def test_opening_the_filter_lays_nothing_out(home, size, monkeypatch):
    """The box stands above the table from the start: `/` moves the focus into it, and nothing
    changes size — no widget asks for a layout, and the table and the pane stay where they were
    (a box that opened made the table smaller, and the whole table was drawn again). The `/`
    looked at is the second: what the start left to lay out (a loaded machine may leave some)
    is done by then, and a layout asks again for the scrollbars it resizes."""
    app = AuthApp(make_env(many_rows_home(home, 50)))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in ("slash", "escape"):
            await pilot.press(key)
            await settle(pilot)
        pane, table = app.main.detail, app.main.table
        before = (pane.region, table.region)
        asked = layout_requests(monkeypatch)
        await pilot.press("slash")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "filter"
        assert asked == []
        assert (pane.region, table.region) == before


async def test_the_pane_follows_the_cursor_in_the_same_frame(home):
    """An arrow key moves the cursor and puts the new row in the pane in one handling, so one
    frame draws both (told by a message, the pane was drawn a frame after the cursor)."""
    app = AuthApp(make_env(many_rows_home(home, 20)))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        table, pane = app.main.table, app.main.detail
        for action in (table.action_cursor_down, table.action_cursor_down, table.action_cursor_up):
            action()  # what the key's binding runs; nothing else is handled before the check
            row = table.selected_row()
            assert row is not None and pane.row is row
            await settle(pilot)


@pytest.mark.parametrize(
    ("key", "table_id", "pane_id"), [("a", "#findings", "#finding-detail"), ("s", "#statuses", "#status-detail")]
)
async def test_a_screens_pane_follows_its_cursor_in_the_same_frame(tmp_path, key, table_id, pane_id):
    """The audit and status screens show the highlighted line's detail in the frame that moves
    the cursor too."""
    app = scene_app(next(s for s in SCENES if s.name == "main"), tmp_path / "demo-home")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await until(pilot, lambda: bool(app.screen.query(table_id)), f"the screen of {key}")
        await settle(pilot)
        table = app.screen.query_one(table_id, LineTable)
        pane = app.screen.query_one(pane_id, Static)
        assert table.row_count > 1
        before = str(pane.render())
        table.action_cursor_down()  # what the key's binding runs; nothing else is handled before the check
        assert str(pane.render()) != before
