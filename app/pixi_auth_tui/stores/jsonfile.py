"""A JSON map of key → credential, as in `~/.rattler/credentials.json` and `RATTLER_AUTH_FILE`.

Files are read exactly as serde_json reads them (see rattler_json). Writes are what
rattler writes (keys sorted as its BTreeMap, compact JSON), done atomically (temp file in
the same folder, fsync, rename) under a `<file>.lock` of ours (rattler takes none since
rattler PR 1055, so it orders only our own processes). With an expected version (a person
editing what they saw) a write is refused when the file changed since; without one (the
CLI) it applies to the file as it is under the lock. A file with a repeated key is never
rewritten: that would drop the earlier entry.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import operator
import os
from collections import Counter
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from pixi_auth_tui.core.model import (
    Credential,
    credential_to_json,
    dumps_credential,
    rattler_accepts,
    reading_problem,
)
from pixi_auth_tui.core.rattler_json import (
    Pairs,
    SerdeError,
    authentication_problem,
    dumps,
    has_lone_surrogate,
    parse_json,
    plain,
    read_credential,
    read_credentials,
    type_name,
    write_problem,
)
from pixi_auth_tui.core.words import plural
from pixi_auth_tui.stores.base import (
    Ability,
    ConflictError,
    Snapshot,
    Store,
    StoreError,
    StoreState,
    entry_changed,
    make_entry,
)
from pixi_auth_tui.stores.locking import exclusive, file_lock_path
from pixi_auth_tui.system.safeio import UnreadableFile, read_limited

ABSENT = "absent"  # version of a file that does not exist
TEMP_MARK = ".pixi-auth-tui-"
# A file this large is no credentials file; refuse rather than load it all into memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


class _Malformed(Exception):
    pass


def _digest(data: bytes) -> str:
    # Only ever compared with another _digest in this process (a write's `expect`, to notice that
    # another program rewrote the file): its length and Python's own hash of bytes (SipHash,
    # keyed anew in each process), which needs no import (hashlib's loads OpenSSL, which no
    # `list` needs).
    return f"{len(data)}:{hash(data):x}"


SUPERSEDED = "the same key appears later in this file; rattler keeps the last one"


class DocEntry:
    """One key of a credentials JSON file and its value as read (the credential built on first use)."""

    __slots__ = ("_credential", "key", "raw")

    def __init__(self, key: str, raw: Any) -> None:
        self.key = key
        self.raw = raw  # as read (Pairs / Number kept), so what we cannot use is written back unchanged
        self._credential: Credential | None = None

    @property
    def credential(self) -> Credential:
        # Built once, on first use (functools.cached_property takes a lock per instance in 3.11:
        # a third of loading 10,000 entries).
        credential = self._credential
        if credential is None:
            credential = self._credential = read_credential(self.raw)
        return credential

    @property
    def readable(self) -> bool:
        """rattler reads this entry (cheaper than building the credential)."""
        return authentication_problem(self.raw) is None


def read_document(data: bytes) -> list[DocEntry]:
    """Every top-level entry, in file order, duplicates kept; raise _Malformed where serde_json
    cannot even read the file as a map of strings (see rattler_json for what that means)."""
    return [DocEntry(key, value) for key, value in read_pairs(data)]


def read_pairs(data: bytes) -> Pairs:
    """`read_document`'s (key, value) pairs, without an object per entry."""
    if not data.strip():
        raise _Malformed("the file is empty (rattler fails to parse it)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _Malformed(f"not UTF-8 text (byte {err.start})") from err
    try:
        doc = parse_json(text)
    except SerdeError as err:
        raise _Malformed(str(err)) from err
    if not isinstance(doc, Pairs):
        raise _Malformed(f"expected a JSON object of host → credential, found {type_name(doc)}")
    if not "".join(map(operator.itemgetter(0), doc)).isascii():  # (ASCII holds no lone surrogate; all in C)
        for key, _value in doc:
            if has_lone_surrogate(key):
                raise _Malformed("a key contains a lone surrogate escape (U+D800–U+DFFF), which serde_json rejects")
    return doc


def parse_document(data: bytes) -> dict[str, Any]:
    """The file as rattler holds it: key → JSON value (plain Python), the last of repeated keys winning."""
    return {e.key: plain(e.raw) for e in read_document(data)}


def serialise_document(doc: dict[str, Any]) -> bytes:
    """What rattler writes: BTreeMap order (UTF-8 byte order of keys), compact JSON."""
    ordered = {k: doc[k] for k in sorted(doc, key=lambda k: k.encode("utf-8", "surrogatepass"))}
    return dumps(ordered).encode("utf-8")


def lock_path(path: Path) -> Path:
    """Our lock for writing `path`: in our own state folder, never beside the user's file."""
    return file_lock_path(path)


def _locked(path: Path) -> contextlib.AbstractContextManager[None]:
    return exclusive(lock_path(path), str(path))


def _ensure_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    from pixi_auth_tui.system.safeio import make_private_folder  # (writes only: reading commands skip it)

    try:
        make_private_folder(folder)  # every folder we create is 0700, whatever the umask
    except OSError as err:
        raise StoreError(f"cannot create folder {folder}: {err.strerror}") from err


def clean_stale_temp_files(folder: Path, name: str) -> None:
    """Remove temp files an interrupted write of ours left behind (their writer is gone)."""
    prefix = f".{name}{TEMP_MARK}"
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not entry.name.startswith(prefix):
                continue
            pid_text = entry.name[len(prefix) :].split(".", 1)[0]
            if pid_text.isdigit() and _alive(int(pid_text)):
                continue
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return True  # os.kill would *terminate* it on Windows; leave such temp files alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_target(path: Path) -> Path:
    """The file a write must replace: a symlink is written through to what it points at
    (replacing the link itself would silently fork the credentials into two files)."""
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise StoreError(f"{path} is a symlink to {target}, whose folder does not exist; nothing was written")
    if target.exists() and not target.is_file():
        raise StoreError(f"{path} is a symlink to {target}, which is not a regular file; nothing was written")
    return target


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so readers only ever see the old or the new file.

    A symlink is written through to its target; the target's owner is kept, and the result
    is 0600 whatever the old mode, as rattler's own rewrite (a fresh temp file renamed into
    place) leaves it: the file holds secrets, and pixi itself would tighten it on its next write.
    """
    path = write_target(path)
    folder = path.parent
    _ensure_folder(folder)
    clean_stale_temp_files(folder, path.name)
    owner: tuple[int, int] | None = None
    mode = 0o600
    with contextlib.suppress(FileNotFoundError):
        info = path.stat()
        owner = (info.st_uid, info.st_gid)
    import tempfile  # (writes only)

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}{os.getpid()}.", dir=folder)
    except OSError as err:
        raise StoreError(f"could not write {path}: {err.strerror}; the previous file is intact") from err
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            _keep_owner(out.fileno(), owner, path)
            if hasattr(os, "fchmod"):  # not on Windows before Python 3.13
                os.fchmod(out.fileno(), mode)
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        reason = "disk full" if err.errno == errno.ENOSPC else err.strerror or str(err)
        raise StoreError(f"could not write {path}: {reason}; the previous file is intact") from err
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _keep_owner(fd: int, owner: tuple[int, int] | None, path: Path) -> None:
    """The new file gets the old one's owner and group; refuse rather than silently change them."""
    if owner is None:
        return
    info = os.fstat(fd)
    if (info.st_uid, info.st_gid) == owner:
        return
    try:
        os.fchown(fd, *owner)
    except PermissionError as err:
        if info.st_uid != owner[0]:
            raise PermissionError(
                err.errno, f"{path} belongs to another user (uid {owner[0]}); writing would change its owner"
            ) from err
        # Same owner, another group we are not in: keep the owner, the group cannot be kept.


