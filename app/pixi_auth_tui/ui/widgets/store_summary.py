"""The stores pixi reads, in its lookup order, and the audit badge under them.

Two renderings of the same list: a line per store where there is room, and a single line on
small terminals (the screen's breakpoint classes pick one, before the first frame).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from pixi_auth_tui.audit.findings import Finding, summary
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import KEYCHAIN, Inventory
from pixi_auth_tui.stores.base import StoreState
from pixi_auth_tui.ui import present

STATE_STYLE = {
    StoreState.OK: "green",
    StoreState.MISSING: "dim",
    StoreState.MALFORMED: "bold red",
    StoreState.REJECTED: "bold red",
    StoreState.LOCKED: "yellow",
    StoreState.UNAVAILABLE: "yellow",
    StoreState.ERROR: "bold red",
}


def store_lines(inventory: Inventory, home: Path) -> Text:
    lines = Text()
    for i, store in enumerate(inventory.stores, 1):
        snap = inventory.snapshots[store.id]
        if i > 1:
            lines.append("\n")
        lines.append(f"{i} {store.name:<17}", style="bold")
        lines.append(f"{snap.state.value:<11}", style=STATE_STYLE[snap.state])
        count = len(snap.entries)
        lines.append(f"{count:>4} {'entry  ' if count == 1 else 'entries'}  ")
        lines.append(plain(present.display_path(store.location, home)))
        if snap.state is not StoreState.OK:
            lines.append(f"  {plain(snap.message)}", style="italic")
        if store.id == KEYCHAIN and snap.state is StoreState.LOCKED:
            lines.append("  — press u to unlock", style="bold")
        if store.chain != "conda":
            lines.append("  (uv, PyPI indexes only: after rattler's stores)", style="dim")
    return lines


def store_line(inventory: Inventory) -> Text:
    """`1 credentials.json ok 3 · 2 keychain locked (u unlocks) · …` on one line."""
    line = Text()
    for i, store in enumerate(inventory.stores, 1):
        snap = inventory.snapshots[store.id]
        if i > 1:
            line.append(" · ", style="dim")
        line.append(f"{i} {store.name} ", style="bold")
        if snap.state is StoreState.OK:
            line.append(str(len(snap.entries)))
        else:
            line.append(snap.state.value, style=STATE_STYLE[snap.state])
        if store.id == KEYCHAIN and snap.state is StoreState.LOCKED:
            line.append(" (u unlocks)")
    return line


def badge_text(findings: list[Finding]) -> Text:
    counts = summary(findings)
    if not (counts["error"] or counts["warning"]):
        return Text("Audit: nothing to report", style="green")
    return Text.assemble(
        ("Audit: ", "bold"),
        (present.plural(counts["error"], "error"), "bold red" if counts["error"] else ""),
        ", ",
        (present.plural(counts["warning"], "warning"), "yellow" if counts["warning"] else ""),
        (" — press a for details and fixes", "dim"),
    )


class StoreSummary(Vertical):
    DEFAULT_CSS = """
    StoreSummary {
        height: auto;
        padding: 0 1;
        border-bottom: solid $primary 40%;
    }
    StoreSummary #stores-long { max-height: 7; }
    StoreSummary #stores-short { display: none; }
    .-narrow StoreSummary, .-short StoreSummary { border-bottom: none; }
    .-narrow StoreSummary #stores-long, .-short StoreSummary #stores-long { display: none; }
    .-narrow StoreSummary #stores-short, .-short StoreSummary #stores-short { display: block; height: 1; }
    StoreSummary #badge { height: 1; }
    """

    def __init__(self, home: Path, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.home = home

    def compose(self) -> ComposeResult:
        yield Static("Reading stores…", id="stores-long")
        yield Static("Reading stores…", id="stores-short")
        yield Static("", id="badge")

    def show(self, inventory: Inventory) -> None:
        self.query_one("#stores-long", Static).update(store_lines(inventory, self.home))
        self.query_one("#stores-short", Static).update(store_line(inventory))

    def show_findings(self, findings: list[Finding]) -> None:
        self.query_one("#badge", Static).update(badge_text(findings))
