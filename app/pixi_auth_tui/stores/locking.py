"""One cross-process lock helper (filelock: no fcntl import, works on Windows and macOS too).

Our locks order only our own processes: rattler takes none since rattler PR 1055. They live
in our own state folder, never beside the user's files (a `credentials.lock` left in
`~/.rattler` is clutter rattler's users trip over), one per file written, named by its path.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from pixi_auth_tui.stores.base import StoreError
from pixi_auth_tui.system.paths import state_folder

LOCK_TIMEOUT = 60.0


@contextlib.contextmanager
def exclusive(path: Path, what: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold `path` (a lock file in our state folder) as an exclusive lock while writing `what`."""
    from filelock import FileLock, Timeout  # here: reading commands never lock (and it imports logging)

    from pixi_auth_tui.system.safeio import prepare_lock_file

    try:
        # A fresh regular file of ours in a private folder: never a link someone planted.
        prepare_lock_file(path, base=path.parent.parent)
    except OSError as err:
        raise StoreError(f"cannot use the lock file {path}: {err.strerror or err}; nothing was written") from err
    lock = FileLock(str(path), timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except Timeout as err:
        raise StoreError(
            f"another pixi-auth-tui has been writing {what} for {timeout:.0f} s; nothing was written"
        ) from err
    except OSError as err:
        raise StoreError(f"cannot create lock file {path}: {err.strerror or err}; nothing was written") from err
    try:
        yield
    finally:
        lock.release()


def locks_folder(env: Mapping[str, str] | None = None) -> Path:
    return state_folder(env) / "locks"


def keychain_lock_path(env: Mapping[str, str] | None = None) -> Path:
    """Where our processes serialise keychain writes: this user's state folder."""
    return locks_folder(env) / "keychain.lock"


def file_lock_path(target: Path, env: Mapping[str, str] | None = None) -> Path:
    """The lock of ours for writing `target`: keyed by the file really written (a symlink's
    target), so two names for one file share one lock; named so a person can tell whose it is."""
    import hashlib  # (writes only)

    real = os.path.realpath(target)
    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:16]
    name = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in target.name)[:60]
    return locks_folder(env) / f"{name}-{digest}.lock"
