"""Write operations a person asks for (save, rotate, move, delete), shared by the UI and CLI.

Each one re-checks what it relies on and says plainly what happened when it fails.
"""

from __future__ import annotations

import os
import stat
from enum import Enum
from pathlib import Path
from typing import Literal, NamedTuple

from pixi_auth_tui.core.hostkeys import candidate_keys
from pixi_auth_tui.core.model import KINDS, Credential, dumps_credential, is_readable, masked_secret, rattler_accepts
from pixi_auth_tui.engine.inventory import CONDA_CHAIN, WINNING, Inventory, Row, build_rows, first_active
from pixi_auth_tui.stores.base import NO_ENTRY, Ability, ConflictError, Store, StoreError


class NotGiven(Enum):
    """`seen` not given (the CLI): distinct from None, which means "there was no entry"."""

    NOT_GIVEN = "not given"


NOT_GIVEN = NotGiven.NOT_GIVEN


class Outcome(NamedTuple):
    message: str
    ok: bool = True
    changed: bool = True  # False: nothing was written (and the message says so)
    undo: MoveUndo | None = None  # what puts the stores back as they were (a move)
    note: str = ""  # said besides: a file whose mode the rewrite changed (already in `message`)
    # After a delete: the entry pixi now uses instead (None: none, or the entry was not in use).
    successor: Row | None = None


class EntryChanged(ConflictError):
    """The entry a person was working on changed in its store meanwhile (another program
    rotated, added or removed it); nothing was written. `current` is what is there now."""

    def __init__(self, message: str, current: Credential | None) -> None:
        super().__init__(message)
        self.current = current


def was_of(cred: Credential | None) -> str:
    """What a write expects to find under its key: rattler's JSON of `cred`, or NO_ENTRY."""
    return NO_ENTRY if cred is None else dumps_credential(cred)


def changed_fields(before: Credential | None, now: Credential | None) -> list[str]:
    """The fields (by their labels, never their values) that differ between two credentials."""
    if before is None or now is None or before.kind != now.kind:
        return ["kind"] if before is not None and now is not None else []
    spec = KINDS[now.kind]
    names = [name for name, _typ in spec.serde or ()] or ["token"]
    labels = {f.name: f.label.lower() for f in spec.fields}
    return [labels.get(name, name.replace("_", " ")) for name in names if getattr(before, name) != getattr(now, name)]


def current_entry(store: Store, key: str) -> Credential | None:
    found = [e for e in store.load().entries if e.key == key]
    return found[0].credential if len(found) == 1 else None


def _entry_changed(store: Store, key: str, seen: Credential | None, err: ConflictError) -> EntryChanged:
    """Say, field by field, what changed under the person's feet."""
    now = current_entry(store, key)
    if seen is None and now is not None:
        what = f"{key} was added to {store.name} by another program since the form was opened"
    elif now is None:
        what = f"{key} was removed from {store.name} by another program since the form was opened"
    else:
        fields = changed_fields(seen, now)
        which = f"its {' and '.join(fields)}" if fields else "it"
        what = f"{key} changed in {store.name} since the form was opened (another program wrote {which})"
    return EntryChanged(f"{what}; nothing was written, so that change is kept", now)


def file_mode(store: Store) -> int | None:
    if store.path is None:
        return None
    try:
        return stat.S_IMODE(os.stat(store.path).st_mode)
    except OSError:
        return None


def mode_note(store: Store, before: int | None) -> str:
    """`; … is now 0600 (was 0644)` when a rewrite changed the file's mode (rattler's own
    rewrite leaves it 0600 too), else ''."""
    after = file_mode(store)
    if before is None or after is None or before == after:
        return ""
    return f"; {store.path} is now {after:04o} (was {before:04o}), as rattler's own rewrite leaves it"


def save_credential(
    inventory: Inventory,
    store: Store,
    key: str,
    credential: Credential,
    *,
    as_seen: bool = True,
    seen: Credential | NotGiven | None = NOT_GIVEN,
) -> Outcome:
    """Add or rotate `key` in `store` (in place for the keychain).

    The one write path of the CLI's `set` and the UI's form: a rotation that would store
    exactly what is already there writes nothing and says so. `seen` (the UI: the entry the
    form was opened on, None for an add) is compared under the store's lock with what is
    there now: a change made meanwhile by another program is refused, never overwritten.
    Without it, `as_seen` refuses a store changed since it was read; the CLI, which shows
    nothing first, applies the change to the store as it is when written.
    """
    existing = [e for e in inventory.snapshots[store.id].entries if e.key == key]
    if not isinstance(seen, NotGiven) and seen is not None:
        existing = [existing[0]._replace(credential=seen)] if existing else []
    # A secret listed by name only (macOS) is not read just to compare: the rotation is written.
    if store.chain != CONDA_CHAIN:  # uv's stores keep one entry per user name under a key
        wanted = dumps_credential(credential)
        existing = [e for e in existing if is_readable(e.credential) and dumps_credential(e.credential) == wanted]
    same = len(existing) == 1 and is_readable(existing[0].credential)
    # An entry rattler cannot read (a `BasicHttp` spelling) saved unchanged is repaired: the
    # write puts it in rattler's spelling.
    repair = same and not rattler_accepts(existing[0].credential)
    if same and not repair and dumps_credential(existing[0].credential) == dumps_credential(credential):
        return Outcome(f"Nothing changed: {key} in {store.name} already holds exactly this", changed=False)
    before = file_mode(store)
    if isinstance(seen, NotGiven):
        existed = store.set(key, credential, expect=inventory.snapshots[store.id].version if as_seen else None)
    else:
        try:
            # (a secret listed by name only, never read, cannot be compared: written as the CLI does)
            was = was_of(seen) if seen is None or is_readable(seen) else None
            existed = store.set(key, credential, was=was)
        except EntryChanged:
            raise
        except ConflictError as err:
            raise _entry_changed(store, key, seen, err) from err
    note = mode_note(store, before)
    if repair:
        said = f"Repaired {key} in {store.name}: rewritten in the spelling rattler reads{note}"
        return Outcome(said, note=note.lstrip("; "))
    return Outcome(f"{'Rotated' if existed else 'Added'} {key} in {store.name}{note}", note=note.lstrip("; "))


