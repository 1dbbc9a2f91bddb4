"""The Status screen: per host, the credential pixi sends, its kind, expiry and last test — the
CLI's `status` (audit.status.host_statuses, the same engine function) as a table. Enter goes to
the credential; `r` reads the stores again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import Worker

from pixi_auth_tui.audit.status import (
    ACCEPTED,
    CI_SIGN_IN,
    FAILING_STATES,
    NONE,
    UNTESTED,
    HostStatus,
    describe,
    host_statuses,
)
from pixi_auth_tui.ci.detect import CiContext, detect_ci
from pixi_auth_tui.core.model import KIND_LABELS
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import Inventory, load_inventory
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.keys_line import KeysLine
from pixi_auth_tui.ui.widgets.line_table import LineTable

# The long column last: at 80 columns the state, expiry and last test stay in view.
COLUMNS = ("Host", "State", "Expires", "Last test", "Credential pixi sends")


def state_style(state: str) -> str:
    if state in FAILING_STATES:
        return "bold red"
    if state in (ACCEPTED, CI_SIGN_IN):
        return "green"
    if state == NONE:
        return "dim"
    return "yellow" if state == UNTESTED else ""


@dataclass
class StatusContext:
    """What the view needs from whoever opens it."""

    environment: Environment
    state: ProbeState  # shared with the main screen: its tests' results show here
    clock: Callable[[], float]
    inventory: Inventory | None = None  # the stores as last read (None: read them here)


class StatusScreen(Screen[tuple[str, str] | None]):
    """Dismisses with (store id, key) of the credential to go to, or None."""

    DEFAULT_CSS = """
    #status-summary { height: auto; padding: 0 1; border-bottom: solid $primary 40%; }
    #statuses { height: 2fr; }
    #status-pane { height: 1fr; border-top: solid $primary 40%; padding: 0 1; }
    """
    BINDINGS: ClassVar = [
        Binding("escape,s", "back", "Back"),
        Binding("enter", "jump", "Go to credential"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self, context: StatusContext) -> None:
        super().__init__()
        self.context = context
        self.statuses: list[HostStatus] = []
        self.running: Worker[None] | None = None  # the latest read (tests wait on it)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading the stores…", id="status-summary")
        yield LineTable(on_highlight=lambda _cursor: self._render_detail(), id="statuses")
        with VerticalScroll(id="status-pane"):
            yield Static("", id="status-detail")
        yield KeysLine()

    def on_mount(self) -> None:
        table = self.query_one("#statuses", LineTable)
        table.set_columns(COLUMNS)
        table.focus()
        self.running = self._read(self.context.inventory)

    def action_refresh(self) -> None:
        self.running = self._read(None)

    @work(thread=True, exclusive=True, group="status")
    def _read(self, inventory: Inventory | None) -> None:
        environment = self.context.environment
        inventory = inventory if inventory is not None else load_inventory(environment)
        ci = detect_ci(inventory.env or environment.env)
        statuses = host_statuses(inventory, [], self.context.state, ci, now=self.context.clock())
        self.app.call_from_thread(self._show, inventory, ci, statuses)

    def _show(self, inventory: Inventory, ci: CiContext, statuses: list[HostStatus]) -> None:
        home = self.context.environment.home
        line = Text()
        if inventory.blocked:
            line.append(plain(f"⚠ {present.tilde(inventory.blocked, home)}\n"), style="bold red")
        if ci.on_ci:
            line.append(plain(f"{ci.name}: prefix.dev sign-in with the CI's identity: {ci.oidc} — {ci.detail}\n"))
        failing = sum(s.state in FAILING_STATES for s in statuses)
        line.append(f"{len(statuses)} hosts · ")
        line.append(f"{failing} failing", style="bold red" if failing else "")
        line.append("  — Enter: credential · r: refresh", style="dim")
        self.query_one("#status-summary", Static).update(line)
        before = self.selected()
        keep = next((i for i, s in enumerate(statuses) if before and s.host == before.host), 0)
        self.statuses = statuses
        now = self.context.clock()
        rows: list[list[Text]] = []
        for status in statuses:
            row = status.row
            credential = "—"
            if row is not None:
                # (the key only where it is not the host itself: a wildcard, or a URL's host asked for)
                key = f"{row.key} · " if row.key != status.host else ""
                credential = f"{key}{KIND_LABELS[row.entry.credential.kind]} · {row.store.name}"
            expires = present.relative_expiry(status.expires_at, now) if status.expires_at is not None else ""
            last = status.last.verdict.value if status.last is not None else "never"
            rows.append(
                [
                    Text(plain(status.host)),
                    Text(status.state, style=state_style(status.state)),
                    Text(plain(expires)),
                    Text(last, style="dim" if status.last is None else ""),
                    Text(plain(credential), style="" if row is not None else "dim"),
                ]
            )
        table = self.query_one("#statuses", LineTable)
        table.set_rows(len(rows), rows.__getitem__, keep)  # (the pane shows the selected host)
        if not statuses:
            self.query_one("#status-detail", Static).update(
                Text("No credential pixi uses is stored. Add one with n on the main screen.")
            )

    def selected(self) -> HostStatus | None:
        table = self.query_one("#statuses", LineTable)
        if not self.statuses or table.row_count == 0:
            return None
        index = table.cursor_row
        return self.statuses[index] if 0 <= index < len(self.statuses) else None

    def _render_detail(self) -> None:
        status = self.selected()
        if status is None:
            return
        head, *rest = describe(status)
        # The verdict first: at 80x24 the pane holds a few lines, and the state is what was asked.
        states = [line for line in rest if line.lstrip().startswith("- state:")]
        text = Text(plain(head) + "\n", style="bold")
        for line in states:
            text.append(plain(line.strip().removeprefix("- ")) + "\n", style=state_style(status.state))
        for line in rest:
            if line not in states:
                text.append(plain(line) + "\n")
        self.query_one("#status-detail", Static).update(text)

    # -- actions -------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    @on(LineTable.RowSelected, "#statuses")
    def _row_selected(self) -> None:
        self.action_jump()

    def action_jump(self) -> None:
        status = self.selected()
        if status is None:
            return
        if status.row is None:
            self.notify(f"pixi sends no stored credential to {status.host}.", severity="warning", markup=False)
            return
        self.dismiss((status.row.store.id, status.row.key))
