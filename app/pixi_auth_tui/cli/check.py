"""`pixi-auth-tui check`: will `pixi install` in this workspace get past every private host?

Exit codes (consistent with the other commands):
  0  nothing at or above --fail-on
  3  no pixi workspace at the given path(s)
  4  a credential pixi would send is rejected by its server (or has expired)
  5  --fail-on warning and there are warnings
  6  a host pixi needs could not be reached when tested (network, TLS, timeout), as `test`'s 6
  8  a host needs a credential and pixi has none to send (or cannot load its store)
When several apply, the first of 8, 4, 6, 5 wins. (7 is `test`'s: a credential was not tested;
`check` reports those hosts in its output instead.)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from pixi_auth_tui.audit.findings import Severity
from pixi_auth_tui.ci.detect import detect_ci
from pixi_auth_tui.cli.common import (
    EXIT_FAILED,
    EXIT_FINDINGS,
    EXIT_MISSING,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
)
from pixi_auth_tui.cli.common import EXIT_UNVERIFIED as EXIT_UNREACHABLE
from pixi_auth_tui.core.model import KIND_LABELS
from pixi_auth_tui.core.redact import redact, write_json
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.system.manifest import NotAWorkspace
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.workspace.check import ProbePlan, report_json, run_check
from pixi_auth_tui.workspace.model import CheckReport, Fails
from pixi_auth_tui.workspace.probe import PLAIN_HTTP_TOKEN


def exit_code(report: CheckReport, fail_on: str) -> int:
    findings = report.findings
    if any(f.fails is Fails.MISSING for f in findings):
        return EXIT_MISSING
    if fail_on in ("rejected", "warning") and any(f.fails is Fails.REJECTED for f in findings):
        return EXIT_REJECTED
    if fail_on in ("rejected", "warning") and any(f.fails is Fails.UNREACHABLE for f in findings):
        return EXIT_UNREACHABLE
    if fail_on == "warning" and any(f.severity in (Severity.ERROR, Severity.WARNING) for f in findings):
        return EXIT_FINDINGS
    return EXIT_OK


def cmd_check(args: argparse.Namespace, environment: Environment, out: TextIO, err: TextIO) -> int:
    named = [*args.paths, *args.workspace_paths]
    if not named and isinstance(getattr(args, "workspace", None), str):
        named = [args.workspace]  # the global `--workspace PATH` before the command, where it exists
    paths = [Path(p).expanduser() for p in named] or [Path.cwd()]
    test = ProbePlan(allow_http=args.allow_http, timeout=args.timeout) if args.test else None
    try:
        on_secret = _masker(err if args.json else out) if environment.env.get("GITHUB_ACTIONS") == "true" else None
        report = run_check(paths, environment, ProbeState.default(environment.env), test, on_secret)
    except NotAWorkspace as exc:
        err.write(f"pixi-auth-tui: {exc}\n")
        return EXIT_NOT_FOUND
    code = exit_code(report, args.fail_on)
    ci = detect_ci(environment.env)
    if args.json:
        write_json(out, {**report_json(report), "exit_code": code})
    else:
        if ci.on_ci:
            out.write(f"{ci.name}: prefix.dev sign-in with the CI's identity: {ci.oidc} — {ci.detail}\n")
        print_report(report, out)
    if args.annotations or args.step_summary is not None:
        return _ci_output(args, report, code, environment, out, err)
    return code


def _masker(stream: TextIO) -> Callable[[str], None]:
    """On GitHub Actions, each secret the test obtains (the CI's ID token, a token prefix.dev
    minted) is masked in the job's log the moment it arrives, before anything could print it, in
    every spelling a log could show (as `ci setup` masks). With --json the masks go to stderr,
    which the runner reads for workflow commands too, so that stdout stays one JSON document."""
    from pixi_auth_tui.ci.credentials import mask_spellings
    from pixi_auth_tui.cli.ci import GITHUB_MASK, github_escape

    def mask(secret: str) -> None:
        for spelling in mask_spellings(secret):
            stream.write_requested_secret(f"{GITHUB_MASK}{github_escape(spelling)}\n")  # type: ignore[attr-defined]

    return mask


def _ci_output(
    args: argparse.Namespace, report: CheckReport, code: int, environment: Environment, out: TextIO, err: TextIO
) -> int:
    from pixi_auth_tui.cli.check_ci import github_annotations, step_summary

    if args.annotations:
        for line in github_annotations(report, Path.cwd()):
            out.write(line + "\n")
    if args.step_summary is not None:
        target = args.step_summary or environment.env.get("GITHUB_STEP_SUMMARY", "")
        if not target:
            err.write("pixi-auth-tui: --step-summary: no FILE given and GITHUB_STEP_SUMMARY is not set\n")
            return EXIT_USAGE if code == EXIT_OK else code
        try:
            with open(target, "a", encoding="utf-8") as summary:
                summary.write(redact(step_summary(report, code)))
        except OSError as exc:
            err.write(f"pixi-auth-tui: --step-summary: cannot write {target}: {exc.strerror or exc}\n")
            return EXIT_FAILED if code == EXIT_OK else code
    return code


class _Printable:
    """Writes text from manifests and servers with control characters (ANSI escapes…) neutralised."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write("".join(c if c == "\n" or (c.isprintable() and c != "\x7f") else "\ufffd" for c in text))


