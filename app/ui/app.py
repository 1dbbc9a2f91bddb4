"""The main application: one table of every stored credential, in pixi's lookup order.

All store I/O (files, D-Bus) runs in thread workers; the event loop only draws.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar, TypeVar

from pixi_auth_tui.audit import Finding, FixHistory, run_audit, summary
from pixi_auth_tui.inventory import KEYCHAIN, Inventory, Row, Status, changed_files, load_inventory, order_note
from pixi_auth_tui.model import (
    KIND_LABELS,
    BasicHTTP,
    OAuth,
    S3Credentials,
    Unrecognised,
    expires_at,
    masked_secret,
    secret_of,
)
from pixi_auth_tui.operations import Outcome, delete_entry, move_entry, save_credential, successor_after_delete
from pixi_auth_tui.paths import Environment
from pixi_auth_tui.probe_state import ProbeResult, ProbeState, Verdict, default_probe_url, result_key
from pixi_auth_tui.redact import plain, safe
from pixi_auth_tui.stores.base import Store, StoreError, StoreState
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.forms import (
    ConfirmScreen,
    CredentialForm,
    FormResult,
    HelpScreen,
    MoveScreen,
    ProbeUrlScreen,
    SignInStart,
)
from pixi_auth_tui.ui.oauth_screens import OAuthActions, token_fields
from pixi_auth_tui.ui.styles import stylesheet
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Header, Input, ProgressBar, Static
from textual.worker import Worker, WorkerFailed

COLUMNS = ("Key", "Kind", "Store", "Status", "User / secret", "Expires", "Last test")
VERDICT_STYLE = {
    Verdict.ACCEPTED: "green",
    Verdict.PUBLIC: "yellow",
    Verdict.REJECTED: "bold red",
    Verdict.EXPIRED: "bold red",
}
REVEAL_SECONDS = 10.0
STATE_STYLE = {
    StoreState.OK: "green",
    StoreState.MISSING: "dim",
    StoreState.MALFORMED: "bold red",
    StoreState.REJECTED: "bold red",
    StoreState.LOCKED: "yellow",
    StoreState.UNAVAILABLE: "yellow",
    StoreState.ERROR: "bold red",
}

RowId = tuple[str, str, str | None]
ROW_WINDOW = 80  # rows handed to the DataTable at a time (two screens' worth)
ROW_PRELOAD = 30  # load the next window when the cursor comes this close to the end
TABLE_ACTIONS = frozenset(
    {
        "add",
        "edit",
        "move",
        "delete",
        "reveal",
        "copy",
        "filter",
        "sort",
        "test",
        "test_all",
        "audit",
        "refresh",
        "unlock",
        "sign_in",
        "oauth_refresh",
        "workspace",
    }
)


def row_id(row: Row) -> RowId:
    return (row.store.id, row.key, row.entry.item_ref)


WidgetT = TypeVar("WidgetT", bound=Widget)


def hidden(widget: WidgetT) -> WidgetT:
    """Start a widget hidden: cheaper than hiding it after mount, which restyles the screen."""
    widget.display = False
    return widget


class AuthApp(OAuthActions, App[None]):
    TITLE = "pixi-auth-tui"
    CSS_PATH = stylesheet("app.tcss")
    watch_seconds = 2.0  # how often the file stores are checked for changes by other programs
    # Below 180 columns the detail pane moves under the table (styles/app.tcss), so every
    # column of the table stays visible. Breakpoints are applied before the first frame.
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (180, "-wide")]
    AUTO_FOCUS = "#table"  # focused once at start, so the footer is laid out once
    BINDINGS: ClassVar = [
        Binding("n", "add", "Add"),
        Binding("e", "edit", "Edit/rotate"),
        Binding("m", "move", "Move"),
        Binding("d", "delete", "Delete"),
        Binding("v", "reveal", "Reveal", show=False),
        Binding("c", "copy", "Copy", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("o", "sort", "Sort", show=False),
        Binding("t", "test", "Test"),
        Binding("T", "test_all", "Test all", show=False),
        Binding("a", "audit", "Audit"),
        Binding("w", "workspace", "Workspace", show=False),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("u", "unlock", "Unlock keychain", show=False),
        Binding("l", "sign_in", "Sign in (OAuth)", show=False),
        Binding("R", "oauth_refresh", "Refresh OAuth token now", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, environment: Environment, clock: Callable[[], float] = present.now) -> None:
        super().__init__()
        self.environment = environment
        self.clock = clock
        self.inventory: Inventory | None = None
        self.shown_rows: list[Row] = []  # every row matching the filter, in display order
        self.loaded = 0  # how many of them the DataTable holds
        self._filter_index: list[tuple[str, Row]] | None = None
        self._last_filter: tuple[str, list[tuple[str, Row]]] = ("", [])
        self.sort_column: int | None = None  # None: pixi's lookup order
        self.sort_reverse = False
        self.revealed: RowId | None = None
        self._hide_timer: Timer | None = None
        self.probe_state: ProbeState | None = None
        self.testing: set[RowId] = set()
        self._test_all: Worker[None] | None = None
        self.findings: list[Finding] = []
        self.fix_history = FixHistory()  # audit fixes of this session, undoable from any visit
        self.crash_report: Path | None = None
        self.workspace_paths: list[Path] = []  # set when started inside a pixi workspace: shown first
        if environment.label == "demo":
            self.sub_title = "demo data — nothing real is read or written"

    # -- the exits: notifications and crashes --------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast (from any screen or worker) passes the redactor and is plain text:
        keys, paths and server answers are never markup, so `[@click=…]` stays text."""
        super().notify(safe(message, keep="\n"), title=safe(title), severity=severity, timeout=timeout, markup=False)

    def _handle_exception(self, error: Exception) -> None:
        """Textual would print a traceback with local variables (every loaded token) on exit.
        Instead: a redacted report file, and one clear message on stderr."""
        from pixi_auth_tui.crash import crash_message, write_report

        self._return_code = 1
        if self._exception is None:
            self._exception = error  # Pilot re-raises it in tests
            self._exception_event.set()
        # A worker's failure wraps the real error (and its traceback): report that one.
        cause = error.error if isinstance(error, WorkerFailed) and isinstance(error.error, Exception) else error
        self.crash_report = write_report(cause, self.environment.env)
        self._exit_renderables.append(Text(crash_message(cause, self.crash_report)))
        self._close_messages_no_wait()

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield hidden(Static("", id="banner"))
        yield Static("Reading stores…", id="stores")
        yield Static("", id="badge")
        yield hidden(Input(placeholder="filter: key, kind, store, username — Esc clears", id="filter"))
        yield hidden(ProgressBar(id="progress", show_eta=False))
        with Horizontal(id="body"):
            yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="detail-pane"):
                yield Static("", id="detail")
        yield hidden(Static("", id="more"))
        yield hidden(Static("", id="empty"))
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The table's actions act on the main screen's selection: never from a dialog or the
        # Audit screen, where that selection is out of sight.
        return not (action in TABLE_ACTIONS and len(self.screen_stack) > 1)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(name, key=name)
        self.action_refresh()
        self.set_interval(self.watch_seconds, self._watch_files)
        self.set_interval(1.0, self.tick_token_detail)  # OAuth/JWT expiry countdown
        if self.workspace_paths:
            self.action_workspace()

    # -- loading -----------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._load()

    def _watch_files(self) -> None:
        """Another program (say `pixi auth login`) may rewrite a file while we show it."""
        busy = any(w.group in ("load", "write") and w.is_running for w in self.workers)
        if self.inventory is not None and not busy:
            self._check_files(self.inventory)

    # Worker descriptions are given: Textual would otherwise build them from repr() of every
    # argument — an inventory of 100,000 entries — on the event loop, every two seconds.
    @work(thread=True, exclusive=True, group="watch", description="check files for changes")
    def _check_files(self, inventory: Inventory) -> None:
        changed = changed_files(inventory)
        if changed and inventory is self.inventory:
            names = ", ".join(store.name for store in changed)
            self.call_from_thread(self._load, Outcome(f"{names} changed on disk (another program wrote it); reloaded"))

    @work(thread=True, exclusive=True, group="load", description="load stores")
    def _load(self, message: Outcome | None = None) -> None:
        inventory = load_inventory(self.environment)
        if self.probe_state is None:
            self.probe_state = ProbeState.default(self.environment.env)
        self._show_then_audit(inventory, message)

    def _show_then_audit(self, inventory: Inventory, message: Outcome | None) -> None:
        """From a worker thread: the table first, then the audit badge (the audit of 10,000
        entries takes tens of milliseconds, and nobody should wait for it to see the table)."""
        self.call_from_thread(self.show_inventory, inventory, message)
        findings = run_audit(
            inventory, self.environment.home, self.probe_state, now=self.clock(), backup_dir=self.backup_dir()
        )
        self.call_from_thread(self.set_findings, findings)

    def show_inventory(self, inventory: Inventory, message: Outcome | None = None) -> None:
        self.inventory = inventory
        self._filter_index = None
        self._render_stores(inventory)
        self._render_table()
        if message is not None:
            self.notify(message.message, severity="information" if message.ok else "warning", timeout=8)

    def _render_stores(self, inventory: Inventory) -> None:
        banner = self.query_one("#banner", Static)
        banner.display = inventory.blocked is not None
        if inventory.blocked:
            banner.update(Text(plain(f"⚠ {present.tilde(inventory.blocked, self.environment.home)}"), style="bold"))
        lines = Text()
        for i, store in enumerate(inventory.stores, 1):
            snap = inventory.snapshots[store.id]
            if i > 1:
                lines.append("\n")
            lines.append(f"{i} {store.name:<17}", style="bold")
            lines.append(f"{snap.state.value:<11}", style=STATE_STYLE[snap.state])
            count = len(snap.entries)
            lines.append(f"{count:>4} {'entry  ' if count == 1 else 'entries'}  ")
            lines.append(plain(present.display_path(store.location, self.environment.home)))
            if snap.state not in (StoreState.OK,):
                lines.append(f"  {plain(snap.message)}", style="italic")
        self.query_one("#stores", Static).update(lines)

    def _sorted_rows(self, rows: list[Row]) -> list[Row]:
        if self.sort_column is None:
            return rows
        now = self.clock()
        column = self.sort_column
        return sorted(
            rows,
            key=lambda r: [*present.row_cells(r, now), self.last_test_cell(r).plain][column].lower(),
            reverse=self.sort_reverse,
        )

    def _render_table(self) -> None:
        inventory = self.inventory
        if inventory is None:
            return
        table = self.query_one(DataTable)
        selected = self.selected_row()
        keep = row_id(selected) if selected else None
        needle = self.query_one("#filter", Input).value if self.query_one("#filter").display else ""
        self.shown_rows = self._sorted_rows(self._matching(inventory, needle.lower()))
        table.clear()
        self.loaded = 0
        target = next((i for i, r in enumerate(self.shown_rows) if row_id(r) == keep), 0) if keep else 0
        self._load_rows_through(target)
        self._render_empty(inventory, needle)
        if target:
            table.move_cursor(row=target)
        self._render_detail()

    def _matching(self, inventory: Inventory, needle: str) -> list[Row]:
        """Rows whose filter text holds every word of `needle`, in lookup order.

        The (text, row) index is built once per load; while a person keeps typing, only the
        previous matches are searched again, so each keystroke over 10,000 rows stays cheap.
        """
        if self._filter_index is None:
            self._filter_index = [(present.filter_text(r), r) for r in inventory.rows]
            self._last_filter = ("", self._filter_index)
        previous_needle, previous = self._last_filter
        candidates = previous if needle.startswith(previous_needle) else self._filter_index
        words = needle.split()
        matches = [(text, row) for text, row in candidates if all(w in text for w in words)]
        self._last_filter = (needle, matches)
        return [row for _text, row in matches]

    def _load_rows_through(self, index: int) -> None:
        """Give the table rows up to `index` (at least one window): it only ever holds what
        a person can reach soon, so a 10,000-row store stays quick to filter and redraw."""
        table = self.query_one(DataTable)
        end = min(len(self.shown_rows), max(index + 1, self.loaded + ROW_WINDOW))
        if end <= self.loaded:
            return
        now = self.clock()
        for position in range(self.loaded, end):
            row = self.shown_rows[position]
            style = "" if row.status is Status.ACTIVE else "dim"
            if row.status is Status.IGNORED:
                style = "dim red"
            cells = [Text(cell, style=style) for cell in present.row_cells(row, now)]
            table.add_row(*cells, self.last_test_cell(row), key=str(position))
        self.loaded = end
        more = self.query_one("#more", Static)
        remaining = len(self.shown_rows) - self.loaded
        more.display = remaining > 0
        if remaining:
            more.update(
                Text(
                    f"{self.loaded} of {len(self.shown_rows)} rows shown — more load as you scroll; / filters",
                    style="dim",
                )
            )

    def select_index(self, index: int) -> None:
        """Move the cursor to shown row `index`, loading rows up to it first."""
        self._load_rows_through(index)
        self.query_one(DataTable).move_cursor(row=index)

    def _render_empty(self, inventory: Inventory, needle: str) -> None:
        empty = self.query_one("#empty", Static)
        body = self.query_one("#body")
        if inventory.rows:
            empty.display = False
            body.display = True
            if not self.shown_rows:
                empty.display = True
                empty.update(Text(f"No entry matches “{plain(needle)}”. Esc clears the filter."))
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

    # -- selection and detail ------------------------------------------------------------

    def selected_row(self) -> Row | None:
        table = self.query_one(DataTable)
        if not self.shown_rows or table.row_count == 0:
            return None
        index = table.cursor_row
        return self.shown_rows[index] if 0 <= index < len(self.shown_rows) else None

    @on(DataTable.RowHighlighted)
    def _row_changed(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.loaded - ROW_PRELOAD:
            self._load_rows_through(event.cursor_row + ROW_WINDOW)
        row = self.selected_row()
        if self.revealed is not None and (row is None or row_id(row) != self.revealed):
            self.revealed = None
        self._render_detail()

    def _render_detail(self) -> None:
        self.query_one("#detail", Static).update(self.detail_text(self.selected_row()))

    def detail_text(self, row: Row | None) -> Text:
        if row is None or self.inventory is None:
            return Text("No entry selected.", style="dim")
        cred = row.entry.credential
        text = Text()

        def field(label: str, value: str, style: str = "") -> None:
            text.append(f"{label:<13}", style="bold")
            text.append(f"{plain(value)}\n", style=style)  # outside text: escapes shown, never acted on

        field("Key", row.key)
        field("Kind", KIND_LABELS[cred.kind])
        field("Store", row.store.name)
        field("Location", present.display_path(row.store.location, self.environment.home))
        note = order_note(self.inventory, row.store.id)
        if note:
            field("Order", present.tilde(note, self.environment.home), "yellow")
        status_style = {"active": "green", "shadowed": "yellow", "ignored": "red"}[row.status.value]
        field("Status", row.status.value, status_style)
        field("Why", row.reason)
        if isinstance(cred, BasicHTTP):
            field("Username", cred.username)
            if cred.misspelled:
                field("Problem", "spelled `BasicHttp`; rattler only reads `BasicHTTP`", "red")
        if isinstance(cred, S3Credentials):
            field("Access key", cred.access_key_id)
            field("Session token", "yes" if cred.session_token else "no")
        token_lines = token_fields(cred, self.clock())  # OAuth and JWT bearer: expiry, claims
        for label, value, style in token_lines:
            field(label, value, style)
        if isinstance(cred, Unrecognised):
            field("Problem", cred.reason, "red")
        expiry = expires_at(cred)
        if expiry is not None and not token_lines:
            field("Expires", f"{present.absolute_time(expiry)} ({present.relative_expiry(expiry, self.clock())})")
        if row.entry.item_ref:
            field("Item", row.entry.item_ref, "dim")
        secret = secret_of(cred)
        if secret is not None:
            if self.revealed == row_id(row):
                field("Secret", secret, "bold reverse")
                text.append(f"(hidden again in {int(REVEAL_SECONDS)}s or when you leave the row)\n", style="dim")
            else:
                field("Secret", masked_secret(cred))
                text.append("v reveals · c copies to the clipboard\n", style="dim")
        result = self.last_result(row)
        if result is not None:
            text.append("\nLast test\n", style="bold")
            text.append(
                f"  {result.verdict.value}: {plain(result.message)}\n", style=VERDICT_STYLE.get(result.verdict, "")
            )
            if result.url:
                text.append(f"  {plain(result.url)}\n", style="dim")
            if result.status is not None:
                text.append(f"  HTTP {result.status} in {result.latency_ms:.0f} ms", style="dim")
                text.append(f"{', ' + result.tls if result.tls else ''}\n", style="dim")
        others = [r for r in self.inventory.rows_for(row.key) if r is not row]
        if others:
            text.append("\nSame key elsewhere:\n", style="bold")
            for other in others:
                text.append(f"  {other.store.name}: {other.status.value}\n")
        return text

    # -- reveal / copy -----------------------------------------------------------------

    def action_reveal(self) -> None:
        row = self.selected_row()
        if row is None or secret_of(row.entry.credential) is None:
            self.notify("This entry has no secret to reveal.", severity="warning")
            return
        self.revealed = row_id(row)
        if self._hide_timer is not None:
            self._hide_timer.stop()
        self._hide_timer = self.set_timer(REVEAL_SECONDS, self._hide_secret)
        self._render_detail()

    def _hide_secret(self) -> None:
        self.revealed = None
        self._render_detail()

    def action_copy(self) -> None:
        row = self.selected_row()
        secret = secret_of(row.entry.credential) if row else None
        if row is None or secret is None:
            self.notify("This entry has no secret to copy.", severity="warning")
            return
        self.copy_to_clipboard(secret)
        self.notify(f"Copied the secret of {row.key} to the clipboard.")

    # -- filter and sort ---------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._render_table()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def key_escape(self) -> None:
        if self._test_all is not None and self._test_all.is_running:
            self._test_all.cancel()
            self.notify("Stopped testing; finished results are kept.")
            return
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.query_one(DataTable).focus()
            self._render_table()

    def action_sort(self) -> None:
        """Cycle: lookup order → each column → lookup order."""
        if self.sort_column is None:
            self.sort_column = 0
        elif self.sort_column + 1 < len(COLUMNS):
            self.sort_column += 1
        else:
            self.sort_column = None
        self.sort_reverse = False
        self._announce_sort()

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        if self.sort_column == event.column_index:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = event.column_index, False
        self._announce_sort()

    def _announce_sort(self) -> None:
        self._render_table()
        what = "pixi's lookup order" if self.sort_column is None else COLUMNS[self.sort_column]
        self.notify(f"Sorted by {what}{' (reversed)' if self.sort_reverse else ''}.", timeout=2)

    # -- writes ------------------------------------------------------------------------

    def writable_stores(self) -> list[Store]:
        assert self.inventory is not None
        usable = (StoreState.OK, StoreState.MISSING)
        return [s for s in self.inventory.stores if s.writable and self.inventory.snapshots[s.id].state in usable]

    def action_add(self) -> None:
        if self.inventory is None:
            return
        stores = self.writable_stores()
        if not stores:
            self.notify("No store can be written: see the store list for why.", severity="error")
            return
        form = CredentialForm(
            self.inventory, stores, default_store=self.inventory.default_write_store(), home=self.environment.home
        )
        self.push_screen(form, self._form_done)

    def action_edit(self) -> None:
        row = self._editable_row("edit")
        if row is None or self.inventory is None:
            return
        form = CredentialForm(
            self.inventory, [row.store], default_store=row.store, home=self.environment.home, editing=row
        )
        self.push_screen(form, self._form_done)

    def _editable_row(self, verb: str) -> Row | None:
        row = self.selected_row()
        if row is None:
            self.notify("Select an entry first.", severity="warning")
            return None
        if row.entry.credential.kind in ("OAuth", "Unrecognised", "NotRead"):
            self.notify(f"{KIND_LABELS[row.entry.credential.kind]} entries are read-only here; delete is possible.")
            return None
        if not row.store.writable:
            self.notify(f"{row.store.name} is read-only (as it is for rattler): edit it by hand.", severity="warning")
            return None
        if (
            verb == "edit"
            and self.inventory
            and self.inventory.snapshots[row.store.id].state
            not in (
                StoreState.OK,
                StoreState.MISSING,
            )
        ):
            self.notify(f"{row.store.name} cannot be written: {self.inventory.snapshots[row.store.id].message}")
            return None
        return row

    def _form_done(self, result: FormResult | SignInStart | None) -> None:
        if result is None or self.inventory is None:
            return
        if isinstance(result, SignInStart):
            return self.start_sign_in(result.key, result.store_id)
        store = self.inventory.store(result.store_id)
        assert store is not None
        inventory = self.inventory
        self.run_write(lambda: save_credential(inventory, store, result.key, result.credential))

    def action_move(self) -> None:
        row = self._editable_row("move")
        if row is None:
            return
        targets = [s for s in self.writable_stores() if s.id != row.store.id]
        if not targets:
            self.notify("There is no other writable store to move to.", severity="warning")
            return
        self.push_screen(MoveScreen(row, targets, self.environment.home), lambda t: self._move_to(row, t))

    def _move_to(self, row: Row, target_id: str | None) -> None:
        if target_id is None or self.inventory is None:
            return
        target = self.inventory.store(target_id)
        assert target is not None
        inventory = self.inventory
        self.run_write(lambda: move_entry(inventory, row, target))

    def action_delete(self) -> None:
        row = self.selected_row()
        if row is None or self.inventory is None:
            self.notify("Select an entry first.", severity="warning")
            return
        if not row.store.writable:
            self.notify(f"{row.store.name} is read-only (as it is for rattler): edit it by hand.", severity="warning")
            return
        if isinstance(row.entry.credential, OAuth):
            return self.sign_out(row)  # revoke at the provider, then remove
        after = successor_after_delete(self.inventory, row)
        if row.status is Status.ACTIVE:
            consequence = (
                f"pixi will then use the entry in {after.store.name} for {row.key}."
                if after
                else f"pixi will then send no credential for {row.key}."
            )
        else:
            consequence = "pixi does not use this entry, so nothing changes for pixi."
        question = f"Delete {row.key} from {row.store.name}?\n\n{consequence}"
        inventory = self.inventory
        self.push_screen(
            ConfirmScreen(question, confirm="Delete"),
            lambda yes: self.run_write(lambda: delete_entry(inventory, row)) if yes else None,
        )

    def run_write(self, operation: Callable[[], Outcome]) -> None:
        self._write(operation)

    @work(thread=True, exclusive=True, group="write", description="write")
    def _write(self, operation: Callable[[], Outcome]) -> None:
        try:
            outcome = operation()
        except StoreError as err:
            self.call_from_thread(self.notify, f"Nothing changed: {err}", severity="error", timeout=10)
            outcome = None
        # Re-read every store, so the table shows what is really there now.
        self._show_then_audit(load_inventory(self.environment), outcome)

    # -- audit -------------------------------------------------------------------------

    def set_findings(self, findings: list[Finding]) -> None:
        self.findings = findings
        counts = summary(findings)
        badge = self.query_one("#badge", Static)
        if counts["error"] or counts["warning"]:
            badge.update(
                Text.assemble(
                    ("Audit: ", "bold"),
                    (f"{counts['error']} error(s)", "bold red" if counts["error"] else ""),
                    ", ",
                    (f"{counts['warning']} warning(s)", "yellow" if counts["warning"] else ""),
                    (" — press a for details and fixes", "dim"),
                )
            )
        else:
            badge.update(Text("Audit: nothing to report", style="green"))

    def backup_dir(self) -> Path:
        state = self.probe_state or ProbeState.default(self.environment.env)
        return state.path.parent / "backups"

    def action_audit(self) -> None:
        from pixi_auth_tui.ui.audit_screen import AuditScreen

        self.push_screen(AuditScreen(), self._jump_to)

    def action_workspace(self) -> None:
        from pixi_auth_tui.ui.workspace_screen import WorkspaceContext, WorkspaceScreen

        if self.probe_state is None:
            self.probe_state = ProbeState.default(self.environment.env)
        context = WorkspaceContext(self.environment, self.probe_state, self.action_refresh)
        self.push_screen(WorkspaceScreen(self.workspace_paths or [Path.cwd()], context), self._jump_to)

    def _jump_to(self, target: tuple[str, str] | None) -> None:
        if target is None:
            return
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self._render_table()
        for index, row in enumerate(self.shown_rows):
            if (row.store.id, row.key) == target:
                self.select_index(index)
                self.query_one(DataTable).focus()
                return
        self.notify(f"{target[1]} is no longer in {target[0]}.", severity="warning")

    # -- test connection ---------------------------------------------------------------

    def last_test_cell(self, row: Row) -> Text:
        if row_id(row) in self.testing:
            return Text("testing…", style="italic")
        result = self.last_result(row)
        if result is None:
            return Text("")
        return Text(result.verdict.value, style=VERDICT_STYLE.get(result.verdict, "yellow"))

    def last_result(self, row: Row) -> ProbeResult | None:
        return self.probe_state.results.get(result_key(row.store.id, row.key)) if self.probe_state else None

    def _refresh_row(self, row: Row) -> None:
        for index, shown in enumerate(self.shown_rows[: self.loaded]):
            if row_id(shown) == row_id(row):
                self.query_one(DataTable).update_cell(str(index), "Last test", self.last_test_cell(row))
        if self.selected_row() is not None and row_id(self.selected_row()) == row_id(row):
            self._render_detail()

    def probe_url_for(self, row: Row) -> str | None:
        remembered = self.probe_state.urls.get(row.key) if self.probe_state else None
        return remembered or default_probe_url(row.key, row.entry.credential)

    def action_test(self) -> None:
        row = self.selected_row()
        if row is None or self.probe_state is None:
            self.notify("Select an entry first.", severity="warning")
            return
        url = self.probe_url_for(row)
        if url is None or row.key.startswith("*."):
            # Wildcards and S3 keys need a concrete URL; remembered for next time.
            self.push_screen(ProbeUrlScreen(row.key, url or ""), lambda given: self._test_with_url(row, given))
            return
        self._test_with_url(row, url)

    def _test_with_url(self, row: Row, url: str | None) -> None:
        if not url or self.probe_state is None:
            return
        self.probe_state.urls[row.key] = url
        if url.startswith("http://"):
            self.push_screen(
                ConfirmScreen(
                    f"{url} is plain http: the secret of {row.key} would travel unencrypted.\n\nSend it anyway?",
                    confirm="Send",
                ),
                lambda yes: self._run_tests([row], allow_http=True) if yes else None,
            )
            return
        self._run_tests([row], allow_http=False)

    def action_test_all(self) -> None:
        if self._test_all is not None and self._test_all.is_running:
            self._test_all.cancel()
            self.notify("Stopped testing; finished results are kept.")
            return
        if self.inventory is None:
            return
        rows = [r for r in self.inventory.rows if r.status is Status.ACTIVE]
        if not rows:
            self.notify("Nothing to test: pixi uses no stored credential.", severity="warning")
            return
        insecure = [r for r in rows if (self.probe_url_for(r) or "").startswith("http://")]
        if insecure:
            names = ", ".join(r.key for r in insecure[:5]) + ("…" if len(insecure) > 5 else "")
            self.push_screen(
                ConfirmScreen(
                    f"{len(insecure)} of these use plain http ({names}): their secrets would travel unencrypted.\n\n"
                    "Send those too?",
                    confirm="Send",
                ),
                lambda yes: self._run_tests(rows, allow_http=bool(yes)),
            )
            return
        self._run_tests(rows, allow_http=False)

    def _run_tests(self, rows: list[Row], allow_http: bool) -> None:
        worker = self._probe_rows(rows, allow_http)
        if len(rows) > 1:
            self._test_all = worker

    @work(group="probe", description="test credentials")
    async def _probe_rows(self, rows: list[Row], allow_http: bool) -> None:
        from pixi_auth_tui.probe import ProbeJob, ProbeOptions, ProbeSetupError, probe_many  # httpx: on first use

        assert self.probe_state is not None
        rows = await self.refresh_before_test(rows)  # OAuth: refresh first when rattler would
        state = self.probe_state
        jobs = [ProbeJob(r.key, r.entry.credential, self.probe_url_for(r), str(i)) for i, r in enumerate(rows)]
        progress = self.query_one("#progress", ProgressBar)
        if len(rows) > 1:
            progress.update(total=len(rows), progress=0)
            progress.display = True
        for row in rows:
            self.testing.add(row_id(row))
            self._refresh_row(row)
        options = ProbeOptions(
            allow_http=allow_http,
            env=dict(self.environment.env),
            generic_whoami=len(rows) == 1,
            offline=self.environment.label == "demo",  # demo keys name real hosts: never contact them
        )

        def finished(job: ProbeJob, result: ProbeResult) -> None:
            row = rows[int(job.ref)]
            state.results[result_key(row.store.id, row.key)] = result
            self.testing.discard(row_id(row))
            self._refresh_row(row)
            progress.advance(1)
            if len(rows) == 1:
                severity = "error" if result.verdict in (Verdict.REJECTED, Verdict.EXPIRED) else "information"
                self.notify(f"{row.key}: {result.message}", severity=severity, timeout=8)

        try:
            try:
                results = await probe_many(jobs, options, on_result=finished)
            except ProbeSetupError as err:
                self.notify(f"Cannot test: {err}", severity="error", timeout=10)
                return
            if len(rows) > 1:
                accepted = sum(r.verdict is Verdict.ACCEPTED for r in results)
                rejected = sum(r.verdict in (Verdict.REJECTED, Verdict.EXPIRED) for r in results)
                self.notify(f"Tested {len(results)}: {accepted} accepted, {rejected} rejected or expired.", timeout=8)
        finally:
            for row in rows:
                if row_id(row) in self.testing:
                    self.testing.discard(row_id(row))
                    self._refresh_row(row)
            progress.display = False
            await asyncio.to_thread(state.save)

    # -- keychain ----------------------------------------------------------------------

    def action_unlock(self) -> None:
        self._unlock()

    @work(thread=True, exclusive=True, group="write")
    def _unlock(self) -> None:
        store = self.inventory.store(KEYCHAIN) if self.inventory else None
        unlock = getattr(store, "unlock", None)
        if unlock is None:
            self.call_from_thread(self.notify, "This keychain cannot be unlocked from here.", severity="warning")
            return
        try:
            ok = unlock()
        except StoreError as err:
            self.call_from_thread(self.notify, str(err), severity="error")
            return
        self.call_from_thread(self.notify, "Keychain unlocked." if ok else "The keychain stays locked.")
        self.call_from_thread(self.action_refresh)

    # -- help and command palette ------------------------------------------------------

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.BINDINGS))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            if binding.action in ("quit", "help"):
                continue
            yield SystemCommand(
                binding.description,
                f"{binding.description} (key: {binding.key})",
                getattr(self, f"action_{binding.action}"),
            )
        yield SystemCommand("Help", "Show every key binding", self.action_help)
