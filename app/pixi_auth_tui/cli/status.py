"""`pixi-auth-tui status [HOST|URL …]`: per host, the credential pixi sends, its kind, expiry
and last test (like `gh auth status`); the engine is app/pixi_auth_tui.audit.status.py.

Exit codes: 0 nothing below · 1 pixi cannot build its credential store (it sends nothing) ·
3 a named host gets no credential (and no CI sign-in) · 4 a credential is expired, was
rejected at its last test, or is matched but never sent (an s3:// key holding no S3 keys).
When several apply, the first of 1, 4, 3 wins.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_REJECTED
from pixi_auth_tui.core.redact import write_json
from pixi_auth_tui.engine.inventory import Inventory


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("hosts", nargs="*", metavar="HOST", help="hosts or URLs (default: every key pixi uses)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_status(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    from pixi_auth_tui.audit.status import BLOCKED, EXPIRED, NONE, NOT_SENT, REJECTED, host_statuses
    from pixi_auth_tui.ci.detect import detect_ci
    from pixi_auth_tui.probe.state import ProbeState

    ci = detect_ci(inv.env)
    statuses = host_statuses(inv, args.hosts, ProbeState.default(inv.env), ci)
    states = {s.state for s in statuses}
    if inv.blocked:
        code = EXIT_FAILED
    elif states & {EXPIRED, NOT_SENT, REJECTED}:
        code = EXIT_REJECTED
    elif NONE in states and args.hosts:
        code = EXIT_NOT_FOUND
    else:
        code = EXIT_OK
    if args.json:
        write_json(
            out,
            {
                "blocked": inv.blocked,
                "ci": None if not ci.on_ci else {"provider": ci.provider, "oidc": ci.oidc, "detail": ci.detail},
                "hosts": [s.to_json() for s in statuses],
                "exit_code": code,
            },
        )
        return code
    from pixi_auth_tui.audit.status import describe

    if inv.blocked:
        out.write(f"!! {inv.blocked}\n")
    if ci.on_ci:
        out.write(f"{ci.name}: prefix.dev sign-in with the CI's identity: {ci.oidc} — {ci.detail}\n")
    if not statuses and BLOCKED not in states:
        out.write("No credential pixi uses is stored. Add one with: pixi-auth-tui set HOST --kind bearer\n")
    for status in statuses:
        out.write("\n".join(describe(status)) + "\n")
    return code
