"""CLI commands beside their floor, at 1,000 / 10,000 / 100,000 entries, without and with a
real keychain, and the import time of each command.

    python bench/cli_floor.py [--sizes 1000 10000 100000] [--keychain-sizes 1000] [--repeats 5]
                              [--commands "list --json" resolve] [--before /path/to/other/app]

The floor is what no implementation can avoid: a fresh interpreter that `json.load`s the same
credentials files and netrc's text and, in the keychain case, asks a private gnome-keyring
(tests/keyring_daemon.py; never your own) holding N rattler items for them the cheapest way
D-Bus allows: one SearchItems, one plain session, one batched GetSecrets, with the D-Bus
library the app uses (jeepney), each secret `json.loads`ed. Each command and its floor run as
whole processes, in interleaved pairs (floor, command, floor, command, …), so machine load hits
both sides alike; the report gives the median of each, the spread (min–max) and the ratio of
the medians, for wall time and for the CPU time (user + system) each process used, which other
processes on a busy machine disturb far less. Stdout is read through a pipe, as a script
calling `list --json` would.
With `--before DIR` (the `app` folder of another checkout, e.g. a worktree of main), the same
command is also run from that tree (`PYTHONPATH=DIR`, ahead of this checkout's editable install)
in the same interleaved rounds (floor, before, command, …), so a change is seen beside its floor
and its predecessor in one run; this checkout's command then runs through `PYTHONPATH` too (its
`app` folder), so both sides find the package the same way (a `PYTHONPATH` folder is searched
for every import, the standard library's included).
Import times are `python -X importtime` (sum of the top-level imports), median of the repeats.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.keyring_daemon

FLOOR = """
import json, sys
for name in sys.argv[1:]:
    with open(name, "rb") as f:
        data = f.read()
    json.loads(data) if name.endswith(".json") else data.decode()
"""
# The same, then the keychain: one search, one plain session, one batched GetSecrets.
KEYCHAIN_FLOOR = (
    FLOOR
    + """
import os
from jeepney import DBusAddress, new_method_call
from jeepney.io.blocking import open_dbus_connection
conn = open_dbus_connection(bus=os.environ["DBUS_SESSION_BUS_ADDRESS"])
service = DBusAddress("/org/freedesktop/secrets", "org.freedesktop.secrets", "org.freedesktop.Secret.Service")
def call(method, signature, body):
    return conn.send_and_get_reply(new_method_call(service, method, signature, body), timeout=300).body
unlocked, _locked = call("SearchItems", "a{ss}", ({"service": "rattler"},))
_output, session = call("OpenSession", "sv", ("plain", ("s", "")))
(secrets,) = call("GetSecrets", "aoo", (unlocked, session))
for _session, _params, value, _type in secrets.values():
    json.loads(bytes(value))
assert len(secrets) == len(unlocked)
"""
)

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


def fill_keychain(address: str, items: int) -> None:
    """`items` rattler items (as rattler writes them) in the keychain at `address`, created over one
    connection with pipelined calls (a `set` per item would take minutes at 10,000)."""
    from jeepney import DBusAddress, new_method_call
    from pixi_auth_tui.stores.secretservice import BUS_NAME, COLLECTION_IFACE, _Bus, item_attributes, item_label

    bus = _Bus(address)
    try:
        service = DBusAddress("/org/freedesktop/secrets", BUS_NAME, "org.freedesktop.Secret.Service")
        _output, session = bus.call(new_method_call(service, "OpenSession", "sv", ("plain", ("s", ""))))
        (collection,) = bus.call(new_method_call(service, "ReadAlias", "s", ("default",)))
        target = DBusAddress(collection, BUS_NAME, COLLECTION_IFACE)
        calls = []
        for i in range(items):
            key = f"k{i:06d}.example"
            properties = {
                "org.freedesktop.Secret.Item.Label": ("s", item_label(key)),
                "org.freedesktop.Secret.Item.Attributes": ("a{ss}", item_attributes(key)),
            }
            secret = (session, b"", f'{{"BearerToken":"kc_{i:08d}abcdefabcdef"}}'.encode(), "text/plain")
            calls.append(new_method_call(target, "CreateItem", "a{sv}(oayays)b", (properties, secret, False)))
        for start in range(0, len(calls), 1000):
            bus.call_many(calls[start : start + 1000])
    finally:
        bus.close()


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run: the CPU time (user + system, the child's own) is
    what other processes on the machine disturb least."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Run from HOME (no pixi workspace there), as both sides would be outside a project.
    subprocess.run(argv, env=env, cwd=env["HOME"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_time(argv: list[str], env: dict[str, str]) -> float:
    """Seconds `python -X importtime` counts for the top-level imports of `argv`."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        env=env,
        cwd=env["HOME"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    total = 0
    for line in run.stderr.decode(errors="replace").splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[1].strip().isdigit() and not fields[2].startswith("  "):
            total += int(fields[1])  # a top-level import's cumulative microseconds
    return total / 1e6


def compare(
    size: int,
    label: str,
    floor_argv: list[str],
    argv: list[str],
    env: dict[str, str],
    repeats: int,
    before: str | None = None,
) -> None:
    sides: list[tuple[list[str], dict[str, str]]] = [(floor_argv, env)]
    if before:
        sides.append((argv, {**env, "PYTHONPATH": before}))
        env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent / "app")}
    sides.append((argv, env))
    for side_argv, side_env in sides:  # warm-up: page cache and bytecode for every side
        timed(side_argv, side_env)
    samples: list[list[tuple[float, float]]] = [[] for _ in sides]
    for _ in range(repeats):
        for side, (side_argv, side_env) in zip(samples, sides, strict=True):
            side.append(timed(side_argv, side_env))
    columns = []
    for part in (0, 1):  # wall, then CPU
        values = [[sample[part] for sample in side] for side in samples]
        medians = [statistics.median(side) for side in values]
        columns += [f"{m:.3f} ({min(v):.2f}–{max(v):.2f})" for m, v in zip(medians, values, strict=True)]
        columns += [f"{m / medians[0]:6.2f}" for m in medians[1:]]
    print(f"{size:>8}  {label:<14} " + " ".join(f"{col:>18}" for col in columns), flush=True)


