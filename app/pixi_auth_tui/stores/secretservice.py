"""The Linux keychain (freedesktop Secret Service), holding items exactly as rattler does.

rattler's item: attributes `{"service": "rattler", "username": <key>}`, label
`keyring:<key>@rattler`, secret = the credential JSON. rattler searches by those two
attributes and fails when more than one item matches, so updates change the secret
of the existing item in place and never create a second one.

Listing costs a fixed number of D-Bus round trips whatever the item count: one
search, the attribute reads pipelined, and one batched GetSecrets.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, HeaderFields, Message, MessageType, Parser, Properties, message_bus, new_method_call
from jeepney.bus import get_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection, prep_socket

from pixi_auth_tui.core.model import Credential, dumps_credential, reading_problem
from pixi_auth_tui.core.rattler_json import loads_keychain_secret, write_problem
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.stores import dbus_wire
from pixi_auth_tui.stores.base import Ability, Entry, Snapshot, Store, StoreError, StoreState, entry_changed
from pixi_auth_tui.stores.dbus_session import diagnose
from pixi_auth_tui.stores.locking import exclusive, keychain_lock_path

SERVICE = "rattler"
BUS_NAME = "org.freedesktop.secrets"
SS_PATH = "/org/freedesktop/secrets"
SS_IFACE = "org.freedesktop.Secret.Service"
ITEM_IFACE = "org.freedesktop.Secret.Item"
COLLECTION_IFACE = "org.freedesktop.Secret.Collection"
CALL_TIMEOUT = 10.0
PIPELINE_WINDOW = 64


def item_label(key: str) -> str:
    return f"keyring:{key}@{SERVICE}"


def item_attributes(key: str) -> dict[str, str]:
    return {"service": SERVICE, "username": key}


NO_USERNAME = "this item has no `username` attribute, so rattler never finds it; remove it by its item path"


class KeychainUnavailable(StoreError):
    """No usable Secret Service; `code` says which case (stores/dbus_session.DIAGNOSES)."""

    def __init__(self, message: str, code: str = "no-secret-service") -> None:
        super().__init__(message)
        self.code = code


class KeychainLocked(StoreError):
    pass


class KeychainItem:
    """One Secret Service item: its D-Bus path, its key (the `username` attribute), its attributes
    and its secret."""

    __slots__ = ("attributes", "key", "modified", "path", "secret")

    def __init__(
        self, path: str, key: str, attributes: dict[str, str], secret: bytes | None, modified: int | None = None
    ) -> None:
        self.path = path
        self.key = key
        self.attributes = attributes
        self.secret = secret  # None while locked
        self.modified = modified  # read only for duplicates (see _read_modified)

    @property
    def writer(self) -> str:
        """Who made this item: rattler (any version) or another program."""
        extra = {k: v for k, v in self.attributes.items() if k not in ("service", "username", "xdg:schema")}
        if not extra:
            return "rattler"
        # Older pixi (keyring-rs 3.6) added these two; rattler's subset search finds such items.
        if extra.get("application") == "rust-keyring" and set(extra) <= {"target", "application"}:
            return "older pixi (keyring 3.6)"
        if "application" in extra:
            return f"another program ({extra['application']})"
        return f"another program (extra attributes {', '.join(sorted(extra))})"

    @property
    def written_by_rattler(self) -> bool:
        return self.writer in ("rattler", "older pixi (keyring 3.6)")

    @property
    def origin(self) -> str:
        """Which program wrote the item, told by the attributes each one adds (an item of
        older pixi is one rattler finds, but telling it apart is why this is shown)."""
        if self.writer == "rattler":
            return "rattler"
        if self.attributes.get("application") == "Python keyring library":
            return "Python keyring"
        if self.attributes.get("application") == "rust-keyring" or "target" in self.attributes:
            return "older pixi (keyring-rs)"
        return "another program"


class _Bus:
    """One connection to the session bus, counting the round trips it makes.

    Its own socket (authenticated by jeepney) and framing: calls (built by jeepney) are written
    in batches and every byte read is framed here, so the listing's per-item replies can be read
    by `dbus_wire` and everything else by jeepney's parser."""

    def __init__(self, address: str | None, no_bus: str = "") -> None:
        if not address:
            raise KeychainUnavailable(
                no_bus or "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)", "no-session-bus"
            )
        self.sent: list[str] = []  # what was asked, for tests and the bench: "Get Attributes", …
        self.session: Any = None
        self._serials = itertools.count(1)
        self._buffer = bytearray()
        try:
            # (jeepney's 2 s for the handshake: a busy machine took it for a missing keychain)
            self.sock = prep_socket(get_bus(address), timeout=CALL_TIMEOUT)
        except (OSError, ValueError, KeyError, StopIteration) as err:
            raise KeychainUnavailable(f"cannot connect to the D-Bus session bus: {err}", "no-bus-connection") from err
        self.sock.settimeout(CALL_TIMEOUT)
        try:
            (hello,) = self._exchange([message_bus.Hello()], [""])  # the bus's greeting, not counted
            self._body(_parse(hello))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def call(self, msg: Message) -> tuple[Any, ...]:
        return self.call_many([msg])[0]

    def call_many(self, msgs: list[Message]) -> list[tuple[Any, ...]]:
        """Pipelined requests (see _exchange); each reply's body, in the order asked."""
        replies = self._exchange(msgs, [_describe(m) for m in msgs])
        return [self._body(_parse(raw)) for raw in replies]

    def get_attributes(self, paths: list[str], then: Message | None = None) -> tuple[list[dict[str, str]], Any]:
        """Each item's `Attributes`, and the reply body of `then` sent after them in the same
        pipeline. The per-item reply is read by `dbus_wire`."""
        serials = [next(self._serials) for _ in paths]
        # One call built by jeepney, addressed to each item in turn: the path is the only header
        # field that differs (jeepney checks each as it serialises the call).
        get = Properties(_item(SS_PATH)).get("Attributes")
        payloads = []
        for path, serial in zip(paths, serials, strict=True):
            get.header.fields[HeaderFields.path] = path
            payloads.append(get.serialise(serial))
        names = ["Get Attributes"] * len(paths)
        if then is not None:
            serials.append(next(self._serials))
            payloads.append(then.serialise(serials[-1]))
            names.append(_describe(then))
        self.sent += names
        replies = self._pipeline(payloads, serials)
        attributes = []
        for raw in replies[: len(paths)]:
            fast = dbus_wire.string_dict_variant_reply(raw)
            if fast is not None:
                attributes.append(fast[1])
            else:  # an error, or a shape only jeepney reads
                ((_signature, value),) = self._body(_parse(raw))
                attributes.append(dict(value))
        return attributes, (self._body(_parse(replies[-1])) if then is not None else None)

    def _exchange(self, msgs: list[Message], names: list[str]) -> list[bytes]:
        serials = [next(self._serials) for _ in msgs]
        self.sent += [n for n in names if n]
        return self._pipeline([m.serialise(s) for m, s in zip(msgs, serials, strict=True)], serials)

    def _pipeline(self, payloads: list[bytes], serials: list[int]) -> list[bytes]:
        """Send every call, at most PIPELINE_WINDOW awaiting replies, and return the raw replies
        in the order sent (matched by serial; signals and strays are dropped).

        The bus caps pending replies per connection (128 on some configurations), so the window
        stays below that; calls go out in batches of at least half a window per write, so the
        daemon always has work queued and neither side wakes up once per message."""
        position = {serial: i for i, serial in enumerate(serials)}
        replies: list[bytes | None] = [None] * len(payloads)
        sent = awaiting = 0
        try:
            while sent < len(payloads) or awaiting:
                room = PIPELINE_WINDOW - awaiting
                if sent < len(payloads) and room * 2 >= PIPELINE_WINDOW:
                    batch = payloads[sent : sent + room]
                    self.sock.sendall(b"".join(batch))
                    sent += len(batch)
                    awaiting += len(batch)
                raw = self._next_message()
                i = position.get(_reply_serial(raw), -1)
                if i >= 0 and replies[i] is None:
                    replies[i] = raw
                    awaiting -= 1
        except TimeoutError as err:
            raise KeychainUnavailable(
                f"the Secret Service did not answer within {CALL_TIMEOUT:g} s",
                "not-answering",
            ) from err
        except OSError as err:
            raise KeychainUnavailable(f"D-Bus connection lost: {err}", "no-bus-connection") from err
        return [raw for raw in replies if raw is not None]

    def _next_message(self) -> bytes:
        buffer = self._buffer
        while True:
            if len(buffer) >= dbus_wire.FIXED_HEADER:
                size = dbus_wire.message_size(buffer)
                if len(buffer) >= size:
                    raw = bytes(buffer[:size])
                    del buffer[:size]
                    return raw
            data = self.sock.recv(1 << 17)
            if not data:
                raise ConnectionResetError("the bus closed the connection")
            buffer += data

    @staticmethod
    def _body(reply: Message) -> tuple[Any, ...]:
        if reply.header.message_type == MessageType.error:
            name = reply.header.fields.get(HeaderFields.error_name, "")
            detail = reply.body[0] if reply.body else ""
            if name == "org.freedesktop.DBus.Error.NoReply":
                raise KeychainUnavailable("the Secret Service did not answer (a hung keychain daemon)", "not-answering")
            if name in ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.Spawn.ExecFailed"):
                raise KeychainUnavailable("no Secret Service (keychain daemon) on the session bus")
            if name == "org.freedesktop.Secret.Error.IsLocked":
                raise KeychainLocked("the keychain is locked; unlock it first")
            raise StoreError(f"Secret Service error {name}: {detail}")
        return tuple(reply.body)


