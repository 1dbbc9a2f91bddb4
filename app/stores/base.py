"""What every credential store offers, and the snapshot a load returns."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum

from pixi_auth_tui.model import Credential


class StoreState(StrEnum):
    OK = "ok"
    MISSING = "missing"  # a file that does not exist: an empty store
    MALFORMED = "malformed"  # cannot be parsed at all; never written to
    REJECTED = "rejected"  # parses, but rattler refuses it (e.g. a `BasicHttp` entry)
    LOCKED = "locked"  # keychain collection locked
    UNAVAILABLE = "unavailable"  # no keychain service
    ERROR = "error"  # unreadable (permissions, I/O)


@dataclass(frozen=True)
class Entry:
    key: str
    credential: Credential
    store_id: str
    # Keychain item path; lets duplicates for one key be told apart.
    item_ref: str | None = None
    # Why rattler never uses this entry although its store is readable (a netrc `default`,
    # an earlier duplicate in the same file); None when nothing in the store itself rules it out.
    note: str | None = None


@dataclass
class Snapshot:
    store_id: str
    state: StoreState
    message: str = ""
    entries: list[Entry] = field(default_factory=list)
    # Opaque token of what was read (file digest); writes compare it to detect a change on disk.
    version: str | None = None
    # Entry-level problems, e.g. `key: unknown variant 'BasicHttp'`.
    problems: list[str] = field(default_factory=list)

    @property
    def usable_by_rattler(self) -> bool:
        return self.state in (StoreState.OK, StoreState.MISSING)


class StoreError(Exception):
    """A failed store operation, with a one-line reason fit for a person."""


class ConflictError(StoreError):
    """The store changed since it was read; nothing was written."""


class Store(ABC):
    id: str
    name: str  # short, for tables
    location: str  # path or description, for detail panes
    writable: bool = True

    @abstractmethod
    def load(self) -> Snapshot: ...

    @abstractmethod
    def set(self, key: str, credential: Credential, *, expect: str | None = None) -> bool:
        """Add or replace `key`; True when it replaced one (a rotation).

        `expect` is the snapshot version the caller saw (a person editing what they saw);
        None applies the change to the store as it is at the time of writing."""

    @abstractmethod
    def remove(self, key: str, *, expect: str | None = None, item_ref: str | None = None) -> None:
        """Remove `key` (one keychain item when `item_ref` is given)."""

    def describe(self) -> str:
        return f"{self.name} ({self.location})"
