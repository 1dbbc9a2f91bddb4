"""A move onto a key the target store already holds: both credentials side by side (masked,
with their last test), and the person chooses which one stays; the other goes to a backup."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.operations import Holder
from pixi_auth_tui.probe.state import ProbeResult
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.dialogs import box_css
from pixi_auth_tui.ui.keys_line import KeysLine

KeepAnswer = Literal["moved", "target"]


def last_test(result: ProbeResult | None) -> str:
    if result is None:
        return "never tested (with this secret)"
    status = f", HTTP {result.status}" if result.status is not None else ""
    return (
        f"{result.verdict.value}{status}, {present.absolute_time(int(result.tested_at))}"
        if result.tested_at
        else f"{result.verdict.value}{status}"
    )


class KeepChoiceScreen(ModalScreen[KeepAnswer | None]):
    """Dismisses with which credential to keep ("moved": the one being moved; "target": the
    one the target store holds), or None to move nothing."""

    DEFAULT_CSS = box_css("KeepChoiceScreen", 76)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "keep_moved", "Keep the moved one"),
        Binding("2", "keep_target", "Keep the one there"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        key: str,
        moving: Holder,
        there: Holder,
        tests: tuple[ProbeResult | None, ProbeResult | None],
        active: tuple[bool, bool],
        backup_dir: Path,
        home: Path,
    ) -> None:
        super().__init__()
        self.key = key
        self.moving = moving
        self.there = there
        self.tests = tests
        self.active = active
        self.backup_dir = backup_dir
        self.home = home

    def compose(self) -> ComposeResult:
        where = present.display_path(str(self.backup_dir), self.home)
        uses = [" — pixi uses this one now" if active else "" for active in self.active]
        with Vertical(id="dialog"):
            yield Label(Text(plain(f"{self.there.store_name} already holds {self.key}")), classes="title")
            yield Static(
                Text(
                    plain(
                        f"1. moving, from {self.moving.store_name}: {self.moving.shown}{uses[0]}\n"
                        f"   last test: {last_test(self.tests[0])}\n"
                        f"2. already in {self.there.store_name}: {self.there.shown}{uses[1]}\n"
                        f"   last test: {last_test(self.tests[1])}\n\n"
                        f"Keep one; the other is saved to a private backup (0600) in {where}, "
                        "and z undoes the move.",
                        keep="\n",
                    )
                ),
                id="holders",
            )
            with Horizontal(classes="buttons"):
                yield Button("1 Keep the moved one", variant="primary", id="keep-moved")
                yield Button("2 Keep the one there", id="keep-target")
                yield Button("Cancel", id="cancel")
        yield KeysLine()

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#keep-moved")
    def action_keep_moved(self) -> None:
        self.dismiss("moved")

    @on(Button.Pressed, "#keep-target")
    def action_keep_target(self) -> None:
        self.dismiss("target")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
