"""Workspace check: which hosts a pixi workspace needs, and will pixi authenticate to each?

Every URL the workspace makes pixi fetch (channels, PyPI indexes, find-links, pixi.lock) goes
through pixi's mirrors, is grouped by the host rattler keys credentials on, and is resolved with
the same lookup as `resolve` (app.inventory). Findings say what will fail and what is risky.
No Textual here; the network is touched only by `probe_hosts`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pixi_auth_tui.audit import SEVERITY_ORDER, Severity
from pixi_auth_tui.hostkeys import host_of
from pixi_auth_tui.inventory import (
    OVERRIDE,
    Inventory,
    PreparedRequest,
    Resolution,
    Row,
    Status,
    discover_stores,
    inventory_from,
    load_inventory,
)
from pixi_auth_tui.model import S3Credentials, public_identity
from pixi_auth_tui.paths import Environment
from pixi_auth_tui.probe_state import FAILING, ProbeResult, ProbeState, Verdict, result_key
from pixi_auth_tui.stores.jsonfile import JsonFileStore
from pixi_auth_tui.workspace_read import (
    DEFAULT_PYPI_INDEX,
    S3Option,
    Workspace,
    apply_mirror,
    channel_url,
    load_workspace,
    strip_userinfo,
)

# URLs anyone may read: no credential is needed, and a credential sent there is wasted exposure.
KNOWN_PUBLIC = (
    "https://pypi.org/",
    "https://files.pythonhosted.org/",
    "https://conda.anaconda.org/conda-forge/",
    "https://conda.anaconda.org/bioconda/",
    "https://repo.prefix.dev/conda-forge/",
)
PROBE_CONCURRENCY = 16  # hosts asked at once by --test (two requests each, three with a credential)
CONDA_TOKEN_IN_PATH = re.compile(r"/t/([^/]+)/")


class Fails(StrEnum):
    """What a finding means for `pixi install`, for `check --fail-on`."""

    MISSING = "missing"  # a host needs a credential pixi will not send
    REJECTED = "rejected"  # pixi sends a credential the server refuses


@dataclass(frozen=True)
class Need:
    """One URL the workspace makes pixi fetch (secrets in it already masked)."""

    url: str  # as the workspace names it
    requested: str  # after pixi's mirrors: what is really fetched
    what: str  # conda channel, PyPI index, PyPI extra index, find-links, pixi.lock …
    source: str  # where it is written
    workspace: str
    environments: tuple[str, ...] = ()
    mirror: str | None = None  # the mirror key that rewrote it
    url_has_secret: bool = False  # user:password@ or /t/<token>/ in the manifest itself
    raw_requested: str = ""  # unmasked, for resolution and probes only: never printed


@dataclass
class CheckFinding:
    code: str
    severity: Severity
    title: str
    explanation: str
    host: str | None = None
    key: str | None = None
    store_id: str | None = None
    workspace: str | None = None
    fails: Fails | None = None

    @property
    def id(self) -> str:
        return ":".join(part for part in (self.code, self.host or self.workspace or "", self.key or "") if part)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "severity": self.severity.value,
            "fails": self.fails.value if self.fails else None,
            "title": self.title,
            "explanation": self.explanation,
            "host": self.host,
            "key": self.key,
            "store": self.store_id,
            "workspace": self.workspace,
        }


@dataclass
class AnonymousResult:
    url: str
    status: int | None
    message: str
    tested_at: float

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "status": self.status, "message": self.message, "tested_at": self.tested_at}


@dataclass
class HostCheck:
    host: str  # the key rattler looks up from (a host, or s3://bucket)
    needs: list[Need] = field(default_factory=list)
    resolution: Resolution | None = None
    s3_option: S3Option | None = None
    last: ProbeResult | None = None
    anonymous: AnonymousResult | None = None
    verdict: str = ""
    findings: list[CheckFinding] = field(default_factory=list)

    @property
    def row(self) -> Row | None:
        return self.resolution.row if self.resolution else None

    @property
    def kinds(self) -> list[str]:
        return sorted({n.what for n in self.needs})

    @property
    def is_s3(self) -> bool:
        return self.host.startswith("s3://")

    @property
    def is_pypi(self) -> bool:
        return any(n.what.startswith(("PyPI", "find-links")) or n.what == "pixi.lock pypi package" for n in self.needs)

    @property
    def known_public(self) -> bool:
        return all(n.requested.startswith(KNOWN_PUBLIC) for n in self.needs)

    def probe_url(self) -> str | None:
        """A URL that shows whether the host lets a request in: repodata for a channel, the
        index page for PyPI, else the first locked file; S3 through its endpoint."""
        best: str | None = None
        for need in sorted(self.needs, key=lambda n: n.what.startswith("pixi.lock")):
            if need.what.endswith("channel"):
                best = need.raw_requested + "noarch/repodata.json"
                break
            best = best or need.raw_requested
        if best and self.is_s3:
            return s3_http_url(best, self.s3_option)
        return best


@dataclass
class CheckReport:
    workspaces: list[Workspace]
    hosts: list[HostCheck]
    findings: list[CheckFinding]
    inventory: Inventory

    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        counts["missing"] = sum(f.fails is Fails.MISSING for f in self.findings)
        counts["rejected"] = sum(f.fails is Fails.REJECTED for f in self.findings)
        return counts


def mask_url(url: str) -> tuple[str, bool]:
    """A URL fit to print: no `user:password@`, a `/t/<token>/` masked. Also: did it hold one?"""
    clean, had_userinfo = strip_userinfo(url)
    masked, count = CONDA_TOKEN_IN_PATH.subn("/t/•••/", clean)
    return masked, had_userinfo or count > 0


def s3_http_url(url: str, option: S3Option | None) -> str | None:
    """`s3://bucket/key` → the endpoint URL rattler's S3 middleware asks (path or virtual style)."""
    if option is None:
        return None
    parts = urlsplit(url)
    bucket, key = parts.hostname or "", parts.path.lstrip("/")
    endpoint = urlsplit(option.endpoint_url)
    if option.force_path_style:
        return f"{option.endpoint_url.rstrip('/')}/{bucket}/{key}"
    return f"{endpoint.scheme}://{bucket}.{endpoint.netloc}/{key}"


