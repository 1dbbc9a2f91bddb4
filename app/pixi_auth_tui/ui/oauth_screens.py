"""OAuth in the terminal UI: the sign-in form and dialog (device code, link, QR code, countdown,
cancel), "Refresh now", sign-out with revocation, and the token detail lines.

The protocol work is `pixi_auth_tui.oauth.flow`'s and runs in thread workers; this module only
formats. Outside text (codes, URLs, provider messages) is always passed as `Text`, never markup.
`OAuthFlows` runs them for the main screen and answers it by messages.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from pixi_auth_tui.core.model import Credential, is_oauth
from pixi_auth_tui.engine.inventory import Inventory, Row
from pixi_auth_tui.oauth import info
from pixi_auth_tui.oauth.info import LoginPlan, OAuthFailure
from pixi_auth_tui.stores.base import Store, StoreError, StoreState
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.keys_line import KeysLine
from pixi_auth_tui.ui.messages import Said, StoresChanged
from pixi_auth_tui.ui.terminal_text import PlainInput

if TYPE_CHECKING:
    from pixi_auth_tui.oauth.flow import DeviceCode

# The protocol module (Authlib, httpx) is imported where it is used, so the app starts without it.

FLOW_LABELS = {
    "device-code": "Device code (any device, QR code)",
    "auth-code": "Browser on this machine",
    "auto": "Browser, else device code",
}


def open_browser(url: str) -> bool:
    """A graphical browser only: a console one (lynx, w3m) would take over this very terminal."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    import webbrowser  # (only a sign-in opens a browser)

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False


# -- detail lines ----------------------------------------------------------------------


def token_fields(cred: Credential, now: float) -> list[tuple[str, str, str]]:
    """(label, value, style) lines for OAuth entries and JWT bearer tokens; empty otherwise."""
    details = info.token_details(cred, now)
    if details is None:
        return []
    lines: list[tuple[str, str, str]] = []
    if details.expires_at is not None:
        expired = details.expires_at <= now
        style = "bold red" if expired else ("yellow" if details.refresh_due else "")
        lines.append(
            (
                "Expires",
                f"{info.countdown(details.expires_at, now)} ({present.absolute_time(details.expires_at)})",
                style,
            )
        )
    elif details.expiry_note:
        lines.append(("Expires", details.expiry_note, "dim"))
    elif is_oauth(cred):
        lines.append(("Expires", "no expiry recorded", "dim"))
    if details.refresh_token is not None:
        renew = "yes (refresh token stored)" if details.refresh_token else "no refresh token: sign in again"
        lines.append(("Renewable", renew, ""))
        if details.refresh_due and details.refresh_token:
            lines.append(("", "within 300 s of expiry: rattler refreshes before its next request", "yellow"))
    for label, value in (
        ("Issuer", details.issuer),
        ("Client id", details.client_id),
        ("Subject", details.subject),
        ("Scopes", " ".join(details.scopes)),
        ("Audience", ", ".join(details.audience)),
        ("Token URL", details.token_endpoint),
        ("Revoke URL", details.revocation_endpoint),
    ):
        if value:
            lines.append((label, value, ""))
    if is_oauth(cred):
        lines.append(("", "R refreshes now · d signs out (revokes, then removes)", "dim"))
    return lines


# -- the sign-in form ------------------------------------------------------------------------


class SignInRequest(NamedTuple):
    plan: LoginPlan
    store_id: str
    client_secret: str | None


