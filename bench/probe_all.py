"""Test-all: N keys against a local server that delays every response, at concurrency 1
and at the default. Each key is its own loopback address (127.0.1.x), as each credential
may only be sent to its own host.

    python bench/probe_all.py [--keys 200] [--delay 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pixi_auth_tui.model import BearerToken
from pixi_auth_tui.probe import DEFAULT_CONCURRENCY, ProbeJob, ProbeOptions, probe_many
from pixi_auth_tui.probe_state import Verdict


def address(i: int) -> str:
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


async def serve(keys: int, delay: float, port_ready: list[int], ready: threading.Event) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(delay)
                authorised = b"authorization: bearer good" in head.lower()
                status = b"200 OK" if authorised else b"401 Unauthorized"
                if head.split(b" ", 2)[1].startswith(b"/api/me"):
                    status = b"404 Not Found"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    first = await asyncio.start_server(handle, address(0), 0)
    port = first.sockets[0].getsockname()[1]
    servers = [first] + [await asyncio.start_server(handle, address(i), port) for i in range(1, keys)]
    port_ready.append(port)
    ready.set()
    await asyncio.gather(*(s.serve_forever() for s in servers))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", help="levels to run (default: 1 and the default)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        port: list[int] = []
        ready = threading.Event()
        threading.Thread(target=lambda: asyncio.run(serve(args.keys, args.delay, port, ready)), daemon=True).start()
        ready.wait(30)
        print(port[0], flush=True)
        threading.Event().wait()
    # The server runs in its own process so it does not share the client's GIL.
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--keys", str(args.keys), "--delay", str(args.delay)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        return run_client(args, int(server.stdout.readline()))
    finally:
        server.kill()


def run_client(args: argparse.Namespace, port: int) -> int:
    jobs = [
        ProbeJob(address(i), BearerToken("good"), f"http://{address(i)}:{port}/channel/noarch/repodata.json", str(i))
        for i in range(args.keys)
    ]
    # As the UI's T and `test --all` run it: no generic /api/me guess per key.
    options = ProbeOptions(allow_http=True, env={}, total_timeout=60, generic_whoami=False)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(
        f"{args.keys} keys, every response delayed {args.delay * 1000:.0f} ms "
        "(credentialed + anonymous request per key)"
    )
    for concurrency in args.concurrency or (1, DEFAULT_CONCURRENCY):
        start = time.perf_counter()
        results = asyncio.run(probe_many(jobs, options, concurrency=concurrency))
        elapsed = time.perf_counter() - start
        accepted = sum(r.verdict is Verdict.ACCEPTED for r in results)
        print(f"concurrency {concurrency:>3}: {elapsed:7.2f} s   ({accepted}/{len(results)} accepted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
