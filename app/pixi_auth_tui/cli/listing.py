"""`pixi-auth-tui list`: every stored credential, in pixi's lookup order (secrets masked)."""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_OK
from pixi_auth_tui.core.model import KIND_LABELS, public_identity
from pixi_auth_tui.core.redact import plain, write_json
from pixi_auth_tui.engine.inventory import Inventory, order_note
from pixi_auth_tui.engine.inventory_json import inventory_json, inventory_json_text


def add_arguments(p_list: argparse.ArgumentParser) -> None:
    p_list.add_argument("--json", action="store_true", help="machine-readable output")


def _table(headers: Sequence[str], rows: list[Sequence[str]], out: TextIO) -> None:
    if plain(cells := "".join(itertools.chain.from_iterable(rows))) != cells:  # (one scan, in C)
        rows = [[plain(cell) for cell in row] for row in rows]  # a key with a line break stays on its line
    widths = [max(len(h), *map(len, column)) for h, column in zip(headers, zip(*rows, strict=True), strict=True)]
    # Each line padded by one format (as str.ljust pads: to a width in characters), in C.
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = map(str.rstrip, itertools.starmap(line.format, [headers, *rows]))
    # One write: the gate then scans the table once, not once per 256 kB piece.
    out.write("\n".join(lines) + "\n")


def print_inventory(inv: Inventory, out: TextIO) -> None:
    if inv.blocked:
        out.write(f"!! {inv.blocked}\n\n")
    for problem in inv.override.errors:  # e.g. a config file pixi skips whole: its override file is not used
        out.write(f"note: pixi's config: {plain(problem)}\n")
    out.write("Stores, in pixi's lookup order:\n")
    for i, store in enumerate(inv.stores, 1):
        snap = inv.snapshots[store.id]
        if store.chain != "conda" and inv.stores[i - 2].chain == "conda":
            out.write(
                "  then uv's own chain, for PyPI indexes only (when rattler's stores have nothing for the host):\n"
            )
        out.write(f"  {i}. {store.name:<18} {snap.state.value:<11} {store.location}  ({snap.message})\n")
        note = order_note(inv, store.id)
        if note:
            out.write(f"       note: {note}\n")
        for problem in snap.problems:
            out.write(f"       - {plain(problem)}\n")
    out.write("\n")
    if not inv.rows:
        out.write("No credentials stored. Add one with: pixi-auth-tui set HOST --kind bearer\n")
        return
    _table(
        ["KEY", "KIND", "STORE", "STATUS", "USER / SECRET", "NOTE"],
        [
            [
                r.entry.key,
                KIND_LABELS[r.entry.credential.kind],
                r.store.name,
                r.status._value_,  # (Enum's `value` is a descriptor: a Python call per row)
                public_identity(r.entry.credential),
                "" if r.reason == "pixi uses this entry" else r.reason,
            ]
            for r in inv.rows
        ],
        out,
    )


def cmd_list(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    if args.json and out.isatty():
        write_json(out, inventory_json(inv))  # indented, for a person
    elif args.json:
        out.write(inventory_json_text(inv) + "\n")  # what write_json writes, without a dict per entry
    else:
        print_inventory(inv, out)
    return EXIT_OK
