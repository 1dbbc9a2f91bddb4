"""Write operations a person asks for (save, rotate, move, delete), shared by the UI and CLI.

Each one re-checks what it relies on and says plainly what happened when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from pixi_auth_tui.inventory import Inventory, Row, Status
from pixi_auth_tui.model import Credential, dumps_credential, rattler_accepts
from pixi_auth_tui.stores.base import Store, StoreError


@dataclass(frozen=True)
class Outcome:
    message: str
    ok: bool = True


def save_credential(inventory: Inventory, store: Store, key: str, credential: Credential) -> Outcome:
    """Add or rotate `key` in `store` (in place for the keychain), refusing stale views."""
    existed = any(e.key == key for e in inventory.snapshots[store.id].entries)
    store.set(key, credential, expect=inventory.snapshots[store.id].version)
    return Outcome(f"{'Rotated' if existed else 'Added'} {key} in {store.name}")


def successor_after_delete(inventory: Inventory, row: Row) -> Row | None:
    """The entry pixi would use for this key once `row` is gone (None: no credential at all)."""
    if row.status is not Status.ACTIVE:
        return inventory.active_row(row.key)
    for other in inventory.rows_for(row.key):
        if other is not row and other.status is Status.SHADOWED:
            return other
    return None


def delete_entry(inventory: Inventory, row: Row) -> Outcome:
    row.store.remove(row.key, expect=inventory.snapshots[row.store.id].version, item_ref=row.entry.item_ref)
    after = successor_after_delete(inventory, row)
    tail = f"; pixi now uses the entry in {after.store.name}" if after and row.status is Status.ACTIVE else ""
    return Outcome(f"Deleted {row.key} from {row.store.name}{tail}")


def move_entry(inventory: Inventory, row: Row, target: Store) -> Outcome:
    """Copy to `target`, verify by reading it back, then remove from the source.

    If any step fails, nothing is lost: either the target write never happened, or the
    credential is left in both stores and the message says so.
    """
    cred = row.entry.credential
    if not rattler_accepts(cred):
        raise StoreError("this entry is not a credential rattler can read; it cannot be moved")
    if target.id == row.store.id:
        raise StoreError(f"{row.key} is already in {target.name}")
    if not target.writable:
        raise StoreError(f"{target.name} is read-only")
    target.set(row.key, cred, expect=inventory.snapshots[target.id].version)
    readback = [e for e in target.load().entries if e.key == row.key]
    if len(readback) != 1 or dumps_credential(readback[0].credential) != dumps_credential(cred):
        raise StoreError(
            f"wrote {row.key} to {target.name} but reading it back did not match; "
            f"the original in {row.store.name} was kept"
        )
    try:
        row.store.remove(row.key, expect=inventory.snapshots[row.store.id].version, item_ref=row.entry.item_ref)
    except StoreError as err:
        return Outcome(
            f"Copied {row.key} to {target.name}, but could not remove it from {row.store.name}: {err}. "
            "It is now in both stores.",
            ok=False,
        )
    return Outcome(f"Moved {row.key} from {row.store.name} to {target.name}")
