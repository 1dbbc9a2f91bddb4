"""How test-all reaches many hosts: one SSLContext, a connection pool per origin, bounded
concurrency per host, no work per request that belongs to start-up. Real servers on
127.0.0.x (HTTPS with a trustme CA); speed itself is measured in bench/probe_all.py."""

import asyncio
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest
import trustme
from pixi_auth_tui.core.model import BearerToken
from pixi_auth_tui.probe import request as probe_module
from pixi_auth_tui.probe import transport as transport_module
from pixi_auth_tui.probe.request import PER_HOST_CONCURRENCY, ProbeJob, ProbeOptions, make_client, probe_many
from pixi_auth_tui.probe.state import Verdict

from tests.servers import _TLSThreadingServer

HOSTS = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]


class _Counting:
    """Requests being answered at once, per server, at their highest."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open = 0
        self.peak = 0
        self.hold = 0.0  # seconds each answer waits, so that the client can pile requests up

    def __enter__(self) -> None:
        with self.lock:
            self.open += 1
            self.peak = max(self.peak, self.open)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.open -= 1


@pytest.fixture(scope="module")
def tls_servers(tmp_path_factory):
    """A TLS server per loopback address, each with its own certificate from one test CA."""
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    servers, running = [], []
    for host in HOSTS:
        counting = _Counting()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            counter = counting

            def do_GET(self) -> None:
                with self.counter:
                    time.sleep(self.counter.hold)
                    ok = self.headers.get("Authorization") == "Bearer good-token"
                    self.send_response(200 if ok else 401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(host).configure_cert(context)
        server = _TLSThreadingServer((host, 0), Handler)
        server.daemon_threads = True
        server.tls_context = context
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        running.append(server)
        servers.append((host, server.server_address[1], counting))
    yield str(ca_file), servers
    for server in running:
        server.shutdown()


def jobs_for(servers, per_host: int) -> list[ProbeJob]:
    return [
        ProbeJob(host, BearerToken("good-token"), f"https://{host}:{port}/c{i}/noarch/repodata.json", f"{host}/{i}")
        for host, port, _counting in servers
        for i in range(per_host)
    ]


async def test_many_hosts_share_one_ssl_context_and_each_origin_has_its_own_pool(tls_servers, monkeypatch):
    ca_file, servers = tls_servers
    built = []
    real = probe_module.ssl_context
    monkeypatch.setattr(probe_module, "ssl_context", lambda options: built.append(1) or real(options))
    options = ProbeOptions(env={"SSL_CERT_FILE": ca_file}, generic_whoami=False, total_timeout=30)
    results = await probe_many(jobs_for(servers, 2), options)
    assert [r.verdict for r in results] == [Verdict.ACCEPTED] * 6
    assert all(r.tls and r.tls.startswith("verified") for r in results)  # TLS verified, as rattler does
    assert built == [1]  # one trust store loaded for the whole run, not one per host or client

    made: list[transport_module.PoolPerOrigin] = []
    real_pool = probe_module.PoolPerOrigin
    monkeypatch.setattr(probe_module, "PoolPerOrigin", lambda make: made.append(real_pool(make)) or made[-1])
    client = make_client(options)
    try:
        for host, port, _counting in servers:
            response = await client.get(f"https://{host}:{port}/x")
            assert response.status_code == 401
            # verified against the run's one SSLContext
            assert response.extensions["network_stream"].get_extra_info("ssl_object") is not None
        # one pool per origin: a pool never looks through another host's connections
        assert len(made) == 1 and made[0].origins == len(servers)
    finally:
        await client.aclose()


async def test_concurrency_per_host_is_bounded(tls_servers):
    ca_file, servers = tls_servers
    host, port, counting = servers[0]
    counting.peak, counting.hold = 0, 0.3
    options = ProbeOptions(env={"SSL_CERT_FILE": ca_file}, generic_whoami=False, total_timeout=30)
    jobs = jobs_for([(host, port, counting)], 3 * PER_HOST_CONCURRENCY)
    try:
        results = await probe_many(jobs, options, concurrency=100)
    finally:
        counting.hold = 0.0
    assert [r.verdict for r in results] == [Verdict.ACCEPTED] * len(jobs)
    # Each probe sends two requests together (credentialed + anonymous); at most
    # PER_HOST_CONCURRENCY probes per host run at once, however high the overall concurrency.
    assert 1 <= counting.peak <= 2 * PER_HOST_CONCURRENCY


async def test_no_import_is_attempted_per_request(tls_servers):
    """httpcore imports sniffio on every request; without it each import failed anew and
    searched sys.path (a third of the client's CPU per request)."""
    ca_file, servers = tls_servers
    options = ProbeOptions(env={"SSL_CERT_FILE": ca_file}, generic_whoami=False, total_timeout=30)
    await probe_many(jobs_for(servers, 1), options)  # first run: whatever loads on first use

    looked_up: list[str] = []

    class Spy:
        def find_spec(self, name: str, path: object = None, target: object = None) -> None:
            looked_up.append(name)

    spy = Spy()
    sys.meta_path.insert(0, spy)  # type: ignore[arg-type]
    try:
        results = await probe_many(jobs_for(servers, 2), options)
    finally:
        sys.meta_path.remove(spy)  # type: ignore[arg-type]
    assert [r.verdict for r in results] == [Verdict.ACCEPTED] * 6
    assert looked_up == []


def test_commands_that_send_nothing_never_load_the_network_stack(home):
    """httpx (with httpcore, anyio, h11) costs tens of milliseconds to import: only a command
    that probes may pay for it. A stored credential makes every command do its real work."""
    (home / ".rattler").mkdir()
    (home / ".rattler" / "credentials.json").write_text('{"127.0.0.1":{"BearerToken":"t"}}')
    code = (
        "import sys, contextlib, io\n"
        "from pixi_auth_tui.cli.main import main_entry\n"
        "for argv in (['list', '--json'], ['list'], ['audit', '--json'], ['resolve', 'https://127.0.0.1/c']):\n"
        "    sys.argv = ['pixi-auth-tui', *argv]\n"
        "    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "        main_entry()\n"
        "print(sorted(m for m in ('httpx', 'httpcore', 'anyio', 'h11') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


async def test_closing_never_waits_for_a_server_that_ignores_close_notify(tmp_path):
    """asyncio's TLS transport waits up to 30 s for the peer's close_notify; a server that
    answers and then reads nothing more must not hold the probe (nor test-all) that long."""
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    held = []

    def serve() -> None:
        for _ in range(2):  # the credentialed and the anonymous request
            conn, _addr = listener.accept()
            tls = context.wrap_socket(conn, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                head += tls.recv(4096)
            status = b"200 OK" if b"authorization: bearer good-token" in head.lower() else b"401 Unauthorized"
            tls.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
            held.append(tls)  # answered; from now on it reads nothing and closes nothing

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    options = ProbeOptions(env={"SSL_CERT_FILE": str(ca_file)}, generic_whoami=False, total_timeout=30)
    try:
        # far below asyncio's 30 s shutdown wait, far above a probe on a loaded machine
        result = await asyncio.wait_for(
            probe_module.probe("127.0.0.1", BearerToken("good-token"), f"https://127.0.0.1:{port}/c", options), 20
        )
    finally:
        for tls in held:
            tls.close()
        listener.close()
    assert result.verdict is Verdict.ACCEPTED
