"""The main application (expanded by the UI issue)."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header, Static

from app.inventory import Inventory, load_inventory
from app.model import KIND_LABELS, public_identity
from app.paths import Environment


class AuthApp(App[None]):
    TITLE = "pixi-auth-tui"
    BINDINGS: ClassVar = [("r", "refresh", "Refresh"), ("q", "quit", "Quit")]

    def __init__(self, environment: Environment) -> None:
        super().__init__()
        self.environment = environment
        self.inventory: Inventory | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading stores…", id="stores")
        yield DataTable(id="table", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Kind", "Store", "Status", "User / secret")
        self.action_refresh()

    @work(thread=True, exclusive=True)
    def action_refresh(self) -> None:
        inventory = load_inventory(self.environment)
        self.call_from_thread(self.show, inventory)

    def show(self, inventory: Inventory) -> None:
        self.inventory = inventory
        lines = []
        for store in inventory.stores:
            snap = inventory.snapshots[store.id]
            lines.append(f"{store.name}: {snap.state.value} — {store.location} ({snap.message})")
        self.query_one("#stores", Static).update("\n".join(lines))
        table = self.query_one(DataTable)
        table.clear()
        for row in inventory.rows:
            table.add_row(
                row.key,
                KIND_LABELS[row.entry.credential.kind],
                row.store.name,
                row.status.value,
                public_identity(row.entry.credential),
            )
