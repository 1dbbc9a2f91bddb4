"""A table is pictured at its final column widths, whenever the screen happens to paint (the
audit table here; the credential and workspace tables are the same LineTable).

Textual's DataTable measured new rows on its next idle, and cached each rendered cell under a
key that did not hold the column's width: a paint between add_row and that idle (what a loaded
machine does) showed cells cut at the titles' width for good. The LineTable measures before it
draws; the paint is forced here at exactly that moment instead of waiting for load to cause it.
"""

import pytest
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.ui.audit_screen import AuditScreen
from pixi_auth_tui.ui.scenes import SCENES, scene_app, settle
from pixi_auth_tui.ui.widgets.line_table import LineTable

AUDIT = next(s for s in SCENES if s.name == "audit")


def table_lines(table: LineTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_audit_rows_painted_before_the_tables_idle_show_whole_cells(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show = AuditScreen._show
    painted_early: list[int] = []

    def show_then_paint(screen: AuditScreen, *args: object) -> None:
        show(screen, *args)
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
        assert painted_early and painted_early[0] > 1  # the early paint did happen, over rows
        table = screen.query_one("#findings", LineTable)
        lines = table_lines(table)
        shown = screen.findings[: table.size.height - 1]  # the rows under the header line
        assert shown
        for finding, line in zip(shown, lines[1:], strict=False):
            assert plain(finding.title) in line, (finding.title, line)
