"""Child processes for the fault-injection tests (tests/test_faults.py).

    python -m tests.fault_child writer PATH [N]    rotate one key in PATH forever (to be SIGKILLed),
                                                   saying "wrote K" after each write; with N, the
                                                   N-th write stops inside itself (temp file
                                                   written, not yet renamed) and says "in-write"
    python -m tests.fault_child disk-full DIR      DIR is a tiny private tmpfs: fill it, then write
    python -m tests.fault_child read-only DIR      DIR is a private tmpfs: remount it read-only, then write

The last two run inside `unshare -rm` (a private mount namespace), so the tmpfs and the
remount are seen by nobody else and vanish with the process. Each prints one JSON line.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from pixi_auth_tui.core.model import BearerToken
from pixi_auth_tui.stores.base import StoreError
from pixi_auth_tui.stores.jsonfile import JsonFileStore

ROTATING = "rotating.example"


def rotation_token(n: int) -> str:
    # Long enough that every write takes a while, so kills land inside it.
    return f"v{n:09d}-" + "r" * 64


def writer(path: Path, stall_at: int | None = None) -> None:
    store = JsonFileStore("credentials", "credentials.json", path)
    n = 0
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        # The temp file's fsync comes before the rename: stopping here puts the kill inside the
        # write whatever the machine's load, where a timed kill only lands there by luck.
        if n == stall_at and os.path.isfile(f"/proc/self/fd/{fd}"):
            print("in-write", flush=True)
            while True:
                time.sleep(60)

    os.fsync = fsync
    print("ready", flush=True)
    while True:
        n += 1
        store.set(ROTATING, BearerToken(rotation_token(n)), expect=store.load().version)
        print(f"wrote {n}", flush=True)


def _store(folder: Path) -> JsonFileStore:
    return JsonFileStore("credentials", "credentials.json", folder / ".rattler" / "credentials.json")


def _attempt(store: JsonFileStore, key: str, token: str) -> str | None:
    try:
        store.set(key, BearerToken(token), expect=store.load().version)
    except StoreError as err:
        return str(err)
    return None


def temp_files(folder: Path) -> list[str]:
    """Temp files of our writes left in `folder` (an interrupted write's, or a leak)."""
    return sorted(p.name for p in folder.iterdir() if "pixi-auth-tui" in p.name)


def disk_full(folder: Path) -> dict:
    store = _store(folder)
    store.set("kept.example", BearerToken("kept-token"))
    before = store.path.read_bytes()
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:  # fill the file system to the last block (unbuffered, so nothing is pending)
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as err:
        assert err.errno == errno.ENOSPC, err
    finally:
        os.close(fd)
    result = {
        "add_error": _attempt(store, "new.example", "n" * 20000),
        "rotate_error": _attempt(store, "kept.example", "rotated-" + "x" * 20000),
        "intact": store.path.read_bytes() == before,
        "leftovers": temp_files(folder / ".rattler"),
    }
    filler.unlink()
    result["after_space_freed"] = _attempt(store, "new.example", "n" * 20000)
    result["entries_after"] = sorted(e.key for e in store.load().entries)
    return result


def read_only(folder: Path) -> dict:
    store = _store(folder)
    store.set("kept.example", BearerToken("kept-token"))
    before = store.path.read_bytes()
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    env = {**os.environ, "HOME": str(folder), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}
    cli = subprocess.run(
        [sys.executable, "-m", "pixi_auth_tui", "set", "new.example", "--kind", "bearer", "--stdin"],
        input="cli-token\n",
        capture_output=True,
        text=True,
        env=env,
    )
    return {
        "add_error": _attempt(store, "new.example", "t"),
        "rotate_error": _attempt(store, "kept.example", "rotated"),
        "intact": store.path.read_bytes() == before,
        "state": store.load().state.value,
        "cli_exit": cli.returncode,
        "cli_stderr": cli.stderr,
    }


def main() -> None:
    mode, target = sys.argv[1], Path(sys.argv[2])
    if mode == "writer":
        writer(target, int(sys.argv[3]) if len(sys.argv) > 3 else None)
    scenario = {"disk-full": disk_full, "read-only": read_only}[mode]
    print(json.dumps(scenario(target)), flush=True)


if __name__ == "__main__":
    main()
