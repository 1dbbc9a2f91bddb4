"""OAuth/OIDC sign-in, refresh and sign-out, producing exactly the `OAuth` entry rattler stores.

What rattler does (rattler `auth` CLI and rattler_networking's oauth_refresh), and so we do:
- sign-in: OIDC discovery at the issuer; device code (RFC 8628) or auth code + PKCE with a
  127.0.0.1 redirect; public clients send `client_id` in the body. The entry keeps the access
  and refresh tokens, `expires_at = now + expires_in`, the discovered token and revocation
  endpoints and the client id, under the host as `normalize_login_host` computes it;
- refresh: when `expires_at - now < 300`, POST grant_type=refresh_token, refresh_token,
  client_id to `token_endpoint`; a missing new refresh token keeps the old one; a missing
  `expires_in` leaves `expires_at` null; `invalid_grant` means sign in again;
- sign-out: revoke the refresh token, then the access token (RFC 7009), then remove.

The protocol itself is Authlib's (over httpx). No Textual here: the UI and CLI format what
this module returns, and everything that blocks runs in their worker threads.
"""

from __future__ import annotations

import contextlib
import html
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib import deprecate as _authlib_deprecate  # installs its own "always" filter on import
from authlib.common.security import generate_token

with warnings.catch_warnings():
    # Authlib 1.9 prefers the `httpx2` fork and warns when it runs on httpx, which this project uses.
    warnings.simplefilter("ignore", _authlib_deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError

from pixi_auth_tui.core import expiry
from pixi_auth_tui.core.model import OAuth, dumps_credential, is_oauth, is_readable, jwt_claims
from pixi_auth_tui.core.redact import REDACTOR
from pixi_auth_tui.core.validation import secret_problem
from pixi_auth_tui.engine.inventory import Inventory, Row
from pixi_auth_tui.oauth.bounded import Bounds, deadline_message
from pixi_auth_tui.oauth.info import (
    DEFAULT_CLIENT_ID,
    DEFAULT_SCOPES,
    FLOWS,
    PREFIX_DEV_SCOPES,
    REFRESH_SKEW_SECONDS,
    LoginPlan,
    OAuthFailure,
    TokenDetails,
    clean,
    countdown,
    ensure_scheme,
    foreign_url,
    is_loopback,
    is_prefix_dev,
    login_store,
    needs_refresh,
    oauth_login_key,
    plan_login,
    require_safe_url,
    token_details,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_SCOPES",
    "FLOWS",
    "PREFIX_DEV_SCOPES",
    "REFRESH_SKEW_SECONDS",
    "LoginPlan",
    "OAuthFailure",
    "SignIn",
    "TokenDetails",
    "countdown",
    "ensure_scheme",
    "is_prefix_dev",
    "login_store",
    "needs_refresh",
    "oauth_login_key",
    "plan_login",
    "refresh_credential",
    "refresh_row",
    "require_safe_url",
    "revoke",
    "token_details",
]
from pixi_auth_tui.engine.operations import current_entry, file_mode, mode_note, was_of
from pixi_auth_tui.stores.base import ConflictError, Store, StoreError


def _registered(secret: str) -> str:
    """`secret`, known to the redactor from now on (an authorization code, a PKCE verifier)."""
    REDACTOR.add(secret)
    return secret


DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
HTTP_TIMEOUT = 30.0  # rattler's refresh timeout
BROWSER_WAIT_SECONDS = 300.0  # rattler waits this long for the browser redirect


def make_client(client_id: str, client_secret: str | None = None, bounds: Bounds | None = None) -> OAuth2Client:
    """A client whose every request is bounded in size and in time (`oauth.bounded`)."""
    bounds = bounds or Bounds()
    # A public client (no secret) authenticates with client_id in the body, as rattler does.
    REDACTOR.add(client_secret)  # sent with every token request: never shown in any message
    client = OAuth2Client(
        client_id=client_id,
        client_secret=client_secret,
        token_endpoint_auth_method="client_secret_basic" if client_secret else "none",
        revocation_endpoint_auth_method="client_secret_basic" if client_secret else "none",
        code_challenge_method="S256",
        timeout=bounds.timeout(),
        event_hooks=bounds.hooks(),
        # A fresh connection per request, so each request's deadline can end its own socket.
        limits=httpx.Limits(max_keepalive_connections=0),
        follow_redirects=False,
        trust_env=True,  # proxies and SSL_CERT_FILE, as rattler honours them
    )
    # Authlib turns `expires_in` into an int itself, before we see the answer: it is checked first.
    for hook in ("access_token_response", "refresh_token_response"):
        client.register_compliance_hook(hook, _token_answer_checked)
    return client


def _token_answer_checked(response: httpx.Response) -> httpx.Response:
    try:
        body = response.json()
    except ValueError:
        return response  # not JSON: Authlib says so, and `_token_endpoint` words it
    if isinstance(body, dict) and "error" not in body:
        _lifetime(body)
    return response


def _lifetime(answer: dict[str, Any]) -> int | None:
    """A token answer's `expires_in` as rattler reads it (`_expires_in`; None: absent). Authlib
    also reads an `expires_at` (with `int()`): one that is not a time is refused before it does."""
    lifetime = _expires_in(answer.get("expires_in"))
    if answer.get("expires_at") is not None and expiry.unix_time(answer.get("expires_at")) is None:
        raise OAuthFailure("provider", "the token endpoint's expires_at is not a time; nothing was stored")
    return lifetime


def _network(err: Exception, what: str) -> OAuthFailure:
    text = deadline_message(err) or (str(err) or type(err).__name__).splitlines()[0][:200]
    return OAuthFailure("network", f"could not reach the {what}: {text}")


@contextlib.contextmanager
def _token_endpoint() -> Iterator[None]:
    """A token-endpoint call's transport and parse errors, as one line for a person. The
    provider's own refusals (OAuthError) pass through: what they mean differs per grant."""
    try:
        yield
    except httpx.HTTPError as err:
        raise _network(err, "token endpoint") from err
    except ValueError as err:
        raise OAuthFailure("provider", f"the token endpoint answered nonsense: {err}") from err


def _provider_error(err: OAuthError, what: str) -> OAuthFailure:
    code = clean(err.error or "error", 60)
    detail = f" ({clean(err.description)})" if err.description else ""
    return OAuthFailure("provider", f"the {what} refused: {code}{detail}")


# -- discovery -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderInfo:
    issuer: str
    token_endpoint: str
    authorization_endpoint: str | None = None
    device_authorization_endpoint: str | None = None
    revocation_endpoint: str | None = None
    userinfo_endpoint: str | None = None

    @property
    def anchors(self) -> tuple[str, str]:
        """The origins a credential may travel to: the issuer's and its token endpoint's."""
        return self.issuer, self.token_endpoint


def discover(client: OAuth2Client, issuer: str) -> ProviderInfo:
    """OIDC discovery (`<issuer>/.well-known/openid-configuration`); the issuer must match."""
    require_safe_url(issuer, "issuer")
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = client.request("GET", url, withhold_token=True)
    except httpx.HTTPError as err:
        raise _network(err, "issuer") from err
    if response.status_code != 200:
        raise OAuthFailure("discovery", f"OIDC discovery at {url} answered HTTP {response.status_code}")
    try:
        doc = response.json()
    except ValueError as err:
        raise OAuthFailure("discovery", f"OIDC discovery at {url} did not return JSON") from err
    if not isinstance(doc, dict) or not isinstance(doc.get("token_endpoint"), str):
        raise OAuthFailure("discovery", "the provider's metadata has no token endpoint")
    if str(doc.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise OAuthFailure("discovery", f"the provider says its issuer is {clean(doc.get('issuer'))!r}, not {issuer!r}")

    def endpoint(name: str) -> str | None:
        value = doc.get(name)
        return value if isinstance(value, str) and value else None

    info = ProviderInfo(
        issuer=issuer,
        token_endpoint=_url_crate_form(doc["token_endpoint"]),
        authorization_endpoint=endpoint("authorization_endpoint"),
        device_authorization_endpoint=endpoint("device_authorization_endpoint"),
        revocation_endpoint=endpoint("revocation_endpoint"),
        userinfo_endpoint=endpoint("userinfo_endpoint"),
    )
    require_safe_url(info.token_endpoint, "token endpoint")
    # The revocation endpoint is stored with the entry, and pixi's logout sends both tokens
    # there: one that is plain http, or on another host, is refused before anything is stored.
    if info.revocation_endpoint:
        problem = foreign_url(info.revocation_endpoint, "revocation endpoint", info.anchors)
        if problem:
            raise OAuthFailure("discovery", f"{problem}; nothing was stored")
    return info


def _url_crate_form(url: str) -> str:
    # rattler stores `Url::to_string()`: a bare origin gains its "/" path.
    parts = urlsplit(url)
    return url + "/" if parts.netloc and not parts.path and not parts.query else url


# -- tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int | None
    id_token: str | None = field(default=None, repr=False)
    scope: str | None = None


def tokens_from(response: dict[str, Any]) -> Tokens:
    """The tokens of a token endpoint's answer, checked as a typed secret is: rattler would put
    an access token holding a line break or ESC on every request, so it is refused, as is an
    `expires_in` that is not a number of seconds (rattler's serde refuses those answers too)."""
    access = response.get("access_token")
    if not isinstance(access, str) or not access:
        raise OAuthFailure("provider", "the token endpoint's answer has no access token")
    refresh = response.get("refresh_token")
    for name, value in (("access token", access), ("refresh token", refresh)):
        problem = secret_problem(value) if isinstance(value, str) and value else None
        if problem:
            raise OAuthFailure("provider", f"the token endpoint's {name} {problem}; nothing was stored")
    lifetime = _lifetime(response)
    id_token = response.get("id_token")
    scope = response.get("scope")
    return Tokens(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_in=lifetime,
        id_token=id_token if isinstance(id_token, str) else None,
        scope=scope if isinstance(scope, str) else None,
    )


# rattler reads `expires_in` as an i64 and stores `expires_at = now + expires_in` as an i64.
_I64_MAX = 2**63 - 1


def _expires_in(value: Any) -> int | None:
    """`expires_in` as rattler's refresh reads it (`Option<i64>`): an integer or absent. A float
    (`3600.0`, `1e30`), a string or a value whose `expires_at` would not fit an i64 is refused,
    as rattler refuses the answer: stored, it would make rattler refuse the whole file."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise OAuthFailure(
            "provider", "the token endpoint's answer has an `expires_in` that is not an integer; rattler refuses it"
        )
    if not -_I64_MAX <= value <= _I64_MAX - int(time.time()):
        raise OAuthFailure(
            "provider", "the token endpoint's answer has an `expires_in` too large for rattler's expiry (an i64)"
        )
    return value


def credential_from(tokens: Tokens, info: ProviderInfo, client_id: str, now: float | None = None) -> OAuth:
    """The entry rattler's login stores."""
    issued = int(time.time() if now is None else now)
    return OAuth(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_at=issued + tokens.expires_in if tokens.expires_in is not None else None,
        token_endpoint=info.token_endpoint,
        revocation_endpoint=info.revocation_endpoint,
        client_id=client_id,
    )


# -- a sign-in attempt ---------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCode:
    """What the person needs to see; the device code itself stays in `_device_code`."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int
    started: float  # time.monotonic() when issued
    _device_code: str = field(repr=False, default="")

    def __post_init__(self) -> None:
        REDACTOR.add(self._device_code)  # it signs in whoever holds it: never shown

    def remaining(self, now: float | None = None) -> float:
        return self.started + self.expires_in - (time.monotonic() if now is None else now)

    @property
    def link(self) -> str:
        return self.verification_uri_complete or self.verification_uri


def poll_wait(cancelled: threading.Event, seconds: float) -> bool:
    """Wait between device-code polls; True when the sign-in was cancelled meanwhile."""
    return cancelled.wait(seconds)


@dataclass(frozen=True)
class SignInResult:
    credential: OAuth
    identity: str | None  # who signed in (userinfo, else the ID token's claims)
    key: str


class SignIn:
    """One sign-in attempt. Blocking: run it in a worker thread; `cancel()` from any thread."""

    def __init__(self, plan: LoginPlan, client_secret: str | None = None) -> None:
        self.plan = plan
        self._cancelled = threading.Event()
        self.client = make_client(plan.client_id, client_secret)
        self.info: ProviderInfo | None = None
        self.interval = 0  # current device-code polling interval (grows on slow_down)

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def close(self) -> None:
        self.client.close()  # pyright: ignore[reportAttributeAccessIssue] (Authlib is untyped)

    def _check_cancel(self) -> None:
        if self._cancelled.is_set():
            raise OAuthFailure("cancelled", "sign-in cancelled; nothing was stored")

    def discover(self) -> ProviderInfo:
        if self.info is None:
            self.info = discover(self.client, self.plan.issuer)
        return self.info

    # -- device code (RFC 8628) --

    def start_device(self) -> DeviceCode:
        info = self.discover()
        if not info.device_authorization_endpoint:
            raise OAuthFailure("unsupported", "the provider does not offer the device-code flow")
        # It receives the client's credentials (a confidential client's secret): the same rule as tokens.
        problem = foreign_url(info.device_authorization_endpoint, "device authorization endpoint", info.anchors)
        if problem:
            raise OAuthFailure("discovery", problem)
        self._check_cancel()
        data = {"client_id": self.plan.client_id, "scope": " ".join(self.plan.scopes)}
        try:
            response = self.client.request(
                "POST",
                info.device_authorization_endpoint,
                data=data,
                auth=self.client.client_auth(self.client.token_endpoint_auth_method),
                headers={"Accept": "application/json"},
                withhold_token=True,
            )
        except httpx.HTTPError as err:
            raise _network(err, "device authorization endpoint") from err
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200 or not isinstance(body, dict) or "device_code" not in body:
            code = body.get("error") if isinstance(body, dict) else None
            raise OAuthFailure(
                "provider", f"device authorization failed: {clean(code or f'HTTP {response.status_code}', 60)}"
            )
        # RFC 8628: 5 s when no interval is given; an interval or lifetime that is not a sane
        # number of seconds is read as absent.
        interval = expiry.seconds(body.get("interval"), least=1)
        expires_in = expiry.seconds(body.get("expires_in"))
        self.interval = 5 if interval is None else interval
        return DeviceCode(
            user_code=clean(body.get("user_code", ""), 40, opaque=False),
            verification_uri=clean(
                body.get("verification_uri") or body.get("verification_url") or "", 500, opaque=False
            ),
            verification_uri_complete=clean(body["verification_uri_complete"], 500, opaque=False)
            if body.get("verification_uri_complete")
            else None,
            expires_in=600 if expires_in is None else expires_in,
            interval=self.interval,
            started=time.monotonic(),
            _device_code=str(body["device_code"]),
        )

    def poll_device(self, code: DeviceCode, on_slow_down: Callable[[int], None] | None = None) -> SignInResult:
        """Poll until approved, honouring `interval` and `slow_down` (+5 s each, RFC 8628 §3.5)."""
        info = self.discover()
        while True:
            remaining = code.remaining()
            if remaining <= 0:
                raise OAuthFailure("expired", "the device code expired before sign-in was approved; start again")
            # Never wait past the code's expiry (a provider may ask for an interval longer than
            # the code lives): after the last wait, the expiry is said without another poll.
            if poll_wait(self._cancelled, min(self.interval, remaining)):
                self._check_cancel()
            if code.remaining() <= 0:
                raise OAuthFailure("expired", "the device code expired before sign-in was approved; start again")
            try:
                with _token_endpoint():
                    response = self.client.fetch_token(
                        info.token_endpoint,
                        grant_type=DEVICE_GRANT,
                        device_code=code._device_code,
                        client_id=self.plan.client_id,
                    )
            except OAuthError as err:
                if err.error == "authorization_pending":
                    continue
                if err.error == "slow_down":
                    self.interval += 5
                    if on_slow_down is not None:
                        on_slow_down(self.interval)
                    continue
                if err.error == "access_denied":
                    raise OAuthFailure("denied", "sign-in was denied at the provider; nothing was stored") from err
                if err.error == "expired_token":
                    raise OAuthFailure("expired", "the device code expired before sign-in was approved") from err
                raise _provider_error(err, "token endpoint") from err
            self._check_cancel()
            return self._result(tokens_from(dict(response)))

    # -- authorization code + PKCE --

    def auth_code(self, open_browser: Callable[[str], bool]) -> SignInResult:
        """Open the browser at the authorization URL and wait for the 127.0.0.1 redirect."""
        info = self.discover()
        if not info.authorization_endpoint:
            raise OAuthFailure("unsupported", "the provider has no authorization endpoint")
        require_safe_url(info.authorization_endpoint, "authorization endpoint")
        with _Callback(self.plan.redirect_uri) as callback:
            verifier = _registered(generate_token(64))
            url, state = self.client.create_authorization_url(
                info.authorization_endpoint,
                redirect_uri=callback.redirect_uri,
                code_verifier=verifier,
                scope=" ".join(self.plan.scopes),
                nonce=generate_token(24),
            )
            if not open_browser(url):
                raise OAuthFailure("browser", "no browser could be opened")
            redirected = callback.wait(self._cancelled, BROWSER_WAIT_SECONDS)
            self._check_cancel()
            if redirected is None:
                raise OAuthFailure("expired", "timed out waiting for the browser sign-in")
            query = dict(httpx.URL(redirected).params)
            if "error" in query:
                callback.answer(False, query["error"])
                if query["error"] == "access_denied":
                    raise OAuthFailure("denied", "sign-in was denied at the provider; nothing was stored")
                raise OAuthFailure("provider", f"the provider refused: {clean(query['error'], 60)}")
            if query.get("state") != state:
                callback.answer(False, "state mismatch")
                raise OAuthFailure("provider", "the redirect's state did not match (possible CSRF); nothing stored")
            try:
                with _token_endpoint():
                    response = self.client.fetch_token(
                        info.token_endpoint,
                        grant_type="authorization_code",
                        code=_registered(query.get("code", "")),
                        redirect_uri=callback.redirect_uri,
                        code_verifier=verifier,
                        client_id=self.plan.client_id,
                    )
            except OAuthError as err:
                callback.answer(False, err.error or "error")
                raise _provider_error(err, "token endpoint") from err
            except OAuthFailure as err:
                callback.answer(False, "network error" if err.reason == "network" else "bad token response")
                raise
            callback.answer(True, "")
        return self._result(tokens_from(dict(response)))

    def run(
        self,
        open_browser: Callable[[str], bool],
        show_device: Callable[[DeviceCode], None],
        on_slow_down: Callable[[int], None] | None = None,
    ) -> SignInResult:
        """The plan's flow; `auto` tries the browser first and falls back to the device code."""
        if self.plan.flow in ("auth-code", "auto"):
            try:
                return self.auth_code(open_browser)
            except OAuthFailure as err:
                if self.plan.flow == "auth-code" or err.reason != "browser":
                    raise
        code = self.start_device()
        show_device(code)
        return self.poll_device(code, on_slow_down)

    def _result(self, tokens: Tokens) -> SignInResult:
        info = self.discover()
        cred = credential_from(tokens, info, self.plan.client_id)
        return SignInResult(cred, self._identity(tokens), self.plan.key)

    def _identity(self, tokens: Tokens) -> str | None:
        # userinfo is the provider's own word; the ID token's claims (unverified) are the fallback.
        claims: dict[str, Any] | None = None
        userinfo = self.info.userinfo_endpoint if self.info else None
        if self.info and userinfo and foreign_url(userinfo, "userinfo endpoint", self.info.anchors):
            userinfo = None  # the access token goes nowhere else; the ID token says who signed in
        if userinfo:
            try:
                response = self.client.request(
                    "GET",
                    userinfo,
                    headers={"Authorization": f"Bearer {tokens.access_token}"},
                    withhold_token=True,
                )
                claims = response.json() if response.status_code == 200 else None
            except (httpx.HTTPError, ValueError, OAuthFailure):
                claims = None
        if not isinstance(claims, dict) and tokens.id_token:
            claims = jwt_claims(tokens.id_token)
        name = display_name(claims) if isinstance(claims, dict) else None
        return clean(name, 100) if name else None


def display_name(claims: dict[str, Any]) -> str | None:
    """rattler's choice: email, else preferred_username, else name, else the subject."""
    for name in ("email", "preferred_username", "name", "sub"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None


class _Callback:
    """A one-shot HTTP listener on 127.0.0.1 for the authorization redirect."""

    def __init__(self, redirect_uri: str | None) -> None:
        host, port, path = "127.0.0.1", 0, "/"
        if redirect_uri:
            parts = urlsplit(redirect_uri)
            if parts.scheme != "http" or not parts.port or not is_loopback(redirect_uri):
                raise OAuthFailure("usage", "a redirect URI must be http://127.0.0.1:PORT/… (or localhost)")
            host, port, path = parts.hostname or host, parts.port, parts.path or "/"
        self._path = path
        self._got: str | None = None
        self._arrived = threading.Event()
        self._answered = threading.Event()
        self._page = ""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path != outer._path or outer._arrived.is_set():
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                outer._got = self.path
                outer._arrived.set()
                outer._answered.wait(HTTP_TIMEOUT)
                raw = outer._page.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args: object) -> None:
                pass

        try:
            self._server = HTTPServer((host, port), Handler)
        except OSError as err:
            raise OAuthFailure("usage", f"cannot listen on {host}:{port} for the redirect: {err}") from err
        bound = self._server.server_address[1]
        self.redirect_uri = redirect_uri or f"http://127.0.0.1:{bound}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> _Callback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.answer(False, "sign-in was not completed")
        self._server.shutdown()
        self._server.server_close()

    def wait(self, cancelled: threading.Event, seconds: float) -> str | None:
        deadline = time.monotonic() + seconds
        while not self._arrived.wait(0.1):
            if cancelled.is_set() or time.monotonic() > deadline:
                return None
        return f"{self.redirect_uri.rstrip('/')}{self._got}" if self._got else None

    def answer(self, success: bool, detail: str) -> None:
        if self._answered.is_set():
            return
        if success:
            self._page = "<!doctype html><title>Signed in</title><p>Signed in. You can close this window.</p>"
        else:
            self._page = f"<!doctype html><title>Sign-in failed</title><p>Sign-in failed: {html.escape(detail)}</p>"
        self._answered.set()


# -- refresh and revocation -------------------------------------------------------------------


def refresh_credential(cred: OAuth, now: float | None = None) -> OAuth:
    """The refresh-token grant at the stored endpoint; the entry rattler writes afterwards."""
    if not cred.refresh_token:
        raise OAuthFailure("no-refresh-token", "this entry has no refresh token: sign in again")
    require_safe_url(cred.token_endpoint, "token endpoint")
    with make_client(cred.client_id) as client:  # pyright: ignore[reportGeneralTypeIssues]
        try:
            with _token_endpoint():
                response = client.refresh_token(
                    cred.token_endpoint, refresh_token=cred.refresh_token, client_id=cred.client_id
                )
        except OAuthError as err:
            if err.error == "invalid_grant":
                raise OAuthFailure("revoked", "the refresh token is expired or revoked: sign in again") from err
            raise _provider_error(err, "token endpoint") from err
    tokens = tokens_from(dict(response))
    issued = int(time.time() if now is None else now)
    return OAuth(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token or cred.refresh_token,
        expires_at=issued + tokens.expires_in if tokens.expires_in is not None else None,
        token_endpoint=cred.token_endpoint,
        revocation_endpoint=cred.revocation_endpoint,
        client_id=cred.client_id,
    )


def revoke(cred: OAuth) -> list[str]:
    """RFC 7009: the refresh token first, then the access token. Returns what failed (empty: all done)."""
    if not cred.revocation_endpoint:
        return ["the provider has no revocation endpoint, so the tokens stay valid until they expire"]
    problem = foreign_url(cred.revocation_endpoint, "revocation endpoint", (cred.token_endpoint,))
    if problem:
        return [f"{problem}: the tokens were not sent there"]
    problems: list[str] = []
    pairs = [
        ("refresh token", cred.refresh_token, "refresh_token"),
        ("access token", cred.access_token, "access_token"),
    ]
    with make_client(cred.client_id) as client:  # pyright: ignore[reportGeneralTypeIssues]
        for what, token, hint in pairs:
            if not token:
                continue
            try:
                response = client.revoke_token(
                    cred.revocation_endpoint, token=token, token_type_hint=hint, client_id=cred.client_id
                )
            except httpx.HTTPError as err:
                problems.append(str(_network(err, "revocation endpoint")) + f" (revoking the {what})")
                continue
            if response.status_code != 200:
                problems.append(f"revoking the {what} failed: HTTP {response.status_code}")
    return problems


# -- operations on stored entries --------------------------------------------------------------


@dataclass(frozen=True)
class RefreshOutcome:
    message: str
    credential: OAuth
    refreshed: bool


def store_sign_in(inventory: Inventory, result: SignInResult, store: Store | None = None) -> str:
    """Store the entry where `pixi auth login` would (or in `store`); returns what happened."""
    target = store or login_store(inventory)
    seen = [e.credential for e in inventory.snapshots[target.id].entries if e.key == result.key]
    before = file_mode(target)
    kept = ""
    try:
        # Applied to the store as it is now, under its lock: keys written into it during the
        # sign-in (however long the person took) are kept, and the fresh tokens are never dropped.
        replaced = target.set(
            result.key, result.credential, was=was_of(seen[0] if seen else None) if len(seen) <= 1 else None
        )
    except ConflictError:
        # This very key was written meanwhile (another sign-in, say). The person asked for this
        # sign-in, so it is stored; what it replaces is kept in a private backup first.
        now = current_entry(target, result.key)
        if now is not None and is_readable(now):
            from pixi_auth_tui.engine.backups import backup_entries, backup_folder

            try:
                path = backup_entries(
                    backup_folder(inventory.env), result.key, {target.name: now}, "replaced by a sign-in"
                )
            except OSError as err:
                raise StoreError(
                    f"{result.key} was written in {target.name} during the sign-in, and it could not be backed up "
                    f"({err.strerror or err}), so it was left as it is and the new tokens were not stored"
                ) from err
            kept = f"; the entry written there during the sign-in is kept in the private backup {path}"
        replaced = target.set(result.key, result.credential)
    who = f" as {result.identity}" if result.identity else ""
    verb = "replaced the entry" if replaced else "stored"
    return (
        f"Signed in to {result.key}{who}; {verb} in {target.name} ({target.location}){kept}{mode_note(target, before)}"
    )


def refresh_row(inventory: Inventory, row: Row, force: bool = True) -> RefreshOutcome:
    """Refresh `row`'s OAuth entry and write it back in place in the store that holds it.

    On any failure the entry is left untouched (OAuthFailure/StoreError carry the reason).
    """
    cred = row.entry.credential
    if not is_oauth(cred):
        raise OAuthFailure("usage", f"{row.key} is not an OAuth entry")
    if not force and not needs_refresh(cred):
        return RefreshOutcome(f"{row.key}: the access token is still valid; not refreshed", cred, False)
    if not row.store.writable:
        raise StoreError(f"{row.store.name} is read-only")
    fresh = refresh_credential(cred)
    # Re-read just before writing: the store may have been written since `inventory` was read
    # (another refresh of ours, or pixi's own). Only our entry, unchanged, may be replaced.
    before = file_mode(row.store)
    try:
        # Only our entry, unchanged, may be replaced (compared under the store's lock): the store
        # may have been written since (another refresh of ours, or pixi's own).
        row.store.set(row.key, fresh, was=dumps_credential(cred))
    except ConflictError as err:
        raise StoreError(
            f"{row.key} changed in {row.store.name} while it was being refreshed; nothing was written "
            "(the provider may have rotated the refresh token: sign in again if the next refresh fails)"
        ) from err
    until = f"; valid for {fresh.expires_at - int(time.time())} s" if fresh.expires_at else ""
    return RefreshOutcome(f"Refreshed {row.key} in {row.store.name}{until}{mode_note(row.store, before)}", fresh, True)


def refresh_before_use(inventory: Inventory, row: Row) -> tuple[Row, str | None]:
    """What rattler does before sending an OAuth token: refresh when within 300 s of expiry.

    Returns the row with the credential that would now be sent, and what happened (None: nothing).
    """
    cred = row.entry.credential
    if not is_oauth(cred) or not needs_refresh(cred):
        return row, None
    before = f"{row.key}: the access token {countdown(cred.expires_at)}; rattler refreshes it first, so do we"
    try:
        outcome = refresh_row(inventory, row)
    except (OAuthFailure, StoreError) as failure:
        return row, f"{before}: the refresh failed: {failure}; the entry was left untouched"
    fresh = row.with_credential(outcome.credential)
    return fresh, f"{before}: {outcome.message}"


def sign_out(inventory: Inventory, row: Row) -> str:
    """Remove the entry (after revocation, which the caller has already confirmed or skipped)."""
    was = dumps_credential(row.entry.credential) if is_readable(row.entry.credential) else None
    expect = None if was is not None else inventory.snapshots[row.store.id].version
    row.store.remove(row.key, expect=expect, item_ref=row.entry.item_ref, was=was)
    return f"Signed out of {row.key}: removed from {row.store.name}"


# -- what a person may see -------------------------------------------------------------------


def qr_lines(text: str) -> list[str]:
    """`text` as a QR code in Unicode half blocks (two modules per character cell)."""
    import segno  # only for the sign-in dialog

    matrix = [list(row) for row in segno.make(text, error="l").matrix_iter(scale=1, border=2)]
    if len(matrix) % 2:
        matrix.append([0] * len(matrix[0]))
    chars = {(0, 0): "█", (1, 0): "▄", (0, 1): "▀", (1, 1): " "}  # dark modules drawn as "ink" gaps
    return [
        "".join(chars[(top, bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(matrix[0::2], matrix[1::2], strict=True)
    ]
