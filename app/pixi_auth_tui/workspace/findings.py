"""The workspace check's findings: what will fail (`Fails`) and what is risky, per host."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pixi_auth_tui.audit.findings import Severity
from pixi_auth_tui.ci.detect import detect_ci
from pixi_auth_tui.core import expiry
from pixi_auth_tui.core.hostkeys import host_of, normalise_login_key
from pixi_auth_tui.core.model import KINDS
from pixi_auth_tui.core.urlmask import mask_url
from pixi_auth_tui.engine.inventory import WINNING, Inventory
from pixi_auth_tui.probe import ci_sign_in as sign_in
from pixi_auth_tui.probe.state import FAILING
from pixi_auth_tui.system.manifest import Workspace, strip_userinfo
from pixi_auth_tui.workspace.model import (
    UNREACHABLE_VERDICTS,
    AnonymousResult,
    CheckFinding,
    Fails,
    HostCheck,
    IndexCheck,
)

if TYPE_CHECKING:
    from pixi_auth_tui.engine.pypi_chain import PypiResolution

_SIGN_IN_FAILED = {
    sign_in.NO_ID_TOKEN: "pixi cannot sign in to {host}: the job got no OIDC ID token",
    sign_in.NO_CHALLENGE: "{host} sends no Bearer challenge: pixi will not sign in",
    sign_in.MINT_REFUSED: "prefix.dev refused to mint a token for {host}",
    sign_in.MINT_UNUSABLE: "The token prefix.dev minted for {host} cannot be sent",
    sign_in.REJECTED: "{host} refused the token pixi's sign-in minted",
}


def login_key(host: str) -> str:
    """The key `pixi auth login HOST` would store a credential for `host` under."""
    return normalise_login_key(host).key


def verdict_of(check: HostCheck, inventory: Inventory) -> str:
    """One word for the host: what will happen when pixi fetches from it."""
    if inventory.blocked and not check.is_pypi:
        return "blocked"  # pixi cannot build its HTTP client without the store: every conda fetch fails
    if any(f.fails is Fails.MISSING for f in check.findings):
        return "missing"
    if any(f.fails is Fails.REJECTED for f in check.findings):
        return "rejected"
    if check.row is None and any(f.fails is Fails.UNREACHABLE for f in check.findings):
        return "unreachable"
    if check.ci_sign_in in ("yes", "unknown") and check.row is None:
        return "ci sign-in"  # no stored credential: pixi signs in with the job's OIDC identity
    if check.row is not None:
        return check.last.verdict.value if check.last else "untested"
    if check.sends_credential:
        return "untested"  # a PyPI credential from uv's own chain: `test` of the index tells
    if check.known_public:
        return "public"
    if check.anonymous is not None and check.anonymous.status is not None and 200 <= check.anonymous.status < 300:
        return "public"
    return "no credential"


def index_verdict(check: HostCheck, index: IndexCheck) -> str:
    """One word for one PyPI index of the host (uv resolves each index URL on its own)."""
    if any(f.fails is Fails.MISSING and f.index in (None, index.url) for f in check.findings):
        return "missing"
    winner = index.pypi.winner
    if winner is not None and winner.id == "rattler" and index.pypi.sends_credential and check.row is not None:
        if any(f.fails is Fails.REJECTED for f in check.findings):
            return "rejected"
        return check.last.verdict.value if check.last else "untested"
    if index.pypi.sends_credential:
        return "untested"  # a credential from uv's own chain: `test` of the index tells
    if check.known_public or _tested_public(index):
        return "public"
    return "no credential"


def workspace_findings(workspace: Workspace, inventory: Inventory) -> list[CheckFinding]:
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
                f"{inventory.blocked}. Conda downloads fail outright; pixi drops rattler's layer for PyPI "
                "requests, so uv sends only what its own chain finds (see each index).",
                workspace=label,
                fails=Fails.MISSING,
            )
        )
    return out


def _tested_public(check: HostCheck | IndexCheck) -> bool:
    anonymous = check.anonymous
    return anonymous is not None and anonymous.status is not None and 200 <= anonymous.status < 300


def _refused(anonymous: AnonymousResult | None) -> bool:
    return anonymous is not None and anonymous.status in (401, 403)


def host_findings(check: HostCheck, inventory: Inventory, workspaces: list[Workspace]) -> list[CheckFinding]:
    out: list[CheckFinding] = []
    row = check.row
    host = check.host
    first = check.needs[0]
    workspace = first.workspace

    def add(
        code: str,
        severity: Severity,
        title: str,
        explanation: str,
        fails: Fails | None = None,
        index: IndexCheck | None = None,
    ) -> None:
        out.append(
            CheckFinding(
                code,
                severity,
                title,
                explanation,
                host=host,
                key=row.key if row else None,
                store_id=row.store.id if row else None,
                workspace=index.needs[0].workspace if index is not None else workspace,
                fails=fails,
                index=index.url if index is not None else None,
            )
        )

    refused = check.anonymous is not None and check.anonymous.status in (401, 403)
    signs_in = check.ci_sign_in in ("yes", "unknown")
    if check.ci_sign_in is not None:
        ci = detect_ci(inventory.env)
        tested = check.ci_token
        if signs_in and tested is not None and tested.outcome in sign_in.FAILS:
            add(
                "ci-sign-in-failed",
                Severity.ERROR,
                _SIGN_IN_FAILED[tested.outcome].format(host=host),
                f"No credential is stored for {host}, so pixi signs in through {ci.name}: {tested.message}.",
                Fails.REJECTED if tested.outcome == sign_in.REJECTED else Fails.MISSING,
            )
        elif signs_in and tested is not None and tested.outcome == sign_in.UNVERIFIED:
            add(
                "ci-sign-in-failed",
                Severity.ERROR,
                f"pixi's sign-in to {host} could not be tested",
                f"No credential is stored for {host}; signing in through {ci.name} as pixi would: {tested.message}.",
                Fails.UNREACHABLE,
            )
        elif signs_in:
            how = tested.message if tested is not None else ci.detail
            add(
                "ci-sign-in",
                Severity.INFO,
                f"pixi will sign in to {host} with {ci.name}'s OIDC identity"
                if tested is None or tested.outcome != sign_in.ACCEPTED
                else f"pixi signs in to {host} with {ci.name}'s OIDC identity (tested)",
                f"No credential is stored for {host}; when it answers with a Bearer challenge, pixi mints a "
                f"prefix.dev token: {how}. Only conda channels: pixi's PyPI requests do not sign in.",
            )
        elif not refused:
            add(
                "ci-no-id-token",
                Severity.WARNING,
                f"{host} has no credential and this job cannot sign in to prefix.dev",
                f"If the channel is private, pixi install fails here: {ci.detail}.",
            )
    if check.indexes and any(_refused(index.anonymous) for index in check.indexes):
        for index in check.indexes:
            if not _refused(index.anonymous) or index.pypi.sends_credential:
                continue
            if any(n.url_has_secret for n in index.needs):
                continue
            assert index.anonymous is not None
            answer = f"{index.anonymous.url} answered HTTP {index.anonymous.status} without a credential"
            several = len(check.indexes) > 1
            add(
                "missing-credential",
                Severity.ERROR,
                f"{index.url if several else host} refuses anonymous access and pixi's uv finds no credential for it",
                f"{answer}. {pypi_chain_summary(index.pypi)}. Store one where uv finds it, e.g. "
                f"`pixi-auth-tui set {host} --kind basic --username USER --store uv` (uv's credentials.toml), "
                f"or under {login_key(host)} in rattler's stores.",
                Fails.MISSING,
                index if several else None,
            )
    elif not check.sends_credential and refused and not signs_in and not any(n.url_has_secret for n in check.needs):
        assert check.anonymous is not None
        tried = ", ".join(mask_url(key)[0] for key in (check.resolution.candidates if check.resolution else []))
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
            cannot = f" This job cannot sign in instead: {detect_ci(inventory.env).detail}." if check.ci_sign_in else ""
            add(
                "missing-credential",
                Severity.ERROR,
                f"{host} refuses anonymous access and no credential is stored for it",
                f"{answer}, and pixi has none to send (keys tried: {tried}). "
                f"Add one under {login_key(host)}, the key `pixi auth login {host}` stores "
                f"(e.g. `pixi-auth-tui set {login_key(host)} --kind bearer`).{cannot}",
                Fails.MISSING,
            )
    blocking = check.resolution.blocking if check.resolution is not None else None
    if row is not None and blocking and not check.is_s3:  # (S3: the s3-wrong-kind finding below)
        add(
            "credential-not-sent",
            Severity.ERROR,
            f"pixi matches {row.key} for {host} but sends no credential",
            f"{row.key} in {row.store.name}: {blocking}.",
            Fails.MISSING,
        )
    unreachable = UNREACHABLE_VERDICTS
    # (A host pixi signs in to with the CI's identity: what --test can check there is the job's
    # ID token, asked for above; the anonymous request's failure is shown, not an error.)
    if row is None and not signs_in and check.anonymous is not None and check.anonymous.failed:
        add(
            "unreachable",
            Severity.ERROR,
            f"{host} could not be reached",
            f"{check.anonymous.url}: {check.anonymous.message}. pixi install needs this host; whether it wants a "
            "credential could not be told.",
            Fails.UNREACHABLE,
        )
    elif row is not None and check.last is not None and check.last.verdict in unreachable:
        add(
            "unreachable",
            Severity.ERROR,
            f"{host} could not be reached",
            f"{check.last.url}: {check.last.message}. pixi install needs this host; whether it accepts "
            f"{row.key} could not be told.",
            Fails.UNREACHABLE,
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
        elif row is not None and KINDS[row.entry.credential.kind].sends != "sigv4":
            add(
                "s3-wrong-kind",
                Severity.ERROR,
                f"The credential for {bucket} is not an S3 key pair",
                f"{row.key} holds a {row.entry.credential.kind}; rattler fails the request without sending it "
                '("the credentials stored for … are not S3 credentials").',
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
    # PyPI through uv: what uv's own chain finds for each index when rattler's layer has nothing.
    several = len(check.indexes) > 1
    for index in check.indexes:
        pypi = index.pypi
        if pypi.sends_credential or check.known_public or _tested_public(index):
            continue
        named = index if several else None  # (one index: the host's finding, as before)
        keyring = next((layer for layer in pypi.layers if layer.id == "keyring"), None)
        if keyring is not None and keyring.outcome == "skipped":
            add(
                "pypi-keyring-no-user",
                Severity.WARNING,
                f"uv never asks the keyring for {index.url if several else host}: the index URL names no user",
                'pypi-config.keyring-provider is "subprocess", but uv runs `keyring get` only for a URL '
                'with a user name ("Skipping keyring fetch … without username"). Add `user@` to the index '
                f"URL, e.g. {_with_user(pypi.url)}, and store the password with `keyring set "
                f"{pypi.url} USER` (for Google Artifact Registry the user is `oauth2accesstoken`).",
                index=named,
            )
        if not _refused(index.anonymous) and not any(n.url_has_secret for n in index.needs):
            add(
                "pypi-no-credential",
                Severity.WARNING,
                f"uv reaches the PyPI index {index.url if several else host} without a credential",
                f"{pypi_chain_summary(pypi)}. If the index is private, installs will fail; `check --test` tells.",
                index=named,
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


def unused_findings(inventory: Inventory, hosts: Iterable[HostCheck]) -> list[CheckFinding]:
    used = {h.row.key for h in hosts if h.row is not None}
    out: list[CheckFinding] = []
    for row in inventory.rows:
        if row.status in WINNING and row.key not in used:
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
    return (expiry.utc(timestamp) if timestamp else None) or "earlier"


def pypi_chain_summary(pypi: PypiResolution) -> str:
    """One sentence: what each layer of pixi's PyPI chain found for this index."""
    parts = []
    for layer in pypi.layers:
        part = f"{layer.name}: {layer.outcome}"
        if layer.id == "keyring" and layer.outcome == "not consulted" and pypi.keyring_provider != "subprocess":
            part += ' (keyring-provider is not set to "subprocess")'
        elif layer.id == "keyring" and layer.outcome == "skipped":
            part += " (the URL names no user)"
        elif layer.outcome == "refused":
            part += f" ({layer.detail})"
        parts.append(part)
    if pypi.sends_user_only and pypi.winner is not None:
        parts.append(f"so uv sends only the user name {pypi.winner.username!r}, without a password")
    return "pixi's uv chain for it — " + "; ".join(parts)


def _with_user(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    return f"{scheme}{sep}USER@{rest}" if sep else url
