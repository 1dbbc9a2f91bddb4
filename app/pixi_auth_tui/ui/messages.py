"""The messages the main screen's helpers send up to it (Textual's "attributes down, messages
up"): what to tell the person, that the stores changed, and how a connection test is going."""

from __future__ import annotations

from textual.message import Message
from textual.notifications import SeverityLevel

from pixi_auth_tui.engine.inventory import Row


class Said(Message):
    """Tell the person (a notification; never markup: it names keys, URLs and users)."""

    def __init__(self, text: str, severity: SeverityLevel = "information", timeout: float = 5) -> None:
        super().__init__()
        self.text = text
        self.severity: SeverityLevel = severity
        self.timeout = timeout


class StoresChanged(Message):
    """Something was written by another part of the screen: read the stores again."""


class Testing(Message):
    """These entries' tests started (`running`) or ended: mark them in the table."""

    def __init__(self, rows: list[Row], running: bool) -> None:
        super().__init__()
        self.rows = rows
        self.running = running


class ResultKept(Message):
    """A test result or a test URL of this entry changed: show it."""

    def __init__(self, row: Row) -> None:
        super().__init__()
        self.row = row
