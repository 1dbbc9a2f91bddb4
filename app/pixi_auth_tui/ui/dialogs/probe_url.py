"""Which URL to test a key with: shown, editable, remembered."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from pixi_auth_tui.core.model import Credential
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.probe.state import probe_url_problem, remembered_url_problem
from pixi_auth_tui.ui.dialogs import box_css
from pixi_auth_tui.ui.keys_line import KeysLine
from pixi_auth_tui.ui.terminal_text import PlainInput


class ProbeUrlScreen(ModalScreen[str | None]):
    """Dismisses with an http(s) URL, or None. `run` False: only remember it."""

    DEFAULT_CSS = box_css("ProbeUrlScreen", 72)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, key: str, default: str, run: bool = True, credential: Credential | None = None) -> None:
        super().__init__()
        self.key = key
        self.default = default
        self.run = run
        self.credential = credential  # with it, a URL on a host the key does not cover is refused

    def compose(self) -> ComposeResult:
        verb = "Test" if self.run else "Remember"
        with Vertical(id="dialog"):
            yield Label(Text(plain(f"Test URL for {self.key}")), classes="title")
            yield Static(
                Text(
                    "The URL the test requests with this credential, e.g. a channel's noarch/repodata.json "
                    "(wildcard and S3 keys have no single host of their own). It is remembered for next time."
                )
            )
            yield PlainInput(value=self.default, placeholder="https://host/channel/noarch/repodata.json", id="url")
            yield Static("", id="url-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(verb, variant="primary", id="go")
                yield Button("Cancel", id="cancel")
        yield KeysLine()

    def on_mount(self) -> None:
        self.query_one("#url", Input).focus()

    @on(Input.Submitted, "#url")
    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        url = self.query_one("#url", Input).value.strip()
        problem = remembered_url_problem(url)
        if problem:
            self.query_one("#url-error", Static).update(Text(plain(f"Give an http(s) URL: {problem}.")))
            return
        problem = probe_url_problem(self.key, self.credential, url) if self.credential is not None else None
        if problem:
            self.query_one("#url-error", Static).update(Text(plain(f"Not this URL: {problem}.")))
            return
        self.dismiss(url)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
