"""One cross-process lock helper (filelock: no fcntl import, works on Windows and macOS too).

Our locks order only our own processes: rattler takes none since rattler PR 1055.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from pixi_auth_tui.stores.base import StoreError

LOCK_TIMEOUT = 60.0


@contextlib.contextmanager
def exclusive(path: Path, what: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold `path` as an exclusive lock while writing `what`."""
    from filelock import FileLock, Timeout  # here: reading commands never lock (and it imports logging)

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot create folder {path.parent}: {err.strerror}; nothing was written") from err
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


def keychain_lock_path(env: dict[str, str] | None = None) -> Path:
    """Where our processes serialise keychain writes: this user's state folder."""
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_STATE_HOME")
    if base:
        return Path(base) / "pixi-auth-tui" / "keychain.lock"
    import platformdirs

    return Path(platformdirs.user_state_dir("pixi-auth-tui")) / "keychain.lock"
