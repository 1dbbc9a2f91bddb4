"""What the connection test remembers and reports: verdicts, results, probe URLs.

Kept apart from pixi_auth_tui.probe.request (which needs httpx) so the UI and the audit can start without
importing the network stack; it is loaded when a test actually runs.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pixi_auth_tui.core.model import KINDS, Credential, dumps_credential, is_readable
from pixi_auth_tui.core.redact import redact
from pixi_auth_tui.core.urlmask import mask_url
from pixi_auth_tui.system.paths import state_folder
from pixi_auth_tui.system.safeio import create_private_file, read_limited, replace_private_file


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    PUBLIC = "public"  # reachable, but also without the credential: not verified
    REJECTED = "rejected"
    NOT_FOUND = "not found"
    SERVER_ERROR = "server error"
    REDIRECTED_AWAY = "redirected away"
    NETWORK_ERROR = "network error"
    TLS_ERROR = "TLS error"
    TIMEOUT = "timeout"
    EXPIRED = "expired"
    NEEDS_URL = "needs a URL"
    INSECURE = "needs confirmation"  # plain http: the secret would travel unencrypted
    UNSUPPORTED = "unsupported"


FAILING = {Verdict.REJECTED, Verdict.EXPIRED}
# Not judged: the server could not say (or was not asked in a way that could tell).
UNVERIFIED = {
    Verdict.PUBLIC,
    Verdict.NOT_FOUND,
    Verdict.SERVER_ERROR,
    Verdict.REDIRECTED_AWAY,
    Verdict.NETWORK_ERROR,
    Verdict.TLS_ERROR,
    Verdict.TIMEOUT,
}

EXPLANATION = {
    Verdict.ACCEPTED: "the server accepted the credential",
    Verdict.PUBLIC: "reachable, but this resource is public — the credential was not verified",
    Verdict.REJECTED: "the server rejected the credential",
    Verdict.NOT_FOUND: "the URL does not exist (or is hidden from this credential)",
    Verdict.SERVER_ERROR: "the server failed; the credential could not be checked",
    Verdict.REDIRECTED_AWAY: "the server redirected to another host; the credential was not sent there",
    Verdict.NETWORK_ERROR: "could not reach the server",
    Verdict.TLS_ERROR: "the TLS connection failed (certificate not trusted?)",
    Verdict.TIMEOUT: "the server did not answer in time",
    Verdict.EXPIRED: "the token has expired",
    Verdict.NEEDS_URL: "a concrete URL is needed to test this key",
    Verdict.INSECURE: "plain http: the secret would travel unencrypted — confirm to test",
    Verdict.UNSUPPORTED: "this credential cannot be tested",
}


class ProbeResult:
    """One connection test's result (kept, and tied to its credential, by ProbeState.record)."""

    def __init__(
        self,
        key: str,
        url: str,  # masked
        verdict: Verdict,
        message: str,
        status: int | None = None,
        anonymous_status: int | None = None,
        latency_ms: float | None = None,
        final_url: str | None = None,  # masked
        tls: str | None = None,
        user: str | None = None,
        tested_at: float = 0.0,
        # Which credential was tested: a keyed one-way digest (Fingerprints; never the secret). A
        # result whose credential has changed since (rotated by us or by another program) is not shown.
        fingerprint: str | None = None,
    ) -> None:
        self.key = key
        self.url = url
        self.verdict = verdict
        self.message = message
        self.status = status
        self.anonymous_status = anonymous_status
        self.latency_ms = latency_ms
        self.final_url = final_url
        self.tls = tls
        self.user = user
        self.tested_at = tested_at
        self.fingerprint = fingerprint

    def to_json(self) -> dict[str, Any]:
        data = dict(vars(self))
        data["verdict"] = self.verdict.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProbeResult:
        data = dict(data)
        data["verdict"] = Verdict(data["verdict"])
        return cls(**data)


class Fingerprints:
    """Which credential a result was made with: an HMAC-SHA256 of everything rattler would
    store for it, under a random key of this installation kept in its own 0600 file beside the
    state file (never in it). The state file alone — attached to a bug report, say — so holds
    nothing a secret could be guessed from; and it is never the secret itself."""

    KEY_BYTES = 32

    def __init__(self, folder: Path) -> None:
        self.path = folder / "fingerprint.key"
        self._key: bytes | None = None

    def _load(self, create: bool) -> bytes | None:
        if self._key is not None:
            return self._key
        try:
            key = read_limited(self.path, 1024)
        except FileNotFoundError:
            if not create:
                return None
            import secrets

            key = secrets.token_bytes(self.KEY_BYTES)
            try:
                create_private_file(self.path, key)
            except FileExistsError:  # another process of ours made it first: use that one
                return self._load(create=False)
            except OSError:
                pass  # a read-only state folder: results are tied for this session only
        except OSError:
            return None
        if len(key) != self.KEY_BYTES:
            return None
        self._key = key
        return key

    def of(self, cred: Credential, create: bool = False) -> str | None:
        """`hmac-sha256$<key id>$<digest>`; None for a secret never read (a keychain item
        listed by name), or without a key (then no result can be tied to a credential)."""
        if not is_readable(cred):
            return None
        key = self._load(create)
        if key is None:
            return None
        import hashlib
        import hmac

        key_id = hashlib.sha256(key).hexdigest()[:8]
        digest = hmac.new(key, dumps_credential(cred).encode("utf-8", "surrogatepass"), hashlib.sha256)
        return f"hmac-sha256${key_id}${digest.hexdigest()[:32]}"

    def belongs(self, result: ProbeResult, cred: Credential) -> bool:
        """The result was made with exactly this credential. One recorded without a fingerprint
        (before they were kept) cannot be tied to any credential, so it does not belong; a
        secret not read yet cannot be compared, and keeps its result."""
        if not is_readable(cred):
            return True
        return result.fingerprint is not None and result.fingerprint == self.of(cred)


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a test URL, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a bad port
    except ValueError as err:
        return f"not a valid URL ({err})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    if port == 0:
        return "port 0 is not a port"
    if parts.username is not None or parts.password is not None:
        return (
            "the URL carries its own user name or password, which rattler sends instead of any stored "
            "credential, so it cannot test one — remove the user@ part"
        )
    return None


