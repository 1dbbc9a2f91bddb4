"""Workspace check: which hosts a pixi workspace needs, and will pixi authenticate to each?

Every URL the workspace makes pixi fetch (channels, PyPI indexes, find-links, pixi.lock) goes
through pixi's mirrors, is grouped by the host rattler keys credentials on, and is resolved with
the same lookup as `resolve` (pixi_auth_tui.engine.inventory). The findings are pixi_auth_tui.workspace.findings'; the
network is touched only by pixi_auth_tui.workspace.probe (`check --test`). No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pixi_auth_tui.audit.findings import SEVERITY_ORDER, Severity
from pixi_auth_tui.ci.detect import CiContext, detect_ci, is_prefix_dev_url
from pixi_auth_tui.core.hostkeys import parse_url
from pixi_auth_tui.core.urlmask import mask_url, secret_beyond_user_name
from pixi_auth_tui.engine.inventory import (
    Inventory,
    PreparedRequest,
    Resolution,
    load_inventory,
)
from pixi_auth_tui.engine.inventory_json import credential_ref
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.system.manifest import (
    DEFAULT_PYPI_INDEX,
    Workspace,
    apply_mirror,
    channel_url,
    load_workspace,
    strip_userinfo,
)
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.workspace.findings import (
    host_findings,
    index_verdict,
    login_key,
    unused_findings,
    verdict_of,
    workspace_findings,
)
from pixi_auth_tui.workspace.model import (
    AnonymousResult,
    CheckFinding,
    CheckReport,
    HostCheck,
    IndexCheck,
    Need,
    is_pypi_need,
)
from pixi_auth_tui.workspace.probe import ProbePlan, load_anonymous, probe_hosts

if TYPE_CHECKING:
    from pixi_auth_tui.engine.pypi_chain import UvSide
    from pixi_auth_tui.probe.ci_sign_in import SignInTest

__all__ = ["CheckReport", "ProbePlan", "build_report", "collect_needs", "report_json", "run_check"]


# -- collecting what the workspace fetches ----------------------------------------------------


def collect_needs(workspace: Workspace) -> list[Need]:
    label = str(workspace.root)
    mirrors = workspace.config.mirrors
    prefix = "tool.pixi." if workspace.manifest.name == "pyproject.toml" else ""
    raw: list[tuple[str, str, str, tuple[str, ...]]] = []  # (url, what, source, environments)
    as_written: dict[str, str] = {}  # an index URL with its slash → as the manifest writes it (uv's form)
    for name, feature in workspace.features.items():
        section = f"[{prefix}feature.{name}]" if name != "default" else f"[{prefix}workspace]"
        envs = tuple(workspace.environments_of(name))
        for channel in feature.channels:
            url = channel_url(channel)
            if url is not None:
                raw.append((url, "conda channel", f"{section} channels", envs))
        pypi = feature.pypi
        for index in (pypi.index_url, *pypi.extra_index_urls):
            if index:
                as_written[_slash(index)] = index
        if pypi.index_url:
            raw.append((_slash(pypi.index_url), "PyPI index", f"{section} pypi-options.index-url", envs))
        elif name == "default" and _uses_pypi(workspace):
            raw.append((DEFAULT_PYPI_INDEX, "PyPI index", "uv's default index (no index-url set)", envs))
        for extra in pypi.extra_index_urls:
            raw.append((_slash(extra), "PyPI extra index", f"{section} pypi-options.extra-index-urls", envs))
        for link in pypi.find_links:
            raw.append((link, "find-links", f"{section} pypi-options.find-links", envs))
    for channel in workspace.build_channels:
        url = channel_url(channel)
        if url is not None:
            raw.append((url, "build backend channel", f"[{prefix}package.build] channels", ()))
    if workspace.lock is not None:
        for locked in workspace.lock.urls:
            what = "pixi.lock channel" if locked.what == "channel" else f"pixi.lock {locked.what}"
            url = _slash(locked.url) if locked.what == "channel" else locked.url
            raw.append((url, what, f"pixi.lock environment {locked.environment}", (locked.environment,)))
    needs: list[Need] = []
    seen: set[tuple[str, str, str]] = set()
    for url, what, source, envs in raw:
        if (url, what, source) in seen:
            continue
        seen.add((url, what, source))
        requested, mirror = apply_mirror(url, mirrors)
        shown, secret_in_url = mask_url(url)
        # A bare `user@` (Google Artifact Registry's `oauth2accesstoken@`) names a user, no secret:
        # masked when shown, but no "secret in a URL" finding for it.
        secret_in_url = secret_in_url and secret_beyond_user_name(url)
        shown_requested, _ = mask_url(requested)
        needs.append(
            Need(
                shown,
                shown_requested,
                what,
                source,
                label,
                envs,
                mirror,
                secret_in_url,
                requested,
                # uv asks the keyring for the index URL as written (unless a mirror moved it)
                as_written.get(url, url) if mirror is None else requested,
            )
        )
    return needs


def _uses_pypi(workspace: Workspace) -> bool:
    return any(f.has_pypi_dependencies for f in workspace.features.values())


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def lookup_host(url: str) -> str | None:
    """The host rattler keys on; for s3:// the bucket URL (its keys are URL prefixes). Read by
    the WHATWG parse alone, as rattler reads it: a URL Python's parser refuses (a `[` in the
    user info) still has the host rattler finds."""
    parsed = parse_url(url)
    if parsed is None or not parsed.host:
        return None
    if parsed.scheme == "s3":
        return f"s3://{parsed.host}"
    return parsed.host


# -- the inventory pixi would use inside the workspace ----------------------------------------


def workspace_inventory(environment: Environment, workspace: Workspace | None) -> Inventory:
    """The stores pixi reads inside `workspace`: the inventory itself reads the workspace's
    `.pixi/config.toml` (merged last: its authentication-override-file applies), exactly as
    every other read does, never a second opinion."""
    root = workspace.root if workspace is not None else None
    return load_inventory(environment._replace(workspace=root))


# -- the check ---------------------------------------------------------------------------------


def load_workspaces(paths: list[Path], environment: Environment) -> list[Workspace]:
    """Each path's workspace (raises NotAWorkspace); the same workspace named twice counts once."""
    workspaces: list[Workspace] = []
    for path in paths:
        workspace = load_workspace(path, environment.env, environment.home)
        if all(w.manifest != workspace.manifest for w in workspaces):
            workspaces.append(workspace)
    return workspaces