def with_secret(row: Row) -> Row:
    """`row` with its secret, for a command that uses it (`test`, `token`): a keychain item
    listed by name only (macOS, where a read may prompt) is read now; others as they are."""
    cred = row.entry.credential
    if is_readable(cred) or Ability.READ_ON_DEMAND not in row.store.abilities:
        return row
    read = row.store.read_secret(row.key)
    return row if read is None else row.with_credential(read)


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
    without[row.store.id] = snapshot.with_entries([e for e in snapshot.entries if e is not row.entry])
    rows = build_rows(inventory.stores, without)
    return first_active(rows, lookup_chain(row.key))


def _was(row: Row) -> str | None:
    """What removing or replacing `row` expects to find (None: a secret never read, not compared)."""
    return dumps_credential(row.entry.credential) if is_readable(row.entry.credential) else None


def delete_entry(inventory: Inventory, row: Row, *, as_seen: bool = True, by_key: bool = False) -> Outcome:
    """Remove `row`'s entry from its store: the one delete of the UI and the CLI's `remove`.

    `as_seen` (the UI: a person deletes what they saw) refuses an entry rotated or a store changed
    since it was read; the CLI, which shows nothing first, removes it from the store as it is.
    `by_key` finds a keychain entry by its key rather than by the item listed (the CLI without
    --item); an item without a username has no key and is always found by its path.
    """
    after = successor_after_delete(inventory, row) if row.status in WINNING else None
    was = _was(row) if as_seen else None
    expect = inventory.snapshots[row.store.id].version if as_seen and was is None else None
    item_ref = None if by_key and row.key else row.entry.item_ref
    before = file_mode(row.store)
    row.store.remove(row.key, expect=expect, item_ref=item_ref, was=was)
    note = mode_note(row.store, before)
    tail = f"; pixi now uses {after.key} in {after.store.name}" if after else ""
    return Outcome(f"Deleted {row.key} from {row.store.name}{tail}{note}", successor=after, note=note)


# -- moving -------------------------------------------------------------------------------------

Keep = Literal["moved", "target"]


class Holder(NamedTuple):
    """One side of a move onto a key the target already holds, as a person chooses between them."""

    store_name: str
    credential: Credential

    @property
    def shown(self) -> str:
        """The masked secret (or the username), never the secret."""
        spec = KINDS[self.credential.kind]
        identity = getattr(self.credential, spec.identity) if spec.identity else None
        secret = masked_secret(self.credential)
        return f"{spec.label}: {identity} {secret}" if identity else f"{spec.label}: {secret}"


class TargetHoldsKey(StoreError):
    """The target store already holds a different credential for the key: a person chooses
    which to keep (`move_entry(keep=…)`); nothing was written."""

    def __init__(self, key: str, moving: Holder, there: Holder) -> None:
        super().__init__(
            f"{there.store_name} already holds a different credential for {key}; choose which to keep "
            "(the other is kept in a private backup) — nothing was written"
        )
        self.key = key
        self.moving = moving
        self.there = there


class MoveUndo(NamedTuple):
    """Exactly what a move changed, to put it back: the source entry, and what the target held
    before (None: nothing; then what the move wrote there is removed, else it is put back)."""

    key: str
    source_id: str
    target_id: str
    source_had: Credential
    target_had: Credential | None
    target_has: Credential | None  # what the move left in the target
    item_ref: str | None = None


