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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, HeaderFields, Message, MessageType, Properties, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from pixi_auth_tui.model import Credential, dumps_credential, loads_credential, rattler_accepts
from pixi_auth_tui.stores.base import Ability, Entry, Snapshot, Store, StoreError, StoreState
from pixi_auth_tui.stores.locking import exclusive, keychain_lock_path
from pixi_auth_tui.words import plural

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
    pass


class KeychainLocked(StoreError):
    pass


@dataclass
class KeychainItem:
    path: str
    key: str
    attributes: dict[str, str]
    secret: bytes | None  # None while locked
    modified: int | None = None  # read only for duplicates (see _read_modified)

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
    """One connection to the session bus, counting the round trips it makes."""

    def __init__(self, address: str | None) -> None:
        if not address:
            raise KeychainUnavailable("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
        try:
            self.conn: DBusConnection = open_dbus_connection(bus=address)
        except (OSError, ValueError, KeyError) as err:
            raise KeychainUnavailable(f"cannot connect to the D-Bus session bus: {err}") from err
        self.sent: list[str] = []  # what was asked, for tests and the bench: "Get Attributes", …
        self.session: Any = None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()

    def call(self, msg: Message) -> tuple[Any, ...]:
        self.sent.append(_describe(msg))
        try:
            reply = self.conn.send_and_get_reply(msg, timeout=CALL_TIMEOUT)
        except TimeoutError as err:
            raise KeychainUnavailable("the Secret Service did not answer in time") from err
        except OSError as err:
            raise KeychainUnavailable(f"D-Bus connection lost: {err}") from err
        return self._body(reply)

    def call_many(self, msgs: list[Message]) -> list[tuple[Any, ...]]:
        """Pipeline requests: up to PIPELINE_WINDOW in flight, replies matched by serial.

        The bus caps pending replies per connection (128 on some configurations), so the
        window stays below that while still hiding almost all round-trip latency.
        """
        self.sent += [_describe(m) for m in msgs]
        serial_of: list[int] = []
        replies: dict[int, Message] = {}
        pending: set[int] = set()
        try:
            for msg in msgs:
                while len(pending) >= PIPELINE_WINDOW:
                    self._receive_reply(pending, replies)
                serial = next(self.conn.outgoing_serial)
                self.conn.send(msg, serial=serial)
                serial_of.append(serial)
                pending.add(serial)
            while pending:
                self._receive_reply(pending, replies)
        except TimeoutError as err:
            raise KeychainUnavailable("the Secret Service did not answer in time") from err
        except OSError as err:
            raise KeychainUnavailable(f"D-Bus connection lost: {err}") from err
        return [self._body(replies[s]) for s in serial_of]

    def _receive_reply(self, pending: set[int], replies: dict[int, Message]) -> None:
        msg_in = self.conn.receive(timeout=CALL_TIMEOUT)
        reply_to = msg_in.header.fields.get(HeaderFields.reply_serial, -1)
        if reply_to in pending:
            pending.discard(reply_to)
            replies[reply_to] = msg_in

    @staticmethod
    def _body(reply: Message) -> tuple[Any, ...]:
        if reply.header.message_type == MessageType.error:
            name = reply.header.fields.get(HeaderFields.error_name, "")
            detail = reply.body[0] if reply.body else ""
            if name in (
                "org.freedesktop.DBus.Error.ServiceUnknown",
                "org.freedesktop.DBus.Error.Spawn.ExecFailed",
                "org.freedesktop.DBus.Error.NoReply",
            ):
                raise KeychainUnavailable("no Secret Service (keychain daemon) on the session bus")
            if name == "org.freedesktop.Secret.Error.IsLocked":
                raise KeychainLocked("the keychain is locked; unlock it first")
            raise StoreError(f"Secret Service error {name}: {detail}")
        return tuple(reply.body)


def _describe(msg: Message) -> str:
    """A call's method, with the property named for Get/Set (never any value)."""
    member = str(msg.header.fields.get(HeaderFields.member, ""))
    if member in ("Get", "Set") and len(msg.body) > 1:
        return f"{member} {msg.body[1]}"
    return member


def _service() -> DBusAddress:
    return DBusAddress(SS_PATH, BUS_NAME, SS_IFACE)


def _item(path: str) -> DBusAddress:
    return DBusAddress(path, BUS_NAME, ITEM_IFACE)


class SecretServiceStore(Store):
    abilities = frozenset({Ability.UNLOCK, Ability.DEDUPE})

    def __init__(self, bus_address: str | None, lock_path: Path | None = None) -> None:
        self.id = "keychain"
        self.name = "keychain"
        self.location = "Secret Service, service=rattler"
        self.bus_address = bus_address
        self.last_calls: list[str] = []
        # Our writers take this lock, then search again before creating: two racing `set`s
        # for one key can never both create an item (rattler would then ignore both).
        self.lock_path = lock_path or keychain_lock_path()

    @property
    def last_call_count(self) -> int:
        """D-Bus calls the last operation made (for tests and the bench)."""
        return len(self.last_calls)

    @contextlib.contextmanager
    def _bus(self) -> Iterator[_Bus]:
        bus = _Bus(self.bus_address)
        try:
            yield bus
        finally:
            self.last_calls = bus.sent
            bus.close()

    # -- D-Bus pieces --------------------------------------------------------------

    def _search(self, bus: _Bus, attributes: dict[str, str]) -> tuple[list[str], list[str]]:
        unlocked, locked = bus.call(new_method_call(_service(), "SearchItems", "a{ss}", (attributes,)))
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
        calls = [Properties(_item(p)).get("Attributes") for p in paths]
        session = self._open_session(bus) if with_secrets else None
        if session is not None:
            calls.append(new_method_call(_service(), "GetSecrets", "aoo", (paths, session.object_path)))
        replies = bus.call_many(calls)
        secrets: dict[str, bytes] = {}
        if session is not None:
            (found,) = replies.pop()
            secrets = {path: _decrypt(session, value) for path, value in found.items()}
        items = []
        for path, ((_signature, attributes),) in zip(paths, replies, strict=True):
            attributes = dict(attributes)
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

    def items_for(self, key: str) -> list[KeychainItem]:
        with self._bus() as bus:
            unlocked, locked = self._search(bus, item_attributes(key))
            items = self._read_items(bus, unlocked, True) + self._read_items(bus, locked, False)
            self._read_modified(bus, items)
            return items

    # -- Store ---------------------------------------------------------------------

    def load(self) -> Snapshot:
        try:
            items, locked = self.list_items()
        except KeychainUnavailable as err:
            return Snapshot(self.id, StoreState.UNAVAILABLE, str(err))
        except StoreError as err:
            return Snapshot(self.id, StoreState.ERROR, str(err))
        entries = [
            Entry(
                item.key,
                loads_credential(_text(item.secret)),
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
            f"{e.key}: the secret is not a credential rattler can read ({e.credential.reason})"  # type: ignore[union-attr]
            for e in entries
            if not rattler_accepts(e.credential)
        ]
        problems += [f"{i.path}: {NO_USERNAME}" for i in items if "username" not in i.attributes]
        # Items of older pixi versions are rattler's own (found and updated in place); only
        # items another program made are worth a word (e.g. Python keyring's duplicates).
        problems += [f"{i.key}: item {i.path} was made by {i.writer}" for i in items if not i.written_by_rattler]
        if locked:
            return Snapshot(
                self.id,
                StoreState.LOCKED,
                f"{plural(locked, 'item')} in a locked keyring hidden until it is unlocked",
                entries,
                problems=problems,
            )
        return Snapshot(self.id, StoreState.OK, f"{len(entries)} items", entries, problems=problems)

    def set(self, key: str, credential: Credential, *, expect: str | None = None) -> bool:
        if not rattler_accepts(credential):
            raise StoreError("refusing to write a credential rattler cannot read")
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

    def remove(self, key: str, *, expect: str | None = None, item_ref: str | None = None) -> None:
        with exclusive(self.lock_path, "the keychain"), self._bus() as bus:
            # An item path is checked against every rattler item: an item without a
            # `username` attribute matches no key, yet must stay removable.
            unlocked, locked = self._search(bus, {"service": SERVICE} if item_ref else item_attributes(key))
            matches = unlocked + locked
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

        bus = _Bus(self.bus_address)
        try:
            collection = secretstorage.Collection(bus.conn)  # the default collection
            if not collection.is_locked():
                return True
            dismissed = collection.unlock(timeout=timeout)
            if dismissed and not _prompter_available(bus):
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
            bus.close()


PROMPTERS = ("org.gnome.keyring.SystemPrompter", "org.gnome.keyring.PrivatePrompter")


def _prompter_available(bus: _Bus) -> bool:
    """Whether the bus has, or can start, the program gnome-keyring asks passwords with."""
    from jeepney import message_bus

    running = bus.call(message_bus.ListNames())[0]
    startable = bus.call(message_bus.ListActivatableNames())[0]
    return any(name in running or name in startable for name in PROMPTERS)


def _text(secret: bytes | None) -> str:
    if secret is None:
        return ""
    return secret.decode("utf-8", errors="replace")


def _decrypt(session: Any, value: tuple[Any, ...]) -> bytes:
    _session_path, params, data, _content_type = value
    if not session.encrypted:
        return bytes(data)
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    decryptor = Cipher(algorithms.AES(session.aes_key), modes.CBC(bytes(params))).decryptor()
    padded = decryptor.update(bytes(data)) + decryptor.finalize()
    return padded[: -padded[-1]]


def _encrypt(session: Any, secret: bytes) -> tuple[str, bytes, bytes, str]:
    from secretstorage.util import format_secret

    return format_secret(session, secret, "text/plain")
