"""The main screen: the stores, the credential table and the detail pane, and every action
on the selected entry.

The widgets own their state (the table its rows, filter and sort; the pane its reveal) and
report by messages; this screen owns the inventory, runs every store read and write in a
thread worker (the event loop only draws) and opens the dialogs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Header, Input, Static

from pixi_auth_tui.audit.findings import Finding, run_audit
from pixi_auth_tui.audit.fixes import FixHistory
from pixi_auth_tui.core.model import KINDS, is_oauth
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import (
    KEYCHAIN,
    WINNING,
    FileSignature,
    Inventory,
    Row,
    Status,
    changed_files,
    offering_uv_store,
)
from pixi_auth_tui.engine.operations import (
    EntryChanged,
    Keep,
    MoveUndo,
    Outcome,
    TargetHoldsKey,
    delete_entry,
    move_entry,
    save_credential,
    successor_after_delete,
    undo_move,
)
from pixi_auth_tui.probe.state import ProbeResult, ProbeState, probe_url_problem
from pixi_auth_tui.stores.base import Ability, Store, StoreError, StoreState
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.system.preferences import DETAIL_PLACES, Preferences
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen
from pixi_auth_tui.ui.messages import ResultKept, Said, StoresChanged, Testing
from pixi_auth_tui.ui.oauth_screens import OAuthFlows
from pixi_auth_tui.ui.reading import read_stores
from pixi_auth_tui.ui.row_index import RowIndex
from pixi_auth_tui.ui.terminal_text import PlainInput
from pixi_auth_tui.ui.widgets.connection_tests import ConnectionTests
from pixi_auth_tui.ui.widgets.credential_table import COLUMNS, CredentialTable, row_id
from pixi_auth_tui.ui.widgets.detail_pane import DetailPane
from pixi_auth_tui.ui.widgets.keys_footer import KeysFooter
from pixi_auth_tui.ui.widgets.store_summary import StoreSummary

# `r`'s outcome: said once the stores are read, with what was found.
REREAD = Outcome("Re-read every store")

if TYPE_CHECKING:
    # Dialogs and the audit screen are imported when first opened: nobody waits for them at start.
    from pixi_auth_tui.ui.audit_screen import AuditScreen
    from pixi_auth_tui.ui.dialogs.credential_form import FormResult, SignInStart

WRITABLE_STATES = (StoreState.OK, StoreState.MISSING)
UV_STORE = "uv"  # uv's credentials.toml (pixi_auth_tui.pypi.uv_credentials.STORE_ID)


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
        self.probe_state: ProbeState | None = None
        self.findings: list[Finding] = []
        self.audited = False  # `findings` are those of the stores shown (the audit follows each read)
        self.fix_history = FixHistory()  # outlives the audit screen: undo after reopening
        self.checking_files = False  # a look at the files for changes is under way
        self.files_checked = 0  # looks at the files for changes so far
        self.moves: list[MoveUndo] = []  # what `z` puts back, newest last

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
        self.set_interval(self.watch_seconds, self._watch_files)
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

    # -- loading -----------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._load()

    def action_reread(self) -> None:
        """`r`: re-read every store, and say what was found."""
        self._load(REREAD)

    async def _watch_files(self) -> None:
        """Another program (say `pixi auth login`) may rewrite a file while we show it.

        The files are looked at in a thread of asyncio's, not in a Textual worker: on a real
        terminal each worker's start and end redrew the whole screen while a dialog was open
        (checked on Textual 8.2; bench/tui_perf.py measures the bytes sent while idle)."""
        busy = any(w.group in ("load", "write") and w.is_running for w in self.workers)
        inventory = self.inventory
        if inventory is None or busy or self.checking_files:
            return
        # The thread gets the stores (a handful) and the files' signatures, never the inventory.
        stores, signature = list(inventory.stores), inventory.files
        self.checking_files = True
        try:
            changed = await asyncio.to_thread(changed_files, stores, signature)
        finally:
            self.checking_files = False
        self.files_checked += 1
        if changed:
            self._reload_if_current(signature, ", ".join(s.name for s in changed))

    def _reload_if_current(self, signature: FileSignature, names: str) -> None:
        if self.inventory is not None and self.inventory.files is signature:  # not reloaded meanwhile
            self._load(Outcome(f"{names} changed on disk (another program wrote it); reloaded"))

    @work(thread=True, exclusive=True, group="load", description="load stores")
    def _load(self, message: Outcome | None = None, select: tuple[str, str] | None = None) -> None:
        self._read_and_show(message, select)

    def _read_and_show(self, message: Outcome | None, select: tuple[str, str] | None) -> None:
        """From a worker thread: the table first, then the audit badge (the audit of 10,000
        entries takes tens of milliseconds, and nobody should wait for it to see the table)."""
        read = read_stores(self.environment)
        inventory = read.inventory
        if self.probe_state is None:
            self.probe_state = ProbeState.default(self.environment.env)
        self.app.call_from_thread(self.show_inventory, inventory, message, select, read.index)
        # The audit waits for the table's frame: on two cores it would otherwise compete with
        # the first drawing of the rows.
        drawn = threading.Event()
        self.app.call_from_thread(self.call_after_refresh, drawn.set)
        drawn.wait(timeout=5)
        findings = run_audit(
            inventory, self.environment.home, self.probe_state, now=self.clock(), backup_dir=self.backup_dir()
        )
        self.app.call_from_thread(self.set_findings, findings)

    def show_inventory(
        self,
        inventory: Inventory,
        message: Outcome | None = None,
        select: tuple[str, str] | None = None,
        index: RowIndex | None = None,
    ) -> None:
        self.inventory = inventory
        self.audited = False  # until the audit of these stores arrives (set_findings)
        self.tests.inventory, self.tests.probe_state = inventory, self.probe_state
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
        if self._why_not_editable(event.row) is None:
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

    # -- writes ------------------------------------------------------------------------

    def writable_stores(self) -> list[Store]:
        assert self.inventory is not None
        return [
            s for s in self.inventory.stores if s.writable and self.inventory.snapshots[s.id].state in WRITABLE_STATES
        ]

    def action_add(self) -> None:
        if self.inventory is None:
            return
        # uv's store is offered before its file exists (listed only once it does)
        inventory = offering_uv_store(self.inventory, self.environment)
        stores = [s for s in inventory.stores if s.writable and inventory.snapshots[s.id].state in WRITABLE_STATES]
        if not stores:
            self.say("No store can be written: see the store list for why.", "error")
            return
        from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm

        form = CredentialForm(
            inventory, stores, default_store=inventory.default_write_store(), home=self.environment.home
        )
        self.app.push_screen(form, self._form_done)

    def action_edit(self) -> None:
        row = self.selected_row()
        if row is None or self.inventory is None:
            self.say("Select an entry first.", "warning")
            return
        problem = self._why_not_editable(row)
        if problem is not None:
            self.say(problem, "warning")
            return
        from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm

        form = CredentialForm(
            self.inventory,
            [row.store],
            default_store=row.store,
            home=self.environment.home,
            editing=row,
            probe_url=self.probe_state.urls.get(row.key, "") if self.probe_state else "",
        )
        self.app.push_screen(form, self._form_done)

    def _why_not_editable(self, row: Row, moving: bool = False) -> str | None:
        spec = KINDS[row.entry.credential.kind]
        if not spec.editable:
            return f"{spec.label} entries are read-only here; delete is possible."
        if not row.store.writable:
            return f"{row.store.name} is read-only (as it is for rattler): edit it by hand."
        snapshot = self.inventory.snapshots[row.store.id] if self.inventory else None
        if not moving and snapshot is not None and snapshot.state not in WRITABLE_STATES:
            return f"{row.store.name} cannot be written: {snapshot.message}"
        return None

    def _form_done(self, result: FormResult | SignInStart | None) -> None:
        from pixi_auth_tui.ui.dialogs.credential_form import SignInStart

        if isinstance(result, SignInStart):
            if self.inventory is not None:
                self.oauth.sign_in(self.inventory, self.environment.home, result.key, result.store_id)
            return None
        if result is None or self.inventory is None:
            return
        inventory = offering_uv_store(self.inventory, self.environment)
        store = inventory.store(result.store_id)
        assert store is not None
        if result.probe_url and probe_url_problem(result.key, result.credential, result.probe_url) is None:
            self.tests.remember_url(result.key, result.probe_url)
        self.run_write(
            lambda: save_credential(inventory, store, result.key, result.credential, seen=result.seen),
            select=(store.id, result.key),
        )

    def action_move(self) -> None:
        row = self.selected_row()
        if row is None:
            self.say("Select an entry first.", "warning")
            return
        problem = self._why_not_editable(row, moving=True)
        if row.store.chain != "conda":
            problem = f"{row.store.name} entries belong to uv's chain (a service and a user name): add it anew."
        if problem is not None:
            self.say(problem, "warning")
            return
        # Only rattler's stores: a host key is no keyring service, and uv's stores are not pixi's.
        targets = [s for s in self.writable_stores() if s.id != row.store.id and s.chain == "conda"]
        if not targets:
            self.say("There is no other writable store to move to.", "warning")
            return

        def chosen(target_id: str | None) -> None:
            target = self.inventory.store(target_id) if target_id and self.inventory else None
            if target is not None:
                self._move(row, target, None)

        from pixi_auth_tui.ui.dialogs.move import MoveScreen

        self.app.push_screen(MoveScreen(row, targets, self.environment.home), chosen)

    def _move(self, row: Row, target: Store, keep: Keep | None) -> None:
        if self.inventory is None:
            return
        inventory, backups = self.inventory, self.backup_dir()

        def operation() -> Outcome:
            try:
                return move_entry(inventory, row, target, keep=keep, backup_dir=backups)
            except TargetHoldsKey as held:  # nothing was written: the person chooses
                self.app.call_from_thread(self._choose_keep, row, target, held)
                return Outcome(f"{target.name} already holds {row.key}: choose which to keep", changed=False)

        self.run_write(operation, select=(target.id, row.key))

    def _choose_keep(self, row: Row, target: Store, held: TargetHoldsKey) -> None:
        """The target already holds the key: show both, and let the person keep one."""
        from pixi_auth_tui.ui.dialogs.keep_choice import KeepChoiceScreen

        rows = self.inventory.rows if self.inventory else []
        there = next((r for r in rows if r.store.id == target.id and r.key == row.key), None)
        tests = (self.last_result(row), self.last_result(there) if there is not None else None)
        active = row.status in WINNING, there is not None and there.status in WINNING

        def answered(keep: Keep | None) -> None:
            if keep is not None:
                self._move(row, target, keep)
            else:
                self.say("Nothing was moved.")

        screen = KeepChoiceScreen(
            row.key, held.moving, held.there, tests, active, self.backup_dir(), self.environment.home
        )
        self.app.push_screen(screen, answered)

    def action_undo_move(self) -> None:
        if not self.moves or self.inventory is None:
            self.say("No move to undo.", "warning")
            return
        undo, inventory = self.moves[-1], self.inventory

        def operation() -> Outcome:
            outcome = undo_move(inventory, undo)
            self.app.call_from_thread(self._forget_move, undo)
            return outcome

        self.run_write(operation, select=(undo.source_id, undo.key))

    def _forget_move(self, undo: MoveUndo) -> None:
        if undo in self.moves:
            self.moves.remove(undo)

    def _reopen_edit(self, store_id: str, key: str) -> None:
        """The entry changed under an open form: open it again on what is there now."""
        if self.table.select_entry(store_id, key):
            self.action_edit()

    def action_delete(self) -> None:
        row = self.selected_row()
        if row is None or self.inventory is None:
            self.say("Select an entry first.", "warning")
            return
        if not row.store.writable:
            self.say(f"{row.store.name} is read-only (as it is for rattler): edit it by hand.", "warning")
            return
        if is_oauth(row.entry.credential):
            return self.oauth.sign_out(self.inventory, row)  # revoke at the provider, then remove
        inventory = self.inventory
        after = successor_after_delete(inventory, row)
        if row.store.id == UV_STORE:
            who = f" for {row.entry.item_ref}" if row.entry.item_ref else ""
            consequence = (
                f"uv will then find nothing in its credentials.toml under {row.key}{who} "
                "(the same as `uv auth logout`)."
            )
        elif row.store.chain != "conda":
            consequence = (
                f"`keyring get {row.key} {row.entry.item_ref}` will then find nothing: uv takes no password "
                "from this entry for PyPI indexes."
            )
        elif row.status is Status.BLOCKING:
            consequence = f"pixi then stops matching this entry for {row.key}" + (
                f" and uses {after.key} in {after.store.name}." if after else " and still sends no credential."
            )
        elif row.status is not Status.ACTIVE:
            consequence = "pixi does not use this entry, so nothing changes for pixi."
        elif after is None:
            consequence = f"pixi will then send no credential for {row.key}."
        elif after.key == row.key:
            consequence = f"pixi will then use the entry for {row.key} in {after.store.name}."
        else:
            consequence = f"pixi will then use {after.key} in {after.store.name} for {row.key}."
        question = f"Delete {row.key} from {row.store.name}?\n\n{consequence}"

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_write(lambda: delete_entry(inventory, row))

        self.app.push_screen(ConfirmScreen(question, confirm="Delete"), answered)

    def run_write(self, operation: Callable[[], Outcome], select: tuple[str, str] | None = None) -> None:
        self._write(operation, select)

    @work(thread=True, exclusive=True, group="write", description="write")
    def _write(self, operation: Callable[[], Outcome], select: tuple[str, str] | None) -> None:
        reopen: tuple[str, str] | None = None
        try:
            outcome: Outcome | None = operation()
        except EntryChanged as err:
            # Another program changed the entry while the form was open: nothing was written.
            self.app.call_from_thread(self.say, f"{err} The form is opened again on the new value.", "error", 12)
            outcome, reopen = None, select if err.current is not None else None
        except StoreError as err:
            self.app.call_from_thread(self.say, f"Nothing changed: {err}", "error", 10)
            outcome, select = None, None
        if outcome is not None and outcome.undo is not None:
            self.app.call_from_thread(self.moves.append, outcome.undo)
            outcome = replace(outcome, message=f"{outcome.message} (z undoes it)")
        # Re-read every store, so the table shows what is really there now.
        self._read_and_show(outcome, select)
        if reopen is not None:
            self.app.call_from_thread(self._reopen_edit, *reopen)

    # -- audit -------------------------------------------------------------------------

    def backup_dir(self) -> Path:
        state = self.probe_state or ProbeState.default(self.environment.env)
        return state.path.parent / "backups"

    def action_audit(self) -> None:
        from pixi_auth_tui.ui.audit_screen import AuditContext, AuditScreen

        shown = (self.inventory, self.findings) if self.inventory is not None and self.audited else None
        context = AuditContext(
            self.environment, self.clock, self.probe_state, self.backup_dir(), self.fix_history, shown
        )
        self.app.push_screen(AuditScreen(context, report_to=self), self._jump_to)

    def on_audit_screen_reread(self, event: AuditScreen.Reread) -> None:
        self.show_inventory(event.inventory)
        self.set_findings(event.findings)

    def action_workspace(self) -> None:
        from pixi_auth_tui.ui.workspace_screen import WorkspaceContext, WorkspaceScreen

        if self.probe_state is None:
            self.probe_state = ProbeState.default(self.environment.env)
        context = WorkspaceContext(self.environment, self.probe_state, self.action_refresh)
        remembered = Path(self.preferences.workspace) if self.preferences.workspace else None
        paths = getattr(self.app, "workspace_paths", None) or (
            [remembered] if remembered and remembered.exists() else []
        )
        paths = paths or [Path.cwd()]
        if str(paths[0]) != self.preferences.workspace:
            self.preferences = replace(self.preferences, workspace=str(paths[0]))
            self.post_message(self.Remember(workspace=str(paths[0])))
        self.app.push_screen(WorkspaceScreen(paths, context), self._jump_to)

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

    # -- keychain ----------------------------------------------------------------------

    def action_unlock(self) -> None:
        store = self.inventory.store(KEYCHAIN) if self.inventory else None
        if store is None or Ability.UNLOCK not in store.abilities:
            self.say("This keychain cannot be unlocked from here.", "warning")
            return
        assert self.inventory is not None
        snapshot = self.inventory.snapshots[KEYCHAIN]
        if snapshot.state is StoreState.OK:
            self.say("The keychain is already unlocked.")
            return
        if snapshot.state is not StoreState.LOCKED:
            self.say(f"The keychain cannot be unlocked: {snapshot.message}", "warning", 10)
            return
        self.say("Asking the keychain to unlock: answer its password prompt…", timeout=10)
        self._unlock(store)

    @work(thread=True, exclusive=True, group="write")
    def _unlock(self, store: Store) -> None:
        try:
            unlocked = store.unlock()
        except StoreError as err:
            self.app.call_from_thread(self.say, f"The keychain stays locked: {err}", "error", 10)
            return
        if unlocked:
            self.app.call_from_thread(self.say, "Keychain unlocked.")
        else:
            self.app.call_from_thread(self.say, "The keychain stays locked (the prompt was dismissed).", "warning")
        self._read_and_show(None, None)
