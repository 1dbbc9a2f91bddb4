"""The workspace check (no network) on a workspace whose pixi.lock holds many packages.

    python bench/workspace_check.py [--sizes 100 2000 20000] [--credentials 1000] [--repeats 3]

A manifest with a private channel, conda-forge behind a mirror and PyPI dependencies; a v6
pixi.lock with N conda packages split over the two channels (read through py-rattler); a
credentials.json with the given number of entries. Reports the median of `run_check` in-process
(reading, mirrors, resolution, findings), and the share spent in py-rattler's lock parser.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.system.manifest import read_lock
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.workspace.check import run_check

MANIFEST = """[workspace]
channels = ["conda-forge", "https://repo.example.org/private"]
platforms = ["linux-64"]
[pypi-dependencies]
x = "*"
"""
MIRRORS = '[mirrors]\n"https://conda.anaconda.org/conda-forge" = ["https://mirror.example.com/cf"]\n'


def write_sample(root: Path, packages: int, credentials: int) -> tuple[Path, Environment]:
    home, ws = root / "home", root / "ws"
    (home / ".rattler").mkdir(parents=True)
    (ws / ".pixi").mkdir(parents=True)
    (ws / "pixi.toml").write_text(MANIFEST)
    (ws / ".pixi" / "config.toml").write_text(MIRRORS)
    refs, entries = [], []
    for i in range(packages):
        base = "https://conda.anaconda.org/conda-forge" if i % 2 else "https://repo.example.org/private"
        url = f"{base}/linux-64/pkg{i}-1.0-h0_0.conda"
        refs.append(f"      - conda: {url}")
        entries.append(
            f"- conda: {url}\n  sha256: {'0' * 64}\n  md5: {'0' * 32}\n  depends: []\n  subdir: linux-64\n  size: 10\n"
        )
    (ws / "pixi.lock").write_text(
        "version: 6\nenvironments:\n  default:\n    channels:\n    - url: https://conda.anaconda.org/conda-forge/\n"
        "    packages:\n      linux-64:\n" + "\n".join(refs) + "\npackages:\n" + "".join(entries)
    )
    stored = {f"host{i}.example.org": {"BearerToken": f"tok{i:030d}"} for i in range(credentials)}
    stored["repo.example.org"] = {"BearerToken": "x" * 30}
    (home / ".rattler" / "credentials.json").write_text(json.dumps(stored))
    env = {"HOME": str(home), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent", "XDG_STATE_HOME": str(home / "s")}
    return ws, Environment(home=home, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 2000, 20000])
    parser.add_argument("--credentials", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'locked packages':>16} {'check (median)':>15} {'lock parse':>11} {'hosts':>6} {'URLs':>7}")
    for size in args.sizes:
        root = Path(tempfile.mkdtemp(prefix="pixi-auth-tui-bench-"))
        try:
            ws, environment = write_sample(root, size, args.credentials)
            state = ProbeState.default(environment.env)
            checks, parses = [], []
            for _ in range(args.repeats):
                started = time.perf_counter()
                report = run_check([ws], environment, state)
                checks.append(time.perf_counter() - started)
                started = time.perf_counter()
                read_lock(ws / "pixi.lock")
                parses.append(time.perf_counter() - started)
            urls = sum(len(h.needs) for h in report.hosts)
            print(
                f"{size:>16} {statistics.median(checks) * 1000:>12.0f} ms {statistics.median(parses) * 1000:>8.0f} ms "
                f"{len(report.hosts):>6} {urls:>7}"
            )
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
