"""When something unexpected fails: one clear line for the person, a redacted report on disk.

A traceback with local variables holds every loaded token in clear, so neither the CLI nor
the UI ever prints one: the report is the standard traceback (no locals), passed through
the redactor and the control-character escape, written 0600 into the app's state folder.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path

from pixi_auth_tui import __version__
from pixi_auth_tui.core.redact import plain, redact, safe
from pixi_auth_tui.system.paths import state_folder
from pixi_auth_tui.system.safeio import create_private_file

EXIT_CRASH = 70  # EX_SOFTWARE: an internal error, distinct from every documented outcome


def report_text(error: BaseException) -> str:
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    header = (
        f"pixi-auth-tui {__version__} crash report\n"
        f"python {sys.version.split()[0]} on {platform.platform()}\n"
        f"time {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n"
        "secrets known to this process were replaced by <hidden>; no local variables are included\n\n"
    )
    return header + plain(redact("".join(lines)), keep="\n")


def write_report(error: BaseException, env: Mapping[str, str] | None = None) -> Path | None:
    """Write the redacted report; None when even that is impossible (read-only disk …)."""
    try:
        base = state_folder(env)
        stamp = f"crash-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}"
        data = report_text(error).encode("utf-8", "backslashreplace")
        for n in range(100):  # a fresh file, never one already there (nor through a link)
            path = base / "crash-reports" / (f"{stamp}.txt" if n == 0 else f"{stamp}-{n}.txt")
            try:
                create_private_file(path, data, base)
            except FileExistsError:
                continue
            return path
        return None
    except OSError:
        return None


def crash_message(error: BaseException, report: Path | None) -> str:
    """One paragraph: what happened, where the full (redacted) report is."""
    detail = (str(error).splitlines() or [""])[0][:200]
    what = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    where = (
        f"A full report (secrets removed) is in {report}; please attach it to a bug report."
        if report
        else "No report could be written."
    )
    return safe(
        f"pixi-auth-tui stopped because of an internal error ({what}).\n{where}\n"
        "Credentials files are only ever replaced whole, so none is left half-written.\n",
        keep="\n",
    )
