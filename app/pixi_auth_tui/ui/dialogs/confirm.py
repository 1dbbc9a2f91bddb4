"""Yes / no, with the question in plain text (it names keys and URLs from outside)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.ui.dialogs import box_css
from pixi_auth_tui.ui.keys_line import KeysLine


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses True on confirm, False on cancel (Esc, n, or the cancel button)."""

    DEFAULT_CSS = box_css("ConfirmScreen", 64)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes"),
        Binding("escape,n", "cancel", "No"),
    ]

    def __init__(self, question: str, confirm: str = "OK", cancel: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm
        self.cancel_label = cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(plain(self.question, keep="\n")), id="question")
            with Horizontal(classes="buttons"):
                yield Button(self.confirm_label, variant="error", id="confirm")
                yield Button(self.cancel_label, id="cancel")
        yield KeysLine()

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
