"""Sample pixi workspaces behind real local servers, for the workspace check tests.

Hosts (distinct loopback addresses, since rattler keys credentials on the host, not the port):
- 127.0.0.1 — a private conda channel (/private/) and a PyPI index (/simple/) behind HTTP basic
  auth, a public channel (/public/);
- 127.0.0.2 — the mirror the workspace's .pixi/config.toml sends `http://mirrored.example/chan`
  to, behind a bearer token;
- 127.0.0.3 — an open PyPI extra index;
- a moto S3 server holding bucket `chan` (s3-options in the manifest point at it).
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pixi_auth_tui.core.model import BasicHTTP, BearerToken, Credential, S3Credentials, dumps_credential

from tests.servers import moto_s3_user

BASIC = BasicHTTP("alice", "alice-pw-0123456789")
MIRROR_TOKEN = BearerToken("mirror-token-0123456789abcdef")
BIG = 64 * 1024 * 1024  # more than any socket buffer holds: the client must read it or drop it
REPODATA = json.dumps({"info": {"subdir": "noarch"}, "packages": {}}).encode()


@dataclass
class GuardedServer:
    """Each path prefix answers only to its credential (None: public); 401 otherwise."""

    host: str
    rules: dict[str, Credential | None] = field(default_factory=dict)
    port: int = 0
    seen: list[tuple[str, str | None]] = field(default_factory=list)
    # /big/…/repodata.json: BIG bytes, and whether the client read them all ("complete") or not.
    big_outcomes: list[str] = field(default_factory=list)
    big_done: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def allowed(self, path: str, authorization: str | None) -> bool:
        for prefix, cred in self.rules.items():
            if not path.startswith(prefix):
                continue
            if cred is None:
                return True
            if isinstance(cred, BearerToken):
                return authorization == f"Bearer {cred.token}"
            if isinstance(cred, BasicHTTP):
                raw = f"{cred.username}:{cred.password}".encode()
                return authorization == "Basic " + base64.b64encode(raw).decode()
        return False


def start_guarded(state: GuardedServer) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization")
            state.seen.append((self.path, auth))
            if not state.allowed(self.path, auth):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if "repodata" in self.path and not self.path.endswith("/repodata.json"):
                self.send_response(404)  # .zst/.bz2/shards: absent, as on a plain channel
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path.startswith("/big/") and self.path.endswith("/repodata.json"):
                self._big()
                return
            body = REPODATA if self.path.endswith("repodata.json") else b"<html><body>index</body></html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_HEAD = do_GET

        def _big(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(BIG // len(chunk)):
                    self.wfile.write(chunk)
                self.wfile.flush()
                state.big_outcomes.append("complete")
            except OSError:
                state.big_outcomes.append("abandoned")
                self.close_connection = True
            finally:
                state.big_done.set()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((state.host, 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


@dataclass
class Servers:
    main: GuardedServer
    mirror: GuardedServer
    extra: GuardedServer
    s3_endpoint: str
    s3_key: S3Credentials


def start_servers() -> Iterator[Servers]:
    from moto.server import ThreadedMotoServer

    main = GuardedServer("127.0.0.1", {"/private/": BASIC, "/simple/": BASIC, "/public/": None, "/big/": BASIC})
    mirror = GuardedServer("127.0.0.2", {"/mirror/": MIRROR_TOKEN})
    extra = GuardedServer("127.0.0.3", {"/simple/": None})
    running = [start_guarded(s) for s in (main, mirror, extra)]
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "4"  # then every S3 request must be signed
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its accounts and its free-action counter per process, shared with any other moto
    # server a test module started in this worker: start from a clean slate, and leave one.
    reset_moto(endpoint)
    key_id, secret_key, s3 = moto_s3_user(endpoint, "workspace-ci")
    s3.create_bucket(Bucket="chan")
    s3.put_object(Bucket="chan", Key="conda/noarch/repodata.json", Body=REPODATA)
    yield Servers(main, mirror, extra, endpoint, S3Credentials(key_id, secret_key))
    reset_moto(endpoint)
    moto.stop()
    for server in running:
        server.shutdown()
    os.environ.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)


def reset_moto(endpoint: str) -> None:
    """Empty every moto backend and allow the next four actions unsigned (moto's own API)."""
    import httpx

    with httpx.Client(trust_env=False) as client:
        client.post(f"{endpoint}/moto-api/reset").raise_for_status()
        client.post(f"{endpoint}/moto-api/reset-auth", content=b"4").raise_for_status()


LOCK = """version: 6
environments:
  default:
    channels:
    - url: {main}/private/
    - url: {main}/old-channel/
    packages:
      linux-64:
      - conda: {main}/private/noarch/foo-1.0-pyh0_0.conda
      - pypi: {main}/simple/files/bar-1.0-py3-none-any.whl
packages:
- conda: {main}/private/noarch/foo-1.0-pyh0_0.conda
  sha256: {zeros}
  md5: {md5}
  depends: []
  subdir: noarch
  noarch: python
  size: 1000
- pypi: {main}/simple/files/bar-1.0-py3-none-any.whl
  name: bar
  version: '1.0'
  sha256: {zeros}
"""


def write_workspace(root: Path, servers: Servers, lock: bool = True) -> Path:
    """Several features and environments, every kind of host; returns the manifest."""
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "pixi.toml"
    manifest.write_text(
        f"""
[workspace]
name = "sample"
channels = ["conda-forge", "{servers.main.base}/private", {{ channel = "{servers.main.base}/public", priority = 1 }}]
platforms = ["linux-64"]

[workspace.s3-options.chan]
endpoint-url = "{servers.s3_endpoint}"
region = "us-east-1"
force-path-style = true

[pypi-options]
index-url = "{servers.main.base}/simple"

[pypi-dependencies]
bar = "*"

[feature.gpu]
channels = ["s3://chan/conda"]

[feature.mirrored]
channels = ["http://mirrored.example/chan"]

[feature.extra.pypi-options]
extra-index-urls = ["{servers.extra.base}/simple"]

[feature.odd]
channels = [42]
surprise = true

[environments]
gpu = ["gpu", "extra"]
cuda = {{ features = ["mirrored"], no-default-feature = true }}
""",
        encoding="utf-8",
    )
    config = root / ".pixi" / "config.toml"
    config.parent.mkdir(exist_ok=True)
    config.write_text(f'[mirrors]\n"http://mirrored.example/chan" = ["{servers.mirror.base}/mirror"]\n')
    if lock:
        (root / "pixi.lock").write_text(LOCK.format(main=servers.main.base, zeros="0" * 64, md5="0" * 32))
    return manifest


def write_credentials(home: Path, entries: dict[str, Credential]) -> None:
    """rattler's credentials.json, written as rattler writes it."""
    folder = home / ".rattler"
    folder.mkdir(mode=0o700, exist_ok=True)
    doc = {key: json.loads(dumps_credential(cred)) for key, cred in entries.items()}
    path = folder / "credentials.json"
    path.write_text(json.dumps(doc, separators=(",", ":"), sort_keys=True))
    path.chmod(0o600)
