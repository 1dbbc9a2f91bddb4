"""uv's `credentials.toml` as a store of its own, after rattler's: listed, added, rotated and
deleted like any other store, in uv's format (pixi_auth_tui.pypi.uv_store reads and writes it).

uv asks it at step 4 of its chain (see engine/pypi_chain): after rattler's layer (pixi's), the
URL's own credentials and netrc as uv reads it. An entry's key is its service URL (as the url
crate writes it), its `item_ref` the user name (None for a `scheme = "bearer"` entry): uv keys
entries by (service, user name). A `--token` login is user `__token__`, sent as HTTP Basic.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pixi_auth_tui.core.model import KINDS, Credential, field_value, is_misspelled, secret_of
from pixi_auth_tui.pypi import uv_netrc, uv_store
from pixi_auth_tui.pypi.keyring_entries import url_username, without_userinfo
from pixi_auth_tui.stores.base import Entry, Snapshot, Store, StoreError, StoreState

STORE_ID = "uv"
PYPI_CHAIN = "pypi"
POSITION = "uv asks it after rattler's stores, the URL's own credentials and netrc"


class UvCredentialsStore(Store):
    """uv's credentials.toml (see the module's docstring)."""

    chain: ClassVar[str] = PYPI_CHAIN

    def __init__(self, path: Path, index_urls: list[str], env: dict[str, str], home: Path) -> None:
        self.id = STORE_ID
        self.name = "uv credentials"
        self.path = path
        self.file = path  # (self.path as a Path for certain: the store is always this file)
        self.location = str(path)
        self.index_urls = list(index_urls)  # the workspace's, as written (no password)
        self.env = dict(env)
        self.home = home
        self._file = uv_store.UvStoreFile(path)
        self._netrc: uv_netrc.UvNetrc | None = None

    # -- reading --------------------------------------------------------------------

    def load(self) -> Snapshot:
        found = uv_store.read(self.file)
        self._file = found
        self._netrc = uv_netrc.load(self.env, self.home)
        if not found.exists:
            return Snapshot(self.id, StoreState.MISSING, "no file yet (`uv auth login` or `set --store uv` writes it)")
        if found.error is not None:
            state = StoreState.MALFORMED if found.error.startswith("Failed to parse TOML") else StoreState.REJECTED
            if "not UTF-8" in found.error:
                state = StoreState.MALFORMED
            return Snapshot(self.id, state, f"uv ignores the whole file: {found.error}")
        entries = [
            Entry(e.service.href, e.credential(), self.id, item_ref=e.username, origin=f"uv, scheme {e.scheme}")
            for e in found.entries
        ]
        return Snapshot(self.id, StoreState.OK, f"{len(entries)} entries; {POSITION}", entries)

    def chain_verdict(self, entry: Entry) -> tuple[str, str, str | None] | None:
        """Within uv's own chain: for each of the workspace's indexes under the entry's service,
        whether uv's lookup picks this entry, and whether netrc (asked before) answers first."""
        service = uv_store.parse_url(entry.key)
        if service is None:
            return ("ignored", "uv cannot read this service URL", None)
        used: list[str] = []
        by_netrc: list[str] = []
        by_other: list[str] = []
        for url in self.index_urls:
            index = uv_store.parse_url(without_userinfo(url))
            if index is None or (index.scheme, index.host, index.port) != (service.scheme, service.host, service.port):
                continue
            user = url_username(url)
            request = index.href.rstrip("/") + "/PROJECT/"  # what uv requests: a project's page
            try:
                chosen = uv_store.lookup(self._file, request, user)
            except uv_store.Ambiguous:
                chosen = None
            if chosen is None or (chosen.service.href, chosen.username) != (entry.key, entry.item_ref):
                if uv_store.is_path_prefix(service.path, uv_store.parse_url(request).path):  # type: ignore[union-attr]
                    by_other.append(index.href)
                continue
            netrc = self._netrc
            if netrc is not None and netrc.usable and uv_netrc.lookup(netrc, index.host, user) is not None:
                by_netrc.append(index.href)
            else:
                used.append(index.href)
        if used:
            return ("active", f"uv sends it for {', '.join(used)} when nothing before it has one ({POSITION})", None)
        if by_netrc:
            where = self._netrc.path if self._netrc is not None else "netrc"
            return ("shadowed", f"netrc as uv reads it ({where}) answers {', '.join(by_netrc)} first", "netrc")
        if by_other:
            return (
                "shadowed",
                f"uv takes another entry of this file for {', '.join(by_other)} (a longer service path, or the "
                "user name the index URL names)",
                self.id,
            )
        return ("active", f"uv sends it for PyPI indexes under {entry.key} ({POSITION})", None)

    def anonymous_url(self, entry: Entry) -> str | None:
        """The index URL uv requests for this entry without a user name in it, where rattler's
        layer runs first (None: every index that uses it names a user, so rattler is not asked)."""
        service = uv_store.parse_url(entry.key)
        if service is None:
            return None
        for url in self.index_urls:
            index = uv_store.parse_url(url)
            same = index is not None and (index.scheme, index.host, index.port) == (
                service.scheme,
                service.host,
                service.port,
            )
            under = same and index is not None and uv_store.is_path_prefix(service.path, index.path)
            if under and index is not None and url_username(url) is None:
                return index.href
        return entry.key if not self.index_urls else None

    def test_url(self, entry: Entry) -> str:
        """The URL a test of `entry` asks: the workspace's index under its service (without user
        info), else the service itself."""
        service = uv_store.parse_url(entry.key)
        for url in self.index_urls:
            index = uv_store.parse_url(without_userinfo(url))
            if service is None or index is None:
                continue
            same = (index.scheme, index.host, index.port) == (service.scheme, service.host, service.port)
            if same and uv_store.is_path_prefix(service.path, index.path):
                return index.href
        return entry.key

    # -- writing --------------------------------------------------------------------

    def write_problem(self, credential: Credential) -> str | None:
        spec = KINDS[credential.kind]
        if spec.sends not in ("basic", "bearer") or is_misspelled(credential):
            return "uv's credentials.toml holds a user name and password, or a token: choose one of those kinds"
        return None

    def _entry_for(self, key: str, credential: Credential) -> uv_store.UvEntry:
        """The entry uv would hold: a token as user `__token__` (what `uv auth login --token`
        writes), unless it rotates a `scheme = "bearer"` entry of the file (kept a bearer)."""
        problem = self.write_problem(credential)
        if problem:
            raise StoreError(problem)
        try:
            # A key of the file is kept as it is; a new one is stored where `uv auth login` stores it.
            held = any(e.service.href == key for e in self._file.entries)
            service = uv_store.parse_service(key) if held else uv_store.login_service(key)
        except uv_store.ServiceError as err:
            raise StoreError(f"{key!r} is no service uv accepts: {err}") from err
        secret = secret_of(credential) or ""
        if not secret:
            raise StoreError("uv refuses an empty password or token")
        spec = KINDS[credential.kind]
        if spec.sends == "bearer":
            bearer = any(e.service.href == service.href and e.token is not None for e in self._file.entries)
            if bearer:
                return uv_store.UvEntry(service, None, None, secret)
            return uv_store.UvEntry(service, uv_store.TOKEN_USER, secret)
        user = field_value(credential, spec.identity) if spec.identity else ""
        if not user:
            raise StoreError("uv needs a user name for a password (a token: choose the token kind)")
        return uv_store.UvEntry(service, user, secret)

    def set(self, key: str, credential: Credential, *, expect: str | None = None, was: str | None = None) -> bool:
        entry = self._entry_for(key, credential)
        try:
            outcome = uv_store.put(self.file, entry, was=was)
        except uv_store.UvStoreError as err:
            raise StoreError(str(err)) from err
        except OSError as err:
            raise StoreError(f"nothing was written to {self.path}: {err.strerror or err}") from err
        return outcome.message.startswith("Rotated") or not outcome.changed

    def stored_key(self, key: str) -> str:
        """The service a write of `key` lands under (a new index URL: its root, as `uv auth login`)."""
        if any(e.service.href == key for e in self._file.entries):
            return key
        try:
            return uv_store.login_service(key).href
        except uv_store.ServiceError:
            return key

    def remove(
        self, key: str, *, expect: str | None = None, item_ref: str | None = None, was: str | None = None
    ) -> None:
        users = [e.username for e in self._file.entries if e.service.href == key]
        # A row's item_ref is its user name; a bearer entry has none, so None names it when the
        # service holds one (else: the service's only entry, as the CLI gives a key alone).
        if item_ref is None and None not in users and len(users) > 1:
            raise StoreError(f"{key} has entries for {len(users)} user names: choose one")
        user = item_ref if item_ref is not None or None in users else (users[0] if users else None)
        try:
            outcome = uv_store.delete(self.file, key, user, was=was)
        except uv_store.UvStoreError as err:
            raise StoreError(str(err)) from err
        except OSError as err:
            raise StoreError(f"nothing was removed from {self.path}: {err.strerror or err}") from err
        if not outcome.changed:
            raise StoreError(outcome.message)


# -- words for the CLI and the UI ------------------------------------------------------------------


def service_refusal(key: str) -> str | None:
    """Why uv would not take `key` as a service (the sentence the form shows), or None."""
    if not key.strip() or key != key.strip():
        return "Invalid uv service: give the index URL (https://host/simple) or its host, without spaces"
    try:
        uv_store.login_service(key)
    except uv_store.ServiceError as err:
        return f"Invalid uv service: {err}"
    return None


def key_hint(store: UvCredentialsStore, key: str, user: str) -> str:
    """Where a write of `key` lands and when uv sends it."""
    if not key.strip():
        return "Key: the service — the index URL (https://host/simple) or its host; uv stores it at the index's root"
    problem = service_refusal(key)
    if problem:
        return problem
    stored = store.stored_key(key.strip())
    where = f"stored under {stored}, as `uv auth login` stores it; " if stored != key.strip() else ""
    who = f" as {user}" if user else ""
    return f"{where}uv sends it{who} for indexes under {stored} when nothing before it has one ({POSITION})"


def test_url(store: UvCredentialsStore, entry: Entry) -> str:
    """The URL a test of `entry` asks: the workspace's index under its service (without user
    info), else the service itself."""
    return store.test_url(entry)
