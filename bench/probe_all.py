"""Test-all over HTTPS beside its raw-asyncio floor, measured in the same run.

N keys, each its own loopback address (127.0.1.x, as a credential may only go to its own host),
served over TLS by a separate process that delays every response (200 ms by default). The
certificate comes from a throwaway CA (trustme) that the client trusts through SSL_CERT_FILE,
exactly as a user's extra CA would be; verification stays on everywhere.

Variants, run in interleaved rounds (the order rotating per round), each sending the same
2 × N requests (credentialed + anonymous per key, together):

- floor: raw asyncio streams, one shared SSLContext, one connection per request;
- ours: `probe_many`, as the UI's T and `test --all` run it;
- httpx, one client: a bare shared AsyncClient (one SSLContext), no pooling;
- httpx, client per key: a bare AsyncClient per key, each with its own SSLContext holding the
  system trust store and the CA (what `verify=True` does per client);
- httpx, per key, 1 ctx: the same, all sharing one SSLContext;
- aiohttp, one session: for comparison, when aiohttp is installed (it is no dependency).

Prints per variant the median wall time (min–max) and the client's CPU per request, and the
ratio ours / floor per round (median, min–max; target ≤ 2).

    python bench/probe_all.py [--keys 200] [--delay 0.2] [--rounds 5] [--concurrency N ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOOD = "good-token"


def address(i: int) -> str:
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


# -- the server (its own process, so it does not share the client's GIL) --------------------


async def serve(keys: int, delay: float, cert_dir: Path, ready: Callable[[int], None]) -> None:
    import trustme

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(cert_dir / "ca.pem"))
    want = f"authorization: bearer {GOOD}".encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(delay)
                status = b"200 OK" if want in head.lower() else b"401 Unauthorized"
                if head.split(b" ", 2)[1].startswith(b"/api/me"):
                    status = b"404 Not Found"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    def context_for(i: int) -> ssl.SSLContext:
        # Each host its own certificate, as on the Internet (one cert naming 200 hosts would
        # make every handshake carry and check all of them).
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(address(i)).configure_cert(context)
        return context

    first = await asyncio.start_server(handle, address(0), 0, ssl=context_for(0), backlog=1024)
    port = first.sockets[0].getsockname()[1]
    servers = [first] + [
        await asyncio.start_server(handle, address(i), port, ssl=context_for(i), backlog=1024) for i in range(1, keys)
    ]
    ready(port)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def run_server(args: argparse.Namespace) -> None:
    done = threading.Event()

    def ready(port: int) -> None:
        print(port, flush=True)
        done.set()

    asyncio.run(serve(args.keys, args.delay, Path(args.serve), ready))


# -- the clients ----------------------------------------------------------------------------


def path_for(i: int) -> str:
    return f"/k{i}/noarch/repodata.json"


async def floor(keys: int, port: int, ca: str) -> int:
    """The least a client can do: TLS connect, one request, read the answer, close."""
    context = ssl.create_default_context(cafile=ca)

    async def one(i: int, auth: bool) -> int:
        reader, writer = await asyncio.open_connection(address(i), port, ssl=context)
        header = f"Authorization: Bearer {GOOD}\r\n" if auth else ""
        writer.write(
            f"GET {path_for(i)} HTTP/1.1\r\nHost: {address(i)}:{port}\r\n{header}Connection: close\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        writer.close()
        return int(head.split(b" ", 2)[1])

    async def both(i: int) -> bool:
        authed, anon = await asyncio.gather(one(i, True), one(i, False))
        return authed == 200 and anon == 401

    return sum(await asyncio.gather(*(both(i) for i in range(keys))))


async def ours(keys: int, port: int, ca: str, concurrency: int | None = None) -> int:
    from pixi_auth_tui.core.model import BearerToken
    from pixi_auth_tui.probe.request import DEFAULT_CONCURRENCY, ProbeJob, ProbeOptions, probe_many
    from pixi_auth_tui.probe.state import Verdict

    jobs = [
        ProbeJob(address(i), BearerToken(GOOD), f"https://{address(i)}:{port}{path_for(i)}", str(i))
        for i in range(keys)
    ]
    # As the UI's T and `test --all` run it: no generic /api/me guess per key.
    options = ProbeOptions(env={"SSL_CERT_FILE": ca}, total_timeout=60, generic_whoami=False)
    results = await probe_many(jobs, options, concurrency=concurrency or DEFAULT_CONCURRENCY)
    assert all(r.tls and r.tls.startswith("verified") for r in results), results[0]
    return sum(r.verdict is Verdict.ACCEPTED for r in results)


async def _httpx_pair(client: object, i: int, port: int) -> bool:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    url = f"https://{address(i)}:{port}{path_for(i)}"
    authed, anon = await asyncio.gather(client.get(url, headers={"Authorization": f"Bearer {GOOD}"}), client.get(url))
    return authed.status_code == 200 and anon.status_code == 401


async def httpx_shared(keys: int, port: int, ca: str) -> int:
    import httpx

    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    async with httpx.AsyncClient(verify=ssl.create_default_context(cafile=ca), limits=limits) as client:
        return sum(await asyncio.gather(*(_httpx_pair(client, i, port) for i in range(keys))))


async def httpx_per_key(keys: int, port: int, ca: str, shared: bool = False) -> int:
    import httpx

    def trust() -> ssl.SSLContext:
        # What verify=True costs: the whole system trust store loaded (plus the extra CA)
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=ca)
        return context

    one_context = trust() if shared else None

    async def one(i: int) -> bool:
        async with httpx.AsyncClient(verify=one_context or trust()) as client:
            return await _httpx_pair(client, i, port)

    return sum(await asyncio.gather(*(one(i) for i in range(keys))))


async def httpx_per_key_shared(keys: int, port: int, ca: str) -> int:
    return await httpx_per_key(keys, port, ca, shared=True)


async def aiohttp_shared(keys: int, port: int, ca: str) -> int:
    import aiohttp

    connector = aiohttp.TCPConnector(ssl=ssl.create_default_context(cafile=ca), limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def status(url: str, headers: dict[str, str]) -> int:
            async with session.get(url, headers=headers) as response:
                await response.read()
                return response.status

        async def pair(i: int) -> bool:
            url = f"https://{address(i)}:{port}{path_for(i)}"
            authed, anon = await asyncio.gather(status(url, {"Authorization": f"Bearer {GOOD}"}), status(url, {}))
            return authed == 200 and anon == 401

        return sum(await asyncio.gather(*(pair(i) for i in range(keys))))


VARIANTS: dict[str, Callable[[int, int, str], Awaitable[int]]] = {
    "floor (raw asyncio)": floor,
    "ours (probe_many)": ours,
    "httpx, one client": httpx_shared,
    "httpx, client per key": httpx_per_key,
    "httpx, per key, 1 ctx": httpx_per_key_shared,
}
try:
    import aiohttp  # noqa: F401  (measured for comparison only; not a dependency)

    VARIANTS["aiohttp, one session"] = aiohttp_shared
except ImportError:
    pass


SERVER_PID = 0


def server_cpu() -> float:
    fields = Path(f"/proc/{SERVER_PID}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn: Callable[[int, int, str], Awaitable[int]], keys: int, port: int, ca: str) -> tuple[float, float, float]:
    """(wall s, client CPU s, server CPU s) of one run."""
    cpu, served = time.process_time(), server_cpu()
    start = time.perf_counter()
    ok = asyncio.run(fn(keys, port, ca))
    elapsed = time.perf_counter() - start
    assert ok == keys, f"{fn.__name__}: {ok}/{keys} answered as expected"
    return elapsed, time.process_time() - cpu, server_cpu() - served


def spread(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}–{max(values):{fmt}})"


def run_client(args: argparse.Namespace, port: int, ca: str) -> int:
    import httpx  # imported before timing: an import is not a request (see RESULTS.md for its cost)

    print(
        f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, httpx {httpx.__version__}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{args.keys} keys over HTTPS, every response delayed {args.delay * 1000:.0f} ms, "
        f"{2 * args.keys} requests per run, {args.rounds} interleaved rounds"
    )
    names = list(VARIANTS)
    for name in names:  # one untimed warm-up each
        timed(VARIANTS[name], args.keys, port, ca)
    times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            times[name].append(timed(VARIANTS[name], args.keys, port, ca))
    requests = 2 * args.keys
    print(f"\n{'variant':<24} {'wall s, median (min–max)':>26} {'client CPU ms/request':>22} {'server CPU s':>13}")
    for name in names:
        walls = [t[0] for t in times[name]]
        cpu = [t[1] * 1000 / requests for t in times[name]]
        served = statistics.median(t[2] for t in times[name])
        print(f"{name:<24} {spread(walls, '.3f'):>26} {spread(cpu, '.2f'):>22} {served:>13.2f}")
    ratios = [o[0] / f[0] for o, f in zip(times["ours (probe_many)"], times["floor (raw asyncio)"], strict=True)]
    print(f"\nratio ours / floor, per round: {spread(ratios, '.2f')}   (target ≤ 2)")
    for level in args.concurrency or []:
        start = time.perf_counter()
        ok = asyncio.run(ours(args.keys, port, ca, level))
        print(f"ours at concurrency {level:>3}: {time.perf_counter() - start:7.2f} s ({ok}/{args.keys} accepted)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, nargs="*", help="also time ours at these concurrency levels")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_server(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="probe-bench-") as cert_dir:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", cert_dir, "--keys", str(args.keys), "--delay", str(args.delay)],
            stdout=subprocess.PIPE,
            text=True,
        )
        global SERVER_PID
        SERVER_PID = server.pid
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline())
            return run_client(args, port, str(Path(cert_dir) / "ca.pem"))
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
