"""The package imports and `list` works where pixi runs: Windows and macOS (issue 11, item 8).

Neither runs here, so a subprocess makes fcntl & co. unimportable and fakes ONLY the native
keychain call (win32cred on Windows; the `security` tool on macOS, as a script on PATH)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DUMP = """keychain: "/Users/u/Library/Keychains/login.keychain-db"
class: "genp"
attributes:
    "acct"<blob>="repo.test"
    "svce"<blob>="rattler"
"""


def run_as(platform: str, home: Path, path_extra: str = "") -> dict:
    env = {
        "PATH": path_extra + os.environ["PATH"],
        "HOME": str(home),
        "XDG_STATE_HOME": str(home / "state"),
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "tests.portability_child", platform],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    head, _, body = proc.stdout.partition("\n")
    assert head.startswith("IMPORTED ") and int(head.split()[1]) > 20
    return json.loads(body)


def test_windows_imports_without_fcntl_and_lists_rattler_targets(home):
    listed = run_as("win32", home)
    keychain = next(s for s in listed["stores"] if s["id"] == "keychain")
    assert keychain["state"] == "ok" and "Windows Credential Manager" in keychain["location"]
    assert [(e["key"], e["kind"]) for e in listed["entries"]] == [("repo.test", "BearerToken")]


def test_macos_lists_names_without_reading_secrets(home, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    security = bin_dir / "security"
    # A stand-in for /usr/bin/security: `dump-keychain` without -d prints no secrets, and any
    # other call (a secret read) fails the test.
    security.write_text(f"#!/bin/sh\n[ \"$1\" = dump-keychain ] && [ $# -eq 1 ] || exit 99\ncat <<'END'\n{DUMP}END\n")
    security.chmod(0o755)
    listed = run_as("darwin", home, f"{bin_dir}{os.pathsep}")
    keychain = next(s for s in listed["stores"] if s["id"] == "keychain")
    assert keychain["state"] == "ok" and "macOS Keychain" in keychain["location"]
    assert [(e["key"], e["kind"], e["identity"]) for e in listed["entries"]] == [
        ("repo.test", "NotRead", "(secret not read)")
    ]
