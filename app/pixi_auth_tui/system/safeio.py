"""Reading files others control, without blocking or unbounded reads.

`Path.read_bytes` on a FIFO waits forever for a writer, and on `/dev/zero` or a growing
device never ends (its size says 0). Every loader reads through `read_limited`: it opens
without blocking, refuses anything that is not a regular file, and reads at most the limit.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
from pathlib import Path

_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


class UnreadableFile(OSError):
    """Not a regular file, or larger than allowed: the message is one line for a person."""


def read_limited(path: Path, max_bytes: int) -> bytes:
    """The bytes of regular file `path` (symlinks followed); FileNotFoundError when it is absent."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except IsADirectoryError as err:
        raise UnreadableFile(f"{path} is a folder, not a file") from err
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise UnreadableFile(f"{path} is {kind}, not a file; it was not read")
        if info.st_size > max_bytes:
            raise UnreadableFile(f"{path} is {_size(info.st_size)}; more than the {_size(max_bytes)} allowed")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # it grew while we read
                raise UnreadableFile(f"{path} grew past the {_size(max_bytes)} allowed while it was read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def make_private_folder(folder: Path) -> None:
    """Create `folder` (and missing parents) 0700, whatever the umask."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


# -- our own files (state, locks, crash reports, backups) ---------------------------------------
#
# Nobody else may choose where these land: a symlink planted at one of their paths would make
# us overwrite (or truncate, or fill with secrets) whatever it points at. So they live in
# folders that are ours and private, are created fresh (O_EXCL, never through a link) and
# replace the old file by rename, which replaces a link itself rather than its target.

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class NotOurs(OSError):
    """A path of ours is a link, or not ours: the message is one line for a person."""


def own_folder(folder: Path, base: Path | None = None) -> Path:
    """`folder`, created 0700 when missing, after checking it is a real folder (not a symlink)
    that belongs to this user and that nobody else can write; it is tightened to 0700 (a folder
    every user shares, as /tmp, is refused instead). With `base` (our state folder), every
    folder from `base` down to `folder` is checked so."""
    make_private_folder(folder)
    if base is not None and base != folder and base in folder.parents:
        own_folder(folder.parent, base)
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode):
        raise NotOurs(f"{folder} is a symlink; this tool keeps its own files only in a folder of its own")
    if not stat.S_ISDIR(info.st_mode):
        raise NotOurs(f"{folder} is not a folder")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise NotOurs(f"{folder} belongs to another user (uid {info.st_uid}); nothing was written there")
    if stat.S_IMODE(info.st_mode) & 0o077:
        if info.st_mode & stat.S_ISVTX:
            # Sticky and open to others: a folder every user shares, as /tmp. Run as root, a
            # 0700 here would lock every other user out of it.
            raise NotOurs(f"{folder} is a folder shared by every user; nothing of ours is kept directly in it")
        os.chmod(folder, 0o700)
    return folder


def create_private_file(path: Path, data: bytes, base: Path | None = None) -> None:
    """Write `data` to a new 0600 file at `path`; fails (FileExistsError) when anything, a
    symlink included, is already there: nothing is ever written through a link."""
    own_folder(path.parent, base)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def replace_private_file(path: Path, data: bytes, base: Path | None = None) -> None:
    """Replace our own file `path` with `data` (0600) atomically: a fresh temp file beside it,
    then a rename, which replaces a symlink planted at `path` instead of writing through it."""
    folder = own_folder(path.parent, base)
    for attempt in itertools.count():
        tmp = folder / f".{path.name}.{os.getpid()}.{attempt}.tmp"
        try:
            create_private_file(tmp, data)
        except FileExistsError:
            continue
        break
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def prepare_lock_file(path: Path, base: Path | None = None) -> None:
    """Make sure the lock file `path` is a regular file of ours, created fresh if missing, so
    a lock library opening it (with O_TRUNC) never truncates a file a planted link points at."""
    own_folder(path.parent, base)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o600)
    except FileExistsError:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            raise NotOurs(f"{path} is not a regular file (a symlink?); it was not used as a lock") from None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise NotOurs(f"{path} belongs to another user; it was not used as a lock") from None
        return
    os.close(fd)
