"""An in-memory keychain for `--demo`: it must never touch the real keychain."""

from __future__ import annotations

import itertools

from pixi_auth_tui.core.model import Credential, dumps_credential
from pixi_auth_tui.core.rattler_json import loads_credential, write_problem
from pixi_auth_tui.stores.base import Ability, Entry, Snapshot, Store, StoreError, StoreState, entry_changed


class MemoryKeychainStore(Store):
    abilities = frozenset({Ability.DEDUPE})

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self.id = "keychain"
        self.name = "keychain"
        self.location = "demo keychain (in memory, nothing is saved)"
        self._serial = itertools.count(1)
        self.items: dict[str, tuple[str, str]] = {}
        for key, secret in items or []:
            self.items[f"/demo/item/{next(self._serial)}"] = (key, secret)

    def load(self) -> Snapshot:
        entries = [Entry(key, loads_credential(secret), self.id, ref) for ref, (key, secret) in self.items.items()]
        keys = [e.key for e in entries]
        problems = [
            f"{k}: {keys.count(k)} keychain items match; rattler fails on the ambiguity"
            for k in set(keys)
            if keys.count(k) > 1
        ]
        return Snapshot(self.id, StoreState.OK, f"{len(entries)} items", entries, problems=problems)

    def _refs(self, key: str) -> list[str]:
        return [ref for ref, (k, _secret) in self.items.items() if k == key]

    def _current(self, refs: list[str]) -> list[str]:
        return [dumps_credential(loads_credential(self.items[ref][1])) for ref in refs]

    def set(self, key: str, credential: Credential, *, expect: str | None = None, was: str | None = None) -> bool:
        problem = write_problem(credential, key)
        if problem:
            raise StoreError(f"refusing to write {key}: {problem}; nothing was written")
        refs = self._refs(key)
        if len(refs) > 1:
            raise StoreError(f"{len(refs)} keychain items match {key}; remove the duplicates first")
        entry_changed(key, self._current(refs), was, self.name)
        ref = refs[0] if refs else f"/demo/item/{next(self._serial)}"
        self.items[ref] = (key, dumps_credential(credential))
        return bool(refs)

    def remove(
        self, key: str, *, expect: str | None = None, item_ref: str | None = None, was: str | None = None
    ) -> None:
        refs = [item_ref] if item_ref else self._refs(key)
        if was is not None:
            entry_changed(key, self._current([r for r in refs if r in self.items]), was, self.name)
        if not refs or any(r not in self.items for r in refs):
            raise StoreError(f"{key} is not in the keychain")
        if len(refs) > 1:
            raise StoreError(f"{len(refs)} keychain items match {key}; choose which one to remove")
        del self.items[refs[0]]

    def dedupe(self, key: str, keep: str) -> int:
        refs = [r for r in self._refs(key) if r != keep]
        for ref in refs:
            del self.items[ref]
        return len(refs)
