"""The credential form: add a credential, or edit / rotate one in place.

Every field a kind needs is shown and reachable with Tab; focus starts on the first field a
person can type into; Enter or Ctrl+S saves. Values are checked by `build_credential`, the
same check the CLI's `set` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from pixi_auth_tui.core.hostkeys import key_problem, normalise_login_key
from pixi_auth_tui.core.model import EDITABLE_KINDS, KIND_LABELS, KINDS, Credential, field_value
from pixi_auth_tui.core.redact import plain, safe
from pixi_auth_tui.core.validation import (
    FIELDS_BY_KIND,
    SECRET_FIELDS,
    build_credential,
    host_kind_warning,
    key_refusal,
)
from pixi_auth_tui.engine.inventory import Inventory, Row
from pixi_auth_tui.probe.state import default_probe_url, remembered_url_problem
from pixi_auth_tui.stores.base import Store
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.dialogs import box_css
from pixi_auth_tui.ui.keys_line import KeysLine
from pixi_auth_tui.ui.terminal_text import PlainInput

# Every typed field of every editable kind, once (Bearer and conda tokens share `token`).
FIELD_LABELS = {f.name: f.prompt for kind in EDITABLE_KINDS for f in KINDS[kind].fields}
ALL_FIELDS = tuple(FIELD_LABELS)


KEY_LABEL = "Key (host or *.wildcard)"
KEYRING_KEY_LABEL = "Keyring service (the index URL, or its host)"
UV_KEY_LABEL = "uv service (the index URL, or its host)"
UV_STORE = "uv"  # uv's credentials.toml (pixi_auth_tui.pypi.uv_credentials.STORE_ID)
CONDA_PROBE_EXAMPLE = "https://host/channel/noarch/repodata.json"
PYPI_PROBE_EXAMPLE = "https://host/simple/ (the index URL)"

# The lines that speak about a field, in their order under it. Each is mounted when it first has
# something to say: most forms are opened, filled and saved without any of them.
MESSAGE_LINES = {
    "key": ("key-hint", "key-error"),
    "kind": ("kind-warning",),
    "store": ("store-warning", "store-error"),
    "probe-url": ("probe-url-error", "test-result"),
    **{name: (f"{name}-error",) for name in ALL_FIELDS},
}
LINE_CLASSES = {"hint": "hint", "result": "hint", "warning": "warning", "error": "error"}

# The add form's "Sign in (OAuth/OIDC)" kind: saving hands the host over to the sign-in dialog.
SIGN_IN_KIND = "OAuth"


@dataclass(frozen=True)
class SignInStart:
    key: str
    store_id: str


@dataclass(frozen=True)
class FormResult:
    key: str
    credential: Credential
    store_id: str
    probe_url: str = ""  # a test URL typed in the form, remembered for the key
    # The entry the form was opened on (None: an add, the key was free): the write is refused
    # if the store holds anything else by then (another program rotated it meanwhile).
    seen: Credential | None = None


def show(widget: Widget, shown: bool) -> None:
    """Show or hide a widget, only when that changes: each assignment lays the screen out again."""
    if widget.display != shown:
        widget.display = shown


class SingleLineInput(PlainInput):
    """An Input that refuses a multi-line paste instead of silently keeping its first line
    (a token pasted with the text around it would otherwise be saved cut short)."""

    class PasteRefused(Message):
        def __init__(self, field: SingleLineInput, lines: int) -> None:
            super().__init__()
            self.field = field
            self.lines = lines

    def on_paste(self, event: events.Paste) -> None:
        # Textual runs Input's own paste handler after this one unless the default is prevented.
        lines = event.text.rstrip("\r\n").splitlines()
        if len(lines) > 1:
            event.prevent_default()
            event.stop()
            self.post_message(self.PasteRefused(self, len(lines)))


class CredentialForm(ModalScreen[FormResult | SignInStart | None]):
    """Add a credential, or edit / rotate one (`editing`): secrets left empty are kept."""

    DEFAULT_CSS = (
        box_css("CredentialForm", 74)
        + """
    CredentialForm .field-group { height: auto; }
    CredentialForm .hint { color: $text-muted; }
    CredentialForm .warning { color: $warning; }
    CredentialForm .hint, CredentialForm .warning, CredentialForm .error { display: none; }
    """
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+g", "use_suggestion", "Use suggested key"),
    ]

    def __init__(
        self,
        inventory: Inventory,
        stores: list[Store],
        default_store: Store,
        home: Path,
        editing: Row | None = None,
        probe_url: str = "",
    ) -> None:
        super().__init__()
        self.home = home
        self.inventory = inventory
        self.stores = stores
        self.default_store = default_store if default_store in stores else stores[0]
        self.editing = editing
        self.probe_url = probe_url
        self.suggestion: str | None = None
        self.errors: dict[str, str] = {}  # field id → the message shown under it
        self._http_confirmed = False
        # The kind last set by the form itself (at first the default): a Select.Changed to any
        # other value is the person's choice, which an s3:// key then no longer overrides.
        self._kind_set_by_us = editing.entry.credential.kind if editing else "BearerToken"
        self._kind_chosen = editing is not None
        self._fields_for: str | None = None  # the kind whose fields are shown

    # -- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        editing = self.editing
        kind = editing.entry.credential.kind if editing else "BearerToken"
        title = (
            f"Edit / rotate {editing.key} ({KIND_LABELS[kind]}) in {editing.store.name}"
            if editing
            else "Add a credential"
        )
        with VerticalScroll(id="dialog", can_focus=False):
            # Not focusable itself: the focus goes straight to a field (which scrolls into view),
            # not to the box first and then restyles all of it on the way to the field.
            yield Label(Text(plain(title)), classes="title")
            if editing is None:  # key, kind and store are fixed while editing: the title names them
                with Vertical(classes="field-group"):
                    yield Label(KEY_LABEL, id="key-label")
                    yield SingleLineInput(id="key")
                    yield Label("Kind")
                    yield Select(
                        [(KIND_LABELS[k], k) for k in EDITABLE_KINDS] + [("Sign in (OAuth/OIDC)", SIGN_IN_KIND)],
                        value=kind,
                        allow_blank=False,
                        id="kind",
                    )
            # Only the shown kind's fields: another kind's are mounted when it is chosen.
            for name in FIELDS_BY_KIND.get(kind, ()):
                yield self._field_group(name)
            if editing is None:
                with Vertical(id="store-group", classes="field-group"):
                    yield Label("Store")
                    home = self.home
                    stores = [(Text(f"{s.name} — {present.display_path(s.location, home)}"), s.id) for s in self.stores]
                    yield Select(stores, value=self.default_store.id, allow_blank=False, id="store")
            yield Label("Test URL (optional: test before saving; remembered)", id="probe-url-label")
            yield SingleLineInput(value=self.probe_url, placeholder=CONDA_PROBE_EXAMPLE, id="probe-url")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Test", id="test")
                rotate = Button("Rotate instead", variant="warning", id="rotate-instead")
                rotate.display = False  # offered when the key is taken (hidden before mount: no layout)
                yield rotate
                yield Button("Cancel", id="cancel")
        yield KeysLine()

    def _field_group(self, name: str) -> Vertical:
        secret = name in SECRET_FIELDS
        return Vertical(
            Label(FIELD_LABELS[name]),
            SingleLineInput(
                id=name,
                password=secret,
                placeholder="leave empty to keep the current value" if self.editing and secret else "",
                value=self._prefill(name),
            ),
            id=f"group-{name}",
            classes="field-group",
        )

    def _prefill(self, name: str) -> str:
        if self.editing is None or name in SECRET_FIELDS:
            return ""
        cred = self.editing.entry.credential
        return field_value(cred, name) if name in FIELDS_BY_KIND.get(cred.kind, ()) else ""

    def on_mount(self) -> None:
        if self.editing is not None and self.editing.store.chain != "conda":
            # A keyring entry is its service and user name: only the password can be rotated.
            username = self._field("username")
            if username is not None:
                username.disabled = True
        self._show_fields()
        self._update_hints()
        self.first_field().focus()

    def first_field(self) -> Input:
        """Where typing starts: the key when adding; the kind's first field when editing."""
        if self.editing is None:
            return self.query_one("#key", Input)
        fields = [self.query_one(f"#{name}", Input) for name in FIELDS_BY_KIND[self._kind()]]
        return next((field for field in fields if not field.disabled), fields[0])

    # -- live feedback -------------------------------------------------------------------

    def _kind(self) -> str:
        if self.editing is not None:
            return self.editing.entry.credential.kind
        return str(self.query_one("#kind", Select).value)

    def _key(self) -> str:
        return self.editing.key if self.editing is not None else self.query_one("#key", Input).value

    def _store_id(self) -> str:
        if self.editing is not None:
            return self.editing.store.id
        return str(self.query_one("#store", Select).value)

    def _field(self, name: str) -> Input | None:
        """The field's input, or None while no chosen kind has needed it (it is not mounted)."""
        found = self.query(f"#{name}").results(Input)
        return next(found, None)

    def _typed(self, name: str) -> str:
        field = self._field(name)
        return "" if field is None else field.value.strip()

    def _show_fields(self) -> None:
        wanted = FIELDS_BY_KIND.get(self._kind(), ())
        missing = [self._field_group(name) for name in wanted if self._field(name) is None]
        if missing:
            self.query_one("#dialog").mount_all(missing, before="#probe-url-label")
        for group in self.query(".field-group").results(Vertical):
            name = (group.id or "").removeprefix("group-")
            if name in FIELD_LABELS:
                show(group, name in wanted)
        show(self.query_one("#test"), self._kind() != SIGN_IN_KIND)
        self._fields_for = self._kind()

    @on(Select.Changed, "#kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        if event.value != self._kind_set_by_us:
            self._kind_chosen = True
        if event.value == self._fields_for:
            return  # the kind already shown (the Select reports its first value as a change)
        self._show_fields()
        self._update_hints()

    @on(Input.Changed, "#key")
    @on(Input.Changed, "#username")
    @on(Select.Changed, "#store")
    def _key_changed(self) -> None:
        show(self.query_one("#rotate-instead"), False)
        key = self._key()
        # An s3:// key only makes sense with S3 keys: preselect it, unless a kind was chosen.
        # prefix.dev users sign in with OAuth, as `pixi auth login prefix.dev` does.
        # Only while the kind is still the form's own suggestion: a kind the person chose stays.
        if self.editing is None and not self._kind_chosen and self._kind() == self._kind_set_by_us:
            wanted = self._suggested_kind(key)
            if self._kind() != wanted:
                self._kind_set_by_us = wanted
                self.query_one("#kind", Select).value = wanted
        self._update_hints()

    def _pypi_store(self) -> Store | None:
        """The chosen store when it is one of uv's (its credentials.toml, Python keyring), else None."""
        store = self.inventory.store(self._store_id())
        return store if store is not None and store.chain != "conda" else None

    def _uv_store(self) -> Store | None:
        """The chosen store when it is uv's credentials.toml, else None."""
        store = self._pypi_store()
        return store if store is not None and store.id == UV_STORE else None

    def _suggested_kind(self, key: str) -> str:
        from pixi_auth_tui.oauth.info import is_prefix_dev

        if self._pypi_store() is not None:
            return "BasicHTTP"  # keyring answers uv with a password for a user name; uv's store mostly holds those
        if key.lower().startswith("s3://"):
            return "S3Credentials"
        return SIGN_IN_KIND if key.strip() and is_prefix_dev(key.strip()) else "BearerToken"

    def _update_hints(self) -> None:
        key = self._key()
        offered_before = self.suggestion is not None
        self.suggestion = None
        hint = Text()
        label = KEY_LABEL
        if self._pypi_store() is not None:
            label = UV_KEY_LABEL if self._uv_store() is not None else KEYRING_KEY_LABEL
        key_label = next(self.query("#key-label").results(Label), None)  # (not in an edit)
        if key_label is not None and key_label.content != label:  # (an update relayouts the form)
            key_label.update(label)
        # what a test URL looks like for the chosen store: a channel's repodata, or an index
        example = PYPI_PROBE_EXAMPLE if self._pypi_store() is not None else CONDA_PROBE_EXAMPLE
        self.query_one("#probe-url", Input).placeholder = example
        if key and self._kind() == SIGN_IN_KIND:
            from pixi_auth_tui.oauth.info import oauth_login_key

            hint.append(
                f"Save opens the sign-in; the entry is stored under {oauth_login_key(key)}, as rattler's login does"
            )
        elif (uv := self._uv_store()) is not None:
            from pixi_auth_tui.pypi.uv_credentials import UvCredentialsStore, key_hint

            if isinstance(uv, UvCredentialsStore):
                user = self._typed("username")
                hint.append(plain(key_hint(uv, key, user)))  # typed text: escapes shown, never acted on
        elif self._pypi_store() is not None:
            hint.append(plain(self._keyring_hint(key)))  # typed text: escapes shown, never acted on
        elif key and self.editing is None:
            suggested = normalise_login_key(key)
            # Only a key rattler can match is worth suggesting.
            if suggested.changed and key_problem(suggested.key) is None:
                self.suggestion = suggested.key
                hint.append(f"`pixi auth login` would store this as {suggested.key} ({suggested.reason}) — ")
                hint.append("Ctrl+G uses it", style="bold")
        self._set_line("#key-hint", hint)
        warning = host_kind_warning(key, self._kind()) if key and self._kind() != SIGN_IN_KIND else None
        self._set_line("#kind-warning", Text(f"⚠ {warning}" if warning else ""))
        # Never a silent plaintext write: say so when the keychain cannot take the secret.
        choice = self.inventory.write_choice()
        store_id = self._store_id()
        plaintext = choice.warning if self.editing is None and store_id == choice.store.id else None
        self._set_line("#store-warning", Text(f"⚠ {plaintext}" if plaintext else ""))
        if (self.suggestion is not None) != offered_before:  # ^g is shown only while there is one
            self.refresh_bindings()

    def _keyring_hint(self, key: str) -> str:
        """What a Python keyring entry needs to reach uv: the service, and `user@` in the URL."""
        from pixi_auth_tui.pypi.keyring_entries import keyring_services, service_problem, url_username, user_at_advice

        service = key.strip()
        user = self._typed("username")
        if not service:
            return "Key: the keyring service uv asks — the index URL (https://host/simple) or the host"
        problem = service_problem(service)
        if problem:
            return problem
        urls = getattr(self._pypi_store(), "index_urls", [])
        for url in urls:
            if service in keyring_services(url) and user and url_username(url) != user:
                return f"uv asks keyring only with the user in the index URL: {user_at_advice(url, user)}"
        return f"uv runs `keyring get {service} {user or 'USER'}` for PyPI indexes (keyring-provider = subprocess)"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "use_suggestion":
            return self.suggestion is not None
        return True

    def action_use_suggestion(self) -> None:
        if self.suggestion is not None:
            key = self.query_one("#key", Input)
            key.value = self.suggestion
            key.cursor_position = len(key.value)

    @on(SingleLineInput.PasteRefused)
    def _paste_refused(self, event: SingleLineInput.PasteRefused) -> None:
        self._set_error(
            event.field.id or "key", f"Refused a paste of {event.lines} lines: paste the one line it needs."
        )

    # -- saving --------------------------------------------------------------------------

    def _set_error(self, name: str, message: str) -> None:
        self.errors[name] = message
        self._set_line(f"#{name}-error", Text(message))

    def _set_line(self, selector: str, text: Text) -> None:
        """Hints, warnings and errors take a line only while they have something to say."""
        line = next(self.query(selector).results(Static), None)
        if line is None:
            if not text.plain:
                return  # never said anything: nothing to clear
            line = self._mount_line(selector.removeprefix("#"))
            if line is None:
                return
        # An update relayouts the whole form; per keystroke, only a line that changed pays it.
        if line.content == text and line.display == bool(text.plain):
            return
        line.update(text)
        show(line, bool(text.plain))

    def _mount_line(self, line_id: str) -> Static | None:
        field, lines = next((field, lines) for field, lines in MESSAGE_LINES.items() if line_id in lines)
        if not self.query(f"#{field}"):
            return None  # a field this form does not show (the key, kind and store of an edit)
        # Under its field, after the lines of that field that come before it and are there.
        earlier = [line for name in lines[: lines.index(line_id)] for line in self.query(f"#{name}").results(Static)]
        anchor = earlier[-1] if earlier else self.query_one(f"#{field}")
        line = Static("", id=line_id, classes=LINE_CLASSES[line_id.rsplit("-", 1)[1]])
        box = anchor.parent
        assert isinstance(box, Widget)  # a field of this form is always in a group or the box
        box.mount(line, after=anchor)
        return line

    def _values(self) -> dict[str, str]:
        return {name: field.value for name in ALL_FIELDS if (field := self._field(name)) is not None}

    def action_save(self) -> None:
        self._save()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self._save()

    def _save(self, rotate: bool = False) -> None:
        for name in (*ALL_FIELDS, "key", "store", "probe-url"):
            self._set_error(name, "")
        key = self._key()
        store_id = self._store_id()
        if self._kind() == SIGN_IN_KIND:
            if not key.strip():
                self._set_error("key", "Give the host to sign in to")
                return
            self.dismiss(SignInStart(key.strip(), store_id))
            return
        ok = True
        pypi = self._pypi_store()
        uv = self._uv_store()
        if uv is not None:
            from pixi_auth_tui.pypi.uv_credentials import service_refusal

            refusal = None if self.editing is not None else service_refusal(key)
        else:
            refusal = key_refusal(key) if pypi is None else _service_refusal(key)  # the sentences `set` prints
        if refusal:
            self._set_error("key", refusal)
            ok = False
        if uv is not None and self._kind() not in ("BasicHTTP", "BearerToken"):
            self._set_error("store", f"{uv.name} holds a user name and password, or a token: choose one of those")
            ok = False
        elif pypi is not None and uv is None and self._kind() != "BasicHTTP":
            self._set_error("store", f"{pypi.name} holds a user name and a password: choose Username + password")
            ok = False
        previous = self.editing.entry.credential if self.editing else None
        credential, errors = build_credential(self._kind(), self._values(), previous)
        renamed = (
            pypi is not None
            and self.editing is not None
            and credential is not None
            and KINDS[credential.kind].sends == "basic"
            and field_value(credential, "username") != field_value(self.editing.entry.credential, "username")
        )
        if renamed:
            errors = {
                **errors,
                "username": f"The user name is part of a {pypi.name if pypi else ''} entry: add a new entry instead",
            }
            credential = None
        for name, message in errors.items():
            self._set_error(name, message)
            ok = False
        probe_url = self.query_one("#probe-url", Input).value.strip()
        if probe_url and (problem := remembered_url_problem(probe_url)):
            self._set_error("probe-url", f"Give an http(s) URL, or leave it empty: {problem}.")
            ok = False
        if not ok or credential is None:
            self._focus_first_error()
            return
        if pypi is None and self.editing is None and store_id == self.inventory.write_choice().store.id:
            # The store `pixi auth login` would choose may refuse this very credential (Windows'
            # size limit): then it goes where the login falls back, said before anything is written.
            choice = self.inventory.write_choice(credential)
            if choice.store.id != store_id:
                self.query_one("#store", Select).value = choice.store.id
                self._set_error(
                    "store",
                    f"{choice.reason.capitalize()}: Save again to store it in {choice.store.name}, "
                    f"in PLAIN TEXT ({choice.store.location}), as `pixi auth login` does.",
                )
                return
        user = _pypi_user(credential) if pypi is not None else None
        if uv is not None and self.editing is None:
            from pixi_auth_tui.pypi.uv_credentials import UvCredentialsStore

            key = uv.stored_key(key.strip()) if isinstance(uv, UvCredentialsStore) else key  # where uv stores it
        exists = any(
            e.key == key and (pypi is None or e.item_ref == user) for e in self.inventory.snapshots[store_id].entries
        )
        if exists and self.editing is None and not rotate:
            store = self.inventory.store(store_id)
            self._set_error("store", f"{key} is already in {store.name if store else store_id}. Rotate it instead?")
            rotate_button = self.query_one("#rotate-instead", Button)
            rotate_button.display = True
            rotate_button.focus()
            return
        if self.editing is not None:
            seen: Credential | None = self.editing.entry.credential
        else:  # an add, or "Rotate instead" of the entry this form was shown
            found = [
                e
                for e in self.inventory.snapshots[store_id].entries
                if e.key == key and (pypi is None or e.item_ref == user)  # uv's entries: one per user name
            ]
            seen = found[0].credential if found else None
        self.dismiss(FormResult(key, credential, store_id, probe_url, seen))

    def _focus_first_error(self) -> None:
        for name in ("key", *ALL_FIELDS, "probe-url"):
            field = self._field(name)
            if field is not None and self.errors.get(name) and field.focusable:
                field.focus()
                return

    @on(Button.Pressed, "#test")
    def _test_pressed(self) -> None:
        key = self._key()
        previous = self.editing.entry.credential if self.editing else None
        credential, errors = build_credential(self._kind(), self._values(), previous)
        result = "#test-result"
        if credential is None:
            self._set_line(result, Text("Fill in the fields first: " + "; ".join(errors.values())))
            return
        url = self.query_one("#probe-url", Input).value.strip() or default_probe_url(key, credential)
        if self._uv_store() is not None:
            from pixi_auth_tui.core.hostkeys import host_of

            # uv's entry: asked on the index URL given (or the service), as uv sends it.
            url = self.query_one("#probe-url", Input).value.strip() or (key.strip() if "://" in key else "")
            if not url:
                self._set_line(result, Text("Give the index URL to test (https://host/simple) as the test URL."))
                return
            credential = _as_uv_sends(credential, self.editing)
            key = host_of(url) or key
        elif self._pypi_store() is not None:
            from pixi_auth_tui.core.hostkeys import host_of
            from pixi_auth_tui.pypi.keyring_entries import keyring_services

            # A keyring service is asked for index URLs: test one it answers for, as uv sends it.
            url = self.query_one("#probe-url", Input).value.strip() or (key if "://" in key else "")
            if not url or key.strip() not in keyring_services(url):
                self._set_line(result, Text("Give the index URL this keyring entry answers for as the test URL."))
                return
            key = host_of(url) or key
        if not url:
            self._set_line(result, Text("Give a test URL: this key has no single host to ask."))
            return
        if url.startswith("http://") and not self._http_confirmed:
            self._http_confirmed = True
            self._set_line(
                result, Text("⚠ plain http: the secret would travel unencrypted. Press Test again to send it.")
            )
            return
        self._set_line(result, Text(safe(f"Testing {url} …"), style="italic"))
        self.run_worker(self._probe(key, credential, url), exclusive=True, group="form-probe")

    async def _probe(self, key: str, credential: Credential, url: str) -> None:
        from pixi_auth_tui.probe.request import ProbeOptions, ProbeSetupError, probe

        offline = getattr(getattr(self.app, "environment", None), "label", "") == "demo"
        options = ProbeOptions(allow_http=self._http_confirmed, env=dict(self.inventory.env), offline=offline)
        try:
            outcome = await probe(key, credential, url, options)
        except ProbeSetupError as err:
            self._set_line("#test-result", Text(safe(f"Cannot test: {err}"), style="bold red"))
            return
        style = {"accepted": "green", "rejected": "bold red"}.get(outcome.verdict.value, "yellow")
        status = f" (HTTP {outcome.status})" if outcome.status is not None else ""
        self._set_line(
            "#test-result",
            # Two lines of their own: each part made safe alone, so the line break is not escaped.
            Text(safe(f"{outcome.verdict.value}{status}: {outcome.message}") + "\n" + safe(outcome.url), style=style),
        )

    @on(Button.Pressed, "#rotate-instead")
    def _rotate_instead(self) -> None:
        self._save(rotate=True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _pypi_user(credential: Credential) -> str | None:
    """The user name an entry of uv's stores is kept under: a token is uv's `__token__` user."""
    if KINDS[credential.kind].sends == "bearer":
        return "__token__"
    return field_value(credential, "username")


def _as_uv_sends(credential: Credential, editing: Row | None) -> Credential:
    """A token typed for uv's store goes out as `__token__` (HTTP basic), as uv stores it; a
    `scheme = "bearer"` entry being rotated stays a bearer token."""
    from pixi_auth_tui.core.model import BasicHTTP

    if KINDS[credential.kind].sends != "bearer" or (editing is not None and editing.entry.item_ref is None):
        return credential
    return BasicHTTP("__token__", field_value(credential, "token"))


def _service_refusal(key: str) -> str | None:
    from pixi_auth_tui.pypi.keyring_entries import service_problem

    problem = service_problem(key)
    return f"Invalid keyring service: {problem}" if problem else None
