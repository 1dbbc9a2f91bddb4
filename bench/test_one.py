"""`test KEY` of one credential, as a user runs it, beside plain httpx requests in the same run.

Whole processes, in interleaved rounds (the order rotating per round), against the HTTPS server
of bench/probe_all.py (its own process; a throwaway CA trusted through SSL_CERT_FILE, as a
user's extra CA would be; verification on everywhere):

- httpx, one request: `python -c` that imports httpx and sends one GET with the token, with
  httpx's default TLS set-up (the system trust store plus SSL_CERT_FILE, as ours);
- httpx, two requests: the same process sending what `test` sends — the request with the
  credential and the one without (public or not?) — concurrently, on one client;
- ours: `python -m pixi_auth_tui test KEY` (reads the stores, sends both requests, prints the
  verdict).

Prints the median wall time (min–max) and CPU (user + system) of each, and ours over each httpx
variant per round (the issue-24 target: ≤ 2 × a plain httpx request with the same TLS set-up).

    python bench/test_one.py [--rounds 9]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.probe_all import GOOD, address, path_for

HTTPX_ONE = """
import sys, httpx
url = sys.argv[1]
r = httpx.get(url, headers={"Authorization": "Bearer " + sys.argv[2]})
print(r.status_code)
"""

HTTPX_TWO = """
import asyncio, sys, httpx
url = sys.argv[1]
async def main():
    async with httpx.AsyncClient() as client:
        with_token, without = await asyncio.gather(
            client.get(url, headers={"Authorization": "Bearer " + sys.argv[2]}), client.get(url)
        )
    print(with_token.status_code, without.status_code)
asyncio.run(main())
"""


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process (its CPU from the children's rusage)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0,):
        raise SystemExit(f"{argv[1:3]} failed ({done.returncode}): {done.stdout[-300:]} {done.stderr[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def spread(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.0f} ms ({min(values) * 1000:.0f}–{max(values) * 1000:.0f})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="test-one-bench-") as scratch:
        cert_dir = Path(scratch)
        serve = ["--serve", str(cert_dir), "--keys", "1", "--delay", "0"]
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).parent / "probe_all.py"), *serve],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline())
            host = address(0)
            url = f"https://{host}:{port}{path_for(0)}"
            home = cert_dir / "home"
            (home / ".rattler").mkdir(parents=True)
            (home / ".rattler" / "credentials.json").write_text(json.dumps({host: {"BearerToken": GOOD}}))
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(home),
                "LANG": "C.UTF-8",
                "SSL_CERT_FILE": str(cert_dir / "ca.pem"),
                "PIXI_NO_CONFIG": "1",
                "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent",
                "XDG_STATE_HOME": str(home / "state"),
            }
            cases = {
                "httpx, one request": [sys.executable, "-c", HTTPX_ONE, url, GOOD],
                "httpx, the two requests test sends": [sys.executable, "-c", HTTPX_TWO, url, GOOD],
                "pixi-auth-tui test KEY --url URL": [sys.executable, "-m", "pixi_auth_tui", "test", host, "--url", url],
            }
            wall: dict[str, list[float]] = {name: [] for name in cases}
            cpu: dict[str, list[float]] = {name: [] for name in cases}
            names = list(cases)
            for name in names:  # warm-up: bytecode and page cache, as an installed app has them
                run(cases[name], env)
            for round_ in range(args.rounds):
                for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                    took, used = run(cases[name], env)
                    wall[name].append(took)
                    cpu[name].append(used)
        finally:
            server.terminate()
            server.wait()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, load {os.getloadavg()[0]:.1f}")
    print(f"one credential over HTTPS (127.0.0.1 server, its own process), {args.rounds} interleaved rounds\n")
    print(f"{'case':<38} {'wall, median (min–max)':>26} {'CPU, median (min–max)':>26}")
    for name in names:
        print(f"{name:<38} {spread(wall[name]):>26} {spread(cpu[name]):>26}")
    ours = names[-1]
    for floor in names[:-1]:
        ratios = [o / f for o, f in zip(wall[ours], wall[floor], strict=True)]
        cpu_ratios = [o / f for o, f in zip(cpu[ours], cpu[floor], strict=True)]
        print(
            f"ours / {floor}: wall {statistics.median(ratios):.2f} × ({min(ratios):.2f}–{max(ratios):.2f}), "
            f"CPU {statistics.median(cpu_ratios):.2f} ×   (target ≤ 2 ×)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
