"""`pixi-auth-tui remove KEY`: remove a credential from one store."""

from __future__ import annotations

import argparse
from typing import TextIO

from pixi_auth_tui.cli.common import (
    EXIT_NOT_FOUND,
    EXIT_OK,
    PYPI_STORE_CHOICES,
    STORE_CHOICES,
    UV_STORE,
    UsageError,
)
from pixi_auth_tui.engine.inventory import Inventory


def add_arguments(p_remove: argparse.ArgumentParser) -> None:
    p_remove.add_argument("key")
    p_remove.add_argument("--store", choices=(*STORE_CHOICES, "netrc", *PYPI_STORE_CHOICES, UV_STORE))
    p_remove.add_argument("--item", help="keychain item path, to remove one of several duplicates")
    p_remove.add_argument(
        "--username",
        help="keyring-pypi: the user name of the entry; "
        "uv: whose entry (default __token__, as `uv auth logout` takes it)",
    )


def cmd_remove(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    from pixi_auth_tui.engine.operations import delete_entry

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
    # The UI's delete, on the store as it is now (nothing was shown first): the same successor
    # (rattler's lookup, wildcards included) is named.
    outcome = delete_entry(inv, row, as_seen=False, by_key=args.item is None)
    after = outcome.successor
    out.write(f"removed {args.key} from {row.store.name} ({row.store.location})\n")
    if outcome.note:
        out.write(f"note: {outcome.note.lstrip('; ')}\n")
    if after is not None:
        what = "the entry" if after.key == row.key else after.key
        out.write(f"pixi now uses {what} in {after.store.name} for {args.key}\n")
    return EXIT_OK