def build_report(
    workspaces: list[Workspace],
    inventory: Inventory,
    state: ProbeState,
    anonymous: dict[str, AnonymousResult] | None = None,
    environment: Environment | None = None,
    ci_tokens: dict[str, SignInTest] | None = None,
) -> CheckReport:
    """With `environment`, PyPI hosts are also resolved through uv's own chain (netrc as uv
    reads it, its credentials.toml, the keyring command), as pixi's uv sends them."""
    hosts: dict[str, HostCheck] = {}
    findings: list[CheckFinding] = []
    anonymous = anonymous if anonymous is not None else load_anonymous(state)
    for workspace in workspaces:
        findings.extend(workspace_findings(workspace, inventory))
        for need in collect_needs(workspace):
            host = lookup_host(need.raw_requested)
            if host is None:
                findings.append(
                    CheckFinding(
                        "bad-url",
                        Severity.WARNING,
                        f"Not a URL pixi can fetch: {need.url}",
                        f"{need.source} names {need.url!r}, which has no host.",
                        workspace=need.workspace,
                    )
                )
                continue
            check = hosts.setdefault(host, HostCheck(host))
            check.needs.append(need)
            if check.is_s3 and check.s3_option is None:
                check.s3_option = workspace.s3_option(host[len("s3://") :])
    sides: dict[str, UvSide] = {}
    ci = detect_ci(inventory.env)
    ci_tokens = ci_tokens or {}
    providers = {str(w.root): w.config.keyring_provider for w in workspaces}
    for check in hosts.values():
        check.resolution = _resolve(inventory, check.needs[0].raw_requested)
        if environment is not None:
            for uv_url, needs in index_groups(check.needs):
                from pixi_auth_tui.engine.pypi_chain import UvSide, resolve_pypi  # (a PyPI index: uv's chain)

                provider = providers.get(needs[0].workspace) or "disabled"
                if provider not in sides:
                    sides[provider] = UvSide.load(environment.env, environment.home, provider)
                pypi = resolve_pypi(inventory, uv_url, sides[provider])
                shown = needs[0].url
                # one URL under two user names: two indexes to uv, masked alike (a user name may be a token)
                twins = sum(index.url.split(" (")[0] == shown for index in check.indexes)
                check.indexes.append(IndexCheck(f"{shown} ({twins + 1})" if twins else shown, uv_url, needs, pypi))
        row = check.row
        if row is not None:
            check.last = state.result_for(row.store.id, row.key, row.entry.credential)
        check.ci_sign_in = ci_sign_in(check, ci)
        check.ci_token = ci_tokens.get(check.host) if check.ci_sign_in else None
        check.anonymous = anonymous.get(check.host)
        for index in check.indexes:
            index.anonymous = anonymous.get(index.anonymous_key) or check.anonymous
        check.findings = host_findings(check, inventory, workspaces)
        check.verdict = verdict_of(check, inventory)
        for index in check.indexes:
            index.verdict = index_verdict(check, index)
        findings.extend(check.findings)
    if len(workspaces) > 1:
        findings.extend(unused_findings(inventory, hosts.values()))
    ordered = sorted(hosts.values(), key=lambda h: (_verdict_rank(h), h.host))
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.host or "", f.code))
    return CheckReport(workspaces, ordered, findings, inventory)


