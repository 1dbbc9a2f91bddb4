"""`pixi-auth-tui remove KEY`: remove a credential from one store."""

from __future__ import annotations

import argparse
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_NOT_FOUND, EXIT_OK, STORE_CHOICES, UsageError
from pixi_auth_tui.engine.inventory import WINNING, Inventory


def add_parser(sub: argparse._SubParsersAction) -> None:
    p_remove = sub.add_parser("remove", help="remove a credential from one store")
    p_remove.add_argument("key")
    p_remove.add_argument("--store", choices=(*STORE_CHOICES, "netrc"))
    p_remove.add_argument("--item", help="keychain item path, to remove one of several duplicates")


def cmd_remove(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    from pixi_auth_tui.engine.operations import successor_after_delete

    holders = [r for r in inv.rows if r.key == args.key and (args.store is None or r.store.id == args.store)]
    if args.item:
        holders = [r for r in holders if r.entry.item_ref == args.item]
    if not holders:
        where = f" in {args.store}" if args.store else ""
        out.write(f"{args.key} is not stored{where}\n")
        return EXIT_NOT_FOUND
    stores = {r.store.id for r in holders}
    if len(stores) > 1:
        raise UsageError(f"{args.key} is in several stores ({', '.join(sorted(stores))}); choose one with --store")
    if len(holders) > 1:
        refs = ", ".join(r.entry.item_ref or "?" for r in holders)
        raise UsageError(f"{len(holders)} keychain items hold {args.key} ({refs}); choose one with --item")
    row = holders[0]
    if args.item is None and row.entry.item_ref is not None and not row.key:
        args.item = row.entry.item_ref  # a keychain item without a username is found by its path
    # The same successor (rattler's lookup, wildcards included) as the UI's delete names.
    after = successor_after_delete(inv, row) if row.status in WINNING else None
    from pixi_auth_tui.engine.operations import file_mode, mode_note

    before = file_mode(row.store)
    row.store.remove(args.key, expect=None, item_ref=args.item)
    out.write(f"removed {args.key} from {row.store.name} ({row.store.location})\n")
    if note := mode_note(row.store, before):
        out.write(f"note: {note.lstrip('; ')}\n")
    if after is not None:
        what = "the entry" if after.key == row.key else after.key
        out.write(f"pixi now uses {what} in {after.store.name} for {args.key}\n")
    return EXIT_OK
