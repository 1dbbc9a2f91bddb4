"""CLI commands beside their floor, at 1,000 / 10,000 / 100,000 entries.

    python bench/cli_floor.py [--sizes 1000 10000 100000] [--repeats 5]

The floor is what no implementation can avoid: a fresh interpreter that `json.load`s the same
credentials files and netrc's text (the stores the command reads here; no keychain). Each
command and the floor run as whole processes, in interleaved pairs (floor, command, floor,
command, …), so machine load hits both sides alike; the report gives the median of each, the
spread (min–max) and the ratio of the medians. Stdout is read through a pipe, as a script
calling `list --json` would.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = """
import json, sys
for name in sys.argv[1:]:
    with open(name, "rb") as f:
        data = f.read()
    json.loads(data) if name.endswith(".json") else data.decode()
"""

COMMANDS: dict[str, list[str]] = {
    "list --json": ["list", "--json"],
    "list": ["list"],
    "audit --json": ["audit", "--json"],
    "resolve": ["resolve", "https://h000007.example/channel/noarch/repodata.json"],
}


def write_stores(home: Path, entries: int) -> list[Path]:
    """Most entries in credentials.json, a tenth shadowed by RATTLER_AUTH_FILE, some in netrc."""
    rattler = home / ".rattler"
    rattler.mkdir(mode=0o700)
    credentials = rattler / "credentials.json"
    auth_file = home / "auth.json"
    netrc = home / ".netrc"
    shadowed = entries // 10
    in_netrc = entries // 20
    kinds = [
        lambda i: f'{{"BearerToken":"pfx_{i:08d}abcdefabcdef"}}',
        lambda i: f'{{"BasicHTTP":{{"password":"pw{i:08d}","username":"user{i}"}}}}',
        lambda i: f'{{"CondaToken":"ct-{i:08d}"}}',
    ]
    body = ",".join(f'"h{i:06d}.example":{kinds[i % 3](i)}' for i in range(entries - in_netrc))
    credentials.write_text("{" + body + "}")
    auth_file.write_text("{" + ",".join(f'"h{i:06d}.example":{kinds[0](i)}' for i in range(shadowed)) + "}")
    netrc.write_text("".join(f"machine n{i:06d}.example login u{i} password p{i}\n" for i in range(in_netrc)))
    for path in (credentials, auth_file, netrc):
        path.chmod(0o600)
    return [auth_file, credentials, netrc]


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {args.repeats} pairs\n")
    print(f"{'entries':>8}  {'command':<14} {'floor (s)':>18} {'command (s)':>18} {'ratio':>6}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="pixi-auth-bench-") as tmp:
            home = Path(tmp)
            files = write_stores(home, size)
            env = {
                "HOME": str(home),
                "PATH": os.environ.get("PATH", ""),
                "RATTLER_AUTH_FILE": str(files[0]),
                "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bench-has-no-keychain",
                "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_STATE_HOME": str(home / ".state"),
            }
            floor_argv = [sys.executable, "-c", FLOOR, *map(str, files)]
            for label, cmd in COMMANDS.items():
                argv = [sys.executable, "-m", "pixi_auth_tui", *cmd]
                timed(floor_argv, env)  # warm-up: page cache and bytecode for both sides
                timed(argv, env)
                floors: list[float] = []
                runs: list[float] = []
                for _ in range(args.repeats):
                    floors.append(timed(floor_argv, env))
                    runs.append(timed(argv, env))
                f, c = statistics.median(floors), statistics.median(runs)
                spread_f = f"{f:.3f} ({min(floors):.2f}–{max(floors):.2f})"
                spread_c = f"{c:.3f} ({min(runs):.2f}–{max(runs):.2f})"
                print(f"{size:>8}  {label:<14} {spread_f:>18} {spread_c:>18} {c / f:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
