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
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Static

from pixi_auth_tui.audit.findings import Finding
from pixi_auth_tui.audit.fixes import FixHistory
from pixi_auth_tui.core.model import is_oauth
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import Inventory, Row
from pixi_auth_tui.engine.operations import Outcome
from pixi_auth_tui.probe.state import ProbeResult, ProbeState
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.system.preferences import DETAIL_PLACES, Preferences
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.keys_footer import KeysFooter
from pixi_auth_tui.ui.messages import (
    Audited,
    EditAgain,
    ResultKept,
    Said,
    SignInAsked,
    StoresChanged,
    StoresRead,
    Testing,
    UrlChosen,
)
from pixi_auth_tui.ui.oauth_screens import OAuthFlows
from pixi_auth_tui.ui.row_index import RowIndex
from pixi_auth_tui.ui.terminal_text import PlainInput
from pixi_auth_tui.ui.widgets.connection_tests import ConnectionTests
from pixi_auth_tui.ui.widgets.credential_edits import CredentialEdits
from pixi_auth_tui.ui.widgets.credential_table import COLUMNS, CredentialTable, row_id
from pixi_auth_tui.ui.widgets.detail_pane import DetailPane
from pixi_auth_tui.ui.widgets.store_reader import StoreReader
from pixi_auth_tui.ui.widgets.store_summary import StoreSummary

# `r`'s outcome: said once the stores are read, with what was found.
REREAD = Outcome("Re-read every store")

if TYPE_CHECKING:
    # Dialogs and the audit screen are imported when first opened: nobody waits for them at start.
    from pixi_auth_tui.ui.audit_screen import AuditScreen


W = TypeVar("W", bound=Widget)


def hidden(widget: W) -> W:
    """Start a widget hidden: cheaper than hiding it after mount, which restyles the screen."""
    widget.display = False
    return widget


def breakpoint_class(size: int, breakpoints: list[tuple[int, str]]) -> str | None:
    """The class of the widest breakpoint `size` reaches, as Textual picks it."""
    reached = [(at, name) for at, name in breakpoints if size >= at]
    return max(reached)[1] if reached else None