# -- collecting what the workspace fetches ----------------------------------------------------


def collect_needs(workspace: Workspace) -> list[Need]:
    label = str(workspace.root)
    mirrors = workspace.config.mirrors
    prefix = "tool.pixi." if workspace.manifest.name == "pyproject.toml" else ""
    raw: list[tuple[str, str, str, tuple[str, ...]]] = []  # (url, what, source, environments)
    for name, feature in workspace.features.items():
        section = f"[{prefix}feature.{name}]" if name != "default" else f"[{prefix}workspace]"
        envs = tuple(workspace.environments_of(name))
        for channel in feature.channels:
            url = channel_url(channel)
            if url is not None:
                raw.append((url, "conda channel", f"{section} channels", envs))
        pypi = feature.pypi
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
            )
        )
    return needs


def _uses_pypi(workspace: Workspace) -> bool:
    return any(f.has_pypi_dependencies for f in workspace.features.values())


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def lookup_host(url: str) -> str | None:
    """The host rattler keys on; for s3:// the bucket URL (its keys are URL prefixes)."""
    host = host_of(url)
    if host is None:
        return None
    if urlsplit(url).scheme.lower() == "s3":
        return f"s3://{host}"
    return host


# -- the inventory pixi would use inside the workspace ----------------------------------------


def workspace_inventory(environment: Environment, workspace: Workspace | None) -> Inventory:
    """The stores pixi reads inside `workspace`: as load_inventory, but the workspace's
    `.pixi/config.toml` may set its own authentication-override-file (it is merged last)."""
    if "workspace" in {f.name for f in dataclasses.fields(Environment)}:
        # Once app.paths.Environment carries the workspace (issue 11), the inventory itself
        # reads the workspace's config: use exactly that, never a second opinion.
        root = workspace.root if workspace is not None else None
        return load_inventory(dataclasses.replace(environment, workspace=root))  # type: ignore[call-arg]
    found = discover_stores(environment)
    config = workspace.config if workspace else None
    stores = found.stores
    if config is not None and config.override_file is not None and config.override_file != found.override.path:
        store = JsonFileStore(OVERRIDE, "override file", config.override_file)
        existing = next((i for i, s in enumerate(stores) if s.id == OVERRIDE), None)
        if existing is not None:
            stores[existing] = store
        else:
            # Where discover_stores places the override file: right after RATTLER_AUTH_FILE, if any.
            position = 1 if stores and stores[0].id == "auth-file" else 0
            stores.insert(position, store)
        found.override.path = config.override_file
        found.override.source = config.override_source
    found.override.tls_no_verify = found.override.tls_no_verify or bool(config and config.tls_no_verify)
    inventory = inventory_from(stores, found.override)
    inventory.env = dict(environment.env)
    return inventory


