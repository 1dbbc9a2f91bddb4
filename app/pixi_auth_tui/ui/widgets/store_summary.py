"""The stores pixi reads, in its lookup order, and the audit badge under them.

Two renderings of the same list: a line per store where there is room, and a single line on
small terminals (the screen's breakpoint classes pick one, before the first frame).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.geometry import Size
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


# The narrowest the name and state columns get: the usual stores line up the same everywhere.
NAME_WIDTH, STATE_WIDTH = 17, 11
# A store's reason is cut here (the audit, `a`, says it whole): at most about one more line per
# store, so the list, which grows to hold every store, still leaves the table its room.
REASON_LIMIT = 90


def short_reason(message: str) -> str:
    return message if len(message) <= REASON_LIMIT else message[: REASON_LIMIT - 1].rstrip() + "… (a: audit)"


def store_lines(inventory: Inventory, home: Path) -> Text:
    # Never narrower than the longest value and a space: a long store name (RATTLER_AUTH_FILE)
    # or state never runs into the next column.
    name_width = max([NAME_WIDTH] + [len(s.name) + 1 for s in inventory.stores])
    state_width = max([STATE_WIDTH] + [len(inventory.snapshots[s.id].state.value) + 1 for s in inventory.stores])
    lines = Text()
    for i, store in enumerate(inventory.stores, 1):
        snap = inventory.snapshots[store.id]
        if i > 1:
            lines.append("\n")
        lines.append(f"{i} {plain(store.name):<{name_width}}", style="bold")
        lines.append(f"{snap.state.value:<{state_width}}", style=STATE_STYLE[snap.state])
        count = len(snap.entries)
        lines.append(f"{count:>4} {'entry  ' if count == 1 else 'entries'}  ")
        lines.append(plain(present.display_path(store.location, home)))
        if snap.state is not StoreState.OK:
            lines.append(f"  {plain(short_reason(snap.message))}", style="italic")
        if store.id == KEYCHAIN and snap.state is StoreState.LOCKED:
            lines.append("  — press u to unlock", style="bold")
        if store.chain != "conda":
            lines.append("  (uv, PyPI indexes only: after rattler's stores)", style="dim")
    return lines


def store_parts(inventory: Inventory) -> list[Text]:
    """`1 credentials.json 3`, `2 keychain locked (u unlocks)`, …: one part per store."""
    parts = []
    for i, store in enumerate(inventory.stores, 1):
        snap = inventory.snapshots[store.id]
        part = Text()
        part.append(f"{i} {plain(store.name)} ", style="bold")
        if snap.state is StoreState.OK:
            part.append(str(len(snap.entries)))
        else:
            part.append(snap.state.value, style=STATE_STYLE[snap.state])
        if store.id == KEYCHAIN and snap.state is StoreState.LOCKED:
            part.append(" (u unlocks)")
        parts.append(part)
    return parts


SEPARATOR = " · "


def store_line(inventory: Inventory, width: int | None = None) -> Text:
    """The parts on one line or, where `width` is too narrow for them, on as many lines as they
    need, broken only between stores: every store is named on a small terminal too."""
    line = Text()
    used = 0
    for part in store_parts(inventory):
        if used and width is not None and used + len(SEPARATOR) + part.cell_len > width:
            line.append("\n")
            used = 0
        elif used:
            line.append(SEPARATOR, style="dim")
            used += len(SEPARATOR)
        line.append_text(part)
        used += part.cell_len
    return line


class FoldedStores(Static):
    """The store list folded between stores into as few lines as the width allows."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Reading stores…", id=id)
        self.inventory: Inventory | None = None

    def show(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.refresh(layout=True)

    def render(self) -> Text | str:
        if self.inventory is None:
            return "Reading stores…"
        return store_line(self.inventory, self.content_region.width or None)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.inventory is None:
            return 1
        return store_line(self.inventory, width).plain.count("\n") + 1


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


class BlockedBanner(Static):
    """Above the store list when pixi cannot build its credential store at all (why, and where)."""

    def __init__(self, home: Path, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.home = home

    def show(self, inventory: Inventory) -> None:
        self.display = inventory.blocked is not None
        if inventory.blocked:
            self.update(Text(plain(f"⚠ {present.tilde(inventory.blocked, self.home)}"), style="bold"))


class StoreSummary(Vertical):
    DEFAULT_CSS = """
    StoreSummary {
        height: auto;
        padding: 0 1;
        border-bottom: solid $primary 40%;
    }
    StoreSummary #stores-long { height: auto; }
    StoreSummary #stores-short { display: none; }
    .-narrow StoreSummary, .-short StoreSummary { border-bottom: none; }
    .-narrow StoreSummary #stores-long, .-short StoreSummary #stores-long { display: none; }
    .-narrow StoreSummary #stores-short, .-short StoreSummary #stores-short {
        display: block; height: auto; max-height: 3;
    }
    StoreSummary #badge { height: 1; }
    """

    def __init__(self, home: Path, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.home = home

    def compose(self) -> ComposeResult:
        yield Static("Reading stores…", id="stores-long")
        yield FoldedStores(id="stores-short")
        yield Static("", id="badge")

    def show(self, inventory: Inventory) -> None:
        self.query_one("#stores-long", Static).update(store_lines(inventory, self.home))
        self.query_one("#stores-short", FoldedStores).show(inventory)

    def show_findings(self, findings: list[Finding]) -> None:
        # The badge is one line as wide as the summary whatever it says: its text changes no
        # size, so the screen is not laid out again (the audit arrives just after the first frame).
        self.query_one("#badge", Static).update(badge_text(findings), layout=False)
