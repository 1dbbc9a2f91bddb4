"""uv's own text credential store, `credentials.toml`, read and written as uv 0.11.15 does.

From uv's sources (crates uv-auth `store.rs`, `service.rs`; uv-state; uv-dirs) and checked with
the real `uv auth login` / `uv auth logout`:
- where (uv_dirs): `$UV_CREDENTIALS_DIR/credentials.toml` when that is set and not empty (a relative
  path is relative to the working directory), else `<uv state dir>/credentials/credentials.toml`;
  the state dir is `$XDG_DATA_HOME/uv` (an absolute XDG_DATA_HOME only) or `~/.local/share/uv`
  (macOS: `~/Library/Application Support/uv` when it already exists; Windows: `%APPDATA%\\uv\\data`
  when it exists, else `%APPDATA%\\uv`);
- the file is read whole: one entry uv refuses (not TOML, no `credential` list, a `service`
  that is no absolute URL, `scheme = "basic"` without `username` or with `token`,
  `scheme = "bearer"` with `username`/`password` or without `token`) makes uv warn and use none
  of it; a plain-http service is read (only `uv auth login` refuses one for a host other than
  `localhost` and `127.0.0.1`, and the exact match skips such request URLs);
- entries are keyed by (service URL, user name); a later duplicate replaces an earlier one;
- lookup for a request URL and the URL's user name (if any): first the entry whose service is
  exactly the request URL with that user name (no user name: a bearer entry); else, among the
  entries of the same scheme, host and port whose service path is a path prefix of the
  request's (and whose user name is the URL's, when it names one), the longest path; two of
  that length are ambiguous and uv uses neither;
- `uv auth login URL` stores under the URL's root (a last `simple` or `+simple` segment is
  dropped), `--token T` as user `__token__` with password T (scheme basic); the file is
  `toml::to_string_pretty` of the list, written in place (not atomically) under the lock file
  `credentials.toml.lock`. uv writes its entries in hash order; we keep the file's order and
  append new entries at the end (uv reads any order).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixi_auth_tui.core.model import BasicHTTP, BearerToken, Credential
from pixi_auth_tui.core.whatwg import URL
from pixi_auth_tui.pypi.uv_dirs import credentials_path
from pixi_auth_tui.system.safeio import UnreadableFile, read_limited

MAX_BYTES = 16 * 1024 * 1024
TOKEN_USER = "__token__"


# -- services (URLs as uv's `Service` and the url crate see them) -------------------------------


@dataclass(frozen=True)
class ServiceUrl:
    href: str
    scheme: str
    host: str
    port: str  # "" for the scheme's default port
    path: str


class ServiceError(ValueError):
    pass


def href(url: URL, userinfo: bool = False) -> str:
    """The URL as the url crate serialises it (without its user name and password, unless asked)."""
    user = ""
    if userinfo and (url.username or url.password):
        user = url.username + (f":{url.password}" if url.password else "") + "@"
    port = f":{url.port}" if url.port is not None else ""
    cut = min((i for i in (url.rest.find("?"), url.rest.find("#")) if i >= 0), default=len(url.rest))
    return f"{url.scheme}://{user}{url.host}{port}{url.path}{url.rest[cut:]}"


def parse_url(text: str) -> ServiceUrl | None:
    from pixi_auth_tui.core.hostkeys import parse_url as parse_whatwg

    url = parse_whatwg(text)
    if url is None:
        return None  # (`host:port` parses, as a URL of scheme `host`: it matches nothing)
    port = "" if url.port is None else str(url.port)
    return ServiceUrl(href(url), url.scheme, url.host, port, url.path)


def parse_service(text: str) -> ServiceUrl:
    """`Service::from_str`: a URL, or a bare host (https:// is put in front); https only, plain
    http for localhost and 127.0.0.1."""
    url = parse_url(text)
    if url is None and "://" not in text:
        url = parse_url(f"https://{text}")
    if url is None:
        raise ServiceError(f"not a URL: {text!r}")
    check_scheme(url)
    return url


def check_scheme(url: ServiceUrl) -> None:
    if url.scheme == "https":
        return
    if url.scheme == "http":
        if url.host in ("localhost", "127.0.0.1"):
            return
        raise ServiceError("HTTPS is required for non-local hosts")
    raise ServiceError(f"Unsupported scheme: {url.scheme}")


def login_service(text: str) -> ServiceUrl:
    """The service `uv auth login TEXT` stores under: the index's root when it ends in `simple`."""
    service = parse_service(text)
    segments = service.path.split("/")
    if segments and segments[-1] == "":
        segments.pop()
    if segments and segments[-1].lower() in ("simple", "+simple"):
        segments.pop()
        root = parse_url(_with_path(service, "/".join(segments) or "/"))
        if root is not None:
            return root
    return service


def _with_path(url: ServiceUrl, path: str) -> str:
    port = f":{url.port}" if url.port else ""
    if not path.startswith("/"):
        path = "/" + path
    return f"{url.scheme}://{url.host}{port}{path}"


def is_path_prefix(prefix: str, path: str) -> bool:
    if prefix == path:
        return True
    if not path.startswith(prefix):
        return False
    return prefix.endswith("/") or path[len(prefix) :].startswith("/")


# -- entries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UvEntry:
    service: ServiceUrl
    username: str | None  # None for a bearer entry
    password: str | None = None
    token: str | None = None  # bearer only

    @property
    def scheme(self) -> str:
        return "bearer" if self.token is not None else "basic"

    def credential(self) -> Credential:
        """As our model holds it (which registers the secret with the redactor)."""
        if self.token is not None:
            return BearerToken(self.token)
        return BasicHTTP(self.username or "", self.password or "")


@dataclass
class UvStoreFile:
    path: Path
    exists: bool = False
    entries: list[UvEntry] = field(default_factory=list)
    error: str | None = None  # set when uv refuses the whole file

    @property
    def usable(self) -> bool:
        return self.exists and self.error is None


def parse_text(text: str) -> list[UvEntry]:
    """The entries as uv keeps them (later duplicates replace earlier ones, in place); raises
    ValueError with uv's reason when uv would refuse the file."""
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"Failed to parse TOML credential file: {err}") from err
    items = doc.get("credential")
    if items is None:
        raise ValueError("Failed to parse TOML credential file: missing field `credential`")
    if not isinstance(items, list):
        raise ValueError("Failed to parse TOML credential file: `credential` must be an array of tables")
    entries: dict[tuple[str, str | None], UvEntry] = {}
    for number, item in enumerate(items, 1):
        entry = _entry(item, number)
        entries[(entry.service.href, entry.username)] = entry
    return list(entries.values())