# -- the check ---------------------------------------------------------------------------------


def anonymous_state_path(state: ProbeState) -> Path:
    return state.path.parent / "anonymous.json"


def load_anonymous(state: ProbeState) -> dict[str, AnonymousResult]:
    try:
        data = json.loads(anonymous_state_path(state).read_text(encoding="utf-8"))
        return {str(host): AnonymousResult(**value) for host, value in data.items()}
    except (OSError, ValueError, TypeError):
        return {}


def save_anonymous(state: ProbeState, results: dict[str, AnonymousResult]) -> None:
    from pixi_auth_tui.stores.jsonfile import atomic_write

    data = {host: result.to_json() for host, result in results.items()}
    atomic_write(anonymous_state_path(state), json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


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
) -> CheckReport:
    hosts: dict[str, HostCheck] = {}
    findings: list[CheckFinding] = []
    anonymous = anonymous if anonymous is not None else load_anonymous(state)
    for workspace in workspaces:
        findings.extend(_workspace_findings(workspace, inventory))
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
    for check in hosts.values():
        check.resolution = _resolve(inventory, check.needs[0].raw_requested)
        row = check.row
        if row is not None:
            check.last = state.results.get(result_key(row.store.id, row.key))
        check.anonymous = anonymous.get(check.host)
        check.findings = _host_findings(check, inventory, workspaces)
        check.verdict = _verdict(check, inventory)
        findings.extend(check.findings)
    if len(workspaces) > 1:
        findings.extend(_unused(inventory, hosts.values()))
    ordered = sorted(hosts.values(), key=lambda h: (_verdict_rank(h), h.host))
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.host or "", f.code))
    return CheckReport(workspaces, ordered, findings, inventory)


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


def _verdict(check: HostCheck, inventory: Inventory) -> str:
    """One word for the host: what will happen when pixi fetches from it."""
    if inventory.blocked and not check.is_pypi:
        return "blocked"  # pixi cannot build its HTTP client without the store: every conda fetch fails
    if any(f.fails is Fails.MISSING for f in check.findings):
        return "missing"
    if any(f.fails is Fails.REJECTED for f in check.findings):
        return "rejected"
    if check.row is not None:
        return check.last.verdict.value if check.last else "untested"
    if check.known_public:
        return "public"
    if check.anonymous is not None and check.anonymous.status is not None and 200 <= check.anonymous.status < 300:
        return "public"
    return "no credential"


def _workspace_findings(workspace: Workspace, inventory: Inventory) -> list[CheckFinding]:
    label = str(workspace.root)
    out: list[CheckFinding] = []
    for problem in workspace.problems:
        out.append(
            CheckFinding(
                "manifest-problem",
                Severity.WARNING,
                "Manifest content not understood",
                f"{problem} — pixi may refuse this manifest; the check skipped it.",
                workspace=label,
            )
        )
    for problem in workspace.config.problems:
        out.append(CheckFinding("config-problem", Severity.WARNING, "pixi config not understood", problem, None))
        out[-1].workspace = label
    lock = workspace.lock
    if lock is not None and lock.problem:
        out.append(
            CheckFinding(
                "lock-unread",
                Severity.INFO,
                "pixi.lock was not read",
                f"{lock.problem}. Only the manifest's channels and indexes were checked.",
                workspace=label,
            )
        )
    config = workspace.config
    if config.tls_no_verify:
        out.append(
            CheckFinding(
                "tls-no-verify",
                Severity.WARNING,
                "pixi does not verify TLS certificates here",
                "tls-no-verify is set in pixi's config, so pixi sends every credential below to whoever answers "
                "for the host, unverified. The test in this tool still verifies.",
                workspace=label,
            )
        )
    declared = {f.pypi.index_url for f in workspace.features.values()} | {
        u for f in workspace.features.values() for u in f.pypi.extra_index_urls
    }
    unused = [u for u in [config.pypi_index_url, *config.pypi_extra_index_urls] if u and u not in declared]
    if unused:
        shown = ", ".join(mask_url(u)[0] for u in unused)
        out.append(
            CheckFinding(
                "pypi-config-unused",
                Severity.INFO,
                "pypi-config index URLs are not used by pixi install",
                f"pixi's config names {shown}, but pixi only writes pypi-config's index URLs into new "
                "manifests (pixi init); install uses the manifest's pypi-options.",
                workspace=label,
            )
        )
    if inventory.blocked:
        out.append(
            CheckFinding(
                "store-blocked",
                Severity.ERROR,
                "pixi cannot load its credential store",
                f"{inventory.blocked}. Conda downloads fail outright; PyPI requests (uv) go out without any "
                "credential.",
                workspace=label,
                fails=Fails.MISSING,
            )
        )
    return out


