"""The light half of OAuth: rattler's defaults and rules, login keys and plans, and what a
token's claims say. No network libraries are loaded here, so the UI and the CLI parser can
use it at start-up; the protocol itself is in `pixi_auth_tui.oauth.flow`."""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from pixi_auth_tui.core import expiry
from pixi_auth_tui.core.model import (
    KINDS,
    REFRESH_SKEW_SECONDS,
    Credential,
    OAuth,
    expires_at,
    is_oauth,
    jwt_claims,
    secret_of,
)
from pixi_auth_tui.core.redact import redact, without_opaque_words
from pixi_auth_tui.engine.inventory import AUTH_FILE, CREDENTIALS, KEYCHAIN, Inventory
from pixi_auth_tui.oauth import DEFAULT_CLIENT_ID as DEFAULT_CLIENT_ID
from pixi_auth_tui.oauth import FLOWS as FLOWS
from pixi_auth_tui.stores.base import Store, StoreState

DEFAULT_SCOPES = ("openid", "profile", "offline_access")
PREFIX_DEV_SCOPES = ("openid", "profile", "offline_access", "channel:read", "channel:upload")


class OAuthFailure(Exception):
    """A sign-in, refresh or revocation that did not happen, with a reason fit for a person.

    `reason` is one of: cancelled, denied, expired, slow, revoked, no-refresh-token, network,
    provider, discovery, unsupported, browser, usage. Never carries a secret.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def clean(value: object, limit: int = 200, *, opaque: bool = True) -> str:
    """Text from a server, safe to print: every known secret hidden FIRST (a cut must never
    leave the start of a secret standing), control characters (terminal escapes) dropped, opaque
    token-like words not echoed at all (a provider may spell a secret in a way no redactor
    foresees; `opaque=False` for what the person must read: a user code, a link), then short."""
    text = "".join(c for c in redact(str(value)) if c.isprintable())
    if opaque:
        text = without_opaque_words(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- hosts, keys and defaults (rattler's auth CLI) ---------------------------------------


def oauth_login_key(host: str) -> str:
    """The key an OAuth login stores under: rattler's `normalize_login_host` (the bare host)."""
    import httpx  # its URL parser does IDNA as the url crate does; loaded on first use

    text = host.strip()
    while text.startswith("*."):
        text = text[2:]
    for candidate in (text, f"https://{text}"):
        if "://" not in candidate:
            continue
        try:
            parsed = httpx.URL(candidate)  # WHATWG-like: lower case, IDN as punycode
        except (httpx.InvalidURL, ValueError):
            continue
        if parsed.host:
            host = parsed.raw_host.decode("ascii").lower()
            return f"[{host}]" if ":" in host else _canonical_ipv4(host)
    return text.rstrip("/")


def _canonical_ipv4(host: str) -> str:
    # The url crate turns IPv4 forms such as `127.1` or `0x7f.0.0.1` into dotted quads.
    last = host.rsplit(".", 1)[-1]
    if last and (last.isdigit() or last.lower().startswith("0x")):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return host
    return host


def is_prefix_dev(host: str) -> bool:
    key = oauth_login_key(host)
    return key == "prefix.dev" or key.endswith(".prefix.dev")


def ensure_scheme(host: str) -> str:
    return host if "://" in host else f"https://{host}"


class LoginPlan(NamedTuple):
    host: str
    key: str
    issuer: str
    client_id: str
    scopes: tuple[str, ...]
    flow: str
    redirect_uri: str | None = None


def plan_login(
    host: str,
    issuer: str | None = None,
    client_id: str | None = None,
    scopes: tuple[str, ...] | list[str] = (),
    flow: str | None = None,
    redirect_uri: str | None = None,
) -> LoginPlan:
    """What `pixi auth login HOST --oauth …` would do; prefix.dev hosts get their built-in defaults."""
    if not host.strip():
        raise OAuthFailure("usage", "a host is needed")
    if flow is not None and flow not in FLOWS:
        raise OAuthFailure("usage", f"flow must be one of {', '.join(FLOWS)}")
    default_scopes = PREFIX_DEV_SCOPES if is_prefix_dev(host) else DEFAULT_SCOPES
    return LoginPlan(
        host=host,
        key=oauth_login_key(host),
        issuer=issuer or ensure_scheme(host.strip()),
        client_id=client_id or DEFAULT_CLIENT_ID,
        scopes=tuple(dict.fromkeys(scopes)) or default_scopes,
        flow=flow or "device-code",
        redirect_uri=redirect_uri,
    )


def login_store(inventory: Inventory) -> Store:
    """Where `pixi auth login` stores (and rattler's refresh writes back): the first store that
    accepts a write — RATTLER_AUTH_FILE if set, else the keychain if usable, else credentials.json."""
    usable = (StoreState.OK, StoreState.MISSING)
    for store_id in (AUTH_FILE, KEYCHAIN, CREDENTIALS):
        store = inventory.store(store_id)
        if store is not None and store.writable and inventory.snapshots[store_id].state in usable:
            return store
    credentials = inventory.store(CREDENTIALS)
    assert credentials is not None
    return credentials


