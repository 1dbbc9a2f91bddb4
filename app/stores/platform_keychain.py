"""Keychains with one item per (service, key): macOS Keychain and Windows Credential Manager.

Both adapters keep their native calls behind a four-method `NativeKeychain`, so the
naming and listing logic is unit-tested here (Linux) against a fake, and the native
code path stays small.
"""

from __future__ import annotations

from typing import Protocol

from pixi_auth_tui.model import Credential, dumps_credential, loads_credential, rattler_accepts
from pixi_auth_tui.stores.base import Entry, Snapshot, Store, StoreError, StoreState


class NativeKeychain(Protocol):
    def list_keys(self) -> list[str]:
        """Keys of rattler's items, without reading any secret (reads may prompt on macOS)."""

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
                secret = self.native.read(key)
                if secret is not None:
                    entries.append(Entry(key, loads_credential(secret), self.id))
        except NativeKeychainError as err:
            return Snapshot(self.id, StoreState.UNAVAILABLE, str(err))
        problems = [f"{e.key}: not a credential rattler can read" for e in entries if not rattler_accepts(e.credential)]
        return Snapshot(self.id, StoreState.OK, f"{len(entries)} items", entries, problems=problems)

    def set(self, key: str, credential: Credential, *, expect: str | None = None) -> bool:
        if not rattler_accepts(credential):
            raise StoreError("refusing to write a credential rattler cannot read")
        try:
            existed = key in self.native.list_keys()
            # One item per (service, key) on these platforms: writing replaces in place.
            self.native.write(key, dumps_credential(credential))
            return existed
        except NativeKeychainError as err:
            raise StoreError(f"keychain write failed: {err}") from err

    def remove(self, key: str, *, expect: str | None = None, item_ref: str | None = None) -> None:
        try:
            if self.native.read(key) is None:
                raise StoreError(f"{key} is not in the keychain")
            self.native.delete(key)
        except NativeKeychainError as err:
            raise StoreError(f"keychain delete failed: {err}") from err
