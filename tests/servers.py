"""A real HTTP server on 127.0.0.1 that serves repodata only to the right credential."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app.model import BasicHTTP, BearerToken, CondaToken, Credential

REPODATA = json.dumps({"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": {}}).encode()


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
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