def probe_url_problem(key: str, cred: Credential, url: str) -> str | None:
    """Why `url` cannot test `key`'s credential (None: it can): not an http(s) URL, or a host
    the key does not cover, where rattler never sends it (and the test sends nothing)."""
    problem = url_problem(url)
    if problem is not None or KINDS[cred.kind].endpoint_named:
        return problem
    from pixi_auth_tui.core.hostkeys import candidate_keys, host_of

    if key not in candidate_keys(url):
        return f"the key {key} does not cover {host_of(url)}: rattler never sends this credential there"
    return None


def remembered_url_problem(url: str) -> str | None:
    """Why `url` cannot be remembered as a key's test URL (in the state file), or None."""
    if mask_url(url)[1]:
        return (
            "the URL carries a token (/t/… or a parameter such as ?token=), which would be stored with it; "
            "give it without: the test sends the stored credential"
        )
    return url_problem(url)


def default_probe_url(key: str, cred: Credential) -> str | None:
    """A URL to test `key` with, or None when the person must give one (wildcards, S3)."""
    if KINDS[cred.kind].endpoint_named or key.startswith(("*.", "s3://")):
        return None
    return f"https://{key.lower()}/"


# -- remembered probe URLs and results (never secrets) -------------------------------------


class ProbeState:
    """The app's own state file: probe URL per key and the last result per entry."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fingerprints = Fingerprints(path.parent)
        self.urls: dict[str, str] = {}
        self.results: dict[str, ProbeResult] = {}
        self.load()

    @classmethod
    def default(cls, env: dict[str, str] | None = None) -> ProbeState:
        return cls(state_folder(env or {}) / "state.json")

    def result_for(self, store_id: str, key: str, cred: Credential) -> ProbeResult | None:
        """The last result of this entry, if it was made with the credential stored now."""
        result = self.results.get(result_key(store_id, key))
        return result if result is not None and self.fingerprints.belongs(result, cred) else None

    def record(self, store_id: str, key: str, cred: Credential, result: ProbeResult) -> None:
        """Keep `result` as the last of this entry, tied to the credential it tested."""
        result.fingerprint = self.fingerprints.of(cred, create=True)
        self.results[result_key(store_id, key)] = result

    def _read(self) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        try:
            data = json.loads(read_limited(self.path, 64 * 1024 * 1024).decode("utf-8"))
            urls = {str(k): str(v) for k, v in data.get("probe_urls", {}).items()}
            results = {str(k): dict(v) for k, v in data.get("results", {}).items()}
            return urls, results
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            # a state file is a cache: unreadable means empty
            return {}, {}

    def load(self) -> None:
        urls, results = self._read()
        try:
            self.results = {k: ProbeResult.from_json(v) for k, v in results.items()}
        except (ValueError, TypeError, KeyError):
            urls, self.results = {}, {}
        self.urls = urls
        # What was on disk, so `save` writes only what this process changed.
        self._seen_urls = dict(self.urls)
        self._seen_results = {k: r.to_json() for k, r in self.results.items()}

    def save(self) -> None:
        """Merge into the file as it is now: the CLI and the UI may both have written it
        since we read it, and neither may clobber the other's URLs or results."""
        urls, results = self._read()
        urls.update({k: v for k, v in self.urls.items() if self._seen_urls.get(k) != v})
        ours = {k: r.to_json() for k, r in self.results.items()}
        results.update({k: v for k, v in ours.items() if self._seen_results.get(k) != v})
        # Never a secret in the state file: every text field passes the redactor.
        urls = {k: redact(v) for k, v in urls.items()}
        results = {k: _redacted(v) for k, v in results.items()}
        data = {"probe_urls": urls, "results": results}
        # Our own file: created fresh and renamed into place, never written through a link.
        replace_private_file(self.path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))
        self._seen_urls, self._seen_results = dict(urls), dict(results)
        self.urls = dict(urls)
        self.results = {k: ProbeResult.from_json(v) for k, v in results.items()}


def _redacted(data: dict[str, Any]) -> dict[str, Any]:
    # (the fingerprint is a digest, never a secret: redacting could only break it)
    return {k: redact(v) if isinstance(v, str) and k != "fingerprint" else v for k, v in data.items()}


def result_key(store_id: str, key: str) -> str:
    return f"{store_id}:{key}"