def _tested_public(check: HostCheck) -> bool:
    anonymous = check.anonymous
    return anonymous is not None and anonymous.status is not None and 200 <= anonymous.status < 300


def _host_findings(check: HostCheck, inventory: Inventory, workspaces: list[Workspace]) -> list[CheckFinding]:
    out: list[CheckFinding] = []
    row = check.row
    host = check.host
    first = check.needs[0]
    workspace = first.workspace

    def add(code: str, severity: Severity, title: str, explanation: str, fails: Fails | None = None) -> None:
        out.append(
            CheckFinding(
                code,
                severity,
                title,
                explanation,
                host=host,
                key=row.key if row else None,
                store_id=row.store.id if row else None,
                workspace=workspace,
                fails=fails,
            )
        )

    refused = check.anonymous is not None and check.anonymous.status in (401, 403)
    if row is None and refused and not any(n.url_has_secret for n in check.needs):
        assert check.anonymous is not None
        tried = ", ".join(check.resolution.candidates if check.resolution else [])
        answer = f"{check.anonymous.url} answered HTTP {check.anonymous.status} without a credential"
        if check.is_s3 and aws_chain_configured(inventory.env):
            # With s3-options and no stored key, rattler falls back to the AWS SDK's default chain.
            add(
                "missing-credential",
                Severity.WARNING,
                f"{host} refuses anonymous access; pixi will rely on the AWS default credentials",
                f"{answer}. No S3 key is stored (keys tried: {tried}), so rattler uses the AWS SDK's default "
                "chain (AWS_* variables or ~/.aws), which is configured here but not checked by this tool.",
            )
        else:
            add(
                "missing-credential",
                Severity.ERROR,
                f"{host} refuses anonymous access and no credential is stored for it",
                f"{answer}, and pixi has none to send (keys tried: {tried}). "
                "Add one under the key `pixi auth login` would use.",
                Fails.MISSING,
            )
    if row is not None and check.last is not None and check.last.verdict in FAILING:
        add(
            "rejected",
            Severity.ERROR,
            f"The server rejects the credential pixi sends to {host}",
            f"{row.key} in {row.store.name}: {check.last.message} (tested {_ago(check.last.tested_at)}).",
            Fails.REJECTED,
        )
    if row is not None and check.last is None and not check.is_s3:
        add(
            "untested",
            Severity.INFO,
            f"The credential for {host} was never tested",
            f"pixi sends {row.key} from {row.store.name}; run `check --test` to know whether the server accepts it.",
        )
    # S3: rattler uses the stored keys only for buckets with s3-options.
    if check.is_s3:
        bucket = host[len("s3://") :]
        if check.s3_option is None:
            add(
                "s3-no-options",
                Severity.WARNING,
                f"No s3-options for bucket {bucket}: pixi ignores stored S3 keys",
                "Without s3-options (endpoint-url, region, force-path-style) for this bucket, rattler uses the "
                "AWS SDK's default credential chain (AWS_* variables, ~/.aws) and never the stored credential.",
            )
        elif row is not None and not isinstance(row.entry.credential, S3Credentials):
            add(
                "s3-wrong-kind",
                Severity.ERROR,
                f"The credential for {bucket} is not an S3 key pair",
                f"{row.key} holds a {row.entry.credential.kind}; rattler's S3 middleware fails with "
                "'unsupported authentication method' for it.",
                Fails.MISSING,
            )
        elif row is None and refused:
            pass  # already reported as missing-credential
    # Mirrors: the credential is looked up for the mirror's host, after the rewrite.
    originals: set[str | None] = set()
    for need in check.needs:
        if need.mirror is None or host_of(need.url) in originals:
            continue  # one lookup per original host: every URL of a host resolves alike
        originals.add(host_of(need.url))
        original = inventory.resolve(strip_userinfo(need.url)[0])
        if original.row is not None and (row is None or row.key != original.row.key):
            sent = f"{row.key} from {row.store.name}" if row else "no credential"
            add(
                "mirror-bypass",
                Severity.WARNING,
                f"A mirror sends {need.url} to {host}, past the credential stored for the original",
                f"pixi's mirrors rewrite {need.url} to {need.requested} before looking up credentials, so "
                f"{original.row.key} is not used; pixi sends {sent} to {host}.",
            )
            break
    # Over-broad wildcards: a secret that reaches more hosts than need it.
    if row is not None and row.key.startswith("*."):
        domain = row.key[2:]
        if "." not in domain:
            add(
                "broad-wildcard",
                Severity.WARNING,
                f"{row.key} sends its secret to every host under .{domain}",
                f"pixi uses {row.key} for {host} because no closer key exists; the same secret goes to any "
                f".{domain} host a workspace names. Store it under {host} instead.",
            )
        elif check.known_public or _tested_public(check):
            add(
                "broad-wildcard",
                Severity.WARNING,
                f"{row.key} sends its secret to {host}, which needs none",
                f"{host} is public, yet the wildcard {row.key} covers it, so pixi sends the secret there. "
                f"Narrow the key to the private hosts.",
            )
    # Plain http: anything sent travels unencrypted.
    plain = [n for n in check.needs if n.requested.startswith("http://")]
    if plain:
        with_secret = row is not None or any(n.url_has_secret for n in plain)
        add(
            "plain-http",
            Severity.WARNING,
            f"{host} is fetched over plain http" + (" with a credential" if with_secret else ""),
            f"{plain[0].requested} ({plain[0].source}) is not encrypted"
            + ("; the credential travels in clear text." if with_secret else "; anyone on the path can alter it."),
        )
    if any(n.url_has_secret for n in check.needs):
        add(
            "url-credentials",
            Severity.WARNING,
            f"A secret is written into a URL for {host}",
            "A `user:password@` or `/t/<token>/` in the manifest or config is sent as is (no store is "
            "consulted) and lives in a file that is usually committed. Store it with `pixi auth login` instead.",
        )
    # PyPI through uv: no credential → uv asks anonymously (or the keyring CLI).
    quiet = check.known_public or _tested_public(check) or refused or any(n.url_has_secret for n in check.needs)
    if check.is_pypi and row is None and not quiet:
        provider = {w.config.keyring_provider for w in workspaces} - {None}
        if "subprocess" in provider:
            severity, how = Severity.INFO, "keyring-provider is 'subprocess', so uv asks the `keyring` CLI"
        else:
            severity, how = Severity.WARNING, "keyring-provider is not set, so nothing else supplies one"
        add(
            "pypi-no-credential",
            severity,
            f"uv reaches the PyPI index {host} without a credential",
            f"pixi passes no stored credential for {host} to uv; {how}. "
            "If the index is private, installs will fail; `check --test` tells.",
        )
    return out


