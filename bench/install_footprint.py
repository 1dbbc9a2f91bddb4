"""What `pip install pixi-auth-tui` puts on a machine, beside its floor (Textual alone).

    python bench/install_footprint.py [--ref REV]

Each case is a fresh virtual environment: Textual alone (the floor: a TUI cannot weigh less),
this checkout (or the commit REV, for a before/after pair in one run), and this checkout with
the `s3` extra. Printed: packages installed (pip and setuptools not counted) and the size of
site-packages (pip's own ~17 MB is in every row, the floor's included).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import venv
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(folder: Path, requirement: str) -> tuple[int, float]:
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    packages = [line for line in listed if not line.startswith(("pip==", "setuptools=="))]
    (site,) = (folder / "lib").glob("python*/site-packages")
    size = sum(f.stat().st_size for f in site.rglob("*") if f.is_file() and not f.is_symlink())
    return len(packages), size / 1e6


def source_at(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", help="also measure this commit (e.g. the one before a change)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cases = [("floor: textual alone", "textual")]
        if args.ref:
            cases.append((f"pixi-auth-tui at {args.ref}", str(source_at(args.ref, base / "ref"))))
        cases += [("pixi-auth-tui (this checkout)", str(ROOT)), ("pixi-auth-tui[s3]", f"{ROOT}[s3]")]
        print(f"{'case':<36} {'packages':>8} {'MB':>7}")
        for number, (label, requirement) in enumerate(cases):
            count, megabytes = measure(base / f"v{number}", requirement)
            print(f"{label:<36} {count:>8} {megabytes:>7.1f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