# -- transport -------------------------------------------------------------------------


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_safe_url(url: str, what: str) -> None:
    """Tokens only travel over https (plain http only to this machine)."""
    problem = unsafe_url(url, what)
    if problem:
        raise OAuthFailure("usage", problem)


def unsafe_url(url: str, what: str) -> str | None:
    """Why no token may travel to `url` (None: https, or plain http to this machine)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "https" or (scheme == "http" and is_loopback(url)):
        return None
    return f"the {what} {url!r} is not https: tokens would travel unencrypted"


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int] | None:
    """rattler's origin of a URL (challenge_middleware's `origin_key`): scheme, host and the
    port or the scheme's default; None for a URL without them."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return scheme, parts.hostname.lower(), port


def foreign_url(url: str, what: str, anchors: tuple[str, ...]) -> str | None:
    """Why a credential may not be sent to `url`: not https (plain http only to this machine),
    or on another origin than every one of `anchors` (the issuer, the token endpoint). rattler
    never hands a token for one origin to another; neither do we. None: it may."""
    problem = unsafe_url(url, what)
    if problem:
        return problem
    own = origin(url)
    if own is None or own not in {origin(anchor) for anchor in anchors}:
        return f"the {what} {url!r} is on another host than the issuer and its token endpoint"
    return None


def needs_refresh(cred: OAuth, now: float | None = None) -> bool:
    """rattler's rule: refresh when the access token expires within 300 s (never without expiry)."""
    if cred.expires_at is None:
        return False
    return cred.expires_at - int(time.time() if now is None else now) < REFRESH_SKEW_SECONDS


class TokenDetails(NamedTuple):
    """Non-secret facts about a token entry, for `pixi auth status`-like display."""

    expires_at: int | None
    refresh_token: bool | None  # None: not an OAuth entry
    issuer: str | None
    client_id: str | None
    scopes: tuple[str, ...]
    subject: str | None
    audience: tuple[str, ...]
    token_endpoint: str | None = None
    revocation_endpoint: str | None = None
    refresh_due: bool = False
    # An OAuth `expires_at` outside years 1970–9999, said in words (`expires_at` is then None).
    expiry_note: str | None = None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def token_details(cred: Credential, now: float | None = None) -> TokenDetails | None:
    """Claims decoded locally, as `pixi auth status` does (`scope` split, plus `scp`); None when
    there is nothing to tell (not a token, or a bearer token that is not a JWT)."""
    token = secret_of(cred) if KINDS[cred.kind].expiry else None
    if token is None:
        return None
    claims = jwt_claims(token) or {}
    if not claims and not is_oauth(cred):
        return None
    scope = claims.get("scope")
    scopes = sorted(set((scope.split() if isinstance(scope, str) else []) + _strings(claims.get("scp"))))
    jwt_exp = expiry.unix_time(claims.get("exp"), jwt=True)
    client = claims.get("client_id") or claims.get("azp")
    if is_oauth(cred):
        return TokenDetails(
            expires_at=expires_at(cred) if cred.expires_at is not None else jwt_exp,
            refresh_token=cred.refresh_token is not None,
            issuer=claims.get("iss") if isinstance(claims.get("iss"), str) else None,
            client_id=cred.client_id,
            scopes=tuple(scopes),
            subject=claims.get("sub") if isinstance(claims.get("sub"), str) else None,
            audience=tuple(_strings(claims.get("aud"))),
            token_endpoint=cred.token_endpoint,
            revocation_endpoint=cred.revocation_endpoint,
            refresh_due=needs_refresh(cred, now),
            expiry_note=expiry.unshowable(cred.expires_at)
            if cred.expires_at is not None and expires_at(cred) is None
            else None,
        )
    return TokenDetails(
        expires_at=jwt_exp,
        refresh_token=None,
        issuer=claims.get("iss") if isinstance(claims.get("iss"), str) else None,
        client_id=client if isinstance(client, str) else None,
        scopes=tuple(scopes),
        subject=claims.get("sub") if isinstance(claims.get("sub"), str) else None,
        audience=tuple(_strings(claims.get("aud"))),
    )


def countdown(expires_at: int | None, now: float | None = None) -> str:
    """`expires in 1h 02m 05s` / `expired 3m 10s ago` / `no expiry recorded`."""
    if expires_at is None:
        return "no expiry recorded"
    if expiry.unix_time(expires_at) is None:
        return expiry.unshowable(expires_at)
    delta = int(expires_at - (time.time() if now is None else now))
    span = abs(delta)
    hours, rest = divmod(span, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours}h {minutes:02d}m {seconds:02d}s" if hours else f"{minutes}m {seconds:02d}s"
    if hours >= 48:
        text = f"{hours // 24}d {hours % 24}h"
    return f"expires in {text}" if delta > 0 else f"expired {text} ago"
