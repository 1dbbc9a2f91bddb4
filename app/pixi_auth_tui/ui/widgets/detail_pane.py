"""The detail pane: everything known about the selected entry, its secret masked until asked.

It owns the reveal (hidden again after a few seconds or on another row) and the copy. A
keychain item listed by name only (macOS: a read may prompt) is read when either is asked for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.timer import Timer
from textual.widgets import Static

from pixi_auth_tui.core.model import (
    KINDS,
    Credential,
    expires_at,
    field_value,
    is_readable,
    masked_secret,
    reading_problem,
    secret_of,
)
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import Inventory, Row, order_note
from pixi_auth_tui.oauth.info import token_details
from pixi_auth_tui.probe.state import ProbeResult
from pixi_auth_tui.stores.base import Ability, StoreError
from pixi_auth_tui.system import clipboard
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.oauth_screens import token_fields
from pixi_auth_tui.ui.widgets.credential_table import VERDICT_STYLE, RowId, row_id

REVEAL_SECONDS = 10.0
STATUS_STYLE = {"active": "green", "shadowed": "yellow", "ignored": "red", "blocking": "bold red"}


def describe(
    row: Row,
    inventory: Inventory,
    *,
    home: Path,
    now: float,
    result: ProbeResult | None,
    probe_url: str | None,
    revealed: bool,
) -> Text:
    """The detail of one entry. Every value is plain Text: keys, usernames and server
    messages come from outside and are never read as markup."""
    cred = row.entry.credential
    text = Text()

    def field(label: str, value: str, style: str = "") -> None:
        text.append(f"{label:<12} ", style="bold")  # at least one space after a long label
        text.append(f"{plain(value)}\n", style=style)  # outside text: escapes shown, never acted on

    field("Key", row.key)
    spec = KINDS[cred.kind]
    field("Kind", spec.label)
    field("Store", row.store.name)
    field("Location", present.display_path(row.store.location, home))
    note = order_note(inventory, row.store.id)
    if note:
        field("Order", present.tilde(note, home), "yellow")
    field("Status", row.status.value, STATUS_STYLE[row.status.value])
    field("Why", row.reason)
    pypi = row.store.chain != "conda"
    if pypi and row.store.id == "netrc-uv":
        field("uv reads", "this netrc with its own parser (step 3 of uv's chain; `default` entries too)")
    elif pypi and row.store.id == "uv":  # uv's credentials.toml: asked by service and user name
        field("uv asks", "its credentials.toml, for indexes under this service (step 4 of uv's chain)")
        if row.entry.origin:
            field("Entry", row.entry.origin)
    elif pypi:  # a Python keyring entry: the call uv makes for it, and who wrote it
        from pixi_auth_tui.pypi.keyring_store import PythonKeyringStore

        field("uv runs", f"keyring get {row.key} {row.entry.item_ref or ''}")
        if isinstance(row.store, PythonKeyringStore) and row.store.tool is not None:
            field("keyring", row.store.tool.summary(), "" if row.store.tool.path else "yellow")
        if row.entry.origin:
            field("Written by", row.entry.origin)
    for typed in spec.fields:
        if not typed.secret:  # a username or an access key id: shown as it is
            field(typed.label, field_value(cred, typed.name))
        elif typed.optional:  # an optional secret (an S3 session token): only whether it is there
            field(typed.label, "yes" if field_value(cred, typed.name) else "no")
    problem = reading_problem(cred)  # a misspelled variant, an entry rattler cannot read
    if problem:
        field("Problem", problem, "red")
    token_lines = token_fields(cred, now)  # OAuth and JWT bearer: expiry countdown, claims
    for label, value, style in token_lines:
        field(label, value, style)
    expiry = expires_at(cred)
    if expiry is not None and not token_lines:
        style = "bold red" if expiry <= now else ""
        field("Expires", f"{present.absolute_time(expiry)} ({present.relative_expiry(expiry, now)})", style)
    if row.entry.item_ref and not pypi:
        field("Item", row.entry.item_ref, "dim")
    secret = secret_of(cred)
    if secret is not None:
        if revealed:
            field("Secret", secret, "bold reverse")
            text.append(f"(hidden again in {int(REVEAL_SECONDS)}s or when you leave the row)\n", style="dim")
        else:
            field("Secret", masked_secret(cred))
            text.append("v reveals · c copies to the clipboard\n", style="dim")
    elif not is_readable(cred) and Ability.READ_ON_DEMAND in row.store.abilities:
        field("Secret", "(not read yet: the keychain may ask you first)")
        text.append("v reads and reveals it · c reads and copies it\n", style="dim")
    field("Test URL", probe_url or "(none yet: t asks for one)")
    text.append("t tests it · U changes it\n", style="dim")
    if result is not None:
        text.append("\nLast test\n", style="bold")
        text.append(f"  {result.verdict.value}: {plain(result.message)}\n", style=VERDICT_STYLE.get(result.verdict, ""))
        if result.url:
            text.append(f"  {plain(result.url)}\n", style="dim")
        if result.status is not None:
            text.append(f"  HTTP {result.status}", style="dim")
            if result.latency_ms is not None:
                text.append(f" in {result.latency_ms:.0f} ms", style="dim")
            text.append(f"{', ' + result.tls if result.tls else ''}\n", style="dim")
    others = [r for r in inventory.rows_for(row.key) if r is not row]
    if others:
        text.append("\nSame key elsewhere:\n", style="bold")
        for other in others:
            text.append(f"  {other.store.name}: {other.status.value}\n")
    return text


def screen_lines(text: Text, width: int) -> int | None:
    """How many lines `text` takes at `width`, when none of its lines is wider (None: it wraps,
    or there is no width yet)."""
    lines = text.plain.split("\n")
    if width <= 0 or any(cell_len(line) > width for line in lines):
        return None
    return len(lines)


class DetailPane(VerticalScroll):
    DEFAULT_CSS = """
    DetailPane {
        padding: 0 1;
        & > #detail {
            min-height: 100%;  /* a row whose details fit takes the pane's height, as the one before */
        }
    }
    """

    def __init__(
        self, home: Path, clock: Callable[[], float], *, env: dict[str, str] | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.home = home
        self.env = env if env is not None else {}  # where the clipboard tools are looked for
        self.clear_seconds = clipboard.CLEAR_SECONDS
        self.clear_outcomes: list[bool] = []  # per timed clearing: whether the clipboard still held ours
        self._to_clear: tuple[clipboard.Clipboard, str] | None = None  # copied, not yet cleared
        self.clock = clock
        self.row: Row | None = None
        self.inventory: Inventory | None = None
        self.result: ProbeResult | None = None
        self.probe_url: str | None = None
        self.revealed = False
        self._shown: RowId | None = None
        self._drawn: Text | None = None  # what the pane shows now
        self._hide_timer: Timer | None = None
        # Secrets read on demand (asked for with v or c), kept for this session's view only.
        self._read: dict[RowId, Credential] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="detail")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        """Keep the expiry countdown of a token entry current (only while it is in view)."""
        row = self.row
        if row is not None and self.screen.is_current and token_details(row.entry.credential) is not None:
            self._redraw()

    def show(
        self, row: Row | None, inventory: Inventory | None, result: ProbeResult | None, probe_url: str | None
    ) -> None:
        new = row_id(row) if row is not None else None
        if new != self._shown:
            # Another row: the secret is hidden again and the pane starts at the top.
            self._shown = new
            self._hide()
            self.scroll_home(animate=False)
        if row is not None and new in self._read and not is_readable(row.entry.credential):
            row = row.with_credential(self._read[new])
        self.row, self.inventory, self.result, self.probe_url = row, inventory, result, probe_url
        self._redraw()

    def text(self) -> Text:
        if self.row is None or self.inventory is None:
            return Text("No entry selected.", style="dim")
        return describe(
            self.row,
            self.inventory,
            home=self.home,
            now=self.clock(),
            result=self.result,
            probe_url=self.probe_url,
            revealed=self.revealed,
        )

    def _redraw(self) -> None:
        text = self.text()
        if text == self._drawn:
            return
        detail = self.query_one("#detail", Static)
        # Same height, no layout: a layout of the screen redraws the table's scrollbar in a
        # frame of its own after the one that shows the new row. Details that fit the pane
        # take its whole height (min-height), so those of any two such rows are the same height.
        width, room = detail.size.width, self.scrollable_content_region.height
        before = None if self._drawn is None else screen_lines(self._drawn, width)
        after = screen_lines(text, width)
        same_height = before is not None and after is not None and (before == after or max(before, after) <= room)
        self._drawn = text
        detail.update(text, layout=not same_height)

    def _hide(self) -> None:
        self.revealed = False
        if self._hide_timer is not None:
            self._hide_timer.stop()
            self._hide_timer = None

    def _unread(self) -> bool:
        """The selected entry's secret was not read yet, and its store reads it when asked."""
        row = self.row
        return (
            row is not None and not is_readable(row.entry.credential) and Ability.READ_ON_DEMAND in row.store.abilities
        )

    @work(thread=True, exclusive=True, group="read-secret")
    def _read_then(self, row: Row, then: Callable[[], None]) -> None:
        """Read the secret off the event loop (it may wait on an OS prompt), then reveal or copy."""
        try:
            cred = row.store.read_secret(row.key)
        except StoreError as err:
            self.app.call_from_thread(self.notify, f"Nothing read: {err}", severity="error", markup=False)
            return
        self.app.call_from_thread(self._secret_read, row, cred, then)

    def _secret_read(self, row: Row, cred: Credential | None, then: Callable[[], None]) -> None:
        if cred is None:
            self.notify(f"{row.key} is no longer in {row.store.name}.", severity="warning", markup=False)
            return
        self._read[row_id(row)] = cred
        if self.row is not None and row_id(self.row) == row_id(row):  # still the selected row
            self.row = row.with_credential(cred)
            then()

    def reveal(self) -> None:
        if self.row is not None and self._unread():
            self._read_then(self.row, self.reveal)
            return
        if self.row is None or secret_of(self.row.entry.credential) is None:
            self.notify("This entry has no secret to reveal.", severity="warning")
            return
        self._hide()
        self.revealed = True
        self._hide_timer = self.set_timer(REVEAL_SECONDS, self._hide_and_render)
        self._redraw()

    def _hide_and_render(self) -> None:
        self._hide()
        self._redraw()

    def copy(self) -> None:
        if self.row is not None and self._unread():
            self._read_then(self.row, self.copy)
            return
        secret = secret_of(self.row.entry.credential) if self.row else None
        if self.row is None or secret is None:
            self.notify("This entry has no secret to copy.", severity="warning")
            return
        tool = clipboard.system_clipboard(self.env)
        if tool is None:
            self._copy_by_terminal(self.row.key, secret, "")
        else:
            self._copy_with(tool, self.row.key, secret)

    def _copy_by_terminal(self, key: str, secret: str, why: str) -> None:
        """OSC 52: the terminal may put it on the clipboard — or ignore it (tmux by default,
        many terminals): nothing tells us, so we never say "Copied"."""
        self.app.copy_to_clipboard(secret)
        why = why or "No clipboard tool (wl-copy, xclip, xsel, pbcopy, tmux) was found."
        self.notify(
            f"Asked the terminal to copy the secret of {key} (OSC 52); this may not have worked — many "
            f"terminals and tmux ignore it. {why}",
            severity="warning",
            markup=False,
        )

    @work(thread=True, group="clipboard")
    def _copy_with(self, tool: clipboard.Clipboard, key: str, secret: str) -> None:
        try:
            clipboard.copy(tool, secret, self.env)
        except clipboard.ClipboardError as err:
            self.app.call_from_thread(self._copy_by_terminal, key, secret, f"{err}.")
            return
        self.app.call_from_thread(self._copied, tool, key, secret)

    def _copied(self, tool: clipboard.Clipboard, key: str, secret: str) -> None:
        seconds = round(self.clear_seconds)
        self.notify(
            f"Copied the secret of {key} to {tool.where} ({tool.name}); it is cleared in {seconds} s "
            "if it is still there.",
            markup=False,
        )
        self._to_clear = (tool, secret)
        self.set_timer(self.clear_seconds, self.clear_copied)

    def clear_copied(self) -> None:
        """Clear the secret copied last from the clipboard, if the clipboard still holds it (the
        timer's end; a person may have copied something else meanwhile, which stays)."""
        if self._to_clear is not None:
            self._clear_clipboard(*self._to_clear)

    def on_unmount(self) -> None:
        # Quitting before the timer: the secret must not outlive the app on the clipboard.
        if self._to_clear is not None:
            tool, secret = self._to_clear
            with contextlib.suppress(clipboard.ClipboardError):
                clipboard.clear_if_unchanged(tool, secret, self.env)

    @work(thread=True, group="clipboard")
    def _clear_clipboard(self, tool: clipboard.Clipboard, secret: str) -> None:
        self._to_clear = None
        try:
            cleared = clipboard.clear_if_unchanged(tool, secret, self.env)
        except clipboard.ClipboardError as err:
            self.app.call_from_thread(
                self.notify, f"The clipboard could not be cleared: {err}.", severity="warning", markup=False
            )
            return
        self.app.call_from_thread(self.clear_outcomes.append, cleared)
        if cleared:
            self.app.call_from_thread(self.notify, f"Cleared the secret from {tool.where}.", markup=False)
