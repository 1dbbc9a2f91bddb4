"""Test connection: one real authenticated request, sent the way rattler sends it.

The same URL is also requested without credentials, so a public resource is never
mistaken for an accepted credential. Credentials never leave for another origin:
redirects are followed only within the origin the credential was stored for.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies

import httpx

from pixi_auth_tui.core.hostkeys import candidate_keys, host_of, in_domain
from pixi_auth_tui.core.model import (
    KINDS,
    Credential,
    all_secrets,
    authorise,
    is_oauth,
    mask,
    path_encoded,
    secret_of,
    send_problem,
)
from pixi_auth_tui.core.redact import redact
from pixi_auth_tui.core.urlmask import mask_urls
from pixi_auth_tui.probe.state import EXPLANATION, ProbeResult, Verdict, url_problem
from pixi_auth_tui.probe.transport import PoolPerOrigin, origin_transport

MAX_REDIRECTS = 5
# Probes are I/O-bound and keys are mostly distinct hosts: many in flight overall
# (bench/probe_all.py: 200 slow keys in about a second), but few per host, to be polite.
DEFAULT_CONCURRENCY = 200
PER_HOST_CONCURRENCY = 4


@dataclass
class ProbeOptions:
    connect_timeout: float = 5.0
    total_timeout: float = 15.0
    allow_http: bool = False
    verify: bool = True
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    s3_region: str = "us-east-1"
    # Also ask GET /api/me on the credential's own origin (quetz and alike) for the user name.
    # Test-all turns it off: a third request per key for a guess costs more than it tells.
    generic_whoami: bool = True
    clock: Callable[[], float] = time.time
    # Demo data: nothing is ever sent (its keys name real hosts such as prefix.dev).
    offline: bool = False

    @classmethod
    def within(cls, timeout: float, **options: Any) -> ProbeOptions:
        """Options for a whole request bounded by `timeout`, its connection by the default, or
        by `timeout` itself when that is shorter."""
        return cls(total_timeout=timeout, connect_timeout=min(cls.connect_timeout, timeout), **options)


class ProbeSetupError(Exception):
    """The test cannot start at all (say, an unusable SSL_CERT_FILE); one line for a person."""


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        explicit = parts.port
    except ValueError:
        explicit = None
    port = explicit or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def masked_url(url: str, cred: Credential) -> str:
    # The credential's own secrets first: masking a `token=` parameter first would end it at a
    # space the secret holds and leave the secret's tail standing (a hostile redirect).
    human = KINDS[cred.kind].human  # a password shows none of its characters
    for secret in all_secrets(cred):
        for form in (secret, path_encoded(secret)):  # a conda token travels percent-encoded
            if form and form in url:
                url = url.replace(form, mask(form, human=human))
    return mask_urls(url)


def ssl_context(options: ProbeOptions) -> ssl.SSLContext | bool:
    """The system's trust store (as rattler's native-tls/rustls-native does), plus the usual env overrides."""
    if not options.verify:
        return False
    context = ssl.create_default_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR via OpenSSL
    for name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        path = options.env.get(name)
        if path and Path(path).is_file():
            try:
                context.load_verify_locations(cafile=path)
            except (ssl.SSLError, OSError, ValueError) as err:
                reason = getattr(err, "reason", None) or getattr(err, "strerror", None) or type(err).__name__
                raise ProbeSetupError(f"{name}={path} is not a usable certificate bundle ({reason})") from err
    return context


def _authorise(
    cred: Credential, method: str, url: str, options: ProbeOptions
) -> tuple[str, dict[bytes, bytes], httpx.Auth | None]:
    """(url, headers, auth) as rattler would send them: `authorise`, the description `resolve`
    prints masked, sent for real. Header values go out as UTF-8 bytes, as rattler sends a
    non-ASCII token (httpx would refuse it as text)."""
    if KINDS[cred.kind].sends == "none":
        raise ValueError("unsupported credential")
    plan = authorise(cred, url)
    headers = dict(plan.headers)
    if plan.sigv4 is not None:
        headers.update(sigv4_headers(plan.sigv4, method, url, options.s3_region))
    encoded = {name.encode("ascii"): value.encode("utf-8") for name, value in headers.items()}
    return plan.url, encoded, httpx.BasicAuth(*plan.basic) if plan.basic else None


# botocore is the `s3` extra: tens of megabytes that only this signature needs.
S3_SIGNER_MISSING = (
    "S3 requests are signed with botocore, which is not installed: "
    "install pixi-auth-tui[s3] (pip/uv) or add botocore (conda) to test S3 credentials"
)


def s3_signer_installed() -> bool:
    try:
        import botocore.auth  # noqa: F401  (the signer itself: imported for the S3 test anyway)
    except ImportError:
        return False
    return True


def sigv4_headers(keys: tuple[str, str, str | None], method: str, url: str, region: str) -> dict[str, str]:
    """AWS Signature V4 via botocore (a maintained signer, not hand-rolled crypto) with
    (access key id, secret access key, session token)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(*keys), "s3", region).add_auth(request)
    return {k: v for k, v in request.headers.items()}


