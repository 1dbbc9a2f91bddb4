"""A table is pictured at its final column widths, whenever the screen happens to paint (the
audit table here; the credential and workspace tables are the same LineTable).

Textual's DataTable measured new rows on its next idle, and cached each rendered cell under a
key that did not hold the column's width: a paint between add_row and that idle (what a loaded
machine does) showed cells cut at the titles' width for good. The LineTable measures before it
draws; the paint is forced here at exactly that moment instead of waiting for load to cause it.
"""

import threading

import pytest
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import Inventory
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui import audit_screen
from pixi_auth_tui.ui.audit_screen import AuditScreen
from pixi_auth_tui.ui.scenes import SCENES, scene_app, settle
from pixi_auth_tui.ui.widgets.line_table import LineTable

from tests.conftest import until

AUDIT = next(s for s in SCENES if s.name == "audit")


def table_lines(table: LineTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_audit_rows_painted_before_the_tables_idle_show_whole_cells(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show = AuditScreen._show
    painted_early: list[int] = []

    def show_then_paint(screen: AuditScreen, *args: object, **kwargs: object) -> None:
        show(screen, *args, **kwargs)  # type: ignore[arg-type]
        # The compositor painting before the table's Idle: same call it makes, same caches.
        table = screen.query_one("#findings", LineTable)
        painted_early.append(len(table_lines(table)))

    monkeypatch.setattr(AuditScreen, "_show", show_then_paint)
    app = scene_app(AUDIT, tmp_path / "demo-home")
    async with app.run_test(size=AUDIT.size) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        assert painted_early and painted_early[-1] > 1  # the early paint (after the re-read) was over rows
        table = screen.query_one("#findings", LineTable)
        lines = table_lines(table)
        shown = screen.findings[: table.size.height - 1]  # the rows under the header line
        assert shown
        for finding, line in zip(shown, lines[1:], strict=False):
            assert plain(finding.title) in line, (finding.title, line)


async def test_the_audit_shows_at_once_what_was_read_and_reads_again_behind_it(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`a` shows the findings the main screen already has, then reads every store again (the
    keychain may be slow): the screen never waits for that read to show anything."""
    held = threading.Event()
    rereads: list[str] = []
    load = audit_screen.load_inventory

    def held_load(environment: Environment) -> Inventory:
        rereads.append("started")
        held.wait(timeout=120)  # (a hang guard only: the test releases it)
        return load(environment)

    monkeypatch.setattr(audit_screen, "load_inventory", held_load)
    drawn: list[int] = []  # the rows the findings table was given, each time
    set_rows = LineTable.set_rows

    def counted(table: LineTable, count: int, *args: object, **kwargs: object) -> None:
        if table.id == "findings":
            drawn.append(count)
        set_rows(table, count, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(LineTable, "set_rows", counted)
    app = scene_app(AUDIT, tmp_path / "demo-home")
    try:
        async with app.run_test(size=AUDIT.size) as pilot:
            await until(pilot, lambda: bool(app.main.findings), "the main screen's audit")
            await pilot.press("a")
            await until(pilot, lambda: bool(rereads), "the audit screen reads the stores again")
            screen = app.screen
            assert isinstance(screen, AuditScreen)
            table = screen.query_one("#findings", LineTable)
            assert table.row_count == len(app.main.findings) > 0  # shown while the read is held
            assert "Auditing" not in str(screen.query_one("#audit-summary").render())
            assert "refreshing" in (screen.sub_title or "")  # said, in the header: nothing moves
            held.set()
            await until(pilot, lambda: screen.sub_title is None, "the read arrived")
            await settle(pilot)
            assert table.row_count == len(screen.findings) > 0
            assert drawn == [len(screen.findings)]  # the same findings again: not drawn again
    finally:
        held.set()