def print_report(report: CheckReport, stream: TextIO) -> None:
    out = _Printable(stream)
    for workspace in report.workspaces:
        envs = ", ".join(workspace.environments)
        lock = "" if workspace.lock is None else " · pixi.lock read" if workspace.lock.problem is None else ""
        out.write(f"Workspace {workspace.name} ({workspace.manifest}) · environments: {envs}{lock}\n")
    if report.inventory.blocked:
        out.write(f"!! {report.inventory.blocked}\n")
    out.write("\n")
    if not report.hosts:
        out.write("This workspace names no remote channel or index.\n")
    for host in report.hosts:
        row = host.row
        if row is None and host.pypi_credential:
            # from uv's own chain (each index's, below, when they differ)
            credential = host.pypi_credential if len(host.indexes) == 1 else "uv: per index, below"
        elif row is None:
            credential = "no credential"
        else:
            credential = f"{row.key} · {KIND_LABELS[row.entry.credential.kind]} · {row.store.name}"
        out.write(f"{host.host:<32} {host.verdict.upper():<13} {credential}\n")
        for need in host.needs[:4]:
            via = f" → {need.requested}" if need.mirror else ""
            out.write(f"    {need.what}: {need.url}{via}  ({need.source})\n")
        if len(host.needs) > 4:
            out.write(f"    … and {plural(len(host.needs) - 4, 'more URL', 'more URLs')}\n")
        for index in host.indexes if len(host.indexes) > 1 or host.pypi_credential else ():
            # uv resolves each index URL on its own: say what each gets
            winner = index.pypi.winner
            got = index.credential or (
                f"user name {winner.username} alone" if index.pypi.sends_user_only and winner else "nothing"
            )
            out.write(f"    uv → {index.url}: {index.verdict} · {got}\n")
        if host.last is not None:
            out.write(f"    last test: {host.last.verdict.value} — {host.last.message}\n")
        if host.ci_token is not None:
            out.write(f"    CI sign-in, as pixi does it: {host.ci_token.outcome} — {host.ci_token.message}\n")
        if host.anonymous is not None and host.anonymous.status is not None:
            out.write(f"    without a credential: HTTP {host.anonymous.status}\n")
        elif host.anonymous is not None and host.anonymous.message == PLAIN_HTTP_TOKEN:
            out.write(f"    {PLAIN_HTTP_TOKEN}\n")
        elif host.anonymous is not None and host.anonymous.failed:
            out.write(f"    without a credential: {host.anonymous.message}\n")
    if report.findings:
        out.write("\n")
    for finding in report.findings:
        mark = f" [{finding.fails.value}]" if finding.fails else ""
        out.write(f"[{finding.severity.value.upper():<7}]{mark} {finding.title}\n          {finding.explanation}\n")
    counts = report.summary()
    out.write(
        f"\n{plural(len(report.hosts), 'host')}: {counts['missing']} missing, {counts['rejected']} rejected · "
        f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, "
        f"{plural(counts['info'], 'note')}\n"
    )