async def _send(
    client: httpx.AsyncClient, cred: Credential | None, url: str, options: ProbeOptions
) -> tuple[httpx.Response, str]:
    """One request, following redirects only within the same origin. Returns (response, final url)."""
    start_origin = origin(url)
    current = url
    method = "GET"
    for _ in range(MAX_REDIRECTS + 1):
        headers: dict[bytes, bytes] = {}
        auth: httpx.Auth | None = None
        target = current
        if cred is not None:
            target, headers, auth = _authorise(cred, method, current, options)
        response = await client.request(method, target, headers=headers, auth=auth)
        if not response.is_redirect:
            return response, target
        location = response.headers.get("location", "")
        next_url = urljoin(current, location)
        if origin(next_url) != start_origin:
            raise _RedirectedAway(next_url)
        current = next_url
    return response, current


class _RedirectedAway(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _verdict_for(status: int, anonymous: int | None) -> Verdict:
    if status in (401, 403):
        return Verdict.REJECTED
    if 200 <= status < 300:
        if anonymous is not None and 200 <= anonymous < 300:
            return Verdict.PUBLIC
        return Verdict.ACCEPTED
    if status == 404:
        return Verdict.NOT_FOUND
    if status >= 500:
        return Verdict.SERVER_ERROR
    return Verdict.NOT_FOUND if 400 <= status < 500 else Verdict.SERVER_ERROR


def _tls_of(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    return f"verified, {ssl_object.version()}" if ssl_object is not None else None


_T = TypeVar("_T")


async def _outcome(task: asyncio.Future[_T], timeout: float) -> _T:
    """The task's result within ``timeout``; a cancellation nobody asked of *this* task is a timeout.

    httpx's read timeout (anyio's cancel scope) can leave a stray cancellation on a request's task
    when it fires together with ours; that request timed out, it must not cancel the probe.
    """
    try:
        return await asyncio.wait_for(task, timeout)
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise
        raise TimeoutError from None


async def probe(
    key: str,
    cred: Credential,
    url: str | None,
    options: ProbeOptions | None = None,
    client: httpx.AsyncClient | None = None,
) -> ProbeResult:
    options = options or ProbeOptions()
    now = options.clock()

    def result(verdict: Verdict, shown_url: str = "", message: str | None = None, **extra: Any) -> ProbeResult:
        return ProbeResult(key, shown_url, verdict, message or EXPLANATION[verdict], tested_at=now, **extra)

    if is_oauth(cred) and cred.expires_at is not None and cred.expires_at <= now:
        refresh = "rattler will try its refresh token" if cred.refresh_token else "and there is no refresh token"
        return result(Verdict.EXPIRED, message=f"the OAuth access token has expired; {refresh}")
    if KINDS[cred.kind].sends == "none":
        return result(Verdict.UNSUPPORTED)
    if options.offline:
        return result(Verdict.UNSUPPORTED, message="demo data: no request is sent")
    problem = send_problem(cred)
    if problem:
        return result(Verdict.UNSUPPORTED, message=problem)
    if url is None:
        return result(Verdict.NEEDS_URL)
    shown = redact(masked_url(url, cred))
    problem = url_problem(url)
    if problem or host_of(url) is None:
        return result(Verdict.NEEDS_URL, shown, f"{shown}: {problem or 'not an http(s) URL'}")
    if not KINDS[cred.kind].endpoint_named and key not in candidate_keys(url):
        # Never send a credential to a host rattler would not send it to.
        return result(
            Verdict.NEEDS_URL,
            shown,
            f"{host_of(url)} is not covered by the key {key}: the credential was not sent",
        )
    if urlsplit(url).scheme == "http" and not options.allow_http:
        return result(Verdict.INSECURE, shown)
    if KINDS[cred.kind].sends == "sigv4" and not s3_signer_installed():
        return result(Verdict.UNSUPPORTED, shown, S3_SIGNER_MISSING)

    own_client = client is None
    if client is None:
        client = make_client(options)
    started = time.perf_counter()
    try:
        # The three requests go out together: one round trip's latency, not three.
        authed_task = asyncio.ensure_future(_send(client, cred, url, options))
        anon_task = asyncio.ensure_future(_send(client, None, url, options))
        whoami_task = asyncio.ensure_future(who_am_i(client, key, cred, url, options))
        try:
            response, final = await _outcome(authed_task, options.total_timeout)
        finally:
            latency = (time.perf_counter() - started) * 1000
        try:
            anonymous, _ = await _outcome(anon_task, options.total_timeout)
            anon_status: int | None = anonymous.status_code
        except (TimeoutError, httpx.HTTPError, _RedirectedAway):
            anon_status = None
        try:
            identity = await _outcome(whoami_task, options.total_timeout)
        except (TimeoutError, httpx.HTTPError):
            identity = Identity()
        verdict, message = judge(_verdict_for(response.status_code, anon_status), identity)
        user = identity.user if verdict is Verdict.ACCEPTED else None
        return result(
            verdict,
            shown,
            message,
            status=response.status_code,
            anonymous_status=anon_status,
            latency_ms=round(latency, 1),
            final_url=masked_url(final, cred),
            tls=_tls_of(response),
            user=user,
        )
    except _RedirectedAway as away:
        # The target may carry a conda token (a redirect of /t/<token>/…): masked, then redacted.
        target = redact(masked_url(away.url, cred))
        return result(Verdict.REDIRECTED_AWAY, shown, f"{EXPLANATION[Verdict.REDIRECTED_AWAY]}: {target}")
    except (TimeoutError, httpx.HTTPError) as err:
        verdict, message = connection_failure(err, options.total_timeout)
        return result(verdict, shown, message)
    except (httpx.InvalidURL, ValueError, UnicodeError, ssl.SSLError, OSError) as err:
        # Whatever a library raises for input it cannot send is a failed test, not a crash.
        return result(Verdict.NETWORK_ERROR, shown, f"the request could not be made: {_first_line(err)}")
    finally:
        for name in ("authed_task", "anon_task", "whoami_task"):
            task = locals().get(name)
            if task is None:
                continue
            if not task.done():
                task.cancel()
            elif not task.cancelled():
                task.exception()  # a sibling's failure is already accounted for; mark it seen
        if own_client:
            await _close(client)


async def _close(client: httpx.AsyncClient) -> None:
    """Close our client once the result is known; a cancellation that httpx's stack (anyio) left
    on this task while it closes is not a reason to lose that result (see `_outcome`)."""
    try:
        await client.aclose()
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise


def connection_failure(err: TimeoutError | httpx.HTTPError, timeout: float) -> tuple[Verdict, str]:
    """What a request that got no answer met: a timeout, a TLS failure or another network error
    (the one wording for a credential's test and a workspace host's anonymous request)."""
    if isinstance(err, TimeoutError | httpx.TimeoutException):
        return Verdict.TIMEOUT, f"no answer within {timeout:g}s"
    if isinstance(err, httpx.ConnectError):
        if isinstance(err.__context__, ssl.SSLError) or "SSL" in str(err) or "certificate" in str(err):
            return Verdict.TLS_ERROR, f"TLS failed: {_first_line(err)}"
        return Verdict.NETWORK_ERROR, f"could not connect: {_first_line(err)}"
    return Verdict.NETWORK_ERROR, f"{type(err).__name__}: {_first_line(err)}"


def _first_line(err: BaseException) -> str:
    """Libraries quote what they were given (a header, a URL): redacted before anything else."""
    text = redact(str(err)) or type(err).__name__
    return (text.splitlines() or [type(err).__name__])[0][:200]


def make_client(
    options: ProbeOptions, concurrency: int = DEFAULT_CONCURRENCY, verify: ssl.SSLContext | bool | None = None
) -> httpx.AsyncClient:
    """One client for many probes: one SSLContext (building one loads the whole trust store,
    the slowest part of a first request), and a small connection pool per origin on asyncio
    streams (probe_transport)."""
    verify = ssl_context(options) if verify is None else verify
    if verify is False:
        verify = httpx.create_ssl_context(verify=False)  # one for every origin's pool, as with True
    # Each probe has up to three requests in flight (credentialed, anonymous, who-am-I), and
    # connections are not kept: a key's host rarely sees another request in the same run.
    per_origin = httpx.Limits(max_connections=3 * PER_HOST_CONCURRENCY + 2, max_keepalive_connections=0)
    # The direct route gets a pool per origin, mounted for every URL. httpx tries the
    # environment's proxies first (its http:// and https:// mounts are more specific than
    # all://), and hosts in NO_PROXY take its own direct pool. An ALL_PROXY of the environment
    # is mounted as all:// too: then it stays, and only NO_PROXY hosts go direct.
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    if "all" not in getproxies():
        mounts["all://"] = PoolPerOrigin(lambda: origin_transport(verify, per_origin))
    client = httpx.AsyncClient(
        verify=verify,
        timeout=httpx.Timeout(options.total_timeout, connect=options.connect_timeout),
        follow_redirects=False,  # we follow, and only within the origin
        trust_env=True,  # HTTP(S)_PROXY / NO_PROXY, as rattler honours them
        # These limits are the proxies' pools (every request through a proxy shares one).
        limits=httpx.Limits(max_connections=3 * concurrency + 8, max_keepalive_connections=0),
        mounts=mounts,
    )
    return client


# -- who am I --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """What a service's own account API says of a credential."""

    user: str | None = None
    valid: bool | None = None  # None: the service gave no verdict of its own
    authority: str = ""  # the service that said so, for messages


def judge(verdict: Verdict, identity: Identity) -> tuple[Verdict, str]:
    """The verdict and its message, once the service's own account API has had its say.

    A public or missing probe URL cannot tell a good token from a bad one; prefix.dev's and
    anaconda.org's account APIs can, so where they answer, their answer decides.
    """
    said = identity.authority
    if identity.valid is False:
        return Verdict.REJECTED, f"{said} says this token is not valid"
    if identity.valid and verdict in (Verdict.PUBLIC, Verdict.NOT_FOUND):
        url_note = "this URL is public" if verdict is Verdict.PUBLIC else "this URL was not found"
        return Verdict.ACCEPTED, f"{said} accepted the token{_as(identity)}; {url_note}"
    if identity.valid and verdict is Verdict.REJECTED:
        return verdict, f"{EXPLANATION[verdict]}; {said} knows the token{_as(identity)}, so it may lack access here"
    return verdict, EXPLANATION[verdict] + (_as(identity) if verdict is Verdict.ACCEPTED else "")


def _as(identity: Identity) -> str:
    return f" (logged in as {identity.user})" if identity.user else ""


async def who_am_i(client: httpx.AsyncClient, key: str, cred: Credential, url: str, options: ProbeOptions) -> Identity:
    """The account behind a credential, where the service tells it; asked only of that service."""
    host = (host_of(url) or "").lower()
    spec = KINDS[cred.kind]
    if spec.endpoint_named:
        return Identity()  # S3 keys are signed for the endpoint the person named, and nothing else
    try:
        if spec.service and in_domain(host, spec.service):
            return await ACCOUNT_APIS[spec.service](client, secret_of(cred) or "", options)
        if not options.generic_whoami:
            return Identity()
        # quetz (and servers like it): GET /api/me on the same origin, credential sent as rattler
        # would. Only a name: a guess at an API is no verdict on the credential.
        scheme, hostname, port = origin(url)
        me = f"{scheme}://{hostname}{'' if port in (80, 443) else f':{port}'}/api/me"
        response, _ = await _send(client, cred, me, options)
        if response.status_code == 200 and "json" in response.headers.get("content-type", ""):
            return Identity(_name_from(response.json()))
    except (httpx.HTTPError, ValueError, _RedirectedAway):
        return Identity()
    return Identity()


async def prefix_dev_login(client: httpx.AsyncClient, token: str, options: ProbeOptions) -> Identity:
    """`pixi auth login`'s own check: a viewer is a valid token, a null viewer an invalid one."""
    response = await client.post(
        "https://prefix.dev/api/graphql",
        json={"query": "query { viewer { login } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code != 200:
        return Identity()
    data = response.json()
    if not isinstance(data, dict) or not isinstance(data.get("data"), dict) or "viewer" not in data["data"]:
        return Identity()
    viewer = data["data"]["viewer"]
    if isinstance(viewer, dict):
        return Identity(viewer.get("login") if isinstance(viewer.get("login"), str) else None, True, "prefix.dev")
    return Identity(None, False, "prefix.dev") if viewer is None else Identity()


async def anaconda_user(client: httpx.AsyncClient, token: str, options: ProbeOptions) -> Identity:
    """anaconda.org's account API: 200 names the token's user, 401 refuses the token."""
    response = await client.get("https://api.anaconda.org/user", headers={"Authorization": f"token {token}"})
    if response.status_code == 200:
        return Identity(_name_from(response.json()), True, "anaconda.org")
    if response.status_code == 401:
        return Identity(None, False, "anaconda.org")
    return Identity()


# The services whose own account API checks the kind they issue (KindSpec.service).
ACCOUNT_APIS: dict[str, Callable[[httpx.AsyncClient, str, ProbeOptions], Awaitable[Identity]]] = {
    "prefix.dev": prefix_dev_login,
    "anaconda.org": anaconda_user,
}


def _name_from(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    for candidate in (data.get("login"), data.get("username"), data.get("name")):
        if isinstance(candidate, str) and candidate:
            return candidate
    user = data.get("user")
    return _name_from(user) if isinstance(user, dict) else None


# -- many at once ------------------------------------------------------------------------------


@dataclass
class ProbeJob:
    key: str
    cred: Credential
    url: str | None
    ref: str  # the caller's id for the row


async def probe_many(
    jobs: list[ProbeJob],
    options: ProbeOptions,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_result: Callable[[ProbeJob, ProbeResult], None] | None = None,
) -> list[ProbeResult]:
    """Bounded concurrency; each result is reported as soon as it is ready. Cancel the task to stop."""
    semaphore = asyncio.Semaphore(max(1, concurrency))
    per_host: dict[str, asyncio.Semaphore] = {}
    async with make_client(options, concurrency) as client:

        async def one(job: ProbeJob) -> ProbeResult:
            host = per_host.setdefault(host_of(job.url or "") or "", asyncio.Semaphore(PER_HOST_CONCURRENCY))
            async with semaphore, host:
                outcome = await probe(job.key, job.cred, job.url, options, client)
            if on_result is not None:
                on_result(job, outcome)
            return outcome

        return list(await asyncio.gather(*(one(job) for job in jobs)))