class JsonFileStore(Store):
    abilities = frozenset({Ability.REPAIR, Ability.PARTIAL_LOAD, Ability.BLOCKS_WHEN_BAD})
    path: Path

    def __init__(self, store_id: str, name: str, path: Path) -> None:
        self.id = store_id
        self.name = name
        self.path = path
        self.location = str(path)

    # -- reading -------------------------------------------------------------------

    def _read_bytes(self) -> bytes | None:
        try:
            # Never blocks on a FIFO, never reads /dev/zero forever: regular files only, bounded.
            return read_limited(self.path, MAX_FILE_BYTES)
        except FileNotFoundError:
            return None
        except UnreadableFile as err:
            raise StoreError(str(err)) from err
        except OSError as err:
            raise StoreError(f"cannot read {self.path}: {err.strerror}") from err

    def load_keys(self, keys: Collection[str]) -> Snapshot:
        return self.load(keys)

    def load(self, keys: Collection[str] | None = None) -> Snapshot:
        """The file as rattler reads it. With `keys`, the snapshot's entries are only those of
        these keys (its state, message, problems and version still come from the whole file):
        `resolve` needs the few keys a URL can match, not an Entry for each of 100,000."""
        try:
            data = self._read_bytes()
        except StoreError as err:
            return Snapshot(self.id, StoreState.ERROR, str(err))
        if data is None:
            return Snapshot(self.id, StoreState.MISSING, "file does not exist", version=ABSENT)
        version = _digest(data)
        try:
            pairs = read_pairs(data)
        except _Malformed as err:
            return Snapshot(self.id, StoreState.MALFORMED, str(err), version=version)
        names = [key for key, _value in pairs]
        credentials = read_credentials([value for _key, value in pairs])
        last = dict(zip(names, range(len(names)), strict=True))  # each key's last position
        notes = [None if last[key] == i else SUPERSEDED for i, key in enumerate(names)]
        if keys is None:
            entries = list(map(make_entry, names, credentials, itertools.repeat(self.id), notes))
        else:
            wanted = [i for i, key in enumerate(names) if key in keys]
            entries = [make_entry(names[i], credentials[i], self.id, notes[i]) for i in wanted]
        # serde parses every occurrence of a repeated key, so each one must be readable.
        problems = [
            f"{key}: {_problem_text(cred)}"
            for key, cred in zip(names, credentials, strict=True)
            if not rattler_accepts(cred)
        ]
        if problems:
            message = f"rattler rejects the whole file because of {len(problems)} entr" + (
                "y" if len(problems) == 1 else "ies"
            )
            return Snapshot(self.id, StoreState.REJECTED, message, entries, version, problems)
        return Snapshot(self.id, StoreState.OK, plural(len(names), "entry", "entries"), entries, version)

    # -- writing -------------------------------------------------------------------

    def _update(
        self,
        change: Callable[[dict[str, Any]], None],
        expect: str | None,
        allow_rejected: bool = False,
    ) -> None:
        _ensure_folder(self.path.parent)
        with _locked(self.path):
            data = self._read_bytes()
            current = ABSENT if data is None else _digest(data)
            if expect is not None and current != expect:
                raise ConflictError(
                    f"{self.path} changed on disk since it was read (another program wrote it); "
                    "nothing was written — reload and try again"
                )
            try:
                entries = [] if data is None else read_document(data)
            except _Malformed as err:
                raise StoreError(f"{self.path} is malformed ({err}); it was left untouched") from err
            counts = Counter(e.key for e in entries)
            repeated = sorted(k for k, n in counts.items() if n > 1)
            if repeated:
                # Writing would keep only the last of each (as rattler does): never drop one silently.
                raise StoreError(
                    f"{', '.join(repeated)} appear(s) more than once in {self.path} (rattler uses the last); "
                    "remove the extra entries by hand first, so no credential is lost — nothing was written"
                )
            # Entries we do not change are written back exactly as they were read.
            doc: dict[str, Any] = {e.key: e.raw for e in entries}
            if not allow_rejected:
                bad = [e.key for e in entries if not e.readable]
                if bad:
                    raise StoreError(
                        f"rattler cannot read {self.path} (bad entries: {', '.join(bad)}); "
                        "repair it first (see `pixi-auth-tui audit`) — nothing was written"
                    )
            change(doc)
            atomic_write(self.path, serialise_document(doc))

    def set(self, key: str, credential: Credential, *, expect: str | None = None, was: str | None = None) -> bool:
        problem = write_problem(credential, key)
        if problem:
            raise StoreError(f"refusing to write {key}: {problem}; nothing was written")
        existed = False

        def put(doc: dict[str, Any]) -> None:
            nonlocal existed
            existed = key in doc
            entry_changed(key, _current(doc, key), was, str(self.path))
            doc[key] = credential_to_json(credential)

        self._update(put, expect)
        return existed

    def remove(
        self, key: str, *, expect: str | None = None, item_ref: str | None = None, was: str | None = None
    ) -> None:
        def drop(doc: dict[str, Any]) -> None:
            entry_changed(key, _current(doc, key), was, str(self.path))
            if key not in doc:
                raise StoreError(f"{key} is not in {self.path}")
            del doc[key]

        # Removing a bad entry is how a person repairs a rejected file, so allow it.
        self._update(drop, expect, allow_rejected=True)

    def repair(self, fixes: dict[str, Credential], *, expect: str | None = None) -> None:
        """Rewrite the given entries (e.g. `BasicHttp` → `BasicHTTP`) in a rejected file."""

        def rewrite(doc: dict[str, Any]) -> None:
            for key, cred in fixes.items():
                doc[key] = credential_to_json(cred)

        self._update(rewrite, expect, allow_rejected=True)


def _current(doc: dict[str, Any], key: str) -> list[str]:
    """rattler's JSON of the entry under `key` in a document being rewritten ([] when absent)."""
    return [dumps_credential(read_credential(doc[key]))] if key in doc else []


def _problem_text(cred: Credential) -> str:
    return reading_problem(cred) or "not readable by rattler"
