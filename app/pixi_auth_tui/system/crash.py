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
from pixi_auth_tui.system.safeio import make_private_folder

EXIT_CRASH = 70  # EX_SOFTWARE: an internal error, distinct from every documented outcome


def state_folder(env: Mapping[str, str] | None = None) -> Path:
    """The app's own state folder (probe state, backups of keychain items, crash reports)."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME")
    if base:
        return Path(base) / "pixi-auth-tui"
    import platformdirs

    return Path(platformdirs.user_state_dir("pixi-auth-tui"))


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
        folder = state_folder(env) / "crash-reports"
        make_private_folder(folder)
        path = folder / f"crash-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as out:
            out.write(report_text(error))
        return path
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
