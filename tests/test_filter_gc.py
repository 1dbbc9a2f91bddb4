"""What the filter leaves for the garbage collector (issue 16: the worst keystrokes were full
collections). A cleared DataTable cache must free by reference counting, the matches of each
needle must be no big container the collector walks, and filtering again and again must not
make the heap grow."""

import gc
import random
import weakref

from pixi_auth_tui.engine.inventory import gc_paused
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.row_index import Rows
from pixi_auth_tui.ui.widgets.credential_table import CredentialTable
from pixi_auth_tui.ui.widgets.widening_table import LRU_CACHES, UnlinkingLRUCache, text_width
from rich.segment import Segment
from rich.text import Text
from textual.cache import LRUCache
from textual.widget import Widget
from textual.widgets import DataTable

from tests.conftest import make_env
from tests.test_table_index import many_rows_home
from tests.test_ui import settle


class Value:
    """Something a cache holds, that a weak reference can watch."""


def fill(cache: LRUCache[int, Value], count: int) -> list[weakref.ref[Value]]:
    watched = []
    for key in range(count):
        value = Value()
        watched.append(weakref.ref(value))
        cache[key] = value
    for key in range(0, count, 3):  # reorder some links, as hits do
        cache.get(key)
    return watched


def test_a_cleared_unlinking_cache_frees_its_values_without_the_collector():
    with gc_paused():
        plain: LRUCache[int, Value] = LRUCache(50)
        kept = fill(plain, 40)
        plain.clear()
        # Textual's own LRUCache leaves its ring of links (and every value) to the collector:
        # the cause this test guards against.
        assert all(ref() is not None for ref in kept)

        unlinking: UnlinkingLRUCache[int, Value] = UnlinkingLRUCache(50)
        freed = fill(unlinking, 40)
        unlinking.clear()
        assert all(ref() is None for ref in freed)
        # and it is still a working cache afterwards, evicting the least recently used
        fill(unlinking, 60)
        assert len(unlinking) == 50 and 0 not in unlinking and 59 in unlinking
    gc.collect()


def test_every_lru_cache_of_the_datatable_is_replaced():
    """If Textual adds or renames a DataTable cache, this says so (the table would again leave
    its cleared caches to the collector)."""

    def lru_names(widget: Widget) -> set[str]:
        return {name for name, value in vars(widget).items() if isinstance(value, LRUCache)}

    assert lru_names(DataTable()) - lru_names(Widget()) == set(LRU_CACHES)
    table = CredentialTable(lambda: 0.0, lambda row: None)
    assert all(type(getattr(table, name)) is UnlinkingLRUCache for name in LRU_CACHES)


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


def lru_links(objects: list[object]) -> int:
    """How many of `objects` are LRUCache links ([prev, next, key, value])."""
    return sum(1 for o in objects if type(o) is list and len(o) == 4 and type(o[0]) is list and type(o[1]) is list)


