"""The credential table's index and the rows it draws (issue 16): cached orders, narrowed matches
and the lines on screen must show exactly what a plain filter-then-sort over every row shows."""

import random

from pixi_auth_tui.engine.inventory import Row
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.row_index import RowIndex, column_key, position_in
from pixi_auth_tui.ui.scenes import SCENES, scene_app
from pixi_auth_tui.ui.widgets.credential_table import COLUMNS, verdict_cell
from pixi_auth_tui.ui.widgets.line_table import MEASURE

from tests.conftest import make_env
from tests.test_ui import settle, write_json


def assert_table_shows_its_rows(table) -> None:
    """The lines on screen are shown_rows from the scroll position down (their keys, as drawn),
    and the cursor's row is the selected one."""
    top = int(table.scroll_y)
    on_screen = table.shown_rows[top : top + table.size.height - 1]
    drawn = [table.render_line(y).text.split()[0] for y in range(1, len(on_screen) + 1)]
    assert drawn == [r.key for r in on_screen]
    assert table.selected_row() is table.shown_rows[table.cursor_row]


def brute_force(rows: list[Row], needle: str) -> list[Row]:
    """What the filter means: every word of the needle in the row's filter text."""
    words = needle.lower().split()
    return [r for r in rows if all(w in present.filter_text(r) for w in words)]


def many_rows_home(home, entries: int):
    """Keys, kinds and users that the words below match in different subsets."""
    creds = {}
    for i in range(entries):
        if i % 3 == 0:
            creds[f"host{i}.example.com"] = {"BearerToken": f"t{i}"}
        elif i % 3 == 1:
            creds[f"mirror{i}.example.org"] = {"BasicHTTP": {"username": f"user{i % 7}", "password": "p"}}
        else:
            creds[f"h{i}.conda.example"] = {"CondaToken": f"c{i}"}
    write_json(home / ".rattler/credentials.json", creds)
    (home / ".netrc").write_text(
        "".join(f"machine host{i}.example.com login n{i} password x\n" for i in range(0, 60, 6))
    )
    return home


async def test_narrowing_and_backspace_match_a_plain_filter_in_every_order(home):
    """Typing and backspacing (with random detours) gives, at every keystroke, the rows a filter
    over every row gives, in lookup order and in each sorted order; backspace returns the very
    list shown before."""
    app = AuthApp(make_env(many_rows_home(home, 300)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.main.table
        rows = app.main.inventory.rows
        index = RowIndex(rows)
        rng = random.Random(16)
        for column in (None, 0, 1, 4):
            order = index.order(column, column == 4, table._sort_key)
            expected_order = (
                rows
                if column is None
                else sorted(
                    rows, key=lambda r, c=column: present.row_cells(r, table.clock())[c].lower(), reverse=column == 4
                )
            )
            assert order.levels[0].rows == expected_order
            typed = ""
            shown: dict[str, list[Row]] = {}
            for _ in range(60):
                if typed and rng.random() < 0.4:
                    typed = typed[:-1]
                else:
                    typed += rng.choice("host1 2user3mirror.co")
                level = order.matching(typed.lower())
                matching = {id(r) for r in brute_force(rows, typed)}
                assert level.rows == [r for r in expected_order if id(r) in matching], typed
                assert [order.levels[0].rows[p] for p in level.positions] == level.rows
                if typed in shown:
                    assert level.rows == shown[typed]
                shown[typed] = level.rows
            # Several words at once, the first ones matching every row (all keys hold "example"):
            # the words after them still narrow.
            for typed in ("", "a example user1", "", "co example mirror1 user3"):
                level = order.matching(typed)
                matching = {id(r) for r in brute_force(rows, typed)}
                assert level.rows == [r for r in expected_order if id(r) in matching], typed


def test_each_sort_key_is_its_cell_lower_cased(tmp_path):
    app = scene_app(SCENES[0], tmp_path / "demo")
    from pixi_auth_tui.engine.inventory import load_inventory

    inventory = load_inventory(app.environment)
    now = 1_767_225_600.0
    assert len(inventory.rows) > 5
    for row in inventory.rows:
        cells = present.row_cells(row, now)
        for column in range(len(COLUMNS) - 1):
            assert column_key(column, now, lambda r: "")(row) == cells[column].lower()
        assert column_key(len(COLUMNS) - 1, now, lambda r: verdict_cell(None, False).plain)(row) == ""


def test_position_in_finds_only_rows_of_the_level(tmp_path):
    app = scene_app(SCENES[0], tmp_path / "demo")
    from pixi_auth_tui.engine.inventory import load_inventory

    order = RowIndex(load_inventory(app.environment).rows).order(None, False, lambda c: lambda r: "")
    level = order.matching("credentials")
    assert 0 < len(level.rows) < len(order.levels[0].rows)
    for position, row in enumerate(order.levels[0].rows):
        at = position_in(level, position)
        assert (at is not None) == any(r is row for r in level.rows)
        if at is not None:
            assert level.rows[at] is row


async def test_sorted_filter_shows_the_rows_of_filter_then_sort_and_keeps_the_selection(home):
    app = AuthApp(make_env(many_rows_home(home, 300)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.main.table
        rows = app.main.inventory.rows
        await pilot.press("o", "o")  # sorted by Kind, then
        await pilot.pause()
        assert table.sort_column == 1
        await pilot.press("slash", *"user3")
        await pilot.pause()
        kind = [r for r in sorted(brute_force(rows, "user3"), key=lambda r: present.row_cells(r, 0)[1].lower())]
        assert table.shown_rows == kind
        assert_table_shows_its_rows(table)
        table.focus()
        table.select_index(5)
        chosen = table.selected_row()
        # "user" matches more rows: the same row stays selected (the box selects all on focus)
        await pilot.press("slash", "end", "backspace")
        await pilot.pause()
        assert table.shown_rows == sorted(brute_force(rows, "user"), key=lambda r: present.row_cells(r, 0)[1].lower())
        assert table.selected_row() is chosen
        assert_table_shows_its_rows(table)
        for key in ("backspace", "backspace", "backspace", "backspace", "h", "o", "s", "t", "backspace"):
            await pilot.press(key)
            await pilot.pause()
            assert_table_shows_its_rows(table)
            assert table.shown_rows == sorted(
                brute_force(rows, table.needle), key=lambda r: present.row_cells(r, 0)[1].lower()
            )


async def test_end_shows_the_last_row_and_moving_up_from_it_shows_each_row_above(home):
    """`End` over many rows shows the last row without working out the cells of every row;
    walking up shows each row above in turn, and Home goes back to the first."""
    entries = 6 * MEASURE
    app = AuthApp(make_env(many_rows_home(home, entries)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.main.table
        shown = table.shown_rows
        await pilot.press("end")
        await pilot.pause()
        assert table.selected_row() is shown[-1]
        assert len(table.cached_rows()) <= 2 * MEASURE < len(shown)
        last = len(shown) - 1
        for step in range(1, 60):  # past the top of the screen
            await pilot.press("up")
            assert table.selected_row() is shown[last - step], step
            assert app.main.detail.row is shown[last - step]
        await pilot.press("home")
        await pilot.pause()
        assert table.selected_row() is shown[0] and table.cursor_row == 0
        # a filter keeps a selection far down without loading every row before it
        table.select_index(last - 3)
        target = table.selected_row()
        await pilot.press("slash", "e", "end", "backspace")
        await pilot.pause()
        assert table.selected_row() is target and len(table.cached_rows()) <= 2 * MEASURE
        assert_table_shows_its_rows(table)
