"""Choose the store to move an entry to."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import Row
from pixi_auth_tui.stores.base import Store
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.dialogs import box_css
from pixi_auth_tui.ui.keys_line import KeysLine


class MoveScreen(ModalScreen[str | None]):
    """Dismisses with the target store id, or None."""

    DEFAULT_CSS = box_css("MoveScreen", 64)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "move", "Move"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, row: Row, targets: list[Store], home: Path) -> None:
        super().__init__()
        self.row = row
        self.targets = targets
        self.home = home

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(plain(f"Move {self.row.key} out of {self.row.store.name}")), classes="title")
            yield Static(
                Text(
                    "It is written to the target, read back to check, and only then removed from "
                    f"{present.display_path(self.row.store.location, self.home)}. If anything fails, nothing is lost."
                )
            )
            yield Select(
                [(Text(f"{s.name} — {present.display_path(s.location, self.home)}"), s.id) for s in self.targets],
                value=self.targets[0].id,
                allow_blank=False,
                id="target",
            )
            with Horizontal(classes="buttons"):
                yield Button("Move", variant="primary", id="move")
                yield Button("Cancel", id="cancel")
        yield KeysLine()

    def on_mount(self) -> None:
        self.query_one("#target", Select).focus()

    @on(Button.Pressed, "#move")
    def action_move(self) -> None:
        self.dismiss(str(self.query_one("#target", Select).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