def _parse(raw: bytes) -> Message:
    (message,) = Parser().feed(raw)
    return message


def _reply_serial(raw: bytes) -> int:
    """Which call `raw` answers (-1: none, e.g. a signal)."""
    serial = dbus_wire.reply_serial(raw)
    if serial is None:  # not little-endian, or no reply serial: ask jeepney
        serial = _parse(raw).header.fields.get(HeaderFields.reply_serial, -1)
    return serial


def _describe(msg: Message) -> str:
    """A call's method, with the property named for Get/Set (never any value)."""
    member = str(msg.header.fields.get(HeaderFields.member, ""))
    if member in ("Get", "Set") and len(msg.body) > 1:
        return f"{member} {msg.body[1]}"
    return member


def _service() -> DBusAddress:
    return DBusAddress(SS_PATH, BUS_NAME, SS_IFACE)


def _search_call(attributes: dict[str, str]) -> Message:
    return new_method_call(_service(), "SearchItems", "a{ss}", (attributes,))


def _item(path: str) -> DBusAddress:
    return DBusAddress(path, BUS_NAME, ITEM_IFACE)


class SecretServiceStore(Store):
    abilities = frozenset({Ability.UNLOCK, Ability.DEDUPE, Ability.PARTIAL_LOAD})

    def __init__(
        self, bus_address: str | None, lock_path: Path | None = None, no_bus: str = "", can_prompt: bool = True
    ) -> None:
        self.id = "keychain"
        self.no_bus = no_bus  # why there is no session bus, when bus_address is None
        self.can_prompt = can_prompt  # whether an unlock prompt could be seen (a graphical session)
        self.name = "keychain"
        self.location = "Secret Service, service=rattler"
        self.bus_address = bus_address
        self.last_calls: list[str] = []
        # Our writers take this lock, then search again before creating: two racing `set`s
        # for one key can never both create an item (rattler would then ignore both).
        self.lock_path = lock_path or keychain_lock_path()
        self._ahead: _ReadAhead | None = None
        self._ahead_lock = threading.Lock()
        # When the last read ahead ran (perf_counter; for the bench's timing line, no secrets).
        self.read_ahead_times: tuple[float, float] | None = None

    @property
    def last_call_count(self) -> int:
        """D-Bus calls the last operation made (for tests and the bench)."""
        return len(self.last_calls)

    @contextlib.contextmanager
    def _bus(self) -> Iterator[_Bus]:
        bus = _Bus(self.bus_address, self.no_bus)
        try:
            yield bus
        finally:
            self.last_calls = bus.sent
            bus.close()

    # -- D-Bus pieces --------------------------------------------------------------

    def _search(self, bus: _Bus, attributes: dict[str, str]) -> tuple[list[str], list[str]]:
        unlocked, locked = bus.call(_search_call(attributes))
        return list(unlocked), list(locked)

    def _open_session(self, bus: _Bus) -> Any:
        if bus.session is None:
            from secretstorage.dhcrypto import Session

            session = Session()
            try:
                output, path = bus.call(
                    new_method_call(
                        _service(),
                        "OpenSession",
                        "sv",
                        (
                            "dh-ietf1024-sha256-aes128-cbc-pkcs7",
                            ("ay", session.my_public_key.to_bytes(128, "big")),
                        ),
                    )
                )
                session.set_server_public_key(int.from_bytes(output[1], "big"))
            except StoreError:
                # Daemons without DH support: the plain algorithm over the local bus.
                _output, path = bus.call(new_method_call(_service(), "OpenSession", "sv", ("plain", ("s", ""))))
                session.encrypted = False
            session.object_path = path
            bus.session = session
        return bus.session

    def _read_items(self, bus: _Bus, paths: list[str], with_secrets: bool) -> list[KeychainItem]:
        """Each item's attributes (its key, and who wrote it) and, if asked, its secret.

        Only the `Attributes` property is read: `GetAll` makes gnome-keyring also look up the
        label and the created/modified times, four times the daemon's CPU for nothing a
        listing needs (bench/keychain_list.py). The batched GetSecrets rides in the same
        pipeline as the reads.
        """
        if not paths:
            return []
        session = self._open_session(bus) if with_secrets else None
        get_secrets = None
        if session is not None:
            get_secrets = new_method_call(_service(), "GetSecrets", "aoo", (paths, session.object_path))
        all_attributes, secrets_reply = bus.get_attributes(paths, then=get_secrets)
        secrets: dict[str, bytes] = {}
        if session is not None:
            (found,) = secrets_reply
            secrets = dict(zip(found, _decrypt_all(session, found.values()), strict=True))
        items = []
        for path, attributes in zip(paths, all_attributes, strict=True):
            items.append(KeychainItem(path, attributes.get("username", ""), attributes, secrets.get(path)))
        return items

    @staticmethod
    def _read_modified(bus: _Bus, items: list[KeychainItem]) -> None:
        """When each duplicate was last changed, for the chooser of which one to keep; read
        only for keys with more than one item (rare), so a listing stays one read per item."""
        counts: dict[str, int] = {}
        for item in items:
            counts[item.key] = counts.get(item.key, 0) + 1
        duplicates = [item for item in items if counts[item.key] > 1]
        if not duplicates:
            return
        replies = bus.call_many([Properties(_item(item.path)).get("Modified") for item in duplicates])
        for item, ((_signature, modified),) in zip(duplicates, replies, strict=True):
            item.modified = int(modified) or None

    def list_items(self) -> tuple[list[KeychainItem], int]:
        """Every unlocked rattler item with its secret, and how many items are locked."""
        with self._bus() as bus:
            unlocked, locked = self._search(bus, {"service": SERVICE})
            items = self._read_items(bus, unlocked, with_secrets=True)
            self._read_modified(bus, items)
            return items, len(locked)

    def items_of_keys(self, keys: Collection[str]) -> tuple[list[KeychainItem], int]:
        """The unlocked items of `keys` with their secrets, and how many of their items are locked:
        each key searched as rattler searches it (by its two attributes), the searches pipelined."""
        with self._bus() as bus:
            calls = [_search_call(item_attributes(key)) for key in sorted(keys)]
            found = bus.call_many(calls) if calls else []
            unlocked = [path for paths, _locked in found for path in paths]
            items = self._read_items(bus, unlocked, with_secrets=True)
            self._read_modified(bus, items)
            return items, sum(len(locked) for _paths, locked in found)

    def find_items(self, attributes: dict[str, str]) -> tuple[list[KeychainItem], int]:
        """Every unlocked item whose attributes include `attributes`, with its secret, and how
        many such items are locked (any program's items: Python keyring's, for one)."""
        with self._bus() as bus:
            unlocked, locked = self._search(bus, attributes)
            return self._read_items(bus, unlocked, with_secrets=True), len(locked)

    def items_for(self, key: str) -> list[KeychainItem]:
        with self._bus() as bus:
            unlocked, locked = self._search(bus, item_attributes(key))
            items = self._read_items(bus, unlocked, True) + self._read_items(bus, locked, False)
            self._read_modified(bus, items)
            return items

    # -- Store ---------------------------------------------------------------------

    def read_ahead(self) -> None:
        """Start listing now, in a thread; the next `load()` returns that listing.

        The listing mostly waits for the keychain daemon (one attribute read per item), so
        the UI starts it before it imports Textual and the two overlap. A write drops a
        read ahead (its result could predate the write): the next load reads again."""
        ahead = _ReadAhead(self._load_now)
        with self._ahead_lock:
            self._ahead = ahead
        ahead.start()

    def _take_ahead(self) -> _ReadAhead | None:
        with self._ahead_lock:
            ahead, self._ahead = self._ahead, None
        return ahead

    def load(self) -> Snapshot:
        ahead = self._take_ahead()
        self.read_ahead_times = None
        if ahead is None:
            return self._load_now()
        snapshot = ahead.result()
        self.read_ahead_times = ahead.times
        return snapshot

    def load_keys(self, keys: Collection[str]) -> Snapshot:
        """The snapshot of `keys`' items only (`resolve` needs the few keys a URL can match, not
        every item's attributes read)."""
        return self._snapshot(lambda: self.items_of_keys(keys))

    def _load_now(self) -> Snapshot:
        return self._snapshot(self.list_items)

    def _snapshot(self, read: Callable[[], tuple[list[KeychainItem], int]]) -> Snapshot:
        try:
            items, locked = read()
        except KeychainUnavailable as err:
            found = diagnose(err.code, str(err))
            # The short line heads the store; the detail (listed under it) comes first in problems.
            return Snapshot(self.id, StoreState.UNAVAILABLE, found.line, problems=[found.detail], diagnosis=found.code)
        except StoreError as err:
            return Snapshot(self.id, StoreState.ERROR, str(err))
        entries = [
            Entry(
                item.key,
                loads_keychain_secret(item.secret),
                self.id,
                item_ref=item.path,
                note=None if "username" in item.attributes else NO_USERNAME,
                origin=item.origin,
                modified=item.modified,
            )
            for item in items
        ]
        counts: dict[str, int] = {}
        for entry in entries:
            counts[entry.key] = counts.get(entry.key, 0) + 1
        problems = [
            f"{key}: {n} keychain items match; rattler fails on the ambiguity and sends no credential"
            for key, n in counts.items()
            if n > 1
        ]
        problems += [
            f"{e.key}: the secret is not a credential rattler can read ({problem})"
            for e in entries
            if (problem := reading_problem(e.credential)) is not None
        ]
        problems += [f"{i.path}: {NO_USERNAME}" for i in items if "username" not in i.attributes]
        # Items of older pixi versions are rattler's own (found and updated in place); only
        # items another program made are worth a word (e.g. Python keyring's duplicates).
        problems += [f"{i.key}: item {i.path} was made by {i.writer}" for i in items if not i.written_by_rattler]
        if locked:
            what = f"{plural(locked, 'item')} in a locked keyring hidden until it is unlocked"
            found = None if self.can_prompt else diagnose("locked-no-prompter", what + " (no display to prompt)")
            return Snapshot(
                self.id,
                StoreState.LOCKED,
                found.line if found else what,
                entries,
                problems=[found.detail, *problems] if found else problems,
                diagnosis=found.code if found else None,
            )
        return Snapshot(self.id, StoreState.OK, f"{len(entries)} items", entries, problems=problems)

    def _check_was(self, bus: _Bus, key: str, paths: list[str], was: str | None) -> None:
        """Compare, under our keychain lock, the items now found for `key` with what the caller saw."""
        if was is None:
            return
        current = [
            dumps_credential(loads_keychain_secret(item.secret))  # read as `load` reads it
            for item in self._read_items(bus, paths, with_secrets=True)
            if item.secret is not None
        ]
        entry_changed(key, current, was, self.name)

    def set(self, key: str, credential: Credential, *, expect: str | None = None, was: str | None = None) -> bool:
        self._take_ahead()  # what it read may predate this write
        problem = write_problem(credential, key)
        if problem:
            raise StoreError(f"refusing to write {key}: {problem}; nothing was written")
        secret = dumps_credential(credential).encode("utf-8")
        with exclusive(self.lock_path, "the keychain"), self._bus() as bus:
            unlocked, locked = self._search(bus, item_attributes(key))
            matches = unlocked + locked
            if len(matches) > 1:
                raise StoreError(
                    f"{len(matches)} keychain items match {key}; pixi cannot use any of them. "
                    "Remove the duplicates first (keep one), then try again — nothing was written"
                )
            if locked:
                raise KeychainLocked(f"the keychain item for {key} is locked; unlock the keychain first")
            self._check_was(bus, key, unlocked, was)
            session = self._open_session(bus)
            payload = _encrypt(session, secret)
            if matches:
                bus.call(new_method_call(_item(matches[0]), "SetSecret", "(oayays)", (payload,)))
                return True
            collection = self._default_collection(bus)
            properties = {
                "org.freedesktop.Secret.Item.Label": ("s", item_label(key)),
                "org.freedesktop.Secret.Item.Attributes": ("a{ss}", item_attributes(key)),
            }
            _item_path, prompt = bus.call(
                new_method_call(
                    DBusAddress(collection, BUS_NAME, COLLECTION_IFACE),
                    "CreateItem",
                    "a{sv}(oayays)b",
                    (properties, payload, False),
                )
            )
            if prompt != "/":
                raise KeychainLocked("the keychain is locked; unlock it first — nothing was written")
            return False

    def _default_collection(self, bus: _Bus) -> str:
        (path,) = bus.call(new_method_call(_service(), "ReadAlias", "s", ("default",)))
        if len(path) <= 1:
            raise StoreError("the keychain has no default collection (keyring); create one first")
        (locked,) = bus.call(Properties(DBusAddress(path, BUS_NAME, COLLECTION_IFACE)).get("Locked"))
        if locked[1]:
            raise KeychainLocked("the default keyring is locked; unlock it first — nothing was written")
        return str(path)

    def remove(
        self, key: str, *, expect: str | None = None, item_ref: str | None = None, was: str | None = None
    ) -> None:
        self._take_ahead()
        with exclusive(self.lock_path, "the keychain"), self._bus() as bus:
            # An item path is checked against every rattler item: an item without a
            # `username` attribute matches no key, yet must stay removable.
            unlocked, locked = self._search(bus, {"service": SERVICE} if item_ref else item_attributes(key))
            matches = unlocked + locked
            if item_ref is None:
                self._check_was(bus, key, unlocked, was)
            else:
                self._check_was(bus, key, [item_ref] if item_ref in unlocked else [], was)
            if item_ref is not None:
                if item_ref not in matches:
                    raise StoreError(f"that keychain item for {key} no longer exists; refresh")
                targets = [item_ref]
            elif len(matches) > 1:
                raise StoreError(f"{len(matches)} keychain items match {key}; choose which one to remove")
            elif not matches:
                raise StoreError(f"{key} is not in the keychain")
            else:
                targets = matches
            for path in targets:
                (prompt,) = bus.call(new_method_call(_item(path), "Delete"))
                if prompt != "/":
                    raise KeychainLocked("the keychain is locked; unlock it first — nothing was removed")

    def dedupe(self, key: str, keep: str) -> int:
        """Delete every item for `key` except `keep`; returns how many were removed."""
        self._take_ahead()
        with exclusive(self.lock_path, "the keychain"), self._bus() as bus:
            unlocked, locked = self._search(bus, item_attributes(key))
            matches = unlocked + locked
            if keep not in matches:
                raise StoreError(f"the item to keep for {key} no longer exists; refresh")
            if locked:
                raise KeychainLocked("some of these items are locked; unlock the keychain first")
            removed = 0
            for path in matches:
                if path == keep:
                    continue
                (prompt,) = bus.call(new_method_call(_item(path), "Delete"))
                if prompt != "/":
                    raise KeychainLocked("the keychain is locked; unlock it first")
                removed += 1
            # The item kept must carry rattler's exact attributes and label, or rattler's
            # search could still miss or double-count it.
            address = _item(keep)
            bus.call(Properties(address).set("Attributes", "a{ss}", item_attributes(key)))
            bus.call(Properties(address).set("Label", "s", item_label(key)))
            return removed

    def unlock(self, timeout: float = 120.0) -> bool:
        """Ask the Secret Service to unlock (it shows its own prompt). True when unlocked."""
        import secretstorage
        from secretstorage.exceptions import SecretStorageException

        self._take_ahead()  # it may have found the keychain locked
        if not self.bus_address:
            raise KeychainUnavailable(
                self.no_bus or "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)", "no-session-bus"
            )
        try:  # secretstorage's prompt handling needs jeepney's own connection
            conn = open_dbus_connection(bus=self.bus_address)
        except (OSError, ValueError, KeyError, StopIteration) as err:
            raise KeychainUnavailable(f"cannot connect to the D-Bus session bus: {err}", "no-bus-connection") from err
        try:
            collection = secretstorage.Collection(conn)  # the default collection
            if not collection.is_locked():
                return True
            dismissed = collection.unlock(timeout=timeout)
            if dismissed and not _prompter_available(conn):
                # gnome-keyring "dismisses" at once when it has nobody to ask: say why.
                raise KeychainLocked(
                    "no prompter available to ask for the keychain password (no desktop session?); "
                    "it stays locked — unlock it from a desktop session or with gnome-keyring-daemon --unlock"
                )
            return not dismissed and not collection.is_locked()
        except TimeoutError as err:
            raise KeychainLocked("nobody answered the unlock prompt; the keychain stays locked") from err
        except (SecretStorageException, OSError) as err:
            raise KeychainUnavailable(f"could not unlock the keychain: {err}") from err
        finally:
            with contextlib.suppress(OSError):
                conn.close()