def aws_chain_configured(env: dict[str, str]) -> bool:
    """Whether the AWS SDK's default chain would find credentials of its own (env or ~/.aws)."""
    if any(env.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE")):
        return True
    home = env.get("HOME")
    files = [env.get("AWS_SHARED_CREDENTIALS_FILE"), env.get("AWS_CONFIG_FILE")]
    if home:
        files += [str(Path(home) / ".aws" / "credentials"), str(Path(home) / ".aws" / "config")]
    return any(f and Path(f).is_file() for f in files)


def _unused(inventory: Inventory, hosts: Any) -> list[CheckFinding]:
    used = {h.row.key for h in hosts if h.row is not None}
    out: list[CheckFinding] = []
    for row in inventory.rows:
        if row.status is Status.ACTIVE and row.key not in used:
            out.append(
                CheckFinding(
                    "unused-credential",
                    Severity.INFO,
                    f"No checked workspace uses {row.key}",
                    f"{row.key} in {row.store.name} matches no host these workspaces fetch from.",
                    key=row.key,
                    store_id=row.store.id,
                )
            )
    return out


def _ago(timestamp: float) -> str:
    if not timestamp:
        return "earlier"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))


# -- testing now --------------------------------------------------------------------------------


@dataclass
class ProbePlan:
    allow_http: bool = False
    timeout: float = 15.0
    hosts: frozenset[str] | None = None  # only these hosts (None: every host)