def _entry(item: Any, number: int) -> UvEntry:
    where = f"credential #{number}"
    if not isinstance(item, dict):
        raise ValueError(f"{where} is not a table")

    def text_field(name: str) -> str | None:
        value = item.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{where}: `{name}` must be a string")
        return value

    service_text = item.get("service")
    if not isinstance(service_text, str):
        raise ValueError(f"{where}: missing field `service`")
    # Read as a plain URL (serde's derive on the url type): no https:// is put in front and no
    # scheme is checked here; only `uv auth login` and the exact lookup check the scheme.
    service = parse_url(service_text)
    if service is None:
        raise ValueError(f"{where}: `service` {service_text!r} is not an absolute URL")
    username, password, token = text_field("username"), text_field("password"), text_field("token")
    scheme = item.get("scheme", "basic")
    if scheme == "basic":
        if username is None:
            raise ValueError(f"{where}: `username` is required with `scheme = basic`")
        if token is not None:
            raise ValueError(f"{where}: `token` cannot be provided with `scheme = basic`")
        return UvEntry(service, username, password)
    if scheme == "bearer":
        if username is not None:
            raise ValueError(f"{where}: `username` cannot be provided with `scheme = bearer`")
        if password is not None:
            raise ValueError(f"{where}: `password` cannot be provided with `scheme = bearer`")
        if token is None:
            raise ValueError(f"{where}: `token` is required with `scheme = bearer`")
        return UvEntry(service, None, None, token)
    raise ValueError(f"{where}: unknown variant `{scheme}`, expected `basic` or `bearer`")


def load(env: dict[str, str], home: Path) -> UvStoreFile:
    return read(credentials_path(env, home))


