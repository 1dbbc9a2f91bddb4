"""`pixi-auth-tui test`: the connection test for scripts and CI."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TextIO

from pixi_auth_tui.cli import EXIT_NOT_FOUND, EXIT_OK, EXIT_REJECTED, UsageError
from pixi_auth_tui.inventory import Inventory, Row, Status
from pixi_auth_tui.probe import ProbeJob, ProbeOptions, probe_many
from pixi_auth_tui.probe_state import FAILING, ProbeResult, ProbeState, default_probe_url, result_key


def rows_to_test(inv: Inventory, args: argparse.Namespace) -> list[Row]:
    if args.all == bool(args.key):
        raise UsageError("give a KEY or --all")
    if args.all:
        return [r for r in inv.rows if r.status is Status.ACTIVE]
    rows = [r for r in inv.rows if r.key == args.key and (args.store is None or r.store.id == args.store)]
    if args.store is None:
        rows = [r for r in rows if r.status is Status.ACTIVE] or rows[:1]
    return rows[:1]


def cmd_test(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    rows = rows_to_test(inv, args)
    if not rows:
        err.write(f"pixi-auth-tui: no stored credential for {args.key}\n")
        return EXIT_NOT_FOUND
    from pixi_auth_tui.cli_oauth import refresh_before_use  # OAuth: refresh first when rattler would

    rows = [refresh_before_use(inv, r, err) for r in rows]
    state = ProbeState.default(dict(inv.env))
    if args.url and args.key:
        state.urls[args.key] = args.url
    jobs = [
        ProbeJob(
            r.key, r.entry.credential, state.urls.get(r.key) or default_probe_url(r.key, r.entry.credential), str(i)
        )
        for i, r in enumerate(rows)
    ]
    options = ProbeOptions(
        allow_http=args.allow_http,
        total_timeout=args.timeout,
        connect_timeout=min(5.0, args.timeout),
        env=dict(inv.env),
        generic_whoami=not args.all,
    )
    results = asyncio.run(probe_many(jobs, options))
    for row, res in zip(rows, results, strict=True):
        state.results[result_key(row.store.id, row.key)] = res
    state.save()
    if inv.override.tls_no_verify:
        err.write("note: pixi's config sets tls-no-verify, so pixi does not check certificates; this test does\n")
    if args.json:
        json.dump([{"store": r.store.id, **res.to_json()} for r, res in zip(rows, results, strict=True)], out, indent=2)
        out.write("\n")
    else:
        for row, res in zip(rows, results, strict=True):
            out.write(format_result(row, res))
    return EXIT_REJECTED if any(r.verdict in FAILING for r in results) else EXIT_OK


def format_result(row: Row, res: ProbeResult) -> str:
    lines = [f"{row.key} ({row.store.name}): {res.verdict.value.upper()} — {res.message}"]
    if res.url:
        detail = f"  {res.url}"
        if res.status is not None:
            anon = f", without credential {res.anonymous_status}" if res.anonymous_status is not None else ""
            detail += f" → HTTP {res.status}{anon}, {res.latency_ms:.0f} ms"
        if res.tls:
            detail += f", TLS {res.tls}"
        lines.append(detail)
    return "\n".join(lines) + "\n"
