"""The audit screen: findings by severity, one-key fixes, undo.

It is given what it needs (environment, clock, probe state, where backups go, the fix history
that outlives it) and tells the main screen what it re-read with a message; it never reaches
into the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widgets import Header, Static

from pixi_auth_tui.audit.findings import Finding, Severity, run_audit, summary
from pixi_auth_tui.audit.fixes import FixHistory, apply_fix, consequence, undo_fix
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import Inventory, load_inventory
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.stores.base import StoreError
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen
from pixi_auth_tui.ui.dialogs.fix_choice import FixChoiceScreen
from pixi_auth_tui.ui.keys_line import KeysLine
from pixi_auth_tui.ui.widgets.line_table import LineTable

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


@dataclass
class AuditContext:
    """What the audit screen needs from the main screen."""

    environment: Environment
    clock: Callable[[], float]
    probe_state: ProbeState | None
    backup_dir: Path
    history: FixHistory  # kept by the main screen, so undo works after reopening
    # What the main screen has already read and audited: shown at once, then read again behind it.
    shown: tuple[Inventory, list[Finding]] | None = None


class AuditScreen(Screen[tuple[str, str] | None]):
    """Dismisses with (store id, key) to jump to, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,a", "back", "Back"),
        Binding("enter", "jump", "Go to entry"),
        Binding("f", "fix", "Fix"),
        Binding("z", "undo", "Undo last fix"),
        Binding("r", "refresh", "Refresh"),
    ]
    DEFAULT_CSS = """
    AuditScreen #audit-summary { padding: 0 1; height: auto; }
    AuditScreen #findings { height: 2fr; }
    AuditScreen #finding-pane { height: 1fr; border-top: solid $primary 40%; padding: 0 1; }
    """

    class Reread(Message):
        """The stores were read again (after a fix, an undo or a refresh)."""

        def __init__(self, inventory: Inventory, findings: list[Finding]) -> None:
            super().__init__()
            self.inventory = inventory
            self.findings = findings

    def __init__(self, context: AuditContext, report_to: MessagePump) -> None:
        super().__init__()
        self.context = context
        self.report_to = report_to
        self.findings: list[Finding] = []
        self.inventory: Inventory | None = None

    @property
    def history(self) -> FixHistory:
        return self.context.history

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Auditing…", id="audit-summary")
        yield LineTable(on_highlight=lambda _cursor: self._render_detail(), id="findings")
        with VerticalScroll(id="finding-pane"):
            yield Static("", id="finding-detail")
        yield KeysLine()

    def on_mount(self) -> None:
        table = self.query_one("#findings", LineTable)
        table.set_columns(["Severity", "Finding", "Where"])
        table.focus()
        if self.context.shown is not None:
            self._show(*self.context.shown, message=None, ok=True, reread=False)
        self.action_refresh()

    def action_refresh(self) -> None:
        # In the header (beside the app's own sub-title) until the read arrives: nothing moves.
        self.sub_title = " · ".join(part for part in (self.app.sub_title, "refreshing…") if part)
        self._audit()

    @work(thread=True, exclusive=True, group="audit")
    def _audit(self) -> None:
        self._audit_blocking()

    def _audit_blocking(self, message: str | None = None, ok: bool = True) -> None:
        """Re-read every store and audit again (call from a worker thread)."""
        context = self.context
        inventory = load_inventory(context.environment)
        findings = run_audit(
            inventory, context.environment.home, context.probe_state, now=context.clock(), backup_dir=context.backup_dir
        )
        self.app.call_from_thread(self._show, inventory, findings, message, ok)

    def _show(
        self, inventory: Inventory, findings: list[Finding], message: str | None, ok: bool, reread: bool = True
    ) -> None:
        if reread:
            self.sub_title = None  # the app's sub-title again
            self.report_to.post_message(self.Reread(inventory, findings))
        same = self.inventory is not None and findings == self.findings
        self.inventory = inventory
        if not same:  # read again and found the same: nothing to draw again
            self._draw(findings)
        if message:
            self.notify(message, severity="information" if ok else "error", timeout=10, markup=False)

    def _draw(self, findings: list[Finding]) -> None:
        before = self.selected()  # kept selected across a refresh, wherever it moved
        self.findings = findings
        counts = summary(findings)
        line = Text()
        names = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
        for severity in Severity:
            line.append(present.plural(counts[severity.value], names[severity]) + "  ", style=SEVERITY_STYLE[severity])
        line.append("· Enter: go to entry · f: fix · z: undo last fix · Esc: back", style="dim")
        self.query_one("#audit-summary", Static).update(line)
        table = self.query_one("#findings", LineTable)
        home = self.context.environment.home
        rows: list[list[Text]] = []
        for finding in findings:
            where = " · ".join(x for x in (finding.key, present.tilde(finding.path or "", home)) if x)
            fixable = " (fix)" if finding.fixes else ""
            rows.append(
                [
                    Text(finding.severity.value, style=SEVERITY_STYLE[finding.severity]),
                    Text(plain(finding.title) + fixable),
                    Text(plain(where)),
                ]
            )
        keep = next((i for i, f in enumerate(findings) if before is not None and f.id == before.id), 0)
        table.set_rows(len(rows), rows.__getitem__, keep)  # (the pane shows the selected finding)
        if not findings:
            self.query_one("#finding-detail", Static).update(Text("Nothing to report."))

    def selected(self) -> Finding | None:
        table = self.query_one("#findings", LineTable)
        if not self.findings or table.row_count == 0:
            return None
        index = table.cursor_row
        return self.findings[index] if 0 <= index < len(self.findings) else None

    def _render_detail(self) -> None:
        finding = self.selected()
        if finding is None:
            return
        home = self.context.environment.home
        text = Text()
        text.append(f"{plain(finding.title)}\n\n", style=SEVERITY_STYLE[finding.severity])
        text.append(plain(present.tilde(finding.explanation, home)) + "\n")
        for fix in finding.fixes:
            text.append(f"\nFix: {plain(fix.label)}\n", style="bold")
            text.append(plain(present.tilde(fix.preview, home)) + "\n")
        if not finding.fixes:
            text.append("\nNo automatic fix: the explanation says what to do.\n", style="dim")
        self.query_one("#finding-detail", Static).update(text)

    def action_back(self) -> None:
        self.dismiss(None)

    @on(LineTable.RowSelected, "#findings")
    def _row_selected(self) -> None:
        # Enter on the focused table arrives as a row selection, not as the screen's binding.
        self.action_jump()

    def action_jump(self) -> None:
        finding = self.selected()
        if finding is None or finding.key is None or finding.store_id is None:
            self.notify("This finding is about a file, not one entry.", severity="warning")
            return
        self.dismiss((finding.store_id, finding.key))

    def action_fix(self) -> None:
        finding = self.selected()
        if finding is None or not finding.fixes:
            self.notify("This finding has no automatic fix.", severity="warning")
            return
        if len(finding.fixes) == 1:
            self._confirm(finding, finding.fixes[0].id)
        else:
            self.app.push_screen(
                FixChoiceScreen(finding, self.inventory, self.context.clock()),
                lambda fix_id: self._confirm(finding, fix_id),
            )

    def _confirm(self, finding: Finding, fix_id: str | None) -> None:
        if fix_id is None:
            return
        fix = next(f for f in finding.fixes if f.id == fix_id)
        preview = plain(present.tilde(fix.preview, self.context.environment.home))

        def answered(yes: bool | None) -> None:
            if yes:
                self._apply(finding, fix_id)

        self.app.push_screen(
            ConfirmScreen(f"{fix.label}\n\n{preview}\n\n{consequence(fix)}\n(Undo is z on the audit screen.)", "Fix"),
            answered,
        )

    @work(thread=True, exclusive=True, group="audit")
    def _apply(self, finding: Finding, fix_id: str) -> None:
        context = self.context
        inventory = load_inventory(context.environment)
        try:
            outcome, record = apply_fix(inventory, finding, fix_id, context.backup_dir)
        except (StoreError, OSError) as err:
            self.app.call_from_thread(self.notify, f"Not fixed: {err}", severity="error", timeout=10, markup=False)
            return
        self.history.push(record)  # kept by the main screen: undo still works after leaving
        self._audit_blocking(present.tilde(outcome.message, context.environment.home), outcome.ok)

    def action_undo(self) -> None:
        if not self.history:
            self.notify("No fix to undo.", severity="warning")
            return
        self._undo()

    @work(thread=True, exclusive=True, group="audit")
    def _undo(self) -> None:
        record = self.history.last()
        home = self.context.environment.home
        try:
            outcome = undo_fix(record, load_inventory(self.context.environment))
        except (StoreError, OSError) as err:
            self.app.call_from_thread(self.notify, f"Cannot undo: {err}", severity="error", timeout=10, markup=False)
            return
        self.history.pop()
        self._audit_blocking(present.tilde(outcome.message, home))