def read(path: Path) -> UvStoreFile:
    try:
        data = read_limited(path, MAX_BYTES)
    except FileNotFoundError:
        return UvStoreFile(path)
    except (UnreadableFile, OSError) as err:
        return UvStoreFile(path, exists=True, error=str(err) if isinstance(err, UnreadableFile) else err.strerror)
    try:
        entries = parse_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        return UvStoreFile(path, exists=True, error="not UTF-8 text")
    except ValueError as err:
        return UvStoreFile(path, exists=True, error=str(err))
    return UvStoreFile(path, exists=True, entries=entries)


class Ambiguous(LookupError):
    pass


def lookup(store: UvStoreFile, url: str, username: str | None) -> UvEntry | None:
    """The entry uv sends for a request to `url` with the URL's user name (None: none named).
    Raises Ambiguous where uv finds two equally specific entries (it then uses neither)."""
    if not store.usable:
        return None
    request = parse_url(url)
    if request is None:
        return None
    try:
        check_scheme(request)
        exact = True
    except ServiceError:
        exact = False
    if exact:
        for entry in store.entries:
            if entry.service.href == request.href and entry.username == username:
                return entry
    best: UvEntry | None = None
    tied = False
    for entry in store.entries:
        service = entry.service
        if (service.scheme, service.host, service.port) != (request.scheme, request.host, request.port):
            continue
        if not is_path_prefix(service.path, request.path):
            continue
        if username is not None and entry.username != username:
            continue
        if best is None or len(service.path) > len(best.service.path):
            best, tied = entry, False
        elif len(service.path) == len(best.service.path):
            tied = True
    if tied:
        raise Ambiguous(f"two entries in {store.path} match equally; uv uses neither")
    return best


# -- writing, as `uv auth login` does ---------------------------------------------------------


def toml_string(value: str) -> str:
    """A string as uv's TOML writer (toml_writer 1.1, `as_default`) spells it."""
    escape_codes = any((ord(c) <= 0x1F and c not in "\t\n") or c == "\x7f" for c in value)
    backslash = "\\" in value
    newline = "\n" in value
    singles = _longest_run(value, "'")
    doubles = _longest_run(value, '"')
    if not (escape_codes or backslash or doubles or newline):
        return '"' + _escaped(value, multiline=False) + '"'  # (a tab is still written as \t)
    if not (escape_codes or singles or newline):
        return f"'{value}'"
    if not (escape_codes or backslash or doubles > 2):
        return '"""' + ("\n" if newline else "") + _escaped(value, multiline=True) + '"""'
    if not (escape_codes or singles > 2):
        return "'''" + ("\n" if newline else "") + value + "'''"
    if newline:
        return '"""\n' + _escaped(value, multiline=True) + '"""'
    return '"' + _escaped(value, multiline=False) + '"'


def _longest_run(value: str, char: str) -> int:
    longest = run = 0
    for c in value:
        run = run + 1 if c == char else 0
        longest = max(longest, run)
    return longest


_ESCAPES = {"\b": "\\b", "\t": "\\t", "\f": "\\f", "\r": "\\r", "\\": "\\\\"}


def _escaped(value: str, multiline: bool) -> str:
    out: list[str] = []
    quotes = 0
    for c in value:
        if c == '"':
            quotes += 1
            out.append('\\"' if quotes > (2 if multiline else 0) else '"')
            if quotes > (2 if multiline else 0):
                quotes = 0
            continue
        quotes = 0
        if c == "\n":
            out.append("\n" if multiline else "\\n")
        elif c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif ord(c) <= 0x1F or c == "\x7f":
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


def render(entries: list[UvEntry]) -> str:
    """The file `uv auth login` writes for these entries (toml::to_string_pretty)."""
    if not entries:
        return "credential = []\n"
    tables: list[str] = []
    for entry in entries:
        lines = ["[[credential]]", f"service = {toml_string(entry.service.href)}"]
        if entry.username is not None:
            lines.append(f"username = {toml_string(entry.username)}")
        lines.append(f'scheme = "{entry.scheme}"')
        if entry.password is not None:
            lines.append(f"password = {toml_string(entry.password)}")
        if entry.token is not None:
            lines.append(f"token = {toml_string(entry.token)}")
        tables.append("\n".join(lines) + "\n")
    return "\n".join(tables)


