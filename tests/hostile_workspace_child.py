"""Runs CLI commands in hostile workspace folders, in one process with bounded memory; prints
one JSON line: per (folder, command) the exit code and what was written.

Run by tests/test_hostile_workspace.py as a child, so that a hang (a FIFO read) ends at the
parent's timeout and a runaway read (/dev/zero) at this process's memory limit, not the suite.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys

resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))

from pixi_auth_tui.cli.main import main  # noqa: E402

results = []
for folder, argv in json.loads(sys.stdin.read()):
    os.chdir(folder)
    out, err = io.StringIO(), io.StringIO()
    try:
        code = main(argv, out=out, err=err, stdin=io.StringIO(""))
    except MemoryError:
        code = "MemoryError"
    results.append({"folder": folder, "argv": argv, "code": code, "out": out.getvalue(), "err": err.getvalue()})
print(json.dumps(results))
