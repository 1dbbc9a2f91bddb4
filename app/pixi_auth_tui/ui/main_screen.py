"""The main screen: the stores, the credential table and the detail pane, and every action
on the selected entry.

The widgets own their state (the table its rows, filter and sort; the pane its reveal) and
report by messages (ui/messages). Four of them have nothing to show and do the work in thread
workers: `StoreReader` reads the stores and watches the files, `CredentialEdits` writes them,
`ConnectionTests` tests and `OAuthFlows` signs in. This screen holds what was read (the
inventory and its findings), hands it down to them, routes the keys and what they report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Header

from pixi_auth_tui.audit.findings import Finding
from pixi_auth_tui.audit.fixes import FixHistory
from pixi_auth_tui.core.model import is_oauth
from pixi_auth_tui.engine.inventory import Inventory, Row
from pixi_auth_tui.probe.state import ProbeResult, ProbeState
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.system.preferences import DETAIL_PLACES, Preferences
from pixi_auth_tui.ui import messages
from pixi_auth_tui.ui.keymap import MAIN_KEYS
from pixi_auth_tui.ui.keys_line import KeysLine
from pixi_auth_tui.ui.layout import layout_classes
from pixi_auth_tui.ui.messages import Remember, Selection
from pixi_auth_tui.ui.oauth_screens import OAuthFlows
from pixi_auth_tui.ui.row_index import RowIndex
from pixi_auth_tui.ui.widgets import hidden
from pixi_auth_tui.ui.widgets.connection_tests import ConnectionTests
from pixi_auth_tui.ui.widgets.credential_browser import CredentialBrowser
from pixi_auth_tui.ui.widgets.credential_edits import CredentialEdits
from pixi_auth_tui.ui.widgets.credential_table import CredentialTable
from pixi_auth_tui.ui.widgets.detail_pane import DetailPane
from pixi_auth_tui.ui.widgets.store_reader import REREAD, StoreReader
from pixi_auth_tui.ui.widgets.store_summary import BlockedBanner, StoreSummary

if TYPE_CHECKING:
    # Dialogs and the audit screen are imported when first opened: nobody waits for them at start.
    from pixi_auth_tui.ui.audit_screen import AuditScreen
    from pixi_auth_tui.ui.workspace_screen import WorkspaceScreen
    from pixi_auth_tui.workspace.model import CheckReport


class MainScreen(Screen[None]):
    AUTO_FOCUS = "CredentialTable"  # focused once at start: the keys line shows its keys from the first frame
    # Below 150 columns the detail pane moves under the table, so every column stays readable;
    # below 100 columns or 30 rows the store list folds into one line. Applied before the first frame.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (100, "-medium"), (150, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (30, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = list(MAIN_KEYS)  # (ui/keymap: each with the id keymap.toml names)

    def __init__(
        self,
        environment: Environment,
        clock: Callable[[], float],
        watch_seconds: float = 2.0,
        preferences: Preferences | None = None,
    ) -> None:
        super().__init__()
        self.preferences = preferences or Preferences()
        self.environment = environment
        self.clock = clock
        self.inventory: Inventory | None = None
        self.findings: list[Finding] = []
        self.audited = False  # `findings` are those of the stores shown (the audit follows each read)
        self.fix_history = FixHistory()  # outlives the audit screen: undo after reopening
        self.workspace_checked: tuple[list[Path], CheckReport] | None = None  # the Workspace view's last
        # What is shown of the stores, and the helpers that show nothing and work in threads.
        self.reader = StoreReader(environment, clock, watch_seconds)
        self.edits = CredentialEdits(environment, self.reader)
        self.tests = ConnectionTests(environment)  # (and Test all's progress bar)
        self.oauth = OAuthFlows()
        sort = (self.preferences.sort, self.preferences.sort_reverse)
        self.browser = CredentialBrowser(environment, clock, self.last_result, self.tests.probe_url_for, sort)

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._apply_breakpoints()
        yield Header()
        yield hidden(BlockedBanner(self.environment.home, id="banner"))
        yield StoreSummary(self.environment.home, id="summary")
        yield self.tests
        yield self.browser
        yield KeysLine(compact=True)
        yield from (self.reader, self.edits, self.oauth)

    def _apply_breakpoints(self) -> None:
        """The breakpoint classes for the terminal's size, before anything is laid out (ui/layout)."""
        horizontal, vertical = self.HORIZONTAL_BREAKPOINTS or [], self.VERTICAL_BREAKPOINTS or []
        classes = layout_classes(self.app.size, horizontal, vertical, self.preferences.detail_pane)
        # No restyle now: the widgets composed next are styled once, with these classes (every
        # rule naming them styles a descendant of the screen, none the screen itself).
        self.update_classes(classes, update=False)

    def place_detail_pane(self, place: str) -> None:
        """The detail pane beside the table, below it, or by the terminal's width ("auto")."""
        for other in DETAIL_PLACES[1:]:
            self.set_class(place == other, f"-detail-{other}")
        self.preferences = self.preferences._replace(detail_pane=place)
        self.post_message(Remember(detail_pane=place))
        where = {"auto": "beside the table from 150 columns, below it otherwise"}.get(place, f"{place} the table")
        self.say(f"Detail pane: {where}.", timeout=3)

    def action_next_detail_place(self) -> None:
        places = DETAIL_PLACES
        self.place_detail_pane(places[(places.index(self.preferences.detail_pane) + 1) % len(places)])

    @property
    def table(self) -> CredentialTable:
        return self.browser.table

    @property
    def detail(self) -> DetailPane:
        return self.browser.detail

    def say(self, message: str, severity: SeverityLevel = "information", timeout: float = 5) -> None:
        """A notification; its text is never read as markup (it names keys, URLs, users)."""
        self.notify(message, severity=severity, timeout=timeout, markup=False)

    async def on_mount(self) -> None:
        # The first frame waits a moment for the stores, so that it shows the rows (StoreReader).
        read = await self.reader.load_first()
        if read is not None:
            self.show_inventory(read.inventory, None, read.index)
            self.call_after_refresh(self.reader.first_drawn)  # the reader audits once they are drawn
        if getattr(self.app, "workspace_paths", None):
            self.action_workspace()

    # -- OAuth ------------------------------------------------------------------------

    def action_sign_in(self) -> None:
        if self.inventory is None:
            return
        row = self.selected_row()
        host = row.key if row is not None and is_oauth(row.entry.credential) else ""
        self.oauth.sign_in(self.inventory, self.environment.home, host)

    def action_oauth_refresh(self) -> None:
        row = self.selected_row()
        if row is None or not is_oauth(row.entry.credential) or self.inventory is None:
            self.say("Select an OAuth entry to refresh.", "warning")
            return
        self.oauth.refresh_now(self.inventory, row)

    @on(messages.Said)
    def _said(self, event: messages.Said) -> None:
        self.say(event.text, event.severity, event.timeout)

    @on(messages.StoresChanged)
    def _stores_changed(self) -> None:
        self.action_refresh()

    # -- loading (ui/widgets/store_reader) ---------------------------------------------

    @property
    def probe_state(self) -> ProbeState | None:
        return self.reader.probe_state

    def action_refresh(self) -> None:
        self.reader.load()

    def action_reread(self) -> None:
        """`r`: re-read every store, and say what was found."""
        self.reader.load(REREAD)

    @on(messages.StoresRead)
    def _stores_read(self, event: messages.StoresRead) -> None:
        self.show_inventory(event.read.inventory, event.select, event.read.index)
        self.call_after_refresh(event.drawn.set)  # the reader audits once the rows are drawn

    @on(messages.Audited)
    def _audited(self, event: messages.Audited) -> None:
        self.set_findings(event.findings)

    def show_inventory(self, inventory: Inventory, select: Selection = None, index: RowIndex | None = None) -> None:
        self.inventory = inventory
        self.audited = False  # until the audit of these stores arrives (set_findings)
        self.reader.inventory = self.edits.inventory = self.tests.inventory = inventory
        self.tests.probe_state = self.probe_state
        self.query_one(BlockedBanner).show(inventory)
        self.query_one(StoreSummary).show(inventory)
        self.browser.show(inventory, select, index)

    def set_findings(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.audited = True
        self.query_one(StoreSummary).show_findings(findings)

    # -- the table and the detail pane (ui/widgets/credential_browser) -------------------

    def selected_row(self) -> Row | None:
        return self.browser.selected_row()

    @on(CredentialTable.Chosen)
    def _chosen(self, event: CredentialTable.Chosen) -> None:
        """Enter on a row: edit it when it can be edited, else read its detail."""
        if self.edits.why_not_editable(event.row) is None:
            self.action_edit()
        else:
            self.detail.focus()

    def action_reveal(self) -> None:
        self.detail.reveal()

    def action_copy(self) -> None:
        self.detail.copy()

    def action_filter(self) -> None:
        self.browser.open_filter()

    def action_clear(self) -> None:
        if not self.browser.back_to_table() and not self.tests.stop():
            self.browser.clear_filter()

    def action_sort(self) -> None:
        self.table.next_sort()

    def action_reverse_sort(self) -> None:
        self.table.reverse_sort()

    # -- changes to the stores (ui/widgets/credential_edits) ------------------------------

    def action_add(self) -> None:
        self.edits.add()

    def action_edit(self) -> None:
        if row := self.browser.row_or_say():
            self.edits.edit(row)

    def action_move(self) -> None:
        if row := self.browser.row_or_say():
            self.edits.move(row)

    def action_undo_move(self) -> None:
        self.edits.undo_move()

    def action_delete(self) -> None:
        row = self.browser.row_or_say()
        if row is not None and self.inventory is not None and is_oauth(row.entry.credential) and row.store.writable:
            self.oauth.sign_out(self.inventory, row)  # revoke at the provider, then remove
        elif row is not None:
            self.edits.delete(row)

    def action_unlock(self) -> None:
        self.edits.unlock()

    @on(messages.EditAgain)
    def _edit_again(self, event: messages.EditAgain) -> None:
        """The entry changed under an open form: open it again on what is there now."""
        if self.table.select_entry(event.store_id, event.key):
            self.action_edit()

    @on(messages.UrlChosen)
    def _url_chosen(self, event: messages.UrlChosen) -> None:
        self.tests.remember_url(event.key, event.url)

    @on(messages.SignInAsked)
    def _sign_in_asked(self, event: messages.SignInAsked) -> None:
        if self.inventory is not None:
            self.oauth.sign_in(self.inventory, self.environment.home, event.key, event.store_id)

    # -- audit -------------------------------------------------------------------------

    def action_audit(self) -> None:
        from pixi_auth_tui.ui.audit_screen import AuditContext, AuditScreen

        shown = (self.inventory, self.findings) if self.inventory is not None and self.audited else None
        context = AuditContext(
            self.environment, self.clock, self.probe_state, self.reader.backup_dir(), self.fix_history, shown
        )
        self.app.push_screen(AuditScreen(context, report_to=self), self._jump_to)

    def on_audit_screen_reread(self, event: AuditScreen.Reread) -> None:
        self.show_inventory(event.inventory)
        self.set_findings(event.findings)

    def action_workspace(self) -> None:
        from pixi_auth_tui.ui.workspace_screen import WorkspaceContext, WorkspaceScreen, workspace_to_open

        paths = workspace_to_open(getattr(self.app, "workspace_paths", None), self.preferences.workspace)
        if str(paths[0]) != self.preferences.workspace:
            self.preferences = self.preferences._replace(workspace=str(paths[0]))
            self.post_message(Remember(workspace=str(paths[0])))
        # The report the view showed last, if of these paths: shown at once, checked again behind it.
        shown = self.workspace_checked[1] if self.workspace_checked and self.workspace_checked[0] == paths else None
        context = WorkspaceContext(self.environment, self.reader.probes(), self.action_refresh, shown)
        self.app.push_screen(WorkspaceScreen(paths, context, report_to=self), self._jump_to)

    def action_status(self) -> None:
        """`s`: what `pixi-auth-tui status` says, per host (ui/status_screen)."""
        from pixi_auth_tui.ui.status_screen import StatusContext, StatusScreen

        context = StatusContext(self.environment, self.reader.probes(), self.clock, self.inventory)
        self.app.push_screen(StatusScreen(context), self._jump_to)

    def on_workspace_screen_checked(self, event: WorkspaceScreen.Checked) -> None:
        self.workspace_checked = (event.paths, event.report)

    def _jump_to(self, target: Selection) -> None:
        if target is not None and not self.browser.go_to(*target):
            self.say(f"{target[1]} is no longer in {target[0]}.", "warning")

    # -- test connection (ui/widgets/connection_tests) ----------------------------------

    def last_result(self, row: Row) -> ProbeResult | None:
        return self.probe_state.result_for(row.store.id, row.key, row.entry.credential) if self.probe_state else None

    def action_test(self) -> None:
        if row := self.browser.row_or_say():
            self.tests.test(row)

    def action_test_all(self) -> None:
        self.tests.test_all()

    def action_probe_url(self) -> None:
        if row := self.browser.row_or_say():
            self.tests.change_url(row)

    @on(messages.Testing)
    def _testing(self, event: messages.Testing) -> None:
        self.browser.mark_testing(event.rows, event.running)

    @on(messages.ResultKept)
    def _result_kept(self, event: messages.ResultKept) -> None:
        self.browser.refresh_row(event.row)
