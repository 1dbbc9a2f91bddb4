"""The Audit screen: findings grouped by severity; jump to an entry; fix with confirmation; undo."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pixi_auth_tui.audit import Finding, Severity, apply_fix, run_audit, summary, undo_fix
from pixi_auth_tui.inventory import load_inventory
from pixi_auth_tui.redact import plain
from pixi_auth_tui.stores.base import StoreError
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.forms import ConfirmScreen
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from pixi_auth_tui.ui.app import AuthApp

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


class FixChoiceScreen(ModalScreen[str | None]):
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, finding: Finding) -> None:
        super().__init__()
        self.finding = finding

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(plain(f"How to fix: {self.finding.title}"), style="bold"))
            yield OptionList(
                *(Option(Text(plain(f"{fix.label} — {fix.preview}")), id=fix.id) for fix in self.finding.fixes)
            )

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AuditScreen(Screen[tuple[str, str] | None]):
    """Dismisses with (store id, key) to jump to, or None."""

    BINDINGS: ClassVar = [
        Binding("escape,a", "back", "Back"),
        Binding("enter", "jump", "Go to entry"),
        Binding("f", "fix", "Fix"),
        Binding("z", "undo", "Undo last fix"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.findings: list[Finding] = []

    @property
    def auth_app(self) -> AuthApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Auditing…", id="audit-summary")
        yield DataTable(id="findings", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="finding-pane"):
            yield Static("", id="finding-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#findings", DataTable)
        table.add_column("Severity", key="severity")
        table.add_column("Finding", key="title")
        table.add_column("Where", key="where")
        table.focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self._audit()

    @work(thread=True, exclusive=True, group="audit")
    def _audit(self) -> None:
        self._audit_blocking()

    def _audit_blocking(self, message: str | None = None, ok: bool = True) -> None:
        """Re-read every store and audit again (call from a worker thread)."""
        app = self.auth_app
        inventory = load_inventory(app.environment)
        findings = run_audit(
            inventory, app.environment.home, app.probe_state, now=app.clock(), backup_dir=app.backup_dir()
        )
        app.call_from_thread(self._show, inventory, findings, message, ok)

    def _show(self, inventory: object, findings: list[Finding], message: str | None, ok: bool) -> None:
        self.auth_app.show_inventory(inventory, None)  # type: ignore[arg-type]
        self.auth_app.set_findings(findings)
        self.findings = findings
        counts = summary(findings)
        line = Text()
        for severity in Severity:
            line.append(f"{counts[severity.value]} {severity.value}  ", style=SEVERITY_STYLE[severity])
        line.append("· Enter: go to entry · f: fix · z: undo last fix · Esc: back", style="dim")
        self.query_one("#audit-summary", Static).update(line)
        table = self.query_one("#findings", DataTable)
        table.clear()
        home = self.auth_app.environment.home
        for index, finding in enumerate(findings):
            where = " · ".join(x for x in (finding.key, present.tilde(finding.path or "", home)) if x)
            fixable = " (fix)" if finding.fixes else ""
            table.add_row(
                Text(finding.severity.value, style=SEVERITY_STYLE[finding.severity]),
                Text(plain(finding.title) + fixable),
                Text(plain(where)),
                key=str(index),
            )
        if not findings:
            self.query_one("#finding-detail", Static).update("Nothing to report.")
        self._render_detail()
        if message:
            self.notify(message, severity="information" if ok else "error", timeout=10)

    def selected(self) -> Finding | None:
        table = self.query_one("#findings", DataTable)
        if not self.findings or table.row_count == 0:
            return None
        index = table.cursor_row
        return self.findings[index] if 0 <= index < len(self.findings) else None

    @on(DataTable.RowHighlighted, "#findings")
    def _render_detail(self) -> None:
        finding = self.selected()
        if finding is None:
            return
        home = self.auth_app.environment.home
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

    @on(DataTable.RowSelected, "#findings")
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
            self.app.push_screen(FixChoiceScreen(finding), lambda fix_id: self._confirm(finding, fix_id))

    def _confirm(self, finding: Finding, fix_id: str | None) -> None:
        if fix_id is None:
            return
        fix = next(f for f in finding.fixes if f.id == fix_id)
        preview = plain(present.tilde(fix.preview, self.auth_app.environment.home))
        self.app.push_screen(
            ConfirmScreen(f"{fix.label}\n\n{preview}", confirm="Fix"),
            lambda yes: self._apply(finding, fix_id) if yes else None,
        )

    @work(thread=True, exclusive=True, group="audit")
    def _apply(self, finding: Finding, fix_id: str) -> None:
        app = self.auth_app
        inventory = load_inventory(app.environment)
        try:
            outcome, record = apply_fix(inventory, finding, fix_id, app.backup_dir())
        except (StoreError, OSError) as err:
            app.call_from_thread(self.notify, f"Not fixed: {err}", severity="error", timeout=10)
            return
        app.fix_history.push(record)  # kept by the app: undo still works after leaving this screen
        self._audit_blocking(present.tilde(outcome.message, app.environment.home), outcome.ok)

    def action_undo(self) -> None:
        if not self.auth_app.fix_history:
            self.notify("No fix to undo in this session.", severity="warning")
            return
        self._undo()

    @work(thread=True, exclusive=True, group="audit")
    def _undo(self) -> None:
        history = self.auth_app.fix_history
        record = history.last()
        try:
            outcome = undo_fix(record, load_inventory(self.auth_app.environment))
        except (StoreError, OSError) as err:
            self.auth_app.call_from_thread(self.notify, f"Cannot undo: {err}", severity="error", timeout=10)
            return
        history.pop()
        self._audit_blocking(present.tilde(outcome.message, self.auth_app.environment.home))