class UvStoreError(Exception):
    """A write that could not be made: one line for a person."""


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """uv's own lock: an exclusive lock on `credentials.toml.lock` beside the file, so a
    running `uv auth login` and we never interleave."""
    from pixi_auth_tui.stores.locking import exclusive  # (filelock: flock on POSIX, as uv's lock)

    _make_folder(path.parent)
    with exclusive(path.with_name(path.name + ".lock"), "uv's credentials.toml"):
        yield


def _make_folder(folder: Path) -> None:
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for p in reversed(missing):
        p.mkdir(mode=0o700)
        os.chmod(p, 0o700)  # whatever the umask: it will hold secrets


def _write(path: Path, text: str) -> None:
    """Atomically (uv itself writes in place): a temp file in the folder, then rename; a new
    file is 0600, an existing file keeps its mode."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    fd, temp = tempfile.mkstemp(prefix=".credentials.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@dataclass(frozen=True)
class WriteOutcome:
    changed: bool
    message: str
    path: Path


def _current(path: Path) -> list[UvEntry]:
    found = read(path)
    if found.error is not None:
        raise UvStoreError(f"{path}: uv cannot read it ({found.error}); fix it first, nothing was written")
    return found.entries


def save(path: Path, service_text: str, username: str, password: str) -> WriteOutcome:
    """Add or rotate `username` for a service, as `uv auth login SERVICE --username U
    --password P` does (a token: username `__token__`, as `--token` does)."""
    if not username:
        raise UvStoreError("Username cannot be empty")
    if not password:
        raise UvStoreError("Password cannot be empty")
    try:
        service = login_service(service_text)
    except ServiceError as err:
        raise UvStoreError(f"{service_text!r} is no service uv accepts: {err}") from err
    return put(path, UvEntry(service, username, password))


def _as_seen(entry: UvEntry | None) -> list[str]:
    """The entry as rattler's JSON (what a `was` holds), or none."""
    from pixi_auth_tui.core.model import dumps_credential

    return [] if entry is None else [dumps_credential(entry.credential())]


def put(path: Path, entry: UvEntry, *, was: str | None = None) -> WriteOutcome:
    """Add or replace the entry for (entry's service, its user name) exactly as given (a row of
    the table: no `uv auth login` rewriting of the service). `was` (rattler's JSON of what the
    person saw under that service and user, or NO_ENTRY) is compared under uv's lock."""
    from pixi_auth_tui.stores.base import entry_changed

    with locked(path):
        entries = _current(path)
        at = next((i for i, e in enumerate(entries) if (e.service.href, e.username) == _id(entry)), None)
        entry_changed(entry.service.href, _as_seen(None if at is None else entries[at]), was, "uv's credentials.toml")
        if at is not None and entries[at] == entry:
            return WriteOutcome(False, f"Nothing changed: {_who(entry)} already holds this secret", path)
        if at is None:
            entries.append(entry)
        else:
            entries[at] = entry
        _write(path, render(entries))
        return WriteOutcome(True, f"{'Added' if at is None else 'Rotated'} {_who(entry)}", path)


def delete(path: Path, service_href: str, username: str | None, *, was: str | None = None) -> WriteOutcome:
    """Remove the entry for exactly (service, user name; None: a bearer entry), `was` as for put."""
    from pixi_auth_tui.stores.base import entry_changed

    with locked(path):
        entries = _current(path)
        found = next((e for e in entries if (e.service.href, e.username) == (service_href, username)), None)
        entry_changed(service_href, _as_seen(found), was, "uv's credentials.toml")
        if found is None:
            who = service_href if username is None else f"{username}@{service_href}"
            return WriteOutcome(False, f"{who} is not stored in {path}", path)
        _write(path, render([e for e in entries if e is not found]))
        return WriteOutcome(True, f"Removed {_who(found)}", path)


def _id(entry: UvEntry) -> tuple[str, str | None]:
    return entry.service.href, entry.username


def _who(entry: UvEntry) -> str:
    if entry.username in (None, TOKEN_USER):
        return entry.service.href
    return f"{entry.username}@{entry.service.href}"
