"""`pixi-auth-tui resolve URL`: which credential pixi would send for a URL, and how."""

from __future__ import annotations

import argparse
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_NOT_FOUND, EXIT_OK, UsageError
from pixi_auth_tui.core.model import KIND_LABELS
from pixi_auth_tui.core.redact import write_json
from pixi_auth_tui.engine.inventory import Inventory, order_note
from pixi_auth_tui.engine.inventory_json import row_json


def add_arguments(p_resolve: argparse.ArgumentParser) -> None:
    p_resolve.add_argument("url")
    p_resolve.add_argument("--json", action="store_true")
    mode = p_resolve.add_mutually_exclusive_group()
    mode.add_argument(
        "--pypi",
        action="store_true",
        help="URL is a PyPI index: rattler's layer, then uv's own chain (URL, netrc, credentials.toml, keyring)",
    )
    mode.add_argument(
        "--conda",
        action="store_true",
        help="rattler's lookup alone, as for a conda channel, even for a PyPI index of the workspace "
        "(which is otherwise answered as with --pypi)",
    )
    p_resolve.add_argument(
        "--project", help="with --pypi: the project page uv requests first (<index>/<project>/; default: the URL)"
    )
    p_resolve.add_argument(
        "--keyring-provider",
        choices=("disabled", "subprocess"),
        help="with --pypi: as pixi's --pypi-keyring-provider (default: pixi's pypi-config)",
    )


def cmd_resolve(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    res = inv.resolve(args.url)
    if res.error:
        raise UsageError(res.error)
    if args.json:
        write_json(
            out,
            {
                "url": res.url,
                "candidates": res.candidates,
                "match": row_json(res.row) if res.row else None,
                "request": res.request._asdict() if res.request else None,
                "blocked": res.blocked,
                "url_credentials": res.userinfo is not None,
                "note": order_note(inv, res.row.store.id) if res.row else None,
                "host": res.normalised_host or (res.candidates[0] if res.candidates else None),
            },
        )
    else:
        out.write(f"URL:        {res.url}\n")
        if res.normalised_host:
            out.write(f"Host:       {res.normalised_host} (as rattler normalises it)\n")
        if res.userinfo is not None:
            out.write(f"Match:      none needed — {res.request.note if res.request else ''}\n")
        elif res.row is None:
            out.write(f"Keys tried: {', '.join(res.candidates)}\n")
            out.write("Match:      none — pixi sends this request without credentials\n")
        else:
            out.write(f"Keys tried: {', '.join(res.candidates)}\n")
            would = " — what pixi would use once the store below is fixed" if res.blocked else ""
            out.write(
                f"Match:      {res.row.key} in {res.row.store.name} ({res.row.store.location}){would}\n"
                f"Kind:       {KIND_LABELS[res.row.entry.credential.kind]}\n"
            )
        if res.blocked:
            out.write("Request:    none with credentials: pixi stops before choosing one (see below)\n")
        elif res.request:
            nothing = ""
            if res.request.fails:
                nothing = " — NOT SENT: rattler fails this request before sending it"
            elif res.blocking:
                nothing = " — with NO credential"
            out.write(f"Request:    {res.request.method} {res.request.url}{nothing}\n")
            for name, value in res.request.headers.items():
                out.write(f"            {name}: {value}\n")
            if res.request.note and res.userinfo is None:
                out.write(f"            ({res.request.note})\n")
            if res.request.refresh_first:
                out.write(f"            (first: {res.request.refresh_first})\n")
        note = order_note(inv, res.row.store.id) if res.row else None
        if note:
            out.write(f"Note:       {note}\n")
        if res.blocked:
            out.write(f"!! {res.blocked}\n")
    return EXIT_OK if res.sends_credential else EXIT_NOT_FOUND
