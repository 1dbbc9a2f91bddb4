"""The audit's fixes, declared as model.KINDS declares credential kinds: one class per fix, each
with what it offers (label and preview, shown before it runs), what it does besides itself (its
consequence), how it is applied and how it is undone. The UI and the CLI only call `apply_fix`,
`undo_fix` and `consequence`.

No fix deletes a secret that is not stored somewhere else. A fix that rewrites a file writes a
backup first (next to the file, 0600, timestamped); moving entries into the keychain writes none
(a backup would be the very plaintext copy the move removes) and is undone by moving them back.
Undo never discards a change made after the fix: it refuses, saying why.
"""

from __future__ import annotations

import json
import os
import stat
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, NamedTuple, Protocol

from pixi_auth_tui.core.model import (
    Credential,
    all_secrets,
    dumps_credential,
    is_misspelled,
    parse_credential,
    rattler_accepts,
    respelled,
)
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.engine.backups import file_safe
from pixi_auth_tui.engine.inventory import KEYCHAIN, Inventory, inventory_from
from pixi_auth_tui.stores.base import Ability, ConflictError, Store, StoreError
from pixi_auth_tui.stores.jsonfile import atomic_write, parse_document

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pixi_auth_tui.engine.operations import MoveUndo, Outcome


class Fix(NamedTuple):
    """One fix offered for one finding. `id` is the fix's kind, or `kind:choice` when a finding
    offers several of the same kind (which keychain item to keep)."""

    id: str
    label: str
    preview: str  # what will happen, shown before it runs

    @property
    def kind(self) -> str:
        return self.id.split(":", 1)[0]

    @property
    def choice(self) -> str:
        return self.id.partition(":")[2]


class FixTarget(Protocol):
    """What a fix acts on: the finding's store, key and path, and the fixes it offers (a Finding is one)."""

    @property
    def store_id(self) -> str | None: ...

    @property
    def key(self) -> str | None: ...

    @property
    def path(self) -> str | None: ...

    @property
    def fixes(self) -> Sequence[Fix]: ...


class FixRecord(NamedTuple):
    """Enough to undo a fix — and to notice when something changed after it."""

    kind: str
    target: str
    backup: str | None = None
    previous_mode: int | None = None
    mode_after: int | None = None
    digest_after: str | None = None  # the file as the fix left it
    moved_to_keychain: tuple[MoveUndo, ...] = ()  # what each move of a move-to-keychain changed
    store_id: str | None = None


class FixHistory:
    """The fixes applied in this session, newest last. Lives with the app, not with a screen,
    so leaving the audit screen does not forget what can be undone."""

    def __init__(self) -> None:
        self.records: list[FixRecord] = []

    def __bool__(self) -> bool:
        return bool(self.records)

    def push(self, record: FixRecord) -> None:
        self.records.append(record)

    def last(self) -> FixRecord:
        return self.records[-1]

    def pop(self) -> FixRecord:
        return self.records.pop()


def _said(message: str, ok: bool = True) -> Outcome:
    """What applying or undoing a fix did. (engine.operations, whose writers a move uses, is
    loaded when a fix runs: an audit that only finds never needs it.)"""
    from pixi_auth_tui.engine.operations import Outcome

    return Outcome(message, ok=ok)


class FixKind(ABC):
    id: ClassVar[str]
    consequence: ClassVar[str]  # what happens besides the fix itself, as it really does it

    @abstractmethod
    def apply(self, inventory: Inventory, target: FixTarget, fix: Fix, backup_dir: Path) -> tuple[Outcome, FixRecord]:
        """Do it, or raise StoreError having changed nothing."""

    def undo(self, record: FixRecord, inventory: Inventory | None) -> Outcome:
        raise StoreError(f"{self.id} cannot be undone")


# -- files' modes ------------------------------------------------------------------------------