def move_entry(
    inventory: Inventory,
    row: Row,
    target: Store,
    *,
    keep: Keep | None = None,
    backup_dir: Path | None = None,
) -> Outcome:
    """Copy to `target`, verify by reading it back, then remove from the source.

    If any step fails, nothing is lost: either the target write never happened, or the
    credential is left in both stores and the message says so. When the target already holds
    the key with a different credential, nothing is written (TargetHoldsKey) unless `keep`
    says which to keep: the other goes into a private backup in `backup_dir` first. Every
    write compares, under the store's lock, with what was read, so a change made meanwhile
    by another program is never overwritten. The outcome carries what undoes the move exactly.
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
    there_all = [e for e in target.load().entries if e.key == row.key]
    if len(there_all) > 1:
        raise StoreError(f"{target.name} holds {len(there_all)} items for {row.key}; remove the duplicates first")
    there = there_all[0].credential if there_all else None
    if there is not None and not is_readable(there):
        there = target.read_secret(row.key) if Ability.READ_ON_DEMAND in target.abilities else None
        if there is None:
            raise StoreError(f"the credential {target.name} holds for {row.key} could not be read; nothing was moved")
    same = there is not None and dumps_credential(there) == dumps_credential(cred)
    if there is not None and not same and keep is None:
        raise TargetHoldsKey(row.key, Holder(row.store.name, cred), Holder(target.name, there))
    backup = ""
    if there is not None and not same:
        dropped, where = (there, target.name) if keep == "moved" else (cred, row.store.name)
        if backup_dir is None:
            raise StoreError("no backup folder to keep the other credential in; nothing was moved")
        from pixi_auth_tui.engine.backups import backup_entries

        try:
            path = backup_entries(backup_dir, row.key, {where: dropped}, f"not kept when moving into {target.name}")
        except OSError as err:
            raise StoreError(f"could not write the backup ({err.strerror or err}); nothing was moved") from err
        backup = f"; the {where} one is kept in the private backup {path}"
    before = file_mode(row.store), file_mode(target)
    # What the target holds after the move: what it had (the same, or the one chosen), else ours.
    left = there if there is not None and (same or keep == "target") else cred
    if left is not there:
        target.set(row.key, cred, was=was_of(there))
        readback = [e for e in target.load().entries if e.key == row.key]
        if len(readback) != 1 or dumps_credential(readback[0].credential) != dumps_credential(cred):
            raise StoreError(
                f"wrote {row.key} to {target.name} but reading it back did not match; "
                f"the original in {row.store.name} was kept"
            )
    undo = MoveUndo(row.key, row.store.id, target.id, cred, there, left, row.entry.item_ref)
    # What is removed must be what was copied (a rotation made meanwhile is kept) — except
    # where each read may show a prompt (macOS), whose secret was read just now.
    was = None if Ability.READ_ON_DEMAND in row.store.abilities else dumps_credential(cred)
    try:
        row.store.remove(row.key, item_ref=row.entry.item_ref, was=was)
    except StoreError as err:
        return Outcome(
            f"Copied {row.key} to {target.name}, but could not remove it from {row.store.name}: {err}. "
            "It is now in both stores.",
            ok=False,
        )
    notes = mode_note(row.store, before[0]) + mode_note(target, before[1])
    if same:
        said = f"Moved {row.key} from {row.store.name} to {target.name}, which already held the same credential"
    elif keep == "target":
        said = f"Kept the {target.name} credential for {row.key} and removed the one in {row.store.name}"
    elif keep == "moved":
        said = f"Moved {row.key} from {row.store.name} to {target.name}, replacing the one there"
    else:
        said = f"Moved {row.key} from {row.store.name} to {target.name}"
    return Outcome(said + backup + notes, undo=undo)


def undo_move(inventory: Inventory, undo: MoveUndo) -> Outcome:
    """Put both stores back as they were before the move: the source entry again, and the
    target as it was (its earlier credential, or no entry when it had none: an item that
    existed before is never deleted). Each write expects what it replaces, so a change made
    since by anyone is kept, never discarded: an entry rotated in the target after the move
    goes back as it is now."""
    source = inventory.store(undo.source_id)
    target = inventory.store(undo.target_id)
    if source is None or target is None:
        raise StoreError("a store of that move is no longer there; nothing was undone")
    now = current_entry(target, undo.key)
    unchanged = was_of(now) == was_of(undo.target_has)
    if now is None and undo.target_has is not None:
        raise StoreError(f"{undo.key} was removed from {target.name} since the move; nothing was undone")
    if unchanged or undo.target_had is not None:
        source.set(undo.key, undo.source_had, was=NO_ENTRY)
    else:  # rotated in the target since the move, which had created it there: move it back as it is
        assert now is not None
        source.set(undo.key, now, was=NO_ENTRY)
    try:
        if undo.target_had is None:
            target.remove(undo.key, was=was_of(now))
        elif unchanged and was_of(undo.target_had) != was_of(now):
            target.set(undo.key, undo.target_had, was=was_of(now))
    except StoreError as err:
        return Outcome(
            f"Put {undo.key} back into {source.name}, but {target.name} could not be restored: {err}", ok=False
        )
    if not unchanged and undo.target_had is not None:
        return Outcome(
            f"Put {undo.key} back into {source.name}; {target.name} holds a credential written after the move, "
            "which was kept",
            ok=False,
        )
    kept = " (as it is now: it was rotated after the move)" if not unchanged else ""
    return Outcome(f"Undid the move of {undo.key}{kept}: {source.name} and {target.name} are as they were before")
