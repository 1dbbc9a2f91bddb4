"""Write operations a person asks for (save, rotate, move, delete), shared by the UI and CLI.

Each one re-checks what it relies on and says plainly what happened when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pixi_auth_tui.core.hostkeys import candidate_keys
from pixi_auth_tui.core.model import Credential, dumps_credential, is_readable, rattler_accepts
from pixi_auth_tui.engine.inventory import WINNING, Inventory, Row, build_rows, first_active
from pixi_auth_tui.stores.base import Ability, Store, StoreError


@dataclass(frozen=True)
class Outcome:
    message: str
    ok: bool = True
    changed: bool = True  # False: nothing was written (and the message says so)


def save_credential(
    inventory: Inventory, store: Store, key: str, credential: Credential, *, as_seen: bool = True
) -> Outcome:
    """Add or rotate `key` in `store` (in place for the keychain).

    The one write path of the CLI's `set` and the UI's form: a rotation that would store
    exactly what is already there writes nothing and says so. `as_seen` (the UI: a person
    edited what they saw) refuses a store changed since it was read; the CLI, which shows
    nothing first, applies the change to the store as it is when written.
    """
    existing = [e for e in inventory.snapshots[store.id].entries if e.key == key]
    # A secret listed by name only (macOS) is not read just to compare: the rotation is written.
    same = len(existing) == 1 and is_readable(existing[0].credential)
    # An entry rattler cannot read (a `BasicHttp` spelling) saved unchanged is repaired: the
    # write puts it in rattler's spelling.
    repair = same and not rattler_accepts(existing[0].credential)
    if same and not repair and dumps_credential(existing[0].credential) == dumps_credential(credential):
        return Outcome(f"Nothing changed: {key} in {store.name} already holds exactly this", changed=False)
    existed = store.set(key, credential, expect=inventory.snapshots[store.id].version if as_seen else None)
    if repair:
        return Outcome(f"Repaired {key} in {store.name}: rewritten in the spelling rattler reads")
    return Outcome(f"{'Rotated' if existed else 'Added'} {key} in {store.name}")


def with_secret(row: Row) -> Row:
    """`row` with its secret, for a command that uses it (`test`, `token`): a keychain item
    listed by name only (macOS, where a read may prompt) is read now; others as they are."""
    cred = row.entry.credential
    if is_readable(cred) or Ability.READ_ON_DEMAND not in row.store.abilities:
        return row
    read = row.store.read_secret(row.key)
    return row if read is None else replace(row, entry=replace(row.entry, credential=read))


def lookup_chain(key: str) -> list[str]:
    """The keys rattler tries, from `key` on, for a request that `key` now answers.

    A host key is followed by its wildcards; `*.a.b` by `*.b`; `s3://bucket/path` by its
    shorter prefixes. A key rattler can never match (say `host:8080`) only by itself.
    """
    if key.startswith("*."):
        chain = candidate_keys(f"https://{key[2:]}/")
    elif "://" in key:
        chain = candidate_keys(key)
    else:
        chain = candidate_keys(f"https://{key}/")
    return chain[chain.index(key) :] if key in chain else [key]


def successor_after_delete(inventory: Inventory, row: Row) -> Row | None:
    """The entry pixi would use instead once `row` is gone (None: no credential at all).

    The same resolution `resolve` uses, on the stores as they would be without `row`:
    an entry for the same key in a later store, else the nearest wildcard.
    """
    snapshot = inventory.snapshots[row.store.id]
    without = dict(inventory.snapshots)
    without[row.store.id] = replace(snapshot, entries=[e for e in snapshot.entries if e is not row.entry])
    rows = build_rows(inventory.stores, without)
    return first_active(rows, lookup_chain(row.key))


def delete_entry(inventory: Inventory, row: Row) -> Outcome:
    row.store.remove(row.key, expect=inventory.snapshots[row.store.id].version, item_ref=row.entry.item_ref)
    after = successor_after_delete(inventory, row)
    tail = f"; pixi now uses {after.key} in {after.store.name}" if after and row.status in WINNING else ""
    return Outcome(f"Deleted {row.key} from {row.store.name}{tail}")


def move_entry(inventory: Inventory, row: Row, target: Store) -> Outcome:
    """Copy to `target`, verify by reading it back, then remove from the source.

    If any step fails, nothing is lost: either the target write never happened, or the
    credential is left in both stores and the message says so.
    """
    row = with_secret(row)  # moving needs the secret: one listed by name only (macOS) is read now
    cred = row.entry.credential
    if not is_readable(cred):
        raise StoreError(f"{row.key} is no longer in {row.store.name}; nothing was moved")
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
