"""`pixi-auth-tui audit`: what is wrong with the secrets on this machine (never prints a secret)."""

from __future__ import annotations

import argparse
from typing import TextIO

from pixi_auth_tui.cli.common import EXIT_FINDINGS, EXIT_OK, environment_for
from pixi_auth_tui.core.redact import plain, write_json
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.engine.inventory import Inventory
from pixi_auth_tui.engine.inventory_json import inventory_json, with_inventory_text


def add_arguments(p_audit: argparse.ArgumentParser) -> None:
    p_audit.add_argument("--json", action="store_true", help="the inventory and the findings, machine-readable")
    p_audit.add_argument(
        "--fail-on", choices=("warning", "error"), default="error", help="exit 5 at this severity or worse"
    )


def cmd_audit(inv: Inventory, args: argparse.Namespace, out: TextIO) -> int:
    from pixi_auth_tui.audit.findings import Severity, keychain_json, run_audit, summary
    from pixi_auth_tui.probe.state import ProbeState

    environment = environment_for(args)
    findings = run_audit(inv, environment.home, ProbeState.default(environment.env))
    counts = summary(findings)
    if args.json:
        report = {"summary": counts, "keychain": keychain_json(inv), "findings": [f.to_json() for f in findings]}
        if out.isatty():
            write_json(out, {**report, "inventory": inventory_json(inv)})  # indented, for a person
        else:
            out.write(with_inventory_text(report, inv) + "\n")
    else:
        if not findings:
            out.write("No findings: every stored credential is where pixi can use it, and nothing is exposed.\n")
        for finding in findings:
            where = " · ".join(x for x in (finding.key, finding.path) if x)
            out.write(f"[{finding.severity.value.upper():<7}] {plain(finding.title)}\n")
            out.write(f"          {plain(finding.explanation)}\n")
            if where:
                out.write(f"          ({plain(where)})\n")
            for fix in finding.fixes:
                out.write(f"          fix in the UI (a): {fix.label} — {fix.preview}\n")
        tally = [plural(counts["error"], "error"), plural(counts["warning"], "warning"), plural(counts["info"], "note")]
        out.write(f"\n{', '.join(tally)}\n")
    worst = {"error": (Severity.ERROR,), "warning": (Severity.ERROR, Severity.WARNING)}[args.fail_on]
    return EXIT_FINDINGS if any(f.severity in worst for f in findings) else EXIT_OK