def mode_of(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


class ChangeMode(FixKind):
    wanted: ClassVar[int]
    consequence = "Only the permissions change; undo puts the old mode back."

    @classmethod
    def offer(cls, path: Path, mode: int) -> Fix:
        return Fix(cls.id, f"chmod {cls.wanted:04o}", f"Change {path} from {mode:04o} to {cls.wanted:04o}.")

    def apply(self, inventory: Inventory, target: FixTarget, fix: Fix, backup_dir: Path) -> tuple[Outcome, FixRecord]:
        path = Path(target.path or "")
        previous = mode_of(path)
        os.chmod(path, self.wanted)
        record = FixRecord(self.id, str(path), previous_mode=previous, mode_after=self.wanted)
        return _said(f"{path} is now {self.wanted:04o}"), record

    def undo(self, record: FixRecord, inventory: Inventory | None) -> Outcome:
        path = Path(record.target)
        now = mode_of(path)
        if now is None:
            raise StoreError(f"{path} no longer exists")
        if now != record.mode_after:
            raise StoreError(f"{path} has changed mode since the fix ({now:04o} now); undo would discard that")
        if record.previous_mode is None:
            raise StoreError(f"the mode {path} had before the fix is not known")
        os.chmod(path, record.previous_mode)
        return _said(f"{path} is back to mode {record.previous_mode:04o}")


class ChmodFile(ChangeMode):
    id = "chmod-file"
    wanted = 0o600


class ChmodFolder(ChangeMode):
    id = "chmod-folder"
    wanted = 0o700


# -- backups -----------------------------------------------------------------------------------


def secrets_in_backup(path: Path) -> list[str] | None:
    """Every secret a backup of ours holds (a credentials-file copy or a keychain-items file)."""
    try:
        if path.stat().st_size > 64 * 1024 * 1024 or not path.is_file():
            return None
        doc = parse_document(path.read_bytes())
    except Exception:  # OSError or the parser's own error: an unreadable backup is skipped, never fatal
        return None
    values = doc.get("items", {}).values() if isinstance(doc.get("items"), dict) else doc.values()
    return [secret for value in values for secret in all_secrets(parse_credential(value))]


def stored_secrets(inventory: Inventory) -> set[str]:
    return {secret for row in inventory.rows for secret in all_secrets(row.entry.credential)}


class RemoveBackup(FixKind):
    id = "remove-backup"
    consequence = "The backup file is deleted; this cannot be undone."

    @classmethod
    def offer(cls, path: Path) -> Fix:
        return Fix(cls.id, "Delete the backup", f"Delete {path}. This cannot be undone.")

    def apply(self, inventory: Inventory, target: FixTarget, fix: Fix, backup_dir: Path) -> tuple[Outcome, FixRecord]:
        path = Path(target.path or "")
        if not set(secrets_in_backup(path) or []) <= stored_secrets(inventory):
            raise StoreError(f"{path} holds a secret stored nowhere else now; it was kept")
        path.unlink()
        return _said(f"Deleted the backup {path}"), FixRecord(self.id, str(path))

    def undo(self, record: FixRecord, inventory: Inventory | None) -> Outcome:
        raise StoreError("a deleted backup cannot be restored")


def backup_file(path: Path, now: float | None = None) -> Path:
    """A timestamped 0600 copy next to `path`."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now or time.time()))
    backup = path.with_name(f"{path.name}.bak-{stamp}")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.name}.bak-{stamp}-{n}")
        n += 1
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(path.read_bytes())
        out.flush()
        os.fsync(out.fileno())
    return backup


def _digest_of(path: Path) -> str | None:
    import hashlib  # (only when a fix is applied or undone: an audit alone needs no OpenSSL)

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _file_store(inventory: Inventory, target: FixTarget, ability: Ability | None = None) -> tuple[Store, Path]:
    store = inventory.store(target.store_id or "")
    if store is None or store.path is None or (ability is not None and ability not in store.abilities):
        raise StoreError("that file is no longer one of pixi's stores; refresh and audit again")
    return store, store.path


# -- credentials files -------------------------------------------------------------------------


class RewriteSpelling(FixKind):
    id = "rewrite-spelling"
    consequence = "The file is first copied to a private (0600) backup next to it; undo restores that copy."

    @classmethod
    def offer(cls, path: Path, keys: list[str]) -> Fix:
        return Fix(
            cls.id,
            "Rewrite as BasicHTTP",
            f"Back up {path}, then rewrite {', '.join(keys)} from `BasicHttp` to `BasicHTTP`; "
            "every other entry stays byte-for-byte as it is.",
        )

    def apply(self, inventory: Inventory, target: FixTarget, fix: Fix, backup_dir: Path) -> tuple[Outcome, FixRecord]:
        store, path = _file_store(inventory, target, Ability.REPAIR)
        snap = inventory.snapshots[store.id]
        backup = backup_file(path)
        repaired: dict[str, Credential] = {
            e.key: respelled(e.credential) for e in snap.entries if is_misspelled(e.credential)
        }
        store.repair(repaired, expect=snap.version)
        record = FixRecord(self.id, str(path), str(backup), digest_after=_digest_of(path), store_id=store.id)
        return _said(f"Rewrote {plural(len(repaired), 'entry')}; backup: {backup}"), record

    def undo(self, record: FixRecord, inventory: Inventory | None) -> Outcome:
        path, backup = Path(record.target), record.backup or ""
        if _digest_of(path) != record.digest_after:
            raise StoreError(
                f"{path} changed after the fix (another program or a later edit wrote it); restoring the backup "
                f"would discard that change, so nothing was restored. The backup is {backup}"
            )
        atomic_write(path, Path(backup).read_bytes())
        return _said(f"Restored {path} from {backup}")


class MoveToKeychain(FixKind):
    id = "move-to-keychain"
    consequence = (
        "No backup file is written (it would be another plaintext copy of the secrets); a key the keychain "
        "already holds with a different credential is left in the file. Undo puts the file and the keychain "
        "back as they were."
    )

    @classmethod
    def offer(cls, path: Path, count: int) -> Fix:
        return Fix(
            cls.id,
            "Move into the keychain",
            f"Move the {plural(count, 'entry')} of {path} "
            "into the keychain one by one (each is read back from the keychain before it is "
            "removed from the file). A key the keychain already holds with a different "
            "credential is left in the file, never overwritten. No backup file is written — it "
            "would be another plaintext copy; undo moves them back.",
        )

    def apply(self, inventory: Inventory, target: FixTarget, fix: Fix, backup_dir: Path) -> tuple[Outcome, FixRecord]:
        from pixi_auth_tui.engine import operations

        store, path = _file_store(inventory, target)
        keychain = inventory.store(KEYCHAIN)
        if keychain is None:
            raise StoreError("no keychain to move to")
        moved: list[MoveUndo] = []
        problems: list[str] = []
        for row in [r for r in inventory.rows if r.store.id == store.id and rattler_accepts(r.entry.credential)]:
            # Each move re-reads both stores, so every step compares against what is on disk now.
            current = inventory_from(inventory.stores, inventory.override)
            fresh = next((r for r in current.rows if r.store.id == store.id and r.key == row.key), None)
            if fresh is None:
                continue
            try:
                # A key the keychain already holds with another credential is never overwritten.
                outcome = operations.move_entry(current, fresh, keychain)
            except operations.TargetHoldsKey:
                problems.append(
                    f"{row.key}: the keychain already holds a different credential for it, so it was left in "
                    f"{store.name} (select it and press m to choose which to keep)"
                )
                continue
            except StoreError as err:
                problems.append(f"{row.key}: {err}")
                continue
            if outcome.ok and outcome.undo is not None:
                moved.append(outcome.undo)
            else:
                problems.append(outcome.message)
        message = f"Moved {plural(len(moved), 'entry')} into the keychain (no plaintext copy kept)"
        record = FixRecord(self.id, str(path), moved_to_keychain=tuple(moved), store_id=store.id)
        return _said(message + ("; " + "; ".join(problems) if problems else ""), ok=not problems), record

    def undo(self, record: FixRecord, inventory: Inventory | None) -> Outcome:
        """Each move undone exactly (engine.operations.undo_move): the file's entry back, and the
        keychain as it was — an item it held before the fix is kept (restored), never deleted."""
        from pixi_auth_tui.engine import operations

        if inventory is None:
            raise StoreError("undoing a move needs the current stores")
        store = inventory.store(record.store_id or "")
        if store is None or store.path is None or inventory.store(KEYCHAIN) is None:
            raise StoreError("the file or the keychain is no longer available; nothing was moved back")
        moved, problems = 0, []
        for undo in record.moved_to_keychain:
            try:
                outcome = operations.undo_move(inventory, undo)
            except ConflictError:
                problems.append(f"{undo.key} is in {store.name} again (written after the fix); left as it is")
                continue
            except StoreError as err:
                problems.append(f"{undo.key}: {err}")
                continue
            moved += outcome.ok
            if not outcome.ok:
                problems.append(outcome.message)
        message = f"Moved {plural(moved, 'entry')} back from the keychain to {store.path}"
        return _said(message + ("; " + "; ".join(problems) if problems else ""), ok=not problems)


# -- the keychain ------------------------------------------------------------------------------


class KeepOneItem(FixKind):
    id = "dedupe"
    consequence = (
        "The other items are deleted from the keychain; a secret that differs from the one kept is "
        "first saved to a private (0600) backup file. Undo cannot bring deleted keychain items back."
    )

    @classmethod
    def offer(cls, item_ref: str, number: int, others: int, same: bool) -> Fix:
        return Fix(
            f"{cls.id}:{item_ref}",
            f"Keep item {number}",
            f"Keep {item_ref} (made rattler-style: exactly service+username, rattler's label) and "
            f"delete the other {'item' if others == 1 else 'items'}"
            + ("" if same else "; their differing secrets are first saved to a 0600 backup file")
            + ".",
        )

    def apply(self, inventory: Inventory, target: FixTarget, fix: Fix, backup_dir: Path) -> tuple[Outcome, FixRecord]:
        store, key = inventory.store(target.store_id or ""), target.key
        if store is None or Ability.DEDUPE not in store.abilities or not key:
            raise StoreError("the keychain is no longer available; refresh and audit again")
        rows = [r for r in inventory.rows_for(key) if r.store.id == store.id]
        kept = next((r for r in rows if r.entry.item_ref == fix.choice), None)
        if kept is None:
            raise StoreError("that keychain item no longer exists; refresh and audit again")
        others = [
            r
            for r in rows
            if r is not kept and dumps_credential(r.entry.credential) != dumps_credential(kept.entry.credential)
        ]
        backup_path = None
        if others:
            # A secret that exists nowhere else is never simply deleted: keep a private copy.
            from pixi_auth_tui.system.safeio import create_private_file  # (this fix only)

            backup_path = backup_dir / f"keychain-{file_safe(key)}-{time.strftime('%Y%m%dT%H%M%S')}.json"
            data = {r.entry.item_ref: json.loads(dumps_credential(r.entry.credential)) for r in others}
            # A fresh 0600 file in our private folder, never written through a link.
            create_private_file(
                backup_path, json.dumps({"key": key, "items": data}).encode("utf-8"), base=backup_dir.parent
            )
        removed = store.dedupe(key, fix.choice)
        tail = f"; the differing secrets are saved in {backup_path}" if backup_path else ""
        record = FixRecord(self.id, f"keychain:{key}", str(backup_path) if backup_path else None)
        return _said(f"Removed {plural(removed, 'duplicate item')} for {key}{tail}"), record

    def undo(self, record: FixRecord, inventory: Inventory | None) -> Outcome:
        raise StoreError("this fix has no file to restore; removed keychain items are in the backup named when it ran")


class RespellKeychainItem(FixKind):
    """A keychain item in the spelling pixi's docs show (`BasicHttp`), which rattler skips."""

    id = "respell-keychain"
    consequence = "Nothing else changes; there is no undo (rattler cannot read the old spelling)."

    @classmethod
    def offer(cls, key: str) -> Fix:
        return Fix(
            cls.id,
            "Rewrite as BasicHTTP",
            f"Rewrite the keychain item for {key} from `BasicHttp` to `BasicHTTP` in place: the same "
            "username and password, in the spelling rattler reads.",
        )

    def apply(self, inventory: Inventory, target: FixTarget, fix: Fix, backup_dir: Path) -> tuple[Outcome, FixRecord]:
        store, key = inventory.store(target.store_id or ""), target.key
        item = next((r for r in inventory.rows_for(key) if store and r.store.id == store.id), None) if key else None
        if store is None or key is None or item is None or not is_misspelled(item.entry.credential):
            raise StoreError("that keychain item changed since the audit; refresh and audit again")
        # The same username and password as audited, checked under the store's lock.
        store.set(key, respelled(item.entry.credential), was=dumps_credential(item.entry.credential))
        return _said(f"Rewrote the keychain item for {key} as BasicHTTP"), FixRecord(self.id, f"keychain:{key}")

    def undo(self, record: FixRecord, inventory: Inventory | None) -> Outcome:
        raise StoreError("a respelled keychain item is not undone: rattler cannot read the old spelling")


FIXES: dict[str, FixKind] = {
    kind.id: kind
    for kind in (
        ChmodFile(),
        ChmodFolder(),
        RemoveBackup(),
        RewriteSpelling(),
        MoveToKeychain(),
        KeepOneItem(),
        RespellKeychainItem(),
    )
}


def consequence(fix: Fix) -> str:
    """What happens besides the fix itself, as the fix really does it."""
    return FIXES[fix.kind].consequence


def apply_fix(inventory: Inventory, target: FixTarget, fix_id: str, backup_dir: Path) -> tuple[Outcome, FixRecord]:
    fix = next((f for f in target.fixes if f.id == fix_id), None)
    if fix is None or fix.kind not in FIXES:
        raise StoreError(f"{fix_id} is not a fix for this finding")
    return FIXES[fix.kind].apply(inventory, target, fix, backup_dir)


def undo_fix(record: FixRecord, inventory: Inventory | None = None) -> Outcome:
    """Undo a fix — unless something changed after it, which undo would silently discard."""
    return FIXES[record.kind].undo(record, inventory)