def index_groups(needs: list[Need]) -> list[tuple[str, list[Need]]]:
    """A host's PyPI URLs by the index uv resolves them as: one group per index URL (index-url,
    extra-index-urls, find-links, as uv gets it); a locked file joins the index it lies under,
    else the host's first index (uv reuses what it learnt for the host), else the first locked URL."""
    groups: dict[str, list[Need]] = {}
    locked = [n for n in needs if is_pypi_need(n) and n.what.startswith("pixi.lock")]
    for need in needs:
        if is_pypi_need(need) and not need.what.startswith("pixi.lock"):
            groups.setdefault(need.uv_url or need.raw_requested, []).append(need)
    for need in locked:
        from pixi_auth_tui.engine.pypi_chain import workspace_index  # (a locked PyPI file: uv's chain)

        match = workspace_index(need.raw_requested, list(groups))
        if match is not None:
            groups[match.index_url].append(need)
        else:
            groups.setdefault(next(iter(groups), need.uv_url or need.raw_requested), []).append(need)
    return list(groups.items())


def ci_sign_in(check: HostCheck, ci: CiContext) -> str | None:
    """On a runner, for a host pixi sends no credential to whose conda URLs are on prefix.dev:
    whether pixi's CI sign-in answers its challenge (ci.detect); None where it does not apply."""
    if not ci.on_ci or check.row is not None or check.resolution is None or check.resolution.userinfo:
        return None
    conda = [n for n in check.needs if not is_pypi_need(n)]
    if not conda or not all(is_prefix_dev_url(n.raw_requested) for n in conda):
        return None
    return ci.oidc if ci.oidc in ("yes", "unknown") else "no"


def _resolve(inventory: Inventory, url: str) -> Resolution:
    """`resolve`, except that a URL's own `user:password@` wins: rattler then asks no store."""
    clean, had_userinfo = strip_userinfo(url)
    resolution = inventory.resolve(clean)
    if had_userinfo:
        note = "credentials written into the URL itself: sent as HTTP basic, no store consulted"
        return Resolution(resolution.url, resolution.candidates, None, PreparedRequest("GET", clean, {}, note))
    return resolution


def _verdict_rank(check: HostCheck) -> int:
    worst = min((SEVERITY_ORDER[f.severity] for f in check.findings), default=3)
    return worst


