"""`check`'s report as CI readers take it: GitHub workflow-command annotations
(`::error file=pixi.toml,line=3,title=…::…`, shown on the run and the pull request) and a
Markdown table for `$GITHUB_STEP_SUMMARY` (GitLab and others render Markdown too)."""

from __future__ import annotations

from pathlib import Path

from pixi_auth_tui.audit.findings import Severity
from pixi_auth_tui.workspace.model import CheckFinding, CheckReport, HostCheck

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    # The runner unescapes %25, %0D and %0A in a command's message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    # … and also %3A and %2C in its properties, where `:` and `,` separate.
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _line_of(manifest: Path, needles: list[str]) -> int | None:
    """The first line of the manifest naming the host (or a channel it came from)."""
    try:
        lines = manifest.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for needle in needles:
        for number, line in enumerate(lines, 1):
            if needle and needle in line:
                return number
    return None


def _where(finding: CheckFinding, report: CheckReport) -> tuple[Path | None, int | None]:
    workspace = next((w for w in report.workspaces if str(w.root) == finding.workspace), None)
    if workspace is None:
        workspace = report.workspaces[0] if len(report.workspaces) == 1 else None
    if workspace is None:
        return None, None
    host = next((h for h in report.hosts if h.host == finding.host), None) if finding.host else None
    needles: list[str] = []
    if host is not None:
        needles = [host.host, *(n.url.rstrip("/").rsplit("/", 1)[-1] for n in host.needs)]
    return workspace.manifest, _line_of(workspace.manifest, needles) if needles else None


def github_annotations(report: CheckReport, cwd: Path) -> list[str]:
    """One workflow command per finding; file paths relative to the checkout when inside it."""
    out: list[str] = []
    for finding in report.findings:
        manifest, line = _where(finding, report)
        props = []
        if manifest is not None:
            try:
                shown = manifest.resolve().relative_to(cwd.resolve())
            except ValueError:
                shown = manifest
            props.append(f"file={_property(str(shown))}")
            if line is not None:
                props.append(f"line={line}")
        props.append(f"title={_property(finding.title)}")
        out.append(f"::{LEVEL[finding.severity]} {','.join(props)}::{_data(finding.explanation)}")
    return out


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _credential(host: HostCheck) -> str:
    row = host.row
    if row is not None:
        return f"`{_cell(row.key)}` · {_cell(row.entry.credential.kind)} · {_cell(row.store.name)}"
    if host.pypi_credential:
        return _cell(host.pypi_credential)
    if host.verdict == "ci sign-in":
        return "the CI's OIDC identity"
    return "none"


def step_summary(report: CheckReport, exit_code: int) -> str:
    """The report as Markdown: one row per host, then the findings."""
    names = ", ".join(_cell(w.name) for w in report.workspaces)
    counts = report.summary()
    verdict = "passed" if exit_code == 0 else f"failed (exit {exit_code})"
    lines = [
        f"### pixi-auth-tui check: {names} — {verdict}",
        "",
        f"{len(report.hosts)} hosts · {counts['missing']} missing · {counts['rejected']} rejected · "
        f"{counts['error']} errors · {counts['warning']} warnings",
        "",
        "| host | verdict | credential pixi sends |",
        "|---|---|---|",
    ]
    for host in report.hosts:
        lines.append(f"| `{_cell(host.host)}` | {_cell(host.verdict)} | {_credential(host)} |")
    if report.findings:
        lines += ["", "| severity | finding | |", "|---|---|---|"]
        for finding in report.findings:
            lines.append(f"| {finding.severity.value} | {_cell(finding.title)} | {_cell(finding.explanation)} |")
    return "\n".join(lines) + "\n"
