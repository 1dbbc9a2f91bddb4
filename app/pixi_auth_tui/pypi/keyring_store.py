"""Python keyring entries for PyPI indexes: what `keyring get SERVICE USER` answers uv.

Written and read through the `keyring` library's own backends (the one keyring itself would
choose here: `PYTHON_KEYRING_BACKEND`, keyring's config file, else the most suitable backend),
never by hand. Keyring cannot list its entries, so the store looks up the (service, user
name) pairs uv would ask for the workspace's index URLs; on Linux it also searches the Secret
Service for items under those services (Python keyring's items carry `service`, `username`
and `application: Python keyring library`), which finds entries for user names the
workspace does not name yet.

An entry's key is its keyring service (an index URL, `host[:port]` or `scheme://host`), its
credential a `BasicHTTP` (uv sends keyring's answer as HTTP Basic), and its `item_ref` the
user name: what tells entries for one service apart.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, ClassVar

from pixi_auth_tui.core.model import (
    KINDS,
    BasicHTTP,
    Credential,
    NotRead,
    dumps_credential,
    field_value,
    is_misspelled,
)
from pixi_auth_tui.pypi.keyring_entries import (
    KEYRING_APPLICATION,
    KeyringQuery,
    keyring_services,
    service_problem,
    services_note,
    url_username,
)
from pixi_auth_tui.pypi.keyring_tool import KeyringTool, inspect_keyring
from pixi_auth_tui.stores.base import Entry, Snapshot, Store, StoreError, StoreState, entry_changed

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

STORE_ID = "keyring-pypi"
PYPI_CHAIN = "pypi"
NOT_SUBPROCESS = (
    'uv never runs keyring here: pixi\'s pypi-config.keyring-provider is not "subprocess" '
    "(set it in .pixi/config.toml or pass --pypi-keyring-provider subprocess)"
)


def library_backend() -> KeyringBackend:
    """The backend the keyring library chooses in this process, found afresh on each call
    (keyring's own `get_keyring()` keeps its first choice for the life of the process).

    Raises StoreError with the reason when no backend can store a password here."""
    try:
        import keyring.core
        from keyring.backend import KeyringBackend, get_all_keyring
    except ImportError as err:  # a dependency, but a broken install must say so, not crash
        raise StoreError(f"the keyring library cannot be imported: {err}") from err
    chosen = keyring.core.load_env() or keyring.core.load_config()
    if chosen is not None:
        return chosen
    get_all_keyring()  # loads the plugins' entry points (once per process), as keyring does
    candidates = [
        cls
        for cls in KeyringBackend.get_viable_backends()
        if not cls.__module__.startswith(("keyring.backends.fail", "keyring.backends.chainer", "keyring.backends.null"))
    ]
    if not candidates:
        raise StoreError(f"no keyring backend can store passwords here ({_why_unusable()})")
    best: Any = max(candidates, key=lambda cls: cls.priority)
    return best()


def _why_unusable() -> str:
    """Why the platform's own backend is not usable, in keyring's words."""
    try:
        if sys.platform.startswith("linux"):
            from keyring.backends.SecretService import Keyring

            Keyring.priority  # noqa: B018 (raises the reason)
    except Exception as err:
        return str(err) or type(err).__name__
    return "no backend is viable"


def backend_name(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


class PythonKeyringStore(Store):
    """Python keyring entries for the services uv asks about (see the module's docstring)."""

    chain: ClassVar[str] = PYPI_CHAIN

    def __init__(
        self,
        queries: list[KeyringQuery],
        services: list[str],
        *,
        keyring_provider: str | None = None,
        bus_address: str | None = None,
        index_urls: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.id = STORE_ID
        self.name = "Python keyring"
        self.location = "keyring library (uv runs `keyring get SERVICE USER`)"
        self.queries = list(queries)
        self.services = list(dict.fromkeys(services))  # every service uv may ask, with or without a user
        self.keyring_provider = keyring_provider
        self.bus_address = bus_address
        self.index_urls = list(index_urls or [])  # the workspace's, as written (no password)
        self.backend: str | None = None  # the library backend used by the last call
        self._held: set[tuple[str, str]] = set()  # (service, user) of every entry last loaded
        self.env = dict(env or {})  # the environment uv runs `keyring` in (its PATH)
        self.tool: KeyringTool | None = None  # the `keyring` program uv would run, once inspected
        self._plugins: dict[tuple[str, str], str] = {}  # (index URL, user) → why a plugin answers it

    def ask(self, service: str, username: str, index_url: str = "") -> None:
        """Also look up (service, user), e.g. one named on the command line."""
        query = KeyringQuery(service, username, index_url)
        if all((q.service, q.username) != (service, username) for q in self.queries):
            self.queries.append(query)
        if service not in self.services:
            self.services.append(service)

    # -- reading --------------------------------------------------------------------

    def load(self) -> Snapshot:
        if not self.queries and not self.services:
            return Snapshot(
                self.id,
                StoreState.OK,
                "no PyPI index URL to look up (keyring cannot list its entries)",
            )
        hint = user_bus_hint(self.env)
        try:
            backend = library_backend()
        except StoreError as err:
            return Snapshot(self.id, StoreState.UNAVAILABLE, f"{err}{hint}")
        self.backend = backend_name(backend)
        self.location = f"keyring library, backend {self.backend}"
        found: dict[tuple[str, str], Entry] = {}
        problems: list[str] = []
        locked = 0
        try:
            for query in self.queries:
                password = backend.get_password(query.service, query.username)
                if password is not None:
                    found[(query.service, query.username)] = self._entry(query.service, query.username, password)
            if self.bus_address and type(backend).__module__ == "keyring.backends.SecretService":
                locked = self._search_secret_service(found, problems)
        except StoreError as err:
            return Snapshot(self.id, StoreState.ERROR, str(err))
        except Exception as err:  # keyring's backends raise their own errors (locked, no daemon …)
            return Snapshot(self.id, _state_for(err), f"{self.backend}: {_first_line(err)}{hint}")
        if hint and type(backend).__module__ != "keyring.backends.SecretService":
            problems.append(f"not the Secret Service{hint}")
        self._held = set(found)
        self._plugins = {}
        message_tail = ""
        if self.keyring_provider == "subprocess" and any(url_username(u) for u in self.index_urls):
            # uv will run the `keyring` program for these indexes: say which one, and what it has.
            self.tool = inspect_keyring(self.env)
            message_tail = f"; uv runs: {self.tool.summary()}"
            if self.tool.path is None or self.tool.problem:
                problems.append(self.tool.problem or "no `keyring` command on PATH")
            for (url, user), why in self._plugin_answers().items():
                found[(url, user)] = Entry(url, NotRead(), self.id, item_ref=user, origin="keyring plugin")
                self._plugins[(url, user)] = why
        entries = list(found.values())
        message = f"{len(entries)} entries for {len(self.services)} services{message_tail}"
        if locked:
            return Snapshot(
                self.id, StoreState.LOCKED, f"{message}; {locked} in a locked keyring", entries, problems=problems
            )
        return Snapshot(self.id, StoreState.OK, message, entries, problems=problems)

    def _search_secret_service(self, found: dict[tuple[str, str], Entry], problems: list[str]) -> int:
        """Items under each service with any user name: keyring's backend finds these too, but
        only when asked for the user name; the Secret Service can be searched without it."""
        from pixi_auth_tui.stores.secretservice import SecretServiceStore

        client = SecretServiceStore(self.bus_address)
        locked = 0
        for service in self.services:
            items, hidden = client.find_items({"service": service})
            locked += hidden
            for item in items:
                user = item.attributes.get("username")
                if not user or item.secret is None or (service, user) in found:
                    continue
                password = item.secret.decode("utf-8", errors="replace")
                found[(service, user)] = self._entry(service, user, password, item.attributes)
                if item.attributes.get("application") != KEYRING_APPLICATION:
                    problems.append(f"{service}: the item for {user} was written by another program")
        return locked

    def _plugin_answers(self) -> dict[tuple[str, str], str]:
        """Index URLs no stored entry answers for, that a plugin of the `keyring` program uv runs
        answers at request time (a token it mints: nothing is stored, nothing is asked now)."""
        unanswered = []
        for url in self.index_urls:
            user = url_username(url)
            if user and not any((s, user) in self._held for s in keyring_services(url)):
                unanswered.append((url, user))
        if not unanswered:
            return {}
        if self.tool is None:
            self.tool = inspect_keyring(self.env)
        if self.tool.path is None:
            return {}
        answers: dict[tuple[str, str], str] = {}
        for url, user in unanswered:
            service = keyring_services(url)[0]
            for plugin in self.tool.plugins:
                covers = plugin.covers(url)
                if covers:
                    answers[(service, user)] = f"supplied by plugin {plugin.label} at request time"
                    break
                if covers is None:
                    answers[(service, user)] = (
                        f"may be supplied by plugin {plugin.label} at request time (`test` asks it as uv would)"
                    )
        return answers

    def _entry(self, service: str, user: str, password: str, attributes: dict[str, str] | None = None) -> Entry:
        origin = "Python keyring"
        if attributes is not None and attributes.get("application") != KEYRING_APPLICATION:
            origin = attributes.get("application") or "another program"
        return Entry(
            service,
            BasicHTTP(user, password),
            self.id,
            item_ref=user,
            origin=origin,
            note=self._why_unused(service, user),
        )

    def _why_unused(self, service: str, user: str) -> str | None:
        """Why uv never asks for this entry, or None when it may (the store's own view: the
        layers before it are the engine's to judge)."""
        if self.keyring_provider != "subprocess":
            return NOT_SUBPROCESS
        if not any(q.service == service and q.username == user for q in self.queries if q.index_url):
            return (
                f"no index URL of this workspace names the user {user!r} for this service: uv asks keyring only "
                f"with a user name in the index URL (put `{user}@` before the host)"
            )
        return None

    def chain_verdict(self, entry: Entry) -> tuple[str, str, str | None] | None:
        """Within keyring: uv asks the index URL, then the host, then `scheme://host`, and takes
        the first answer, so an entry for a service asked later is shadowed for that index."""
        user = entry.item_ref or ""
        plugin = self._plugins.get((entry.key, user))
        if plugin is not None:
            return ("active", plugin, None)
        if entry.note is not None:
            return ("ignored", entry.note, None)
        shadowing: str | None = None
        for url in self.index_urls:
            services = keyring_services(url)
            if url_username(url) != user or entry.key not in services:
                continue
            earlier = [s for s in services[: services.index(entry.key)] if (s, user) in self._held]
            if not earlier:
                why = (
                    f"{services_note(entry.key)}; uv sends it as HTTP Basic when rattler has no credential "
                    "for the host and neither netrc nor uv's credentials.toml has one"
                )
                return ("active", why, None)
            shadowing = shadowing or earlier[0]
        if shadowing is None:
            return None
        return ("shadowed", f"uv takes the entry for {shadowing}, asked before this one", shadowing)

    # -- writing --------------------------------------------------------------------

    def write_problem(self, credential: Credential) -> str | None:
        if KINDS[credential.kind].sends != "basic" or is_misspelled(credential):
            return "Python keyring holds a user name and a password (uv sends them as HTTP Basic): use --kind basic"
        if not field_value(credential, "username"):
            return "keyring needs a user name: uv asks `keyring get SERVICE USER`"
        return None

    def set(self, key: str, credential: Credential, *, expect: str | None = None, was: str | None = None) -> bool:
        problem = service_problem(key) or self.write_problem(credential)
        if problem:
            raise StoreError(problem)
        user, password = field_value(credential, "username"), field_value(credential, "password")
        backend = library_backend()
        self.backend = backend_name(backend)
        try:
            current = backend.get_password(key, user)
            existed = current is not None
            # What the person saw must still be there (keyring has no lock of ours: checked just before).
            entry_changed(key, _as_json(user, current), was, self.name)
            backend.set_password(key, user, password)
        except StoreError:
            raise
        except Exception as err:
            raise StoreError(f"keyring could not store it ({self.backend}): {_first_line(err)}") from err
        self.ask(key, user)
        return existed

    def remove(
        self, key: str, *, expect: str | None = None, item_ref: str | None = None, was: str | None = None
    ) -> None:
        users = [item_ref] if item_ref else [q.username for q in self.queries if q.service == key]
        if not users:
            raise StoreError(f"which user name? keyring stores one password per user for {key}")
        backend = library_backend()
        self.backend = backend_name(backend)
        removed = False
        for user in dict.fromkeys(users):
            try:
                current = backend.get_password(key, user)
                if current is None:
                    continue
                entry_changed(key, _as_json(user, current), was, self.name)
                backend.delete_password(key, user)
                removed = True
            except StoreError:
                raise
            except Exception as err:
                raise StoreError(f"keyring could not remove it ({self.backend}): {_first_line(err)}") from err
            if item_ref is None:
                break  # one entry at a time, as asked
        if not removed:
            who = f" for {item_ref}" if item_ref else ""
            raise StoreError(f"{key}{who} is not in the Python keyring")

    def describe(self) -> str:
        return f"{self.name} ({self.location})"


def _as_json(user: str, password: str | None) -> list[str]:
    """The entry as rattler's JSON (what `was` holds), or none."""
    return [] if password is None else [dumps_credential(BasicHTTP(user, password))]


def user_bus_hint(env: dict[str, str]) -> str:
    """Where pixi's libdbus reaches the keychain through `$XDG_RUNTIME_DIR/bus` (no
    DBUS_SESSION_BUS_ADDRESS) but the `keyring` program uv runs cannot: keyring's Secret Service
    backend connects through jeepney, whose session bus is DBUS_SESSION_BUS_ADDRESS alone (no
    fallback; this process's keyring library is the same). "" when that is not the case."""
    from pixi_auth_tui.stores.dbus_session import ADDRESS_VARIABLE, session_bus

    if ADDRESS_VARIABLE in env:
        return ""
    bus = session_bus(env)
    if bus.source != "$XDG_RUNTIME_DIR/bus":
        return ""
    return (
        f"; pixi reaches the keychain at $XDG_RUNTIME_DIR/bus, but the `keyring` program uv runs looks only "
        f"at {ADDRESS_VARIABLE} (unset): export {ADDRESS_VARIABLE}={bus.address}"
    )


def _state_for(err: Exception) -> StoreState:
    name = type(err).__name__
    if name == "KeyringLocked":
        return StoreState.LOCKED
    return StoreState.UNAVAILABLE if name in ("InitError", "NoKeyringError") else StoreState.ERROR


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__
