"""What the filter leaves for the garbage collector (issue 16: the worst keystrokes were full
collections). The matches of each needle must be no big container the collector walks,
filtering again and again must not make the heap grow, and a reload frees what it replaced."""

import gc
import random
import weakref

from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.row_index import Rows

from tests.conftest import make_env
from tests.test_table_index import many_rows_home
from tests.test_ui import settle


def test_rows_is_the_list_it_stands_for():
    """`Rows` (the rows at some positions of an order) answers exactly as the list would."""
    rng = random.Random(16)
    base = [object() for _ in range(50)]
    sequence = tuple(rng.sample(range(50), 50))
    for seq in (None, sequence):
        positions = tuple(sorted(rng.sample(range(50), 30)))
        rows = Rows(base, seq, positions)  # type: ignore[arg-type]
        expected = [base[p if seq is None else seq[p]] for p in positions]
        assert list(rows) == expected and len(rows) == len(expected)
        assert rows == expected and expected == rows and rows == tuple(expected)
        assert rows != expected[:-1] and rows != [*expected[1:], expected[0]]
        assert bool(Rows(base, seq, ())) is False and bool(rows) is True
        for _ in range(40):
            i = rng.randrange(-len(expected), len(expected))
            assert rows[i] is expected[i]
            start, stop = sorted(rng.randrange(-60, 60) for _ in range(2))
            assert rows[start:stop] == expected[start:stop]


async def test_filtering_again_and_again_leaves_no_growing_heap(home):
    """Each round types a needle into the filter box and erases it (the box keeps the focus).
    Once the rows of these needles have been shown (the kept cells and drawn rows are bounded
    caches, filled by rows not shown before), rounds again must keep nothing of theirs."""
    app = AuthApp(make_env(many_rows_home(home, 600)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.main.table
        await pilot.press("slash")
        needles = ("h1", "user4", "e", "u3", "h2")

        async def rounds() -> None:
            for needle in needles:
                await pilot.press(*needle, *["backspace"] * len(needle))
                await pilot.pause()

        for _ in range(2):  # warm up: Textual's own caches, the needle stack, these rows' cells
            await rounds()
        gc.collect()
        before = len(gc.get_objects())
        await rounds()
        await rounds()
        gc.collect()
        grown = len(gc.get_objects()) - before
        # Textual's layout caches settle (a hundred objects or two more); a round that kept what
        # it drew (a frame's strips, a needle's rows) would add thousands.
        assert grown < 600, grown
        assert table.row_count > 0


async def test_opening_and_closing_the_filter_box_keeps_no_widget_it_let_go(home):
    """Textual issue 6666: its Footer, rebuilt on each focus change, kept every key widget it
    replaced (their watchers of the Footer's `compact` held them). The keys line is one widget;
    opening and closing the filter box (each a focus change and new keys) leaves no widget alive
    that is out of the screen."""
    from textual.widget import Widget

    app = AuthApp(make_env(many_rows_home(home, 20)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _ in range(3):
            await pilot.press("slash", "escape")
            await settle(pilot)
        gc.collect()
        let_go = [o for o in gc.get_objects() if isinstance(o, Widget) and o.parent is None and o is not app.screen]
        assert not let_go, [type(o).__name__ for o in let_go]


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_reload_does_not_freeze_the_garbage_waiting_for_a_collection(tmp_path):
    """The reading thread freezes what it read (out of the collector's sight for good); on a
    reload the cyclic garbage then waiting for a full collection must not be frozen with it."""
    from pixi_auth_tui.ui.reading import read_stores
    from pixi_auth_tui.ui.scenes import SCENES, scene_app

    environment = scene_app(SCENES[0], tmp_path / "demo").environment
    read_stores(environment)  # the first read froze what it read
    assert gc.get_freeze_count() > 0
    waiting = [Cycle() for _ in range(50)]
    watched = weakref.ref(waiting[0])
    gc.collect(1)  # in the oldest generation, as a cleared cache's rows would be
    del waiting
    read_stores(environment)
    assert watched() is None