def run_check(
    paths: list[Path],
    environment: Environment,
    state: ProbeState | None = None,
    test: ProbePlan | None = None,
    on_secret: Callable[[str], None] | None = None,
) -> CheckReport:
    """Read, resolve and (with `test`) test: the whole check, blocking (call from a worker).
    `on_secret` gets each secret the test obtains (the CI's ID token, a minted token) the moment
    it arrives, before anything could print it: the CLI masks them on GitHub Actions."""
    workspaces = load_workspaces(paths, environment)
    inventory = workspace_inventory(environment, workspaces[0] if len(workspaces) == 1 else None)
    state = state or ProbeState.default(environment.env)
    report = build_report(workspaces, inventory, state, environment=environment)
    if test is not None:
        import asyncio  # (only to ask the hosts: a check that asks nobody runs no event loop)

        anonymous = asyncio.run(probe_hosts(report, state, test))
        # Read the stores again: the test refreshes an OAuth entry before sending it, as pixi
        # would, and its result belongs to the credential now stored, not the one read before.
        inventory = workspace_inventory(environment, workspaces[0] if len(workspaces) == 1 else None)
        tokens: dict[str, SignInTest] = {}
        signing = {h.host: h.probe_url() for h in report.hosts if h.ci_sign_in in ("yes", "unknown")}
        urls = {host: url for host, url in signing.items() if url is not None}
        if urls:
            from pixi_auth_tui.ci.oidc import IdTokenAnswer, request_id_token
            from pixi_auth_tui.probe.ci_sign_in import sign_in_all

            env = inventory.env
            ci = detect_ci(env)

            # Signed in as pixi does: the challenge, the CI's ID token (asked once: the job's
            # permission is the same for every host), the mint, the request with the token.
            def ask() -> IdTokenAnswer:
                return request_id_token(ci, env, test.timeout, on_secret)

            tokens = asyncio.run(sign_in_all(urls, ask, env, test.timeout, on_secret))
        report = build_report(workspaces, inventory, state, anonymous, environment, tokens)
    if len(workspaces) > 1:
        for workspace in workspaces:
            source = workspace.config.override_source
            if source is not None and source.parent.parent == workspace.root:
                report.findings.append(
                    CheckFinding(
                        "config-problem",
                        Severity.INFO,
                        "This workspace's own override file was not applied",
                        f"{source} sets authentication-override-file, which only this workspace uses; checked "
                        "together with others, hosts were resolved with the global stores. Check it alone.",
                        workspace=str(workspace.root),
                    )
                )
    return report


# -- output ---------------------------------------------------------------------------------------


def host_json(check: HostCheck) -> dict[str, Any]:
    row = check.row
    return {
        "host": check.host,
        "verdict": check.verdict,
        "kinds": check.kinds,
        "credential": None if row is None else credential_ref(row),
        "request": _request_json(check),
        # (an s3:// URL's keys are the URL itself, shortened: user info written into it shows)
        "keys_tried": [mask_url(key)[0] for key in check.resolution.candidates] if check.resolution else [],
        "login_key": login_key(check.host),
        "last_test": None if check.last is None else check.last.to_json(),
        "anonymous": None if check.anonymous is None else check.anonymous.to_json(),
        "urls": [
            {
                "url": n.url,
                "requested": n.requested,
                "mirror": mask_url(n.mirror)[0] if n.mirror else None,
                "what": n.what,
                "source": n.source,
                "workspace": n.workspace,
                "environments": list(n.environments),
            }
            for n in check.needs
        ],
        "findings": [f.id for f in check.findings],
        # the first index's chain, as before indexes were told apart; "indexes" has each one's
        "pypi": None if check.pypi is None else check.pypi.to_json(),
        "indexes": [index_json(index) for index in check.indexes],
        "ci_sign_in": check.ci_sign_in,
        "ci_id_token": None
        if check.ci_token is None
        else {"obtained": check.ci_token.id_token, "message": check.ci_token.message},
        "ci_sign_in_test": None if check.ci_token is None else check.ci_token.to_json(),
    }


def index_json(index: IndexCheck) -> dict[str, Any]:
    return {
        "url": index.url,
        "verdict": index.verdict,
        "kinds": sorted({n.what for n in index.needs}),
        "sources": sorted({n.source for n in index.needs}),
        "environments": sorted({e for n in index.needs for e in n.environments}),
        "pypi": index.pypi.to_json(),
        "anonymous": None if index.anonymous is None else index.anonymous.to_json(),
    }


def _request_json(check: HostCheck) -> dict[str, Any] | None:
    request = check.resolution.request if check.resolution else None
    if request is None:
        return None
    return {**request._asdict(), "url": mask_url(request.url)[0]}


def report_json(report: CheckReport) -> dict[str, Any]:
    ci = detect_ci(report.inventory.env)
    return {
        "ci": None if not ci.on_ci else {"provider": ci.provider, "oidc": ci.oidc, "detail": ci.detail},
        "summary": report.summary(),
        "blocked": report.inventory.blocked,
        "workspaces": [
            {
                "root": str(w.root),
                "manifest": str(w.manifest),
                "name": w.name,
                "environments": w.environments,
                "config_files": [str(p) for p in w.config.files],
                "lock": None
                if w.lock is None
                else {"path": str(w.lock.path), "read": w.lock.problem is None, "problem": w.lock.problem},
            }
            for w in report.workspaces
        ],
        "hosts": [host_json(h) for h in report.hosts],
        "findings": [f.to_json() for f in report.findings],
    }