async def test_filtering_again_and_again_leaves_no_cycles_of_cached_rows_nor_a_growing_heap(home):
    """Each round opens the filter box, types, erases and closes it (two focus changes: Textual
    rebuilds the footer's keys, whose dead copies it used to keep, ~2,800 objects a round)."""
    app = AuthApp(make_env(many_rows_home(home, 600)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.main.table

        async def type_and_erase(needle: str) -> None:
            await pilot.press("slash", *needle, *["backspace"] * len(needle), "escape")
            await pilot.pause()

        await type_and_erase("h2")  # warm up: Textual's own caches, the needle stack
        gc.collect()
        before = len(gc.get_objects())
        for needle in ("u3", "h1"):
            await type_and_erase(needle)
        gc.collect()
        grown = len(gc.get_objects()) - before
        assert grown < 1500, grown  # Textual's bounded caches fill a little; no round keeps its garbage

        # The table's rendered cells go when it is cleared, by reference counting alone: the
        # collector, saving what it would free, finds no cache link among it.
        assert table.row_count > 0
        gc.collect()
        with gc_paused():
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                table.clear()
                gc.collect()
                assert lru_links(gc.garbage) == 0
            finally:
                gc.set_debug(0)
                gc.garbage.clear()


async def test_cells_drawn_directly_are_the_cells_textual_draws(tmp_path):
    """The table's own drawing (cells of one plain line of text, styles once per drawing)
    against Textual's general one, on
    the demo's every kind of row (dim, ignored, expired with bold red parts, verdicts, blank
    cells), with the cursor on a row, the mouse over another, focused or not, zebra stripes, and
    columns so narrow the text is cut (which goes the general way)."""
    from pixi_auth_tui.probe.state import ProbeResult, Verdict
    from pixi_auth_tui.ui.scenes import SCENES, scene_app
    from textual.geometry import Region

    app = scene_app(SCENES[0], tmp_path / "demo")
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        table = app.main.table
        for row, verdict in zip(table.shown_rows, Verdict, strict=False):
            result = ProbeResult(row.key, "https://x/", verdict, "m")
            app.main.probe_state.record(row.store.id, row.key, row.entry.credential, result)
        table.testing.add((table.shown_rows[1].store.id, table.shown_rows[1].key, table.shown_rows[1].entry.item_ref))
        table.render_rows()
        await pilot.pause()
        region = Region(0, 0, table.size.width, table.size.height)

        def draw(general: bool) -> list[list[Segment]]:
            """Every line of the table, drawn afresh: by the table, or the general way (Textual's
            cell drawing, and its styles worked out at each line)."""
            table._update_count += 1  # a fresh cache key: every cell is drawn again
            table._clear_caches()
            table._styles_cache.clear()
            if general:
                table._render_plain_cell = lambda *args: None  # type: ignore[method-assign]
            try:
                strips = DataTable.render_lines(table, region) if general else table.render_lines(region)
                return [[s for s in strip if s.text] for strip in strips]
            finally:
                if general:
                    del table._render_plain_cell

        drawn = 0
        for cursor, hover, focused in ((3, 5, True), (0, 2, False), (6, 6, True)):
            table.move_cursor(row=cursor, animate=False)
            table.hover_coordinate = table.hover_coordinate._replace(row=hover)
            (table.focus if focused else app.main.query_one("#filter").focus)()
            await pilot.pause()
            assert draw(general=False) == draw(general=True)
            drawn += 1
        columns = list(table.columns.values())
        for column in columns:  # cut every cell: each one goes the general way, and still agrees
            column.auto_width, column.width = False, 3
        assert draw(general=False) == draw(general=True)
        assert drawn == 3 and table.row_count > 6


def test_a_text_is_measured_as_textual_measures_it():
    from rich.console import Console
    from textual.render import measure

    console = Console(width=80)
    rng = random.Random(16)
    pieces = ["a", "host1.example", " ", "\n", "\r\n", "\t", "\x0b", "\u2028", "界", "é", "\u200b", "", "😀"]
    texts = [Text(""), Text("\n"), Text("plain")]
    texts += [Text("".join(rng.choice(pieces) for _ in range(rng.randrange(8)))) for _ in range(300)]
    for text in texts:
        assert text_width(text) == measure(console, text, 1), repr(text.plain)


class Cycle:
    def __init__(self) -> None:
        self.me = self


def churn(count: int) -> None:
    """Young cyclic garbage: young collections run (and free it), as while the UI draws."""
    cycles = [Cycle() for _ in range(count)]
    del cycles


def test_full_collections_wait_for_idle_and_never_past_the_bound():
    from pixi_auth_tui.ui.collection import BOUND, IDLE, NEVER, IdleCollection

    now = [100.0]
    policy = IdleCollection(clock=lambda: now[0])
    before = gc.get_threshold()
    gc.collect()
    policy.start()
    try:
        assert gc.get_threshold()[2] == NEVER  # Python starts no full collection on its own
        due = policy.due
        # Old objects that become cyclic garbage (a cleared cache, a replaced widget): only a
        # full collection frees them.
        old = [Cycle() for _ in range(100)]
        watched = weakref.ref(old[0])
        gc.collect(1)  # they survive the young collections: now in the oldest generation
        del old
        # Someone types without a pause: nothing is collected before the bound, then it is.
        highest = 0
        for _ in range(4 * BOUND * due):  # each round runs about one collection of generation 1
            policy.busy()
            churn(7000)
            highest = max(highest, gc.get_count()[2])
            if policy.tick():
                break
            assert watched() is not None  # not collected yet: no automatic full collection
            now[0] += 0.05
        assert watched() is None and policy.collections and policy.collections[-1][2] is False
        assert highest <= BOUND * due + 1, highest
        # A pause: a due collection waits for IDLE seconds without input, then runs.
        while gc.get_count()[2] < due:
            churn(7000)
        policy.busy()
        now[0] += IDLE / 2
        assert not policy.tick()
        now[0] += IDLE
        assert policy.tick() and policy.collections[-1][2] is True
        assert gc.get_count()[2] == 0
    finally:
        policy.stop()
    assert gc.get_threshold() == before


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


def test_a_policy_started_after_one_that_never_stopped_restores_pythons_own_threshold():
    from pixi_auth_tui.ui.collection import NEVER, PYTHON_GEN2_THRESHOLD, IdleCollection

    before = gc.get_threshold()
    first, second = IdleCollection(), IdleCollection()
    first.start()  # and never stopped (an app that crashed before unmounting)
    try:
        second.start()
        assert gc.get_threshold()[2] == NEVER and second.due == PYTHON_GEN2_THRESHOLD
        second.stop()
        assert gc.get_threshold()[2] == PYTHON_GEN2_THRESHOLD  # not NEVER for good
    finally:
        gc.set_threshold(*before)
