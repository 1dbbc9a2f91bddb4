"""The redactor at the sizes a person has (100 and 1,000 secrets) and at scale (10,000).

For each size, in a fresh process-local Redactor holding that many secrets of every kind
(bearer tokens sharing a `pfx_` prefix, JWT-like tokens sharing a header, basic passwords with
their header, conda tokens):
- first: the first redact after loading (spellings worked out, automaton built) of a
  notification-sized text, wall and CPU time (the process's own: on a busy machine the wall
  time is mostly waiting for a core);
- note: one notification-sized text (about 120 characters), median of 200;
- list: a `list --json`-like output of one row per secret (no secret in it), median of 5;
- echo: a text holding 20 secrets in percent-, JSON- and upper-case spellings, median of 5.

Prints milliseconds per operation. Run: `python bench/redact_speed.py [sizes...]`.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from urllib.parse import quote

from pixi_auth_tui.core.redact import Redactor


def secrets_of(count: int) -> tuple[list[str], list[tuple[str, str]]]:
    plain: list[str] = []
    basic: list[tuple[str, str]] = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            plain.append(f"pfx_{i:06d}Kq7vLm2Np9Rs4Tu6Wx8Yz0Ab")
        elif kind == 1:
            plain.append(f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ{i:08d}In0.sig{i:06d}QwErTy")
        elif kind == 2:
            basic.append((f"user{i}", f"pw-{i:06d}-Hunter2!"))
        else:
            plain.append(f"xy-{i:06d}-72b9-4c1e-9f3a-conda")
    return plain, basic


def timed(action, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run(count: int) -> dict[str, float]:
    plain, basic = secrets_of(count)
    note = f"Saved a new token for host{count // 2}.example in ~/.rattler/credentials.json (was: pfx_…ab12)."
    rows = [
        {"key": f"host{i}.example", "kind": "bearer", "store": "credentials.json", "identity": f"pfx_…{i:04d}"}
        for i in range(count)
    ]
    listing = json.dumps(rows)
    echoed = [quote(s, safe="") for s in plain[:10]] + [json.dumps(s)[1:-1].upper() for s in plain[10:20]]
    echo = "server said: " + " ".join(f"bad token {e};" for e in echoed)
    redactor = Redactor()
    redactor.add(*plain)
    redactor.add_basics(basic)
    start, cpu = time.perf_counter(), time.process_time()
    redactor.redact(note)
    first, first_cpu = (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000
    return {
        "first": first,
        "first CPU": first_cpu,
        "note": timed(lambda: redactor.redact(note), 200),
        "list": timed(lambda: redactor.redact(listing), 5),
        "echo": timed(lambda: redactor.redact(echo), 5),
    }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [100, 1000, 10000]
    print(f"{'secrets':>8} {'first':>9} {'first CPU':>9} {'note':>9} {'list':>9} {'echo':>9}   (ms)")
    for count in sizes:
        r = run(count)
        first = f"{r['first']:>9.2f} {r['first CPU']:>9.2f}"
        print(f"{count:>8} {first} {r['note']:>9.3f} {r['list']:>9.2f} {r['echo']:>9.3f}")


if __name__ == "__main__":
    main()
