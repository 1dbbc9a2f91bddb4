"""The inventory as `list --json` and `audit --json` print it.

`inventory_json` is the value; `inventory_json_text` is `json.dumps(inventory_json(inv))`
written directly, without a dict per entry: at 10,000 entries the dicts and the encoder's
pass over them were a third of `list --json`. Its parts are encoded by the encoder's own C
string escaper, and what repeats (a store's fields, a status and its reason) is encoded once.
tests/test_inventory_json.py checks the two are byte-identical on generated inventories.
"""

from __future__ import annotations

import json
from typing import Any

from pixi_auth_tui.core.model import expires_at, is_misspelled, public_identity
from pixi_auth_tui.engine.inventory import Inventory, Row, order_note

# json.dumps's own escaper with ensure_ascii (the default): the C one where Python has it.
_encode: Any = getattr(json.encoder, "c_encode_basestring_ascii", None) or json.encoder.py_encode_basestring_ascii


def row_json(row: Row) -> dict[str, Any]:
    cred = row.entry.credential
    return {
        "key": row.key,
        "store": row.store.id,
        "store_name": row.store.name,
        "location": row.store.location,
        "kind": cred.kind,
        "status": row.status.value,
        "reason": row.reason,
        "shadowed_by": row.shadowed_by,
        "identity": public_identity(cred),
        "expires_at": expires_at(cred),
        "misspelled": is_misspelled(cred),
        "item_ref": row.entry.item_ref,
    }


def credential_ref(row: Row, *, location: bool = False) -> dict[str, Any]:
    """Which credential a host gets, for `status` and `check` (no secret: its public identity)."""
    ref: dict[str, Any] = {"key": row.key, "store": row.store.id, "store_name": row.store.name}
    if location:
        ref["location"] = row.store.location
    ref["kind"] = row.entry.credential.kind
    ref["identity"] = public_identity(row.entry.credential)
    return ref


def inventory_json(inv: Inventory) -> dict[str, Any]:
    return {**_inventory_head(inv), "entries": [row_json(r) for r in inv.rows]}


def _inventory_head(inv: Inventory) -> dict[str, Any]:
    return {
        "blocked": inv.blocked,
        "override_file": {
            "path": str(inv.override.path) if inv.override.path else None,
            "named_by": str(inv.override.source) if inv.override.source else None,
            "workspace": str(inv.override.workspace) if inv.override.workspace else None,
        },
        "stores": [
            {
                "id": s.id,
                "name": s.name,
                "location": s.location,
                "writable": s.writable,
                "state": inv.snapshots[s.id].state.value,
                "message": inv.snapshots[s.id].message,
                "entries": len(inv.snapshots[s.id].entries),
                "problems": inv.snapshots[s.id].problems,
                "note": order_note(inv, s.id),
            }
            for s in inv.stores
        ],
    }


def _optional(text: str | None) -> str:
    return "null" if text is None else _encode(text)


def _entries_text(rows: list[Row]) -> str:
    stores: dict[int, str] = {}  # per store object: its three fields, encoded
    middles: dict[tuple[str, str, str, str | None], str] = {}  # kind, status, reason, shadowed_by
    parts = []
    for row in rows:
        store, entry = row.store, row.entry
        cred = entry.credential
        where = stores.get(id(store))
        if where is None:
            where = stores[id(store)] = (
                f'"store": {_encode(store.id)}, "store_name": {_encode(store.name)}, '
                f'"location": {_encode(store.location)}, '
            )
        shape = (cred.kind, row.status._value_, row.reason, row.shadowed_by)
        middle = middles.get(shape)
        if middle is None:
            middle = middles[shape] = (
                f'"kind": {_encode(shape[0])}, "status": {_encode(shape[1])}, "reason": {_encode(shape[2])}, '
                f'"shadowed_by": {_optional(shape[3])}, '
            )
        identity, expiry = public_identity(cred), expires_at(cred)
        misspelled = "true" if is_misspelled(cred) else "false"
        parts.append(
            f'{{"key": {_encode(entry.key)}, {where}{middle}"identity": {_encode(identity)}, '
            f'"expires_at": {"null" if expiry is None else int.__repr__(expiry)}, '
            f'"misspelled": {misspelled}, "item_ref": {_optional(entry.item_ref)}}}'
        )
    return "[" + ", ".join(parts) + "]"


def inventory_json_text(inv: Inventory) -> str:
    """`json.dumps(inventory_json(inv))`, byte for byte."""
    head = json.dumps({**_inventory_head(inv), "entries": None})
    return head.removesuffix("null}") + _entries_text(inv.rows) + "}"


def with_inventory_text(value: dict[str, Any], inv: Inventory) -> str:
    """`json.dumps({**value, "inventory": inventory_json(inv)})`, byte for byte."""
    head = json.dumps({**value, "inventory": None})
    return head.removesuffix("null}") + inventory_json_text(inv) + "}"
