"""What every credential store offers, and the snapshot a load returns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, NamedTuple

from pixi_auth_tui.core.model import Credential


class StoreState(StrEnum):
    OK = "ok"
    MISSING = "missing"  # a file that does not exist: an empty store
    MALFORMED = "malformed"  # cannot be parsed at all; never written to
    REJECTED = "rejected"  # parses, but rattler refuses it (e.g. a `BasicHttp` entry)
    LOCKED = "locked"  # keychain collection locked
    UNAVAILABLE = "unavailable"  # no keychain service
    ERROR = "error"  # unreadable (permissions, I/O)


class Entry(NamedTuple):
    """One stored credential: its key, the credential, and the store it is in."""

    key: str
    credential: Credential
    store_id: str
    # Keychain item path; lets duplicates for one key be told apart.
    item_ref: str | None = None
    # For keychain items, what tells duplicates apart: which program wrote the item (from its
    # attributes) and when it last changed (Unix time), where the keychain says.
    origin: str | None = None
    modified: int | None = None
    # Why rattler never uses this entry although its store is readable (a netrc `default`,
    # an earlier duplicate in the same file); None when nothing in the store itself rules it out.
    note: str | None = None


def make_entry(key: str, credential: Credential, store_id: str, note: str | None = None) -> Entry:
    """`Entry(key, credential, store_id, note=note)`, with the arguments by position (a store
    makes one per entry, 100,000 of them in a large file)."""
    return Entry(key, credential, store_id, None, None, None, note)


class Snapshot:
    """What one load of a store found: its state, its entries, the version a write compares."""

    __slots__ = ("diagnosis", "entries", "message", "problems", "state", "store_id", "version")

    def __init__(
        self,
        store_id: str,
        state: StoreState,
        message: str = "",
        entries: list[Entry] | None = None,
        # Opaque token of what was read (file digest); writes compare it to detect a change on disk.
        version: str | None = None,
        # Entry-level problems, e.g. `key: unknown variant 'BasicHttp'`.
        problems: list[str] | None = None,
        # Why a keychain cannot be used, as a code (stores/dbus_session.DIAGNOSES), or None.
        diagnosis: str | None = None,
    ) -> None:
        self.store_id = store_id
        self.state = state
        self.message = message
        self.entries: list[Entry] = [] if entries is None else entries
        self.version = version
        self.problems: list[str] = [] if problems is None else problems
        self.diagnosis = diagnosis

    def with_entries(self, entries: list[Entry]) -> Snapshot:
        """The same load, holding `entries` instead."""
        return Snapshot(self.store_id, self.state, self.message, entries, self.version, self.problems, self.diagnosis)


class StoreError(Exception):
    """A failed store operation, with a one-line reason fit for a person."""


class ConflictError(StoreError):
    """The store changed since it was read; nothing was written."""


# `was` for a key that must not be in the store yet (an add, a move onto a free key).
NO_ENTRY = ""


def entry_changed(key: str, current: list[str], was: str | None, where: str) -> None:
    """Raise ConflictError unless `key` holds exactly `was` (rattler's JSON of the credential a
    person saw, or NO_ENTRY) in `where`; `current` is the JSON of each entry found for it now.

    Called under the store's lock, so what is compared is what the write replaces: a write
    made for one value never lands on another (another program's rotation is never reverted).
    """
    if was is None:
        return
    if was == NO_ENTRY and not current:
        return
    if current == [was]:
        return
    if was == NO_ENTRY:
        raise ConflictError(f"{key} was added to {where} by another program meanwhile; nothing was written")
    if not current:
        raise ConflictError(f"{key} was removed from {where} by another program meanwhile; nothing was written")
    raise ConflictError(f"{key} changed in {where} since it was read (another program wrote it); nothing was written")


class Ability(StrEnum):
    """What a store can do, or how rattler treats it, beyond load/set/remove; declared by each
    store class, so callers ask `Ability.UNLOCK in store.abilities` instead of probing for
    methods or asking which class a store is. (Whether it is a file: `Store.path`.)"""

    UNLOCK = "unlock"  # ask the OS to unlock it (it shows its own prompt)
    DEDUPE = "dedupe"  # remove every item for a key but one
    REPAIR = "repair"  # rewrite entries of a file rattler rejects
    READ_ON_DEMAND = "read_secret"  # lists names only (a read may prompt); secrets read when asked
    PARTIAL_LOAD = "load_keys"  # can load only some keys' entries
    # rattler reads it whole and builds its credential store with `?`: when it cannot read it,
    # pixi has no credential store at all (a credentials JSON file; netrc is ignored instead)
    BLOCKS_WHEN_BAD = "blocks_when_bad"


class Store(ABC):
    id: str
    name: str  # short, for tables
    location: str  # path or description, for detail panes
    writable: bool = True
    abilities: ClassVar[frozenset[Ability]] = frozenset()
    # The file behind a file store (watched for changes by other programs); None otherwise.
    path: Path | None = None
    # Whose lookup reads it: "conda" (rattler's stores, in pixi's order) or "pypi" (uv's own
    # chain, asked only for PyPI indexes after rattler's layer found nothing).
    chain: ClassVar[str] = "conda"

    @abstractmethod
    def load(self) -> Snapshot: ...

    def load_keys(self, keys: Collection[str]) -> Snapshot:
        """A snapshot whose entries are only those of `keys` (only with Ability.PARTIAL_LOAD)."""
        raise StoreError(f"{self.name} loads whole")

    @abstractmethod
    def set(self, key: str, credential: Credential, *, expect: str | None = None, was: str | None = None) -> bool:
        """Add or replace `key`; True when it replaced one (a rotation).

        `expect` is the snapshot version the caller saw (the whole store unchanged); `was` is
        the entry the caller saw under `key` (rattler's JSON, or NO_ENTRY), checked under the
        store's lock (see `entry_changed`). None applies the change to the store as it is."""

    @abstractmethod
    def remove(
        self, key: str, *, expect: str | None = None, item_ref: str | None = None, was: str | None = None
    ) -> None:
        """Remove `key` (one keychain item when `item_ref` is given); `was` as for `set`."""

    def unlock(self) -> bool:
        """Ask to unlock; True when unlocked (only with Ability.UNLOCK)."""
        raise StoreError(f"{self.name} cannot be unlocked from here")

    def dedupe(self, key: str, keep: str) -> int:
        """Delete every item for `key` but `keep`; how many went (only with Ability.DEDUPE)."""
        raise StoreError(f"{self.name} cannot hold duplicates")

    def repair(self, fixes: dict[str, Credential], *, expect: str | None = None) -> None:
        """Rewrite the given entries in place (only with Ability.REPAIR)."""
        raise StoreError(f"{self.name} cannot be repaired here")

    def read_secret(self, key: str) -> Credential | None:
        """The credential under `key`, read now (only with Ability.READ_ON_DEMAND)."""
        raise StoreError(f"{self.name} reads every secret when it loads")

    def write_problem(self, credential: Credential) -> str | None:
        """Why this store would refuse `credential` (a size limit, say), or None: asked before
        choosing it, as `pixi auth login` falls back when the keychain refuses a write."""
        return None

    def chain_verdict(self, entry: Entry) -> tuple[str, str, str | None] | None:
        """For a store outside rattler's chain: ("active" | "shadowed" | "ignored", why, the key
        that shadows it); None: active unless its note says why not."""
        return None

    def anonymous_url(self, entry: Entry) -> str | None:
        """For a store outside rattler's chain: a URL uv requests with this entry's credential
        that names no user, so rattler's layer (pixi's) is asked first and may shadow it; None
        when no such request is made."""
        return None

    def describe(self) -> str:
        return f"{self.name} ({self.location})"