async def probe_hosts(
    report: CheckReport,
    state: ProbeState,
    plan: ProbePlan,
    on_result: Callable[[HostCheck], None] | None = None,
) -> dict[str, AnonymousResult]:
    """Test every host: with the credential pixi sends (the connection test, results kept where
    `test` keeps them) and without any (kept beside them), so a host that needs a credential and
    has none is found. Returns every anonymous result known, old and new."""
    import httpx
    from pixi_auth_tui.probe import ProbeOptions, make_client, probe

    anonymous = load_anonymous(state)
    base = ProbeOptions(
        allow_http=plan.allow_http,
        total_timeout=plan.timeout,
        connect_timeout=min(5.0, plan.timeout),
        env=dict(report.inventory.env),
        generic_whoami=False,
    )
    limit = asyncio.Semaphore(PROBE_CONCURRENCY)
    async with make_client(base) as client:

        async def one(check: HostCheck) -> None:
            async with limit:
                await probe_host(check)
            if on_result is not None:
                on_result(check)

        async def probe_host(check: HostCheck) -> None:
            url = check.probe_url()
            now = base.clock()
            if url is None:
                anonymous[check.host] = AnonymousResult(
                    "", None, "no URL to test (an s3:// bucket needs s3-options)", now
                )
            else:
                shown, _ = mask_url(url)
                try:
                    # Truly anonymous: without the URL's own user:password@ too.
                    response = await asyncio.wait_for(client.get(strip_userinfo(url)[0]), plan.timeout)
                    anonymous[check.host] = AnonymousResult(shown, response.status_code, "", now)
                except (TimeoutError, httpx.HTTPError) as err:
                    anonymous[check.host] = AnonymousResult(shown, None, type(err).__name__, now)
            row = check.row
            if row is not None and url is not None:
                options = base
                if check.s3_option is not None:
                    options = ProbeOptions(**{**base.__dict__, "s3_region": check.s3_option.region})
                result = await probe(row.key, row.entry.credential, url, options, client)
                # A token written into the manifest's URL is no secret of the credential's: mask it too.
                result.url = mask_url(result.url)[0]
                result.final_url = mask_url(result.final_url)[0] if result.final_url else None
                if result.verdict not in (Verdict.INSECURE, Verdict.NEEDS_URL):  # no news: keep the last
                    state.results[result_key(row.store.id, row.key)] = result
                if row.key not in state.urls and (row.key.startswith(("*.", "s3://")) or check.is_s3):
                    state.urls[row.key] = url  # a concrete URL for `t` in the main screen

        chosen = [h for h in report.hosts if plan.hosts is None or h.host in plan.hosts]
        await asyncio.gather(*(one(check) for check in chosen))
    state.save()
    save_anonymous(state, anonymous)
    return anonymous


def run_check(
    paths: list[Path],
    environment: Environment,
    state: ProbeState | None = None,
    test: ProbePlan | None = None,
) -> CheckReport:
    """Read, resolve and (with `test`) test: the whole check, blocking (call from a worker)."""
    workspaces = load_workspaces(paths, environment)
    inventory = workspace_inventory(environment, workspaces[0] if len(workspaces) == 1 else None)
    state = state or ProbeState.default(environment.env)
    report = build_report(workspaces, inventory, state)
    if test is not None:
        anonymous = asyncio.run(probe_hosts(report, state, test))
        report = build_report(workspaces, inventory, state, anonymous)
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
        "credential": None
        if row is None
        else {
            "key": row.key,
            "store": row.store.id,
            "store_name": row.store.name,
            "kind": row.entry.credential.kind,
            "identity": public_identity(row.entry.credential),
        },
        "request": _request_json(check),
        "keys_tried": check.resolution.candidates if check.resolution else [],
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
    }


def _request_json(check: HostCheck) -> dict[str, Any] | None:
    request = check.resolution.request if check.resolution else None
    if request is None:
        return None
    return {**vars(request), "url": mask_url(request.url)[0]}


def report_json(report: CheckReport) -> dict[str, Any]:
    return {
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
