"""The messages the main screen's helpers send up to it (Textual's "attributes down, messages
up"): what to tell the person, that the stores changed or were read, how a connection test is
going, and what an edit asks of the other helpers."""

from __future__ import annotations

import threading

from textual.message import Message
from textual.notifications import SeverityLevel

from pixi_auth_tui.audit.findings import Finding
from pixi_auth_tui.engine.inventory import Row
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.ui.reading import Read

Selection = tuple[str, str] | None  # (store id, key) of an entry to select, or None


class Remember(Message):
    """A choice of the person's to keep for the next session (the app saves it: system/preferences)."""

    def __init__(self, **choices: str | bool | None) -> None:
        super().__init__()
        self.choices = choices


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


class StoresRead(Message):
    """Every store was read (at start, on `r`, after a write or another program's): show it.

    The reading thread waits for `drawn` before it audits, so that the audit does not compete
    with the first drawing of the rows: set it once the rows are drawn."""

    def __init__(self, read: Read, probe_state: ProbeState, select: Selection) -> None:
        super().__init__()
        self.read = read
        self.probe_state = probe_state
        self.select = select  # (store id, key) the cursor moves to
        self.drawn = threading.Event()


class Audited(Message):
    """The audit of the stores just shown: its findings (the badge, the audit screen)."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__()
        self.findings = findings


class UrlChosen(Message):
    """A test URL given for a key (in the add or edit form): remember it for its tests."""

    def __init__(self, key: str, url: str) -> None:
        super().__init__()
        self.key = key
        self.url = url


class SignInAsked(Message):
    """The add form's kind "Sign in (OAuth/OIDC)" was chosen: open the sign-in form instead."""

    def __init__(self, key: str, store_id: str) -> None:
        super().__init__()
        self.key = key
        self.store_id = store_id


class EditAgain(Message):
    """The entry changed under an open form and nothing was written: select it and edit it anew."""

    def __init__(self, store_id: str, key: str) -> None:
        super().__init__()
        self.store_id = store_id
        self.key = key
