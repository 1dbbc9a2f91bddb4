"""The workspace check's data: what a workspace fetches, per host, and what is found.

Kept apart from the reading (pixi_auth_tui.system.manifest), the checking (pixi_auth_tui.workspace.check), the findings
(pixi_auth_tui.workspace.findings) and the probing (pixi_auth_tui.workspace.probe), which all share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pixi_auth_tui.audit.findings import Severity
from pixi_auth_tui.core.hostkeys import parse_url
from pixi_auth_tui.engine.inventory import Inventory, Resolution, Row
from pixi_auth_tui.probe.state import ProbeResult, Verdict
from pixi_auth_tui.system.manifest import S3Option, Workspace

if TYPE_CHECKING:  # (uv's chain: PyPI indexes only; the CI sign-in: `check --test` on a runner only)
    from pixi_auth_tui.engine.pypi_chain import PypiResolution
    from pixi_auth_tui.probe.ci_sign_in import SignInTest

KNOWN_PUBLIC = (
    "https://pypi.org/",
    "https://files.pythonhosted.org/",
    "https://conda.anaconda.org/conda-forge/",
    "https://conda.anaconda.org/bioconda/",
    "https://repo.prefix.dev/conda-forge/",
)


class Fails(StrEnum):
    """What a finding means for `pixi install`, for `check --fail-on`."""

    MISSING = "missing"  # a host needs a credential pixi will not send
    REJECTED = "rejected"  # pixi sends a credential the server refuses
    UNREACHABLE = "unreachable"  # the host could not be reached when tested (network, TLS, timeout)


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
    uv_url: str = ""  # unmasked, the URL as uv gets it (a PyPI index as written): never printed


def is_pypi_need(need: Need) -> bool:
    """Fetched by uv (an index, find-links, a locked PyPI file), not by rattler."""
    return need.what.startswith(("PyPI", "find-links")) or need.what == "pixi.lock pypi package"


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
    index: str | None = None  # a PyPI index URL of the host (masked): uv resolves per URL

    @property
    def id(self) -> str:
        parts = (self.code, self.host or self.workspace or "", self.key or "", self.index or "")
        return ":".join(part for part in parts if part)

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
            "index": self.index,
        }


# A test that got no answer: the host itself is the problem, whatever the credential.
UNREACHABLE_VERDICTS = frozenset({Verdict.NETWORK_ERROR, Verdict.TLS_ERROR, Verdict.TIMEOUT})


@dataclass
class AnonymousResult:
    url: str
    status: int | None
    message: str
    tested_at: float

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "status": self.status, "message": self.message, "tested_at": self.tested_at}

    @property
    def failed(self) -> bool:
        """The request got no answer (a network or TLS error, a timeout): nothing is known.
        (Not a request left unsent, e.g. a plain-http URL holding a token of its own.)"""
        reason = self.message.partition(":")[0]
        return self.status is None and bool(self.url) and any(reason == v.value for v in UNREACHABLE_VERDICTS)


def index_anonymous_key(index_url: str) -> str:
    """Where an index's anonymous answer is kept beside the hosts' (its URL is masked)."""
    return f"index {index_url}"


@dataclass
class IndexCheck:
    """One PyPI index of a host, as uv gets its URL. uv resolves per URL — the user name written
    in it, netrc by host and that login, credentials.toml by URL prefix, the keyring by URL then
    host — so two indexes on one host can get different credentials, or one none."""

    url: str  # as the workspace writes it, masked
    uv_url: str  # unmasked, as uv gets it: never printed
    needs: list[Need]
    pypi: PypiResolution
    verdict: str = ""
    # asked without a credential by `check --test` (the host's answer until this index was asked)
    anonymous: AnonymousResult | None = None

    @property
    def anonymous_key(self) -> str:
        return index_anonymous_key(self.url)

    def probe_url(self) -> str:
        """The index as `check --test` asks it without a credential (unmasked: never printed)."""
        return self.needs[0].raw_requested

    @property
    def credential(self) -> str | None:
        """Where uv's credential comes from and for which user, e.g. "netrc (as uv reads it) · alice"
        (None when only a user name, or nothing, goes out)."""
        winner = self.pypi.winner
        if winner is None or not self.pypi.sends_credential:
            return None
        return " · ".join(x for x in (winner.name, winner.username) if x)


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
    # The host's PyPI indexes, each with what pixi sends it through uv (rattler's layer, then uv's
    # own chain): one per index URL, in the workspace's order.
    indexes: list[IndexCheck] = field(default_factory=list)
    # On a CI runner, for a prefix.dev channel pixi would send nothing to: whether pixi signs in
    # with the job's OIDC identity instead ("yes", "no", "unknown", see ci.detect), and, after
    # `check --test`, how far signing in as pixi does got (probe.ci_sign_in).
    ci_sign_in: str | None = None
    ci_token: SignInTest | None = None

    @property
    def row(self) -> Row | None:
        return self.resolution.row if self.resolution else None

    @property
    def pypi(self) -> PypiResolution | None:
        """The first index's chain (the host's answer before indexes were told apart)."""
        return self.indexes[0].pypi if self.indexes else None

    @property
    def pypi_credential(self) -> str | None:
        """For PyPI indexes whose credential comes from uv's own chain (not rattler's stores):
        where from and for which user, e.g. "netrc (as uv reads it) · alice"; when the host's
        indexes get different ones, each index's, shortened to its path."""
        said = [
            index.credential if index.pypi.winner and index.pypi.winner.id != "rattler" else None
            for index in self.indexes
        ]
        if not any(said):
            return None
        if len(set(said)) == 1:
            return said[0]
        return "; ".join(
            f"{_index_path(index.url)}: {what or 'none'}" for index, what in zip(self.indexes, said, strict=True)
        )

    @property
    def sends_credential(self) -> bool:
        """Whether pixi sends a credential here: rattler's entry, or for PyPI what uv finds for
        every index of the host."""
        if self.indexes:
            return all(index.pypi.sends_credential for index in self.indexes)
        return self.row is not None

    @property
    def kinds(self) -> list[str]:
        return sorted({n.what for n in self.needs})

    @property
    def is_s3(self) -> bool:
        return self.host.startswith("s3://")

    @property
    def is_pypi(self) -> bool:
        return any(is_pypi_need(n) for n in self.needs)

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


def _index_path(url: str) -> str:
    """An index URL's path, to tell the indexes of one host apart in a narrow column."""
    parsed = parse_url(url)
    return (parsed.path if parsed is not None else url) or "/"


def s3_http_url(url: str, option: S3Option | None) -> str | None:
    """`s3://bucket/key` → the endpoint URL rattler's S3 middleware asks (path or virtual style)."""
    if option is None:
        return None
    # The WHATWG parse, as rattler's (Python's refuses some URLs it takes: a `[` in user info).
    parts, endpoint = parse_url(url), parse_url(option.endpoint_url)
    if parts is None or endpoint is None:
        return None
    bucket, key = parts.host, parts.path.lstrip("/")
    if option.force_path_style:
        return f"{option.endpoint_url.rstrip('/')}/{bucket}/{key}"
    port = "" if endpoint.port is None else f":{endpoint.port}"
    return f"{endpoint.scheme}://{bucket}.{endpoint.host}{port}/{key}"
