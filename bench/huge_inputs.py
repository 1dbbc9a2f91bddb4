"""Huge inputs: time and peak memory to read (and write) absurdly large stores.

    python bench/huge_inputs.py

Each case runs in a fresh process on a fresh temporary HOME and prints its wall time and
peak RSS; "baseline" is the same process doing nothing, so the difference is the input's cost.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = {
    "baseline (imports only)": "baseline",
    "credentials.json of 50 MB (50,000 entries of 1 kB), load": "file-50mb",
    "the same file, add one entry (read, check, atomic rewrite)": "file-50mb-write",
    "credentials.json over the 64 MiB limit (refused with a reason)": "file-too-big",
    "one 1 MiB token: write, load, mask": "token-1mb",
    "netrc with 10,000 machines, load + resolve": "netrc-10k",
}


def run_case(case: str, home: Path) -> dict:
    from pixi_auth_tui.core.model import BearerToken, mask
    from pixi_auth_tui.engine.inventory import load_inventory
    from pixi_auth_tui.stores.jsonfile import JsonFileStore
    from pixi_auth_tui.stores.memory import MemoryKeychainStore
    from pixi_auth_tui.system.paths import Environment

    path = home / ".rattler" / "credentials.json"
    path.parent.mkdir(mode=0o700)
    store = JsonFileStore("credentials", "credentials.json", path)
    if case.startswith("file-50mb"):
        # Streamed out in rattler's format, so building it costs this process no memory.
        token = "t" * 1000
        with path.open("w") as out:
            out.write("{")
            for i in range(50_000):
                out.write(f'{"," if i else ""}"h{i:06d}.example":{{"BearerToken":"{token}"}}')
            out.write("}")
    elif case == "file-too-big":
        with path.open("wb") as out:
            out.truncate(65 * 1024 * 1024)
    elif case == "netrc-10k":
        (home / ".netrc").write_text(
            "".join(f"machine m{i}.example login user{i} password pw{i}\n" for i in range(10_000))
        )
    environment = Environment(home=home, env={"HOME": str(home)}, keychain=MemoryKeychainStore([]))
    start = time.perf_counter()
    detail = ""
    if case == "file-50mb-write":
        store.set("new.example", BearerToken("n"), expect=store.load().version)
        detail = f"{path.stat().st_size / 1e6:.1f} MB written"
    elif case == "token-1mb":
        store.set("big.example", BearerToken("z" * (1024 * 1024)))
        (entry,) = store.load().entries
        detail = f"shown as {mask(entry.credential.token)}"
    elif case != "baseline":
        inventory = load_inventory(environment)
        snap = inventory.snapshots["credentials" if case.startswith("file") else "netrc"]
        detail = f"{snap.state.value}: {snap.message[:70]}"
        if case == "netrc-10k":
            inventory.resolve("https://m9999.example/x")
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "detail": detail}


def main() -> int:
    if len(sys.argv) == 3:
        print(json.dumps(run_case(sys.argv[1], Path(sys.argv[2]))))
        return 0
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print(f"{'case':<64} {'time':>8} {'peak RSS':>10}")
    for label, case in CASES.items():
        with tempfile.TemporaryDirectory(prefix="pixi-auth-huge-") as home:
            out = subprocess.run(
                [sys.executable, __file__, case, home], capture_output=True, text=True, check=True
            ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        print(f"{label:<64} {result['seconds'] * 1000:6.0f} ms {result['rss_mib']:7.1f} MiB   {result['detail']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
