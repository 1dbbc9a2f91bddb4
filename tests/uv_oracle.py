"""The real uv (`uv==0.11.15`, the one pixi 0.77 pins) as the oracle for uv's half of PyPI auth.

A recording HTTP proxy on 127.0.0.1 answers every request 401 and records its Authorization
header; `uv pip compile` asks each case's index (a host name of its own, so no DNS and nothing
leaves the machine) with HOME, XDG dirs, NETRC, UV_* and the keyring pointed into the case's
folder. What uv sent = the Authorization headers the proxy saw for that host. Cases run in
parallel, a few uv processes at a time.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.servers import serve_in_background

TESTS = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
UV = VENV_BIN / "uv"
PROJECT = "tinypkg"


@dataclass
class Recorder:
    by_host: dict[str, list[str | None]] = field(default_factory=lambda: defaultdict(list))
    by_url: dict[str, list[str | None]] = field(default_factory=lambda: defaultdict(list))  # netloc + path
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sent(self, host_port: str) -> list[str | None]:
        with self.lock:
            return list(self.by_host.get(host_port, []))

    def sent_under(self, prefix: str) -> list[str | None]:
        """What was sent to URLs starting with `prefix` (`host[:port]/path`), in order: several
        indexes on one host are told apart by their paths."""
        with self.lock:
            return [h for url, headers in self.by_url.items() if url.startswith(prefix) for h in headers]


def start_refusing_proxy() -> tuple[Recorder, ThreadingHTTPServer]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            with recorder.lock:
                recorder.by_host[parts.netloc].append(self.headers.get("Authorization"))
                recorder.by_url[parts.netloc + parts.path].append(self.headers.get("Authorization"))
            body = b"unauthorised"
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda *_args: None  # type: ignore[method-assign]  # uv drops idle connections
    serve_in_background(server)
    return recorder, server


@dataclass
class UvCase:
    name: str
    index_url: str  # as given to --index-url
    host_port: str  # where the proxy sees it (host[:port])
    home: Path
    env: dict[str, str]  # the whole environment uv (and our resolve) runs with
    keyring_provider: str = "disabled"
    expected: str | None = None  # filled by the test: what our model says uv sends


def case_env(home: Path, proxy_port: int, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        # One cache for all cases (beside their homes): it keeps the interpreter's details, which
        # uv otherwise asks Python for on every run; refused index pages are never cached.
        "UV_CACHE_DIR": str(home.parent / "uv-cache"),
        "UV_NO_CONFIG": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_HTTP_RETRIES": "0",
        "UV_HTTP_TIMEOUT": "30",
        "HTTP_PROXY": f"http://127.0.0.1:{proxy_port}",
        "http_proxy": f"http://127.0.0.1:{proxy_port}",
        "NO_PROXY": "",
        "no_proxy": "",
        "PYTHONPATH": str(TESTS),
        "PYTHON_KEYRING_BACKEND": "fake_keyring_backend.FileKeyring",
        "FAKE_KEYRING_FILE": str(home / "keyring.json"),
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/pixi-auth-tui-tests-have-no-session-bus",
    }
    env.update(extra or {})
    return env


def run_uv(case: UvCase) -> subprocess.CompletedProcess[bytes]:
    command = [
        str(UV),
        "pip",
        "compile",
        "-",
        "--python",
        sys.executable,
        "--index-url",
        case.index_url,
        "--keyring-provider",
        case.keyring_provider,
    ]
    return subprocess.run(
        command,
        input=f"{PROJECT}\n".encode(),
        capture_output=True,
        env=case.env,
        cwd=case.home,
        timeout=120,
        check=False,
    )


def run_all(cases: Iterable[UvCase], workers: int = 4) -> dict[str, subprocess.CompletedProcess[bytes]]:
    cases = list(cases)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(run_uv, cases))
    return {case.name: result for case, result in zip(cases, results, strict=True)}


def decode(header: str | None) -> str | None:
    """`Basic <b64>` → `basic user:password`; `Bearer t` → `bearer t`; None stays None."""
    if header is None:
        return None
    if header.startswith("Basic "):
        return "basic " + base64.b64decode(header[6:]).decode("utf-8", "replace")
    if header.startswith("Bearer "):
        return "bearer " + header[7:]
    return header


def credential_sent(headers: list[str | None]) -> str | None:
    """The credential uv ended up sending (its last authorised attempt), decoded."""
    with_credential = [h for h in headers if h is not None]
    return decode(with_credential[-1]) if with_credential else None
