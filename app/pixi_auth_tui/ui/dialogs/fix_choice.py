"""Choose among several fixes for one finding (e.g. which duplicate keychain item to keep)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from pixi_auth_tui.audit.findings import Finding
from pixi_auth_tui.audit.fixes import Fix
from pixi_auth_tui.core.model import mask, public_identity, secret_of
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import Inventory
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.dialogs import box_css
from pixi_auth_tui.ui.keys_line import KeysLine


def describe_fix(fix: Fix, finding: Finding, inventory: Inventory | None) -> Text:
    """One option: the fix, and for a duplicate keychain item what tells it apart — its
    masked secret (the tail only) and its item path."""
    text = Text(fix.label, style="bold")
    if fix.id.startswith("dedupe:") and inventory is not None and finding.key is not None:
        ref = fix.id.split(":", 1)[1]
        row = next((r for r in inventory.rows_for(finding.key) if r.entry.item_ref == ref), None)
        if row is not None:
            cred = row.entry.credential
            secret = secret_of(cred)
            identity = public_identity(cred)
            parts = [identity] if secret is None or identity == mask(secret) else [identity, f"secret {mask(secret)}"]
            if row.entry.origin:
                parts.append(f"written by {row.entry.origin}")
            if row.entry.modified:
                parts.append(f"changed {present.absolute_time(row.entry.modified)}")
            text.append("  " + " · ".join(parts))
            text.append(f"\n  {ref}", style="dim")
            return text
    text.append(plain(f" — {fix.preview}"))
    return text


class FixChoiceScreen(ModalScreen[str | None]):
    """Dismisses with the chosen fix id, or None."""

    DEFAULT_CSS = box_css("FixChoiceScreen", 80)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, finding: Finding, inventory: Inventory | None, now: float) -> None:
        super().__init__()
        self.finding = finding
        self.inventory = inventory
        self.now = now

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(plain(f"How to fix: {self.finding.title}"), style="bold"))
            yield OptionList(
                *(Option(describe_fix(fix, self.finding, self.inventory), id=fix.id) for fix in self.finding.fixes),
                id="choices",
            )
        yield KeysLine()

    def on_mount(self) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.highlighted = 0
        choices.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
