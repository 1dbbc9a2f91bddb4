"""Modal screens: the credential form (add / edit / rotate), move, confirm and help."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pixi_auth_tui.hostkeys import key_problem, normalise_login_key
from pixi_auth_tui.inventory import Inventory, Row
from pixi_auth_tui.model import EDITABLE_KINDS, KIND_LABELS, Credential
from pixi_auth_tui.probe_state import url_problem
from pixi_auth_tui.redact import plain, safe
from pixi_auth_tui.stores.base import Store
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.inputs import SecretInput
from pixi_auth_tui.validation import FIELDS_BY_KIND, SECRET_FIELDS, build_credential, host_kind_warning
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

FIELD_LABELS = {
    "token": "Token",
    "username": "Username",
    "password": "Password",
    "access_key_id": "Access key ID",
    "secret_access_key": "Secret access key",
    "session_token": "Session token (optional)",
}
ALL_FIELDS = tuple(FIELD_LABELS)


@dataclass(frozen=True)
class FormResult:
    key: str
    credential: Credential
    store_id: str


# The add form's "Sign in (OAuth/OIDC)" kind: saving hands the host over to the sign-in dialog.
SIGN_IN_KIND = "OAuth"


@dataclass(frozen=True)
class SignInStart:
    key: str
    store_id: str


class CredentialForm(ModalScreen[FormResult | SignInStart | None]):
    """Add a credential, or edit / rotate one (`editing`): secrets blank = keep."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]  # noqa: RUF012

    def __init__(
        self,
        inventory: Inventory,
        stores: list[Store],
        default_store: Store,
        home: Path,
        editing: Row | None = None,
    ) -> None:
        super().__init__()
        self.home = home
        self.inventory = inventory
        self.stores = stores
        self.default_store = default_store if default_store in stores else stores[0]
        self.editing = editing
        self._http_confirmed = False
        # The kind we last suggested; once the person picks another, we stop suggesting.
        self._suggested = None if editing else "BearerToken"

    def compose(self) -> ComposeResult:
        editing = self.editing
        title = f"Edit / rotate {editing.key} in {editing.store.name}" if editing else "Add a credential"
        kind = editing.entry.credential.kind if editing else "BearerToken"
        with VerticalScroll(id="form"):
            yield Label(Text(plain(title)), classes="title")
            yield Label("Key (host or *.wildcard)")
            yield Input(value=editing.key if editing else "", id="key", disabled=editing is not None)
            yield Static("", id="key-hint", classes="hint")
            yield Static("", id="key-error", classes="error")
            yield Label("Kind")
            yield Select(
                [(KIND_LABELS[k], k) for k in EDITABLE_KINDS]
                + ([] if editing else [("Sign in (OAuth/OIDC)", SIGN_IN_KIND)]),
                value=kind,
                allow_blank=False,
                id="kind",
                disabled=editing is not None,
            )
            yield Static("", id="kind-warning", classes="warning")
            for name in ALL_FIELDS:
                with Vertical(id=f"group-{name}", classes="field-group"):
                    yield Label(FIELD_LABELS[name])
                    yield (SecretInput if name in SECRET_FIELDS else Input)(
                        id=name,
                        password=name in SECRET_FIELDS,
                        placeholder="leave empty to keep the current value"
                        if editing and name in SECRET_FIELDS
                        else "",
                        value=self._prefill(name),
                    )
                    yield Static("", id=f"{name}-error", classes="error")
            yield Label("Store")
            yield Select(
                [(Text(plain(f"{s.name} — {present.display_path(s.location, self.home)}")), s.id) for s in self.stores],
                value=self.default_store.id,
                allow_blank=False,
                id="store",
                disabled=editing is not None,
            )
            yield Static("", id="store-warning", classes="warning")
            yield Static("", id="store-error", classes="error")
            yield Label("Test URL (optional: test before saving)")
            yield Input(placeholder="https://host/channel/noarch/repodata.json", id="probe-url")
            yield Static("", id="test-result")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Test", id="test")
                yield Button("Rotate instead", variant="warning", id="rotate-instead")
                yield Button("Cancel", id="cancel")

    def _prefill(self, name: str) -> str:
        if self.editing is None or name in SECRET_FIELDS:
            return ""
        cred = self.editing.entry.credential
        return str(getattr(cred, name, "") or "")

    def on_mount(self) -> None:
        self.query_one("#rotate-instead").display = False
        self._show_fields()
        self._update_hints()
        first = "#token" if self.editing else "#key"
        self.query_one(first, Input).focus()

    # -- live feedback -------------------------------------------------------------------

    def _kind(self) -> str:
        return str(self.query_one("#kind", Select).value)

    def _show_fields(self) -> None:
        wanted = FIELDS_BY_KIND.get(self._kind(), ())
        for name in ALL_FIELDS:
            self.query_one(f"#group-{name}").display = name in wanted
        self.query_one("#test").display = self._kind() != SIGN_IN_KIND

    @on(Select.Changed, "#kind")
    def _kind_changed(self) -> None:
        self._show_fields()
        self._update_hints()

    @on(Input.Changed, "#key")
    @on(Select.Changed, "#store")
    def _key_changed(self) -> None:
        self.query_one("#rotate-instead").display = False
        if self._suggested is not None and self._kind() == self._suggested:
            # prefix.dev users sign in with OAuth, as `pixi auth login prefix.dev` does
            self._suggested = self._suggested_kind()
            self.query_one("#kind", Select).value = self._suggested
        self._update_hints()

    def _suggested_kind(self) -> str:
        from pixi_auth_tui.oauth_info import is_prefix_dev

        key = self.query_one("#key", Input).value.strip()
        return SIGN_IN_KIND if key and is_prefix_dev(key) else "BearerToken"

    def _update_hints(self) -> None:
        key = self.query_one("#key", Input).value
        hint = ""
        if key and self._kind() == SIGN_IN_KIND:
            from pixi_auth_tui.oauth_info import oauth_login_key

            hint = f"Save opens the sign-in; the entry is stored under {oauth_login_key(key)}, as rattler's login does"
        elif key and self.editing is None:
            suggestion = normalise_login_key(key)
            if suggestion.changed:
                hint = f"`pixi auth login` would store this as {suggestion.key} ({suggestion.reason})"
        self.query_one("#key-hint", Static).update(Text(hint))
        warning = host_kind_warning(key, self._kind()) if key and self._kind() != SIGN_IN_KIND else None
        self.query_one("#kind-warning", Static).update(Text(f"⚠ {warning}" if warning else ""))
        # Never a silent plaintext write: say so when the keychain cannot take the secret.
        choice = self.inventory.write_choice()
        store_id = str(self.query_one("#store", Select).value)
        plaintext = choice.warning if self.editing is None and store_id == choice.store.id else None
        store_warning = self.query_one("#store-warning", Static)
        store_warning.update(Text(f"⚠ {plaintext}" if plaintext else ""))
        store_warning.display = plaintext is not None

    # -- saving --------------------------------------------------------------------------

    def _set_error(self, name: str, message: str) -> None:
        self.query_one(f"#{name}-error", Static).update(Text(message))

    def action_save(self) -> None:
        self._save()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self._save()

    def _save(self, rotate: bool = False) -> None:
        for name in (*ALL_FIELDS, "key", "store"):
            self._set_error(name, "")
        key = self.query_one("#key", Input).value
        store_id = str(self.query_one("#store", Select).value)
        if self._kind() == SIGN_IN_KIND:
            if not key.strip():
                self._set_error("key", "Give the host to sign in to")
                return
            self.dismiss(SignInStart(key.strip(), store_id))
            return
        ok = True
        problem = key_problem(key)
        if problem:
            self._set_error("key", f"Invalid key: {problem}")
            ok = False
        kind = self._kind()
        values = {name: self.query_one(f"#{name}", Input).value for name in ALL_FIELDS}
        previous = self.editing.entry.credential if self.editing else None
        credential, errors = build_credential(kind, values, previous)
        for name, message in errors.items():
            self._set_error(name, f"{FIELD_LABELS.get(name, name)} {message}")
            ok = False
        snapshot = self.inventory.snapshots[store_id]
        exists = any(e.key == key for e in snapshot.entries)
        if ok and exists and self.editing is None and not rotate:
            store = self.inventory.store(store_id)
            self._set_error("store", f"{key} is already in {store.name if store else store_id}. Rotate it instead?")
            self.query_one("#rotate-instead").display = True
            return
        if not ok or credential is None:
            return
        self.dismiss(FormResult(key, credential, store_id))

    @on(Button.Pressed, "#test")
    def _test_pressed(self) -> None:
        from pixi_auth_tui.probe_state import default_probe_url

        key = self.query_one("#key", Input).value
        previous = self.editing.entry.credential if self.editing else None
        values = {name: self.query_one(f"#{name}", Input).value for name in ALL_FIELDS}
        credential, errors = build_credential(self._kind(), values, previous)
        result = self.query_one("#test-result", Static)
        if credential is None:
            result.update(Text("Fill in the fields first: " + "; ".join(f"{k} {v}" for k, v in errors.items())))
            return
        url = self.query_one("#probe-url", Input).value.strip() or default_probe_url(key, credential)
        if not url:
            result.update(Text("Give a test URL: this key has no single host to ask."))
            return
        if url.startswith("http://") and not self._http_confirmed:
            self._http_confirmed = True
            result.update(Text("⚠ plain http: the secret would travel unencrypted. Press Test again to send it."))
            return
        result.update(Text(safe(f"Testing {url} …"), style="italic"))
        self.run_worker(self._probe(key, credential, url), exclusive=True, group="form-probe")

    async def _probe(self, key: str, credential: Credential, url: str) -> None:
        from pixi_auth_tui.probe import ProbeOptions, ProbeSetupError, probe

        offline = getattr(getattr(self.app, "environment", None), "label", "") == "demo"
        options = ProbeOptions(allow_http=self._http_confirmed, env=dict(self.inventory.env), offline=offline)
        try:
            outcome = await probe(key, credential, url, options)
        except ProbeSetupError as err:
            self.query_one("#test-result", Static).update(Text(safe(f"Cannot test: {err}"), style="bold red"))
            return
        style = {"accepted": "green", "rejected": "bold red"}.get(outcome.verdict.value, "yellow")
        status = f" (HTTP {outcome.status})" if outcome.status is not None else ""
        self.query_one("#test-result", Static).update(
            Text(safe(f"{outcome.verdict.value}{status}: {outcome.message}"), style=style)
        )

    @on(Button.Pressed, "#rotate-instead")
    def _rotate_instead(self) -> None:
        self._save(rotate=True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class MoveScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012

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
                [
                    (Text(plain(f"{s.name} — {present.display_path(s.location, self.home)}")), s.id)
                    for s in self.targets
                ],
                value=self.targets[0].id,
                allow_blank=False,
                id="target",
            )
            with Horizontal(classes="buttons"):
                yield Button("Move", variant="primary", id="move")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#target", Select).focus()

    @on(Button.Pressed, "#move")
    def _move(self) -> None:
        self.dismiss(str(self.query_one("#target", Select).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("y", "confirm", "Yes")]  # noqa: RUF012

    def __init__(self, question: str, confirm: str = "OK") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(plain(self.question, keep="\n")))
            with Horizontal(classes="buttons"):
                yield Button(self.confirm_label, variant="error", id="confirm")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]  # noqa: RUF012

    def __init__(self, bindings: Iterable[Binding]) -> None:
        super().__init__()
        self.bindings_list = list(bindings)

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("Keys\n\n", style="bold")
        for b in self.bindings_list:
            key = {"slash": "/", "question_mark": "?"}.get(b.key, b.key)
            text.append(f"  {key:<4}", style="bold")
            text.append(f"{b.description}\n")
        text.append(
            "\nRows are in pixi's lookup order: the first store holding a key wins; the same key in later "
            "stores is shadowed (dimmed). Ignored rows (red) are entries pixi cannot use at all.\n"
            "Click a column header (or press o) to sort. Ctrl+P opens the command palette.\n"
            "In forms: Ctrl+S saves, Esc cancels; leave a secret empty when editing to keep it.",
        )
        with VerticalScroll(id="dialog"):
            yield Static(text)
            yield Button("Close", id="close")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class ProbeUrlScreen(ModalScreen[str | None]):
    """Ask for the URL to test a key with (wildcards and S3 keys have no single host)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]  # noqa: RUF012

    def __init__(self, key: str, default: str) -> None:
        super().__init__()
        self.key = key
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(plain(f"Test {self.key} with which URL?")), classes="title")
            yield Static(
                Text(
                    "A wildcard key covers many hosts, and S3 keys need the endpoint: give a concrete URL, "
                    "e.g. a channel's noarch/repodata.json. It is remembered for next time."
                )
            )
            yield Input(value=self.default, placeholder="https://host/channel/noarch/repodata.json", id="url")
            yield Static("", id="url-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Test", variant="primary", id="go")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#url", Input).focus()

    @on(Input.Submitted, "#url")
    @on(Button.Pressed, "#go")
    def _go(self) -> None:
        url = self.query_one("#url", Input).value.strip()
        problem = url_problem(url)
        if problem:
            self.query_one("#url-error", Static).update(Text(plain(f"Give an http(s) URL: {problem}.")))
            return
        self.dismiss(url)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
