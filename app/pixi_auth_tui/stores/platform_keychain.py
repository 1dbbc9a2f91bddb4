"""Keychains with one item per (service, key): macOS Keychain and Windows Credential Manager.

Both adapters keep their native calls behind a four-method `NativeKeychain`, so the
naming and listing logic is unit-tested here (Linux) against a fake, and the native
code path stays small. Where reading a secret may prompt (macOS), listing reads names
only and secrets are read on demand.
"""

from __future__ import annotations

from typing import Protocol

from pixi_auth_tui.core.model import (
    Credential,
    NotRead,
    dumps_credential,
    rattler_accepts,
)
from pixi_auth_tui.core.rattler_json import loads_credential, write_problem
from pixi_auth_tui.stores.base import Ability, Entry, Snapshot, Store, StoreError, StoreState, entry_changed


class NativeKeychain(Protocol):
    def list_keys(self) -> list[str]:
        """Keys of rattler's items, without reading any secret (reads may prompt on macOS)."""
        ...

    def read(self, key: str) -> str | None: ...

    def write(self, key: str, secret: str) -> None: ...

    def delete(self, key: str) -> None: ...


class NativeKeychainError(Exception):
    pass


class PlatformKeychainStore(Store):
    id = "keychain"
    name = "keychain"

    def __init__(self, native: NativeKeychain, location: str) -> None:
        self.native = native
        self.location = location

    def load(self) -> Snapshot:
        try:
            keys = self.native.list_keys()
            entries = []
            for key in keys:
                if Ability.READ_ON_DEMAND in self.abilities:
                    entries.append(Entry(key, NotRead(), self.id))
                    continue
                secret = self.native.read(key)
                if secret is not None:
                    entries.append(Entry(key, loads_credential(secret), self.id))
        except NativeKeychainError as err:
            return Snapshot(self.id, StoreState.UNAVAILABLE, str(err))
        problems = [f"{e.key}: not a credential rattler can read" for e in entries if not rattler_accepts(e.credential)]
        on_demand = Ability.READ_ON_DEMAND in self.abilities
        message = f"{len(entries)} items" + (" (secrets are read only when asked for)" if on_demand else "")
        return Snapshot(self.id, StoreState.OK, message, entries, problems=problems)

    def _read_now(self, key: str) -> Credential | None:
        """The credential stored under `key`, read now (this may prompt on macOS)."""
        try:
            secret = self.native.read(key)
        except NativeKeychainError as err:
            raise StoreError(f"keychain read failed: {err}") from err
        return None if secret is None else loads_credential(secret)

    def set(self, key: str, credential: Credential, *, expect: str | None = None, was: str | None = None) -> bool:
        problem = write_problem(credential, key)
        if problem:
            raise StoreError(f"refusing to write {key}: {problem}; nothing was written")
        problem = self.write_problem(credential)
        if problem:
            raise StoreError(problem)
        try:
            existed = key in self.native.list_keys()
            self._check_was(key, existed, was)
            # One item per (service, key) on these platforms: writing replaces in place.
            self.native.write(key, dumps_credential(credential))
            return existed
        except NativeKeychainError as err:
            raise StoreError(f"keychain write failed: {err}") from err

    def _check_was(self, key: str, existed: bool, was: str | None) -> None:
        """No lock can order us with other programs here; the item is compared just before."""
        if was is None:
            return
        current = self._read_now(key) if existed else None
        entry_changed(key, [] if current is None else [dumps_credential(current)], was, self.name)

    def remove(
        self, key: str, *, expect: str | None = None, item_ref: str | None = None, was: str | None = None
    ) -> None:
        try:
            self._check_was(key, key in self.native.list_keys(), was)
            if key not in self.native.list_keys():
                raise StoreError(f"{key} is not in the keychain")
            self.native.delete(key)
        except NativeKeychainError as err:
            raise StoreError(f"keychain delete failed: {err}") from err
