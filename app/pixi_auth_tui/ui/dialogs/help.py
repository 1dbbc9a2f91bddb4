"""Every key of the screen it was opened from, and how to read the table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.dialogs import box_css
from pixi_auth_tui.ui.keys_line import KeysLine

ABOUT = (
    "\nRows are in pixi's lookup order: the first store holding a key wins; the same key in later "
    "stores is shadowed (dimmed). Ignored rows (red) are entries pixi cannot use at all; an expiry in "
    "bold red has passed.\n"
    "o sorts by the next column and O reverses it (a click on a header does the same; a third click "
    "returns to lookup order). Home/End jump to the first/last row; Enter edits the row (or moves into the detail of a "
    "read-only one; Esc comes back).\n"
    "Ctrl+P opens the command palette. In forms: Enter or Ctrl+S saves, Esc cancels; leave a secret "
    "empty when editing to keep it."
)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = box_css("HelpScreen", 76)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, bindings: Iterable[Binding]) -> None:
        super().__init__()
        self.bindings_list = list(bindings)

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("Keys\n\n", style="bold")
        for b in self.bindings_list:
            text.append(f"  {present.key_name(b.key):<6}", style="bold")
            text.append(f"{b.description}\n")
        text.append(ABOUT)
        with VerticalScroll(id="dialog"):
            yield Static(text)
            yield Button("Close", id="close")
        yield KeysLine()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