class _ReadAhead:
    """One listing running in a daemon thread (a quitting app never waits for it)."""

    def __init__(self, load: Callable[[], Snapshot]) -> None:
        self._load = load
        self._result: Snapshot | BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="keychain read ahead", daemon=True)
        self.times: tuple[float, float] | None = None

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self._result = self._load()
        except BaseException as err:  # re-raised in the caller, as its own load would
            self._result = err
        self.times = (started, time.perf_counter())

    def result(self) -> Snapshot:
        self._thread.join()
        if isinstance(self._result, BaseException):
            raise self._result
        assert self._result is not None
        return self._result


PROMPTERS = ("org.gnome.keyring.SystemPrompter", "org.gnome.keyring.PrivatePrompter")


def _prompter_available(conn: DBusConnection) -> bool:
    """Whether the bus has, or can start, the program gnome-keyring asks passwords with."""
    running = conn.send_and_get_reply(message_bus.ListNames(), timeout=CALL_TIMEOUT).body[0]
    startable = conn.send_and_get_reply(message_bus.ListActivatableNames(), timeout=CALL_TIMEOUT).body[0]
    return any(name in running or name in startable for name in PROMPTERS)


def _decrypt_all(session: Any, values: Iterable[tuple[Any, ...]]) -> list[bytes]:
    """Each secret of a GetSecrets reply, decrypted with the session's one key."""
    if not session.encrypted:
        return [bytes(data) for _session_path, _params, data, _content_type in values]
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = algorithms.AES(session.aes_key)
    secrets = []
    for _session_path, params, data, _content_type in values:
        decryptor = Cipher(key, modes.CBC(bytes(params))).decryptor()
        padded = decryptor.update(bytes(data)) + decryptor.finalize()
        secrets.append(padded[: -padded[-1]])
    return secrets


def _encrypt(session: Any, secret: bytes) -> tuple[str, bytes, bytes, str]:
    from secretstorage.util import format_secret

    return format_secret(session, secret, "text/plain")
