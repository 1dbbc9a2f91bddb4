"""`pixi-auth-tui test`: the connection test for scripts and CI."""

from __future__ import annotations

import argparse
import asyncio
from typing import TextIO

from pixi_auth_tui.cli.common import (
    EXIT_FAILED,
    EXIT_NOT_FOUND,
    EXIT_NOT_TESTED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_UNVERIFIED,
    UsageError,
)
from pixi_auth_tui.core.redact import write_json
from pixi_auth_tui.core.urlmask import mask_url
from pixi_auth_tui.engine.inventory import WINNING, Inventory, Row
from pixi_auth_tui.probe.request import ProbeOptions, ProbeSetupError
from pixi_auth_tui.probe.sequence import test_rows
from pixi_auth_tui.probe.state import (
    FAILING,
    UNVERIFIED,
    ProbeResult,
    ProbeState,
    Verdict,
    default_probe_url,
    probe_url_problem,
    url_problem,
)


def rows_to_test(inv: Inventory, args: argparse.Namespace) -> list[Row]:
    if args.all == bool(args.key):
        raise UsageError("give a KEY or --all")
    if args.all:
        return [r for r in inv.rows if r.status in WINNING]
    rows = [r for r in inv.rows if r.key == args.key and (args.store is None or r.store.id == args.store)]
    if args.store is None:
        rows = [r for r in rows if r.status in WINNING] or rows[:1]
    return rows[:1]


def cmd_test(inv: Inventory, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.url:
        problem = url_problem(args.url)
        if problem:
            raise UsageError(f"--url: {problem}")
    rows = rows_to_test(inv, args)
    if not rows:
        err.write(f"pixi-auth-tui: no stored credential for {args.key}\n")
        return EXIT_NOT_FOUND
    state = ProbeState.default(dict(inv.env))
    covered = rows and probe_url_problem(args.key, rows[0].entry.credential, args.url) is None
    if args.url and args.key and covered and not mask_url(args.url)[1]:  # never a secret, only a covered host
        state.urls[args.key] = args.url
    options = ProbeOptions.within(
        args.timeout,
        allow_http=args.allow_http,
        env=dict(inv.env),
        generic_whoami=not args.all,
        offline=bool(getattr(args, "demo", False)),
    )

    def say(_rows: list[Row], notes: list[str]) -> None:  # what an OAuth refresh did, first
        for note in notes:
            err.write(note + "\n")

    def url_for(row: Row) -> str | None:
        return state.urls.get(row.key) or default_probe_url(row.key, row.entry.credential)

    try:
        rows, results = asyncio.run(test_rows(inv, rows, state, options, url_for=url_for, on_ready=say))
    except ProbeSetupError as exc:
        err.write(f"pixi-auth-tui: cannot test: {exc}\n")
        return EXIT_FAILED
    if inv.override.tls_no_verify:
        err.write("note: pixi's config sets tls-no-verify, so pixi does not check certificates; this test does\n")
    if args.json:
        write_json(out, [{"store": r.store.id, **res.to_json()} for r, res in zip(rows, results, strict=True)])
    else:
        for row, res in zip(rows, results, strict=True):
            out.write(format_result(row, res))
    return exit_code(results)


def exit_code(results: list[ProbeResult]) -> int:
    """0 only when every tested credential was accepted; otherwise the worst outcome's code."""
    verdicts = {r.verdict for r in results}
    if verdicts & FAILING:
        return EXIT_REJECTED
    if verdicts & UNVERIFIED:
        return EXIT_UNVERIFIED
    if verdicts - {Verdict.ACCEPTED}:
        return EXIT_NOT_TESTED
    return EXIT_OK


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