class SignInForm(ModalScreen[SignInRequest | None]):
    """Host, issuer, client, scopes, flow and store; prefix.dev hosts need nothing but the host."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Sign in")]  # noqa: RUF012
    DEFAULT_CSS = """
    SignInForm { align: center middle; }
    SignInForm #signin-form { width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1; }
    SignInForm .error { color: $error; }
    SignInForm .hint { color: $text-muted; }
    SignInForm .buttons { height: auto; margin-top: 1; }
    """

    def __init__(self, stores: list[Store], default_store: Store, home: Path, host: str = "") -> None:
        super().__init__()
        self.stores = stores
        self.default_store = default_store if default_store in stores else stores[0]
        self.home = home
        self.host = host

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="signin-form"):
            yield Label("Sign in (OAuth/OIDC)", classes="title")
            # On a small terminal the form scrolls: say so, and that the host alone may be enough.
            yield Static(
                Text("prefix.dev needs only the host. Tab reaches the fields below (it scrolls)."),
                id="signin-hint",
                classes="hint",
            )
            yield Label("Host (e.g. prefix.dev)")
            yield PlainInput(value=self.host, id="host")
            yield Static("", id="host-hint", classes="hint")
            yield Label("Issuer URL (empty: https://HOST)")
            yield PlainInput(id="issuer")
            yield Label("Client id (empty: rattler)")
            yield PlainInput(id="client-id")
            yield Label("Scopes, space-separated (empty: the host's defaults)")
            yield PlainInput(id="scopes")
            yield Label("Client secret (confidential clients only; never shown)")
            yield PlainInput(id="client-secret", password=True)
            yield Label("Flow")
            yield Select(
                [(label, flow) for flow, label in FLOW_LABELS.items()],
                value="device-code",
                allow_blank=False,
                id="flow",
            )
            yield Label("Store")
            yield Select(
                [(f"{s.name} — {present.display_path(s.location, self.home)}", s.id) for s in self.stores],
                value=self.default_store.id,
                allow_blank=False,
                id="store",
            )
            yield Static("", id="signin-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Sign in", variant="primary", id="signin")
                yield Button("Cancel", id="cancel")
        yield KeysLine()

    def on_mount(self) -> None:
        self._hint()
        self.query_one("#host", Input).focus()

    @on(Input.Changed, "#host")
    def _hint(self) -> None:
        host = self.query_one("#host", Input).value.strip()
        text = ""
        if host:
            plan = info.plan_login(host)
            text = f"stored under {plan.key} · issuer {plan.issuer} · scopes {' '.join(plan.scopes)}"
        self.query_one("#host-hint", Static).update(Text(text))

    def action_submit(self) -> None:
        self._submit()

    @on(Input.Submitted)
    @on(Button.Pressed, "#signin")
    def _submit(self) -> None:
        value = {
            name: self.query_one(f"#{name}", Input).value.strip() for name in ("host", "issuer", "client-id", "scopes")
        }
        try:
            plan = info.plan_login(
                value["host"],
                value["issuer"] or None,
                value["client-id"] or None,
                value["scopes"].split(),
                str(self.query_one("#flow", Select).value),
            )
            info.require_safe_url(plan.issuer, "issuer")
        except OAuthFailure as failure:
            self.query_one("#signin-error", Static).update(Text(str(failure)))
            return
        secret = self.query_one("#client-secret", Input).value or None
        self.dismiss(SignInRequest(plan, str(self.query_one("#store", Select).value), secret))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the sign-in dialog -------------------------------------------------------------------------


class SignInDialog(ModalScreen[str | None]):
    """Runs one sign-in: shows the link, the code and a QR code, counts down, can be cancelled.

    Dismissed with what was stored (a message), or None when cancelled.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012
    DEFAULT_CSS = """
    SignInDialog { align: center middle; }
    SignInDialog #signin-dialog { width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1; }
    SignInDialog #qr { width: auto; color: $text; }
    SignInDialog #user-code { text-style: bold; }
    SignInDialog #signin-status.error { color: $error; }
    SignInDialog .buttons { height: auto; margin-top: 1; }
    """

    def __init__(
        self,
        request: SignInRequest,
        inventory: Inventory,
        browser: Callable[[str], bool] | None = None,
    ) -> None:
        from pixi_auth_tui.oauth import flow as oauth

        super().__init__()
        self.request = request
        self.inventory = inventory
        self.browser = browser or (lambda url: open_browser(url))  # looked up when used
        self.session = oauth.SignIn(request.plan, request.client_secret)
        self.code: DeviceCode | None = None
        self.finished = False

    def compose(self) -> ComposeResult:
        plan = self.request.plan
        with Vertical(id="signin-dialog"):
            yield Label(Text(f"Signing in to {plan.key}"), classes="title")
            yield Static(Text(f"issuer {plan.issuer} · client {plan.client_id}"), classes="hint")
            yield Static(Text("Asking the provider…"), id="signin-status")
            yield Static("", id="link")
            yield Static("", id="user-code")
            yield Static("", id="qr")
            yield Static("", id="countdown")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
        yield KeysLine()

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        self._run()

    def on_unmount(self) -> None:
        self.session.cancel()  # never leave a poller behind (e.g. when the app quits mid sign-in)

    def _status(self, text: str, error: bool = False) -> None:
        widget = self.query_one("#signin-status", Static)
        widget.update(Text(text))
        widget.set_class(error, "error")

    @work(thread=True, group="oauth-signin")
    def _run(self) -> None:
        from pixi_auth_tui.oauth import flow as oauth

        try:
            result = self.session.run(self._browser, self._device, lambda _s: self.app.call_from_thread(self._tick))
        except OAuthFailure as failure:
            self.app.call_from_thread(self._failed, failure)
            return
        finally:
            self.session.close()
        store = self.inventory.store(self.request.store_id)
        try:
            message = oauth.store_sign_in(self.inventory, result, store)
        except StoreError as err:
            self.app.call_from_thread(self._failed, OAuthFailure("store", f"signed in, but storing failed: {err}"))
            return
        self.app.call_from_thread(self._done, message)

    def _browser(self, url: str) -> bool:
        if not self.browser(url):
            return False
        self.app.call_from_thread(self._status, "Finish signing in in the browser; waiting for it to come back…")
        return True

    def _device(self, code: DeviceCode) -> None:
        self.app.call_from_thread(self._show_code, code)

    def _show_code(self, code: DeviceCode) -> None:
        from pixi_auth_tui.oauth import flow as oauth

        self.code = code
        self._status("Open the link (or scan the QR code) and enter the code:")
        self.query_one("#link", Static).update(Text(code.link, style="underline"))
        self.query_one("#user-code", Static).update(Text(f"Code: {code.user_code}"))
        self.query_one("#qr", Static).update(Text("\n".join(oauth.qr_lines(code.link))))
        self._tick()

    def _tick(self) -> None:
        if self.code is None or self.finished:
            return
        left = max(0, int(self.code.remaining()))
        self.query_one("#countdown", Static).update(
            Text(f"Code expires in {left // 60}:{left % 60:02d} · checking every {self.session.interval} s")
        )

    def _failed(self, failure: OAuthFailure) -> None:
        self.finished = True
        if failure.reason == "cancelled":
            self.dismiss(None)
            return
        self._status(f"Sign-in failed: {failure}", error=True)
        for name in ("#qr", "#link", "#user-code", "#countdown"):
            self.query_one(name, Static).update("")
        self.query_one("#cancel", Button).label = "Close"

    def _done(self, message: str) -> None:
        self.finished = True
        self.dismiss(message)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.finished:
            self.dismiss(None)
            return
        self._status("Cancelling…")
        self.session.cancel()  # the worker notices at its next wait and dismisses with None


