"""Reading files others control, without blocking or unbounded reads.

`Path.read_bytes` on a FIFO waits forever for a writer, and on `/dev/zero` or a growing
device never ends (its size says 0). Every loader reads through `read_limited`: it opens
without blocking, refuses anything that is not a regular file, and reads at most the limit.
"""

from __future__ import annotations

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
