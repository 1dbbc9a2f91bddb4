"""A small OpenID Connect provider on 127.0.0.1 for the OAuth tests.

It speaks the real protocols over real HTTP: discovery, device authorization (RFC 8628,
with scripted `slow_down`, denial and expiry), authorization code with PKCE (S256 checked),
the refresh-token grant (rotating refresh tokens), revocation (RFC 7009) and userinfo.
Tokens are JWTs signed with joserfc (HS256), so the app's claim decoding has real input.
It also serves a conda channel (`/chan/...`) that answers only to a live access token, so
py-rattler's requests prove which token it sent.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import OctKey

from tests.servers import serve_in_background

REPODATA = json.dumps({"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": {}}).encode()
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Device:
    device_code: str
    user_code: str
    client_id: str
    scope: str
    # Answers given to the next polls, in order ("slow_down", "pending", "approve", "deny", "expire");
    # when empty: pending until approve()/deny() is called.
    script: list[str] = field(default_factory=list)
    state: str = "pending"
    polls: int = 0


@dataclass
class Grant:
    client_id: str
    scope: str
    sub: str
    revoked: bool = False
    expires_at: int = 0


@dataclass
class Provider:
    port: int = 0
    access_lifetime: int = 3600
    device_interval: int = 1
    device_expires_in: int = 600
    rotate_refresh: bool = True
    revocation_status: int = 200  # e.g. 503 to make revocation fail
    clients: dict[str, str | None] = field(default_factory=lambda: {"rattler": None, "confidential": "cl-s3cret"})
    user: dict[str, str] = field(
        default_factory=lambda: {"sub": "user-1234", "preferred_username": "alice", "email": "alice@example.test"}
    )
    device_script: list[str] = field(default_factory=list)  # script given to the next device code
    token_nonsense: bool = False  # the token endpoint answers 200 with a body that is no JSON
    # A hostile provider (issue 23): what its answers hold instead of, or beside, the honest ones.
    token_raw: bytes | None = None  # the token endpoint's 200 answer, byte for byte
    token_extra: dict[str, object] = field(default_factory=dict)  # merged into issued tokens
    drip_seconds: float = 0.0  # > 0: the token endpoint sends its whole answer a byte at a time
    discovery_extra: dict[str, object] = field(default_factory=dict)  # merged into the metadata
    discovery_padding: int = 0  # bytes of filler in the metadata
    discovery_unsized: bool = False  # the metadata is sent without Content-Length, then closed
    device_extra: dict[str, object] = field(default_factory=dict)  # merged into device answers
    userinfo_auth: list[str | None] = field(default_factory=list)
    drip_cut: threading.Event = field(default_factory=threading.Event)  # the client hung up mid-drip
    devices: dict[str, Device] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    revocations: list[dict[str, str]] = field(default_factory=list)
    channel_auth: list[str | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    key: OctKey = field(default_factory=lambda: OctKey.generate_key(256))

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def channel_url(self) -> str:
        return f"{self.issuer}/chan"

    def reset(self) -> None:
        with self.lock:
            self.access_lifetime, self.device_interval, self.device_expires_in = 3600, 1, 600
            self.rotate_refresh, self.revocation_status, self.token_nonsense = True, 200, False
            self.token_raw, self.drip_seconds, self.discovery_padding, self.discovery_unsized = None, 0.0, 0, False
            for extra in (self.token_extra, self.discovery_extra, self.device_extra):
                extra.clear()
            self.userinfo_auth.clear()
            self.drip_cut.clear()
            for store in (self.devices, self.codes, self.access, self.refresh):
                store.clear()
            for log in (self.device_script, self.token_requests, self.revocations, self.channel_auth):
                log.clear()

    # -- what a person does in the browser ---------------------------------------------------

    def approve(self, user_code: str) -> None:
        self._set_state(user_code, "approved")

    def deny(self, user_code: str) -> None:
        self._set_state(user_code, "denied")

    def _set_state(self, user_code: str, state: str) -> None:
        with self.lock:
            device = next(d for d in self.devices.values() if d.user_code == user_code)
            device.state = state

    def revoke_all(self) -> None:
        with self.lock:
            for grant in [*self.access.values(), *self.refresh.values()]:
                grant.revoked = True

    def live_access_tokens(self) -> list[str]:
        now = time.time()
        return [t for t, g in self.access.items() if not g.revoked and g.expires_at > now]

    # -- protocol -------------------------------------------------------------------------

    def discovery(self) -> dict[str, object]:
        base = self.issuer
        padding = {"x-padding": "p" * self.discovery_padding} if self.discovery_padding else {}
        return (
            padding
            | self.discovery_extra
            | {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "device_authorization_endpoint": f"{base}/device",
                "revocation_endpoint": f"{base}/revoke",
                "userinfo_endpoint": f"{base}/userinfo",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT],
                "code_challenge_methods_supported": ["S256"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["HS256"],
            }
            | self.discovery_extra
        )

    def _issue(self, client_id: str, scope: str) -> dict[str, object]:
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": self.user["sub"], "aud": client_id, "iat": now, "client_id": client_id}
        access = jwt.encode(
            {"alg": "HS256"},
            {**claims, "exp": now + self.access_lifetime, "scope": scope, "jti": secrets.token_hex(8)},
            self.key,
        )
        refresh = "rt-" + secrets.token_urlsafe(24)
        self.access[access] = Grant(client_id, scope, self.user["sub"], expires_at=now + self.access_lifetime)
        self.refresh[refresh] = Grant(client_id, scope, self.user["sub"])
        id_token = jwt.encode({"alg": "HS256"}, {**claims, "exp": now + 600, **self.user}, self.key)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_lifetime,
            "refresh_token": refresh,
            "id_token": id_token,
            "scope": scope,
        } | self.token_extra

    def client_of(self, form: dict[str, str], authorization: str | None) -> str | None:
        """The authenticated client id, or None when client authentication fails."""
        client_id = form.get("client_id")
        secret = None
        if authorization and authorization.startswith("Basic "):
            raw = base64.b64decode(authorization[6:]).decode()
            client_id, _, secret = raw.partition(":")
        if client_id not in self.clients:
            return None
        expected = self.clients[client_id]
        if expected is not None and secret != expected:
            return None
        return client_id

    def token(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, object]]:
        self.token_requests.append(form)
        client_id = self.client_of(form, authorization)
        if client_id is None:
            return 401, {"error": "invalid_client"}
        grant_type = form.get("grant_type")
        if grant_type == DEVICE_GRANT:
            return self._device_token(form, client_id)
        if grant_type == "authorization_code":
            code = self.codes.pop(form.get("code", ""), None)
            if code is None or code["client_id"] != client_id or code["redirect_uri"] != form.get("redirect_uri"):
                return 400, {"error": "invalid_grant"}
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if digest != code["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
            return 200, self._issue(client_id, code["scope"])
        if grant_type == "refresh_token":
            grant = self.refresh.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked or grant.client_id != client_id:
                return 400, {"error": "invalid_grant", "error_description": "refresh token revoked or unknown"}
            issued = self._issue(client_id, grant.scope)
            if self.rotate_refresh:
                grant.revoked = True
            else:
                del self.refresh[str(issued.pop("refresh_token"))]
            issued.pop("id_token")
            return 200, issued
        return 400, {"error": "unsupported_grant_type"}

    def _device_token(self, form: dict[str, str], client_id: str) -> tuple[int, dict[str, object]]:
        device = self.devices.get(form.get("device_code", ""))
        if device is None or device.client_id != client_id:
            return 400, {"error": "invalid_grant"}
        device.polls += 1
        state = device.script.pop(0) if device.script else device.state
        if state == "approve":
            state = device.state = "approved"
        answers = {"pending": "authorization_pending", "slow_down": "slow_down", "deny": "access_denied"}
        answers |= {"denied": "access_denied", "expire": "expired_token", "expired": "expired_token"}
        if state in answers:
            return 400, {"error": answers[state]}
        if state == "used":
            return 400, {"error": "invalid_grant"}
        device.state = "used"
        return 200, self._issue(client_id, device.scope)

    def device(self, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, object]]:
        client_id = self.client_of(form, authorization)
        if client_id is None:
            return 401, {"error": "invalid_client"}
        code = "dc-" + secrets.token_urlsafe(24)
        user_code = f"{secrets.token_hex(2).upper()}-{secrets.token_hex(2).upper()}"
        self.devices[code] = Device(code, user_code, client_id, form.get("scope", ""), script=list(self.device_script))
        return 200, {
            "device_code": code,
            "user_code": user_code,
            "verification_uri": f"{self.issuer}/activate",
            "verification_uri_complete": f"{self.issuer}/activate?user_code={user_code}",
            "expires_in": self.device_expires_in,
            "interval": self.device_interval,
        } | self.device_extra

    def authorize(self, query: dict[str, str]) -> str:
        """Auto-approves (the test's browser is already signed in) and returns the redirect."""
        if query.get("client_id") not in self.clients or query.get("code_challenge_method") != "S256":
            raise ValueError("bad authorization request")
        code = "ac-" + secrets.token_urlsafe(16)
        self.codes[code] = {
            "client_id": query["client_id"],
            "redirect_uri": query["redirect_uri"],
            "challenge": query["code_challenge"],
            "scope": query.get("scope", ""),
        }
        return f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"

    def revoke(self, form: dict[str, str]) -> int:
        self.revocations.append({k: v for k, v in form.items() if k != "token"} | {"token_hash": _h(form["token"])})
        if self.revocation_status != 200:
            return self.revocation_status
        for table in (self.access, self.refresh):
            if form.get("token") in table:
                table[form["token"]].revoked = True
        return 200


def _h(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def start_provider() -> tuple[Provider, ThreadingHTTPServer]:
    provider = Provider()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            parsed = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            return {k: v[-1] for k, v in parsed.items()}

        def do_POST(self) -> None:
            form = self._form()
            auth = self.headers.get("Authorization")
            path = urlsplit(self.path).path
            with provider.lock:
                drip = path == "/token" and provider.drip_seconds > 0
                if path == "/token" and provider.token_raw is not None:
                    status, answer = provider.token(form, auth)
                    self._raw(200 if status == 200 else status, provider.token_raw, "application/json", True)
                elif drip:
                    status, answer = provider.token(form, auth)
                elif path == "/token" and provider.token_nonsense:
                    self._raw(200, b"<html>maintenance</html>", "application/json", True)
                elif path == "/token":
                    self._json(*provider.token(form, auth))
                elif path == "/device":
                    self._json(*provider.device(form, auth))
                elif path == "/revoke":
                    self._json(provider.revoke(form), {})
                else:
                    self._json(404, {})
            if drip:  # outside the lock: the drip takes long, and other requests go on meanwhile
                self._drip(status, json.dumps(answer).encode())

        def _drip(self, status: int, raw: bytes) -> None:
            head = f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n"
            try:
                for byte in head.encode() + raw:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    if provider.drip_cut.wait(provider.drip_seconds):
                        break
            except OSError:
                provider.drip_cut.set()
            self.close_connection = True

        def do_HEAD(self) -> None:
            self.do_GET(body=False)

        def do_GET(self, body: bool = True) -> None:
            parts = urlsplit(self.path)
            auth = self.headers.get("Authorization")
            with provider.lock:
                if parts.path == "/.well-known/openid-configuration" and provider.discovery_unsized:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    with contextlib.suppress(OSError):  # the client may hang up: that is the point
                        self.wfile.write(json.dumps(provider.discovery()).encode())
                    self.close_connection = True
                elif parts.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif parts.path == "/authorize":
                    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                    self.send_response(302)
                    self.send_header("Location", provider.authorize(query))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif parts.path == "/userinfo":
                    provider.userinfo_auth.append(auth)
                    token = (auth or "").removeprefix("Bearer ")
                    live = token in provider.live_access_tokens()
                    self._json(200 if live else 401, provider.user if live else {"error": "invalid_token"})
                elif parts.path.startswith("/chan/"):
                    provider.channel_auth.append(auth)
                    token = (auth or "").removeprefix("Bearer ")
                    if token not in provider.live_access_tokens():
                        self._raw(401, b"", "text/plain", body)
                    elif parts.path.endswith("/noarch/repodata.json"):
                        self._raw(200, REPODATA, "application/json", body)
                    else:
                        self._raw(404, b"", "text/plain", body)
                else:
                    self._json(404, {})

        def _json(self, status: int, data: object) -> None:
            self._raw(status, json.dumps(data).encode(), "application/json", True)

        def _raw(self, status: int, raw: bytes, ctype: str, body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            if body:
                with contextlib.suppress(OSError):  # a client that refuses a huge answer hangs up
                    self.wfile.write(raw)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    provider.port = server.server_address[1]
    serve_in_background(server)
    return provider, server