# -- the app's actions ---------------------------------------------------------------------------


class OAuthFlows(Widget):
    """Sign in, refresh now and sign out. Has nothing to show itself: it opens its dialogs, runs
    the protocol in workers and tells its screen by messages (ui/messages) what happened and
    that the stores changed."""

    DEFAULT_CSS = "OAuthFlows { display: none; }"

    def _say(self, text: str, severity: SeverityLevel = "information", timeout: float = 5) -> None:
        self.post_message(Said(text, severity, timeout))  # (thread-safe: workers use it too)

    @staticmethod
    def _sign_in_stores(inventory: Inventory) -> list[Store]:
        usable = (StoreState.OK, StoreState.MISSING)
        return [
            s
            for s in inventory.stores
            if s.writable and s.chain == "conda" and inventory.snapshots[s.id].state in usable
        ]

    def sign_in(self, inventory: Inventory, home: Path, host: str = "", store_id: str | None = None) -> None:
        """The sign-in form, prefilled (from `l`, or the add form's "Sign in (OAuth/OIDC)" kind)."""
        stores = self._sign_in_stores(inventory)
        if not stores:
            self._say("No store can be written: see the store list for why.", "error")
            return
        chosen = inventory.store(store_id) if store_id else None
        default = chosen if chosen in stores else info.login_store(inventory)

        def requested(request: SignInRequest | None) -> None:
            if request is not None:
                self.app.push_screen(SignInDialog(request, inventory), self._signed_in)

        self.app.push_screen(SignInForm(stores, default, home, host), requested)

    def _signed_in(self, message: str | None) -> None:
        if message is None:
            self._say("Sign-in cancelled; nothing was stored.")
            return
        self._say(message, timeout=10)
        self.post_message(StoresChanged())

    @work(thread=True, exclusive=True, group="write")
    def refresh_now(self, inventory: Inventory, row: Row) -> None:
        from pixi_auth_tui.oauth import flow as oauth

        try:
            outcome = oauth.refresh_row(inventory, row)
        except (OAuthFailure, StoreError) as failure:
            self._say(f"Refresh of {row.key} failed: {failure}. The entry was left untouched.", "error", 10)
            return
        self._say(outcome.message)
        self.post_message(StoresChanged())

    def sign_out(self, inventory: Inventory, row: Row) -> None:
        """Delete for OAuth entries: confirm, revoke at the provider, then remove."""
        from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen

        question = (
            f"Sign out of {row.key}?\n\nThe tokens are revoked at the provider, then the entry is removed "
            f"from {row.store.name}."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._sign_out_worker(inventory, row)

        self.app.push_screen(ConfirmScreen(question, confirm="Sign out"), answered)

    @work(thread=True, exclusive=True, group="write")
    def _sign_out_worker(self, inventory: Inventory, row: Row) -> None:
        from pixi_auth_tui.oauth import flow as oauth

        cred = row.entry.credential
        assert is_oauth(cred)
        problems = oauth.revoke(cred)
        if problems:
            self.app.call_from_thread(self._ask_remove_anyway, inventory, row, problems)
            return
        self._remove(inventory, row, "revoked at the provider")

    def _ask_remove_anyway(self, inventory: Inventory, row: Row, problems: list[str]) -> None:
        from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen

        question = (
            "Revocation did not succeed:\n  " + "\n  ".join(problems) + f"\n\nRemove {row.key} from {row.store.name} "
            "anyway? The tokens may stay valid at the provider until they expire."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._remove_worker(inventory, row)
            else:
                self._say(f"{row.key} was kept.")

        self.app.push_screen(ConfirmScreen(question, confirm="Remove anyway"), answered)

    @work(thread=True, exclusive=True, group="write")
    def _remove_worker(self, inventory: Inventory, row: Row) -> None:
        self._remove(inventory, row, "not revoked")

    def _remove(self, inventory: Inventory, row: Row, how: str) -> None:
        from pixi_auth_tui.oauth import flow as oauth

        try:
            message = oauth.sign_out(inventory, row)
        except StoreError as err:
            self._say(f"Nothing removed: {err}", "error")
            return
        self._say(f"{message} ({how})")
        self.post_message(StoresChanged())
