"""A real HTTP server on 127.0.0.1 that serves repodata only to the right credential."""

from __future__ import annotations

import base64
import json
import socketserver
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken, Credential

REPODATA = json.dumps({"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": {}}).encode()


def serve_in_background(server: socketserver.BaseServer) -> threading.Thread:
    """Serve on a daemon thread. `shutdown()` waits for the accept loop to look at its flag, which
    it does once per `poll_interval` (0.5 s by default, a wait each test would pay at teardown):
    looking every 50 ms ends a server at once and costs nothing."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return thread


@dataclass
class Seen:
    path: str
    authorization: str | None


@dataclass
class RepoServer:
    """`expect[channel] = credential`: requests for /channel/... must carry exactly it."""

    port: int = 0
    expect: dict[str, Credential] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def url(self, channel: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{channel}"

    def authorised(self, path: str, authorization: str | None) -> bool:
        parts = path.lstrip("/").split("/")
        token = None
        if len(parts) > 2 and parts[0] == "t":
            token, parts = parts[1], parts[2:]
        cred = self.expect.get(parts[0])
        if cred is None:
            return False
        if isinstance(cred, CondaToken):
            return token == cred.token and authorization is None
        if token is not None:
            return False
        if isinstance(cred, BearerToken):
            return authorization == f"Bearer {cred.token}"
        if isinstance(cred, BasicHTTP):
            raw = f"{cred.username}:{cred.password}".encode()
            return authorization == "Basic " + base64.b64encode(raw).decode()
        return False


def start_repo_server() -> tuple[RepoServer, ThreadingHTTPServer]:
    state = RepoServer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_HEAD(self) -> None:
            # rattler asks with HEAD whether .zst/.bz2 variants exist; a 501 would make it retry.
            self.do_GET(body=False)

        def do_GET(self, body: bool = True) -> None:
            auth = self.headers.get("Authorization")
            state.seen.append(Seen(self.path, auth))
            if not state.authorised(self.path, auth):
                self._empty(401)
                return
            if not self.path.endswith("/noarch/repodata.json"):
                self._empty(404)  # .zst/.bz2/shards probes: absent, as on a plain channel
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(REPODATA)))
            self.end_headers()
            if body:
                self.wfile.write(REPODATA)

        def _empty(self, status: int) -> None:
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    serve_in_background(server)
    return state, server


def _set(event: threading.Event) -> threading.Event:
    event.set()
    return event


# -- a scripted server for the probe tests -------------------------------------------------------


@dataclass
class ScriptedServer:
    """Routes by path prefix; records every request it receives (path and Authorization)."""

    scheme: str = "http"
    host: str = "127.0.0.1"
    port: int = 0
    seen: list[Seen] = field(default_factory=list)
    valid_bearer: str = "good-token"
    valid_basic: tuple[str, str] = ("user", "pass")
    valid_conda: str = "conda-good"
    redirect_to: str = ""
    # Cleared, every request waits until it is set again (a test holds answers back while it
    # looks at what is in flight: a condition, never a time).
    answering: threading.Event = field(default_factory=lambda: _set(threading.Event()))

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def credential_ok(self, path: str, authorization: str | None) -> bool:
        if path.startswith(f"/t/{self.valid_conda}/"):
            return True
        if authorization == f"Bearer {self.valid_bearer}":
            return True
        user, password = self.valid_basic
        return authorization == "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def start_scripted_server(state: ScriptedServer, tls_context=None) -> ThreadingHTTPServer:
    import time as _time

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            auth = self.headers.get("Authorization")
            state.seen.append(Seen(self.path, auth))
            if _origin_form(self.path) == "/api/graphql" and "viewer" in body.get("query", ""):
                viewer = {"login": "graph-user"} if auth == f"Bearer {state.valid_bearer}" else None
                self._json(200, {"data": {"viewer": viewer}})
                return
            self._json(404, {})

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            state.seen.append(Seen(self.path, auth))
            path = _origin_form(self.path)
            ok = state.credential_ok(path, auth)
            if path.startswith("/t/"):
                path = "/" + path.split("/", 3)[3]
            state.answering.wait()
            if path.startswith("/public"):
                self._json(200, {"public": True})
            elif path.startswith("/missing"):
                self._json(404, {})
            elif path.startswith("/broken"):
                self._json(500, {})
            elif path.startswith("/slow"):
                _time.sleep(3)
                self._json(200, {})
            elif path.startswith("/away"):
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path.startswith("/hop"):
                self.send_response(302)
                self.send_header("Location", "/private/after-hop")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/user":  # anaconda.org's account API: `Authorization: token <conda token>`
                valid = auth == f"token {state.valid_conda}"
                self._json(200 if valid else 401, {"login": "anaconda-user"} if valid else {})
            elif path.startswith("/api/me"):
                self._json(200, {"user": {"username": "quetz-user"}} if ok else {}, 200 if ok else 401)
            elif ok:
                self._json(200, {"private": True})
            else:
                self._json(401, {})

        def _json(self, status: int, data: object, code: int | None = None) -> None:
            raw = json.dumps(data).encode()
            self.send_response(code or status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: object) -> None:
            pass

    server = _TLSThreadingServer((state.host, 0), Handler)
    server.daemon_threads = True
    server.tls_context = tls_context
    if tls_context is not None:
        state.scheme = "https"
    state.port = server.server_address[1]
    serve_in_background(server)
    return server


def _origin_form(path: str) -> str:
    """A proxy receives `http://host/path`; route it as `/path` (what `seen` records is raw)."""
    if path.startswith(("http://", "https://")):
        parts = urlsplit(path)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return path


class _TLSThreadingServer(ThreadingHTTPServer):
    """TLS handshakes happen in each connection's own thread, so a client that gives up
    mid-handshake (an untrusted certificate) cannot block the accept loop or shutdown."""

    tls_context = None

    def finish_request(self, request, client_address) -> None:
        request.settimeout(10)
        if self.tls_context is not None:
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except OSError:
                return
        super().finish_request(request, client_address)


# -- a recording forward proxy: py-rattler reaches any hostname through it ------------------------


@dataclass
class ProxiedRequest:
    url: str  # absolute, as a client sends it to a proxy
    authorization: str | None


def start_recording_proxy() -> tuple[list[ProxiedRequest], ThreadingHTTPServer]:
    """An HTTP proxy on 127.0.0.1 that answers every request 404 itself and records it.

    With `http_proxy` pointing here, a client's request for `http://any.host/...` arrives
    with the absolute URL and the credential the client chose for that host, so generated
    host names need no DNS and nothing leaves the machine.
    """
    seen: list[ProxiedRequest] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(ProxiedRequest(self.path, self.headers.get("Authorization")))
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_HEAD = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    serve_in_background(server)
    return seen, server


def moto_s3_user(endpoint: str, user: str) -> tuple[str, str, Any]:
    """On a moto server: an IAM user allowed everything in S3, its keys, and an S3 client signing as it."""
    import boto3

    iam = boto3.client(
        "iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    iam.create_user(UserName=user)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    iam.put_user_policy(UserName=user, PolicyName="all", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    return key["AccessKeyId"], key["SecretAccessKey"], s3


# -- a CI's OIDC id-token endpoint ------------------------------------------------------------


class IdTokenEndpoint:
    """GitHub's ACTIONS_ID_TOKEN_REQUEST_URL on 127.0.0.1: /ok hands out a token, /deny answers 403."""

    def __init__(self, token: str) -> None:
        self.seen: list[tuple[str, dict, str | None]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                endpoint.seen.append((parts.path, parse_qs(parts.query), self.headers.get("Authorization")))
                body = json.dumps({"value": token}).encode() if parts.path == "/ok" else b"{}"
                self.send_response(200 if parts.path == "/ok" else 403)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.handle_error = lambda *_args: None  # type: ignore[method-assign]  # clients drop idle connections
        serve_in_background(self.server)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"


# -- prefix.dev's CI sign-in, on 127.0.0.1 ------------------------------------------------------


@dataclass
class PrefixDevStandIn:
    """prefix.dev as pixi's CI sign-in meets it, over real TLS (a trustme CA): channels answer
    401 with a `Bearer` challenge unless they get `Bearer <minted>`; `POST /api/oidc/mint_token`
    exchanges the expected OIDC ID token for `minted` (rattler reads the body as the token).
    Reached as https://prefix.dev through `start_tunnel_proxy`."""

    id_token: str
    minted: str
    port: int = 0
    challenge: str = 'Bearer realm="prefix.dev"'
    mint_status: int = 200  # anything else: the mint refuses with this status
    accepts_minted: bool = True
    mint_bodies: list[dict] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    moved_to: str = "/"  # GET /moved/<path> answers 302 to <moved_to><path> (a channel behind a redirect)
    minted_goes_to: str = ""  # set: a request with the minted token is redirected there


def start_prefix_dev(state: PrefixDevStandIn, tls_context) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            state.seen.append(Seen(self.path, self.headers.get("Authorization")))
            if self.path != "/api/oidc/mint_token":
                self._answer(404, b"")
                return
            body = json.loads(raw or b"{}")
            state.mint_bodies.append(body)
            if state.mint_status != 200:
                self._answer(state.mint_status, b"trusted publisher not configured")
            elif body.get("token") == state.id_token:
                self._answer(200, state.minted.encode("utf-8"))
            else:
                self._answer(401, b"invalid OIDC token")

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            state.seen.append(Seen(self.path, auth))
            if self.path.startswith("/moved/"):
                self.send_response(302)
                self.send_header("Location", state.moved_to + self.path[len("/moved/") :])
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif state.minted_goes_to and auth == f"Bearer {state.minted}":
                self.send_response(302)
                self.send_header("Location", state.minted_goes_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif state.accepts_minted and auth == f"Bearer {state.minted}":
                self._answer(200, REPODATA)
            else:
                self._answer(401, b"", challenge=True)

        def _answer(self, status: int, body: bytes, challenge: bool = False) -> None:
            self.send_response(status)
            if challenge and state.challenge:
                self.send_header("WWW-Authenticate", state.challenge)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = _TLSThreadingServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.tls_context = tls_context
    state.port = server.server_address[1]
    serve_in_background(server)
    return server


def start_tunnel_proxy(routes: dict[str, int]) -> tuple[list[str], ThreadingHTTPServer]:
    """An HTTP proxy on 127.0.0.1 that tunnels `CONNECT host:port` to 127.0.0.1:routes[host:port]
    (a client then verifies the TLS server there as that host) and refuses every other request,
    so nothing leaves the machine. Returns the CONNECT targets asked for, and the server."""
    import select
    import socket

    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_CONNECT(self) -> None:
            asked.append(self.path)
            port = routes.get(self.path)
            if port is None:
                self.send_error(502, "no route")
                return
            upstream = socket.create_connection(("127.0.0.1", port))
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            sockets = [self.connection, upstream]
            try:
                while True:
                    readable, _, _ = select.select(sockets, [], [], 30)
                    if not readable:
                        break
                    for sock in readable:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is self.connection else self.connection).sendall(data)
            except OSError:
                return
            finally:
                upstream.close()
                self.close_connection = True

        def do_GET(self) -> None:
            self.send_error(502, "no route")

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda *_args: None  # type: ignore[method-assign]  # clients hang up mid-tunnel
    serve_in_background(server)
    return asked, server