def bench_env(home: Path, auth_file: Path, bus: str) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "RATTLER_AUTH_FILE": str(auth_file),
        "DBUS_SESSION_BUS_ADDRESS": bus,
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".state"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--keychain-sizes", type=int, nargs="*", default=[1000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--commands", nargs="+", choices=list(COMMANDS), default=list(COMMANDS))
    parser.add_argument("--before", help="the app folder of another checkout, run beside this one")
    parser.add_argument("--no-imports", action="store_true", help="skip the -X importtime part")
    args = parser.parse_args()
    commands = {label: COMMANDS[label] for label in args.commands}
    rounds = "triples (floor, before, command)" if args.before else "pairs"
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; median of {args.repeats} {rounds}")
    if args.before:
        print(f"before: {args.before}")
    sides = ("floor", "before", "command") if args.before else ("floor", "command")
    titles: list[str] = []
    for unit in ("wall", "CPU"):
        titles += [f"{side}, {unit} s" for side in sides]
        titles += [f"{side} ratio" for side in sides[1:]]
    header = f"{'entries':>8}  {'command':<14} " + " ".join(f"{title:>18}" for title in titles)
    print("\nFiles only (RATTLER_AUTH_FILE, credentials.json, netrc; no keychain)\n" + header)
    no_bus = "unix:path=/nonexistent/bench-has-no-keychain"
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="pixi-auth-bench-") as tmp:
            home = Path(tmp)
            files = write_stores(home, size)
            env = bench_env(home, files[0], no_bus)
            floor_argv = [sys.executable, "-c", FLOOR, *map(str, files)]
            for label, cmd in commands.items():
                argv = [sys.executable, "-m", "pixi_auth_tui", *cmd]
                compare(size, label, floor_argv, argv, env, args.repeats, args.before)
    if args.keychain_sizes:
        bench_keychain(args.keychain_sizes, args.repeats, header, commands, args.before)
    if not args.no_imports:
        bench_imports(args.repeats)
    return 0


def bench_keychain(
    sizes: list[int], repeats: int, header: str, commands: dict[str, list[str]], before: str | None
) -> None:
    from tests.keyring_daemon import KeyringDaemon, keyring_missing_reason

    reason = keyring_missing_reason()
    if reason:
        print(f"\nkeychain case skipped: {reason}")
        return
    print("\nFiles of that size plus a private gnome-keyring holding that many rattler items\n" + header)
    for size in sizes:
        daemon = KeyringDaemon()
        daemon.start()
        try:
            started = time.perf_counter()
            fill_keychain(daemon.address, size)
            print(f"  ({size:,} items created in {time.perf_counter() - started:.1f} s)", flush=True)
            with tempfile.TemporaryDirectory(prefix="pixi-auth-bench-") as tmp:
                home = Path(tmp)
                files = write_stores(home, size)
                env = bench_env(home, files[0], daemon.address)
                floor_argv = [sys.executable, "-c", KEYCHAIN_FLOOR, *map(str, files)]
                for label, cmd in commands.items():
                    argv = [sys.executable, "-m", "pixi_auth_tui", *cmd]
                    compare(size, label, floor_argv, argv, env, repeats, before)
        finally:
            daemon.stop()


def bench_imports(repeats: int) -> None:
    print("\nImports (python -X importtime, 1,000 entries; median seconds)")
    with tempfile.TemporaryDirectory(prefix="pixi-auth-bench-") as tmp:
        home = Path(tmp)
        files = write_stores(home, 1000)
        env = bench_env(home, files[0], "unix:path=/nonexistent/bench-has-no-keychain")
        cases = {"floor": ["-c", FLOOR, *map(str, files)]}
        cases.update({label: ["-m", "pixi_auth_tui", *cmd] for label, cmd in COMMANDS.items()})
        for label, argv in cases.items():
            import_time(argv, env)
            times = [import_time(argv, env) for _ in range(repeats)]
            print(f"  {label:<14} {statistics.median(times):.3f} ({min(times):.3f}–{max(times):.3f})", flush=True)


if __name__ == "__main__":
    sys.exit(main())