class MainScreen(Screen[None]):
    AUTO_FOCUS = "CredentialTable"  # focused once at start, so the footer is laid out once
    # Below 150 columns the detail pane moves under the table, so every column stays readable;
    # below 100 columns or 30 rows the store list folds into one line. Applied before the first frame.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (100, "-medium"), (150, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-short"), (30, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "Add", id="add"),
        Binding("e", "edit", "Edit", id="edit"),
        Binding("m", "move", "Move", id="move"),
        Binding("d", "delete", "Delete", id="delete"),
        Binding("v", "reveal", "Reveal secret", show=False, id="reveal"),
        Binding("c", "copy", "Copy secret", show=False, id="copy"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("o", "sort", "Sort by next column", show=False, id="sort"),
        Binding("O", "reverse_sort", "Reverse sort", show=False, id="reverse-sort"),
        Binding("t", "test", "Test", id="test"),
        Binding("U", "probe_url", "Change test URL", show=False, id="probe-url"),
        Binding("T", "test_all", "Test all", show=False, id="test-all"),
        Binding("a", "audit", "Audit", id="audit"),
        Binding("w", "workspace", "Workspace", show=False, id="workspace"),
        Binding("s", "status", "Status per host", show=False, id="status"),
        Binding("l", "sign_in", "Sign in (OAuth)", show=False, id="sign-in"),
        Binding("R", "oauth_refresh", "Refresh OAuth token now", show=False, id="oauth-refresh"),
        Binding("r", "reread", "Refresh", show=False, id="refresh"),
        Binding("u", "unlock", "Unlock keychain", show=False, id="unlock"),
        Binding("z", "undo_move", "Undo the last move", show=False, id="undo-move"),
        Binding("escape", "clear", "Clear filter / stop tests", show=False, id="clear"),
        Binding("p", "next_detail_place", "Detail pane: beside / below / by width", show=False, id="detail-place"),
    ]

    class Remember(Message):
        """A choice of the person's to keep for the next session (see system/preferences)."""

        def __init__(self, **choices: str | bool | None) -> None:
            super().__init__()
            self.choices = choices

    def __init__(
        self,
        environment: Environment,
        clock: Callable[[], float],
        watch_seconds: float = 2.0,
        preferences: Preferences | None = None,
    ) -> None:
        super().__init__()
        self.preferences = preferences or Preferences()
        self.watch_seconds = watch_seconds  # how often files are checked for changes by other programs
        self.environment = environment
        self.clock = clock
        self.inventory: Inventory | None = None
        self.findings: list[Finding] = []
        self.audited = False  # `findings` are those of the stores shown (the audit follows each read)
        self.fix_history = FixHistory()  # outlives the audit screen: undo after reopening

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._apply_breakpoints()
        home = self.environment.home
        yield Header()
        yield hidden(Static("", id="banner"))
        yield StoreSummary(home, id="summary")
        yield hidden(PlainInput(placeholder="filter: key, kind, store, username — Esc clears", id="filter"))
        yield ConnectionTests(self.environment)
        with Horizontal(id="body"):
            table = CredentialTable(self.clock, self.last_result, id="table")
            table.sort_column, table.sort_reverse = self._remembered_sort()
            yield table
            yield DetailPane(home, self.clock, env=self.environment.env, id="detail-pane")
        yield hidden(Static("", id="empty"))
        yield KeysFooter(compact=True)
        reader = StoreReader(self.environment, self.clock, self.watch_seconds)
        yield reader
        yield CredentialEdits(self.environment, reader)
        yield OAuthFlows()

    def _apply_breakpoints(self) -> None:
        """The breakpoint classes for the terminal's size, before anything is laid out.

        Textual sets them when the screen gets its first Resize, which came after the first
        frame: that frame was drawn in the layout of no breakpoint, then restyled and drawn
        again. The same classes, from the same sizes: the Resize then changes nothing."""
        horizontal = self.HORIZONTAL_BREAKPOINTS or []
        vertical = self.VERTICAL_BREAKPOINTS or []
        width, height = self.app.size
        classes = dict.fromkeys((name for _, name in [*horizontal, *vertical]), False)
        for name in (breakpoint_class(width, horizontal), breakpoint_class(height, vertical)):
            if name is not None:
                classes[name] = True
        for place in DETAIL_PLACES[1:]:
            classes[f"-detail-{place}"] = self.preferences.detail_pane == place
        # No restyle now: the widgets composed next are styled once, with these classes (every
        # rule naming them styles a descendant of the screen, none the screen itself).
        self.update_classes(classes, update=False)

    def _remembered_sort(self) -> tuple[int | None, bool]:
        names = [name.lower() for name in COLUMNS]
        chosen = (self.preferences.sort or "").lower()
        return (names.index(chosen), self.preferences.sort_reverse) if chosen in names else (None, False)

    def place_detail_pane(self, place: str) -> None:
        """The detail pane beside the table, below it, or by the terminal's width ("auto")."""
        for other in DETAIL_PLACES[1:]:
            self.set_class(place == other, f"-detail-{other}")
        self.preferences = replace(self.preferences, detail_pane=place)
        self.post_message(self.Remember(detail_pane=place))
        where = {"auto": "beside the table from 150 columns, below it otherwise"}.get(place, f"{place} the table")
        self.say(f"Detail pane: {where}.", timeout=3)

    def action_next_detail_place(self) -> None:
        places = DETAIL_PLACES
        self.place_detail_pane(places[(places.index(self.preferences.detail_pane) + 1) % len(places)])

    @property
    def table(self) -> CredentialTable:
        return self.query_one(CredentialTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def oauth(self) -> OAuthFlows:
        return self.query_one(OAuthFlows)

    def say(self, message: str, severity: SeverityLevel = "information", timeout: float = 5) -> None:
        """A notification; its text is never read as markup (it names keys, URLs, users)."""
        self.notify(message, severity=severity, timeout=timeout, markup=False)

    def on_mount(self) -> None:
        self.action_refresh()
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

    @on(Said)
    def _said(self, event: Said) -> None:
        self.say(event.text, event.severity, event.timeout)

    @on(StoresChanged)
    def _stores_changed(self) -> None:
        self.action_refresh()

    # -- loading (ui/widgets/store_reader) ---------------------------------------------

    @property
    def reader(self) -> StoreReader:
        return self.query_one(StoreReader)

    @property
    def probe_state(self) -> ProbeState | None:
        return self.reader.probe_state

    def action_refresh(self) -> None:
        self.reader.load()

    def action_reread(self) -> None:
        """`r`: re-read every store, and say what was found."""
        self.reader.load(REREAD)

    @on(StoresRead)
    def _stores_read(self, event: StoresRead) -> None:
        self.show_inventory(event.read.inventory, event.outcome, event.select, event.read.index)
        self.call_after_refresh(event.drawn.set)  # the reader audits once the rows are drawn

    @on(Audited)
    def _audited(self, event: Audited) -> None:
        self.set_findings(event.findings)

    def show_inventory(
        self,
        inventory: Inventory,
        message: Outcome | None = None,
        select: tuple[str, str] | None = None,
        index: RowIndex | None = None,
    ) -> None:
        self.inventory = inventory
        self.audited = False  # until the audit of these stores arrives (set_findings)
        self.reader.inventory = self.edits.inventory = self.tests.inventory = inventory
        self.tests.probe_state = self.probe_state
        banner = self.query_one("#banner", Static)
        banner.display = inventory.blocked is not None
        if inventory.blocked:
            banner.update(Text(plain(f"⚠ {present.tilde(inventory.blocked, self.environment.home)}"), style="bold"))
        self.query_one(StoreSummary).show(inventory)
        self.table.show(inventory, select, index)
        self._render_empty(inventory)
        if message is REREAD:
            entries = present.plural(len(inventory.rows), "entry")
            self.say(f"Re-read {present.plural(len(inventory.stores), 'store')}: {entries}.", timeout=4)
        elif message is not None:
            text = present.tilde(message.message, self.environment.home)
            self.say(text, "information" if message.ok else "warning", timeout=8)

    def set_findings(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.audited = True
        self.query_one(StoreSummary).show_findings(findings)

    def _render_empty(self, inventory: Inventory) -> None:
        empty = self.query_one("#empty", Static)
        body = self.query_one("#body")
        if inventory.rows:
            body.display = True
            empty.display = not self.table.shown_rows
            if empty.display:
                empty.update(Text(f"No entry matches “{plain(self.table.needle)}”. Esc clears the filter."))
            return
        body.display = False
        empty.display = True
        where = "\n".join(
            f"  {i}. {s.name}: {plain(present.display_path(s.location, self.environment.home))}"
            for i, s in enumerate(inventory.stores, 1)
        )
        empty.update(
            Text(
                f"No credentials are stored anywhere pixi looks.\n\npixi looks, in this order, in:\n{where}\n\n"
                "Press n to add one."
            )
        )

    # -- selection and detail ----------------------------------------------------------

    def selected_row(self) -> Row | None:
        return self.table.selected_row()

    @on(CredentialTable.Highlighted)
    def _highlighted(self, event: CredentialTable.Highlighted) -> None:
        self._render_detail(event.row)

    def _render_detail(self, row: Row | None = None) -> None:
        row = row if row is not None else self.selected_row()
        result = self.last_result(row) if row else None
        self.detail.show(row, self.inventory, result, self.tests.probe_url_for(row) if row else None)

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

    # -- filter and sort ---------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)
        if self.inventory is not None:
            self._render_empty(self.inventory)

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_clear(self) -> None:
        if self.focused is self.detail:  # back from reading a detail (Enter on a read-only row)
            self.table.focus()
            return
        if self.tests.stop():
            return
        self._clear_filter()

    def _clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.table.focus()
            self.table.set_filter("")
            if self.inventory is not None:
                self._render_empty(self.inventory)

    def action_sort(self) -> None:
        self.table.next_sort()

    def action_reverse_sort(self) -> None:
        self.table.reverse_sort()

    @on(CredentialTable.SortChanged)
    def _sorted(self, event: CredentialTable.SortChanged) -> None:
        self.post_message(
            self.Remember(
                sort=None if event.column is None else COLUMNS[event.column].lower(), sort_reverse=event.reverse
            )
        )
        if event.column is None:
            self.say("Sorted in pixi's lookup order.", timeout=2)
        else:
            direction = "descending" if event.reverse else "ascending"
            self.say(f"Sorted by {COLUMNS[event.column]}, {direction} (o: next column, O: reverse).", timeout=2)

    # -- changes to the stores (ui/widgets/credential_edits) ------------------------------

    @property
    def edits(self) -> CredentialEdits:
        return self.query_one(CredentialEdits)

    def action_add(self) -> None:
        self.edits.add()

    def action_edit(self) -> None:
        row = self.selected_row()
        if row is None:
            self.say("Select an entry first.", "warning")
            return
        self.edits.edit(row)

    def action_move(self) -> None:
        row = self.selected_row()
        if row is None:
            self.say("Select an entry first.", "warning")
            return
        self.edits.move(row)

    def action_undo_move(self) -> None:
        self.edits.undo_move()

    def action_delete(self) -> None:
        row = self.selected_row()
        if row is None or self.inventory is None:
            self.say("Select an entry first.", "warning")
            return
        if is_oauth(row.entry.credential) and row.store.writable:
            self.oauth.sign_out(self.inventory, row)  # revoke at the provider, then remove
            return
        self.edits.delete(row)

    def action_unlock(self) -> None:
        self.edits.unlock()

    @on(EditAgain)
    def _edit_again(self, event: EditAgain) -> None:
        """The entry changed under an open form: open it again on what is there now."""
        if self.table.select_entry(event.store_id, event.key):
            self.action_edit()

    @on(UrlChosen)
    def _url_chosen(self, event: UrlChosen) -> None:
        self.tests.remember_url(event.key, event.url)

    @on(SignInAsked)
    def _sign_in_asked(self, event: SignInAsked) -> None:
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
        from pixi_auth_tui.ui.workspace_screen import WorkspaceContext, WorkspaceScreen

        context = WorkspaceContext(self.environment, self.reader.probes(), self.action_refresh)
        remembered = Path(self.preferences.workspace) if self.preferences.workspace else None
        paths = getattr(self.app, "workspace_paths", None) or (
            [remembered] if remembered and remembered.exists() else []
        )
        paths = paths or [Path.cwd()]
        if str(paths[0]) != self.preferences.workspace:
            self.preferences = replace(self.preferences, workspace=str(paths[0]))
            self.post_message(self.Remember(workspace=str(paths[0])))
        self.app.push_screen(WorkspaceScreen(paths, context), self._jump_to)

    def action_status(self) -> None:
        """`s`: what `pixi-auth-tui status` says, per host (ui/status_screen)."""
        from pixi_auth_tui.ui.status_screen import StatusContext, StatusScreen

        context = StatusContext(self.environment, self.reader.probes(), self.clock, self.inventory)
        self.app.push_screen(StatusScreen(context), self._jump_to)

    def _jump_to(self, target: tuple[str, str] | None) -> None:
        if target is None:
            return
        self._clear_filter()
        if self.table.select_entry(*target):
            self.table.focus()
        else:
            self.say(f"{target[1]} is no longer in {target[0]}.", "warning")

    # -- test connection (ui/widgets/connection_tests) ----------------------------------

    @property
    def tests(self) -> ConnectionTests:
        return self.query_one(ConnectionTests)

    def last_result(self, row: Row) -> ProbeResult | None:
        return self.probe_state.result_for(row.store.id, row.key, row.entry.credential) if self.probe_state else None

    def action_test(self) -> None:
        row = self.selected_row()
        if row is None or self.probe_state is None:
            self.say("Select an entry first.", "warning")
            return
        self.tests.test(row)

    def action_test_all(self) -> None:
        self.tests.test_all()

    def action_probe_url(self) -> None:
        row = self.selected_row()
        if row is None:
            self.say("Select an entry first.", "warning")
            return
        self.tests.change_url(row)

    @on(Testing)
    def _testing(self, event: Testing) -> None:
        for row in event.rows:
            if event.running:
                self.table.testing.add(row_id(row))
            elif row_id(row) in self.table.testing:
                self.table.testing.discard(row_id(row))
            else:
                continue
            self._refresh_row(row)

    @on(ResultKept)
    def _result_kept(self, event: ResultKept) -> None:
        self._refresh_row(event.row)

    def _refresh_row(self, row: Row) -> None:
        self.table.refresh_result(row)
        selected = self.selected_row()
        if selected is not None and row_id(selected) == row_id(row):
            self._render_detail(selected)
