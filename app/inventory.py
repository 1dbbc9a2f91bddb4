"""Every store pixi reads, in pixi's lookup order; which entry wins for each key and each URL."""

from __future__ import annotations

import sys
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pixi_auth_tui.hostkeys import candidate_keys, host_of
from pixi_auth_tui.model import (
    BasicHTTP,
    BearerToken,
    CondaToken,
    OAuth,
    S3Credentials,
    mask,
    rattler_accepts,
)
from pixi_auth_tui.paths import Environment, rattler_credentials_path
from pixi_auth_tui.pixiconfig import OverrideLookup, find_override_file
from pixi_auth_tui.stores.base import Entry, Snapshot, Store, StoreState
from pixi_auth_tui.stores.jsonfile import JsonFileStore
from pixi_auth_tui.stores.netrc import DEFAULT_KEY, NetrcStore, netrc_path

# Store ids, in pixi's lookup order.
AUTH_FILE = "auth-file"
OVERRIDE = "override"
KEYCHAIN = "keychain"
CREDENTIALS = "credentials"
NETRC = "netrc"
BAD_FILE_STATES = (StoreState.MALFORMED, StoreState.REJECTED, StoreState.ERROR)


class Status(StrEnum):
    ACTIVE = "active"  # what pixi uses for this key
    SHADOWED = "shadowed"  # an earlier store has the same key
    IGNORED = "ignored"  # pixi cannot use it at all (see reason)


@dataclass(frozen=True)
class Row:
    entry: Entry
    store: Store
    status: Status
    reason: str = ""
    shadowed_by: str | None = None  # store id of the winning entry

    @property
    def key(self) -> str:
        return self.entry.key


def make_keychain_store(environment: Environment) -> Store:
    if sys.platform == "darwin":
        from pixi_auth_tui.stores.macos import MacKeychainStore

        return MacKeychainStore()
    if sys.platform == "win32":
        from pixi_auth_tui.stores.windows import WindowsCredentialStore

        return WindowsCredentialStore()
    from pixi_auth_tui.stores.secretservice import SecretServiceStore

    return SecretServiceStore(environment.get("DBUS_SESSION_BUS_ADDRESS"))


@dataclass
class StoreSet:
    stores: list[Store]
    override: OverrideLookup

    def by_id(self, store_id: str) -> Store | None:
        return next((s for s in self.stores if s.id == store_id), None)


def discover_stores(environment: Environment, keychain: Store | None = None) -> StoreSet:
    """The stores pixi consults, in its order. `keychain` replaces the platform's (tests, --demo)."""
    stores: list[Store] = []
    auth_file = environment.get("RATTLER_AUTH_FILE")
    if auth_file:
        stores.append(JsonFileStore(AUTH_FILE, "RATTLER_AUTH_FILE", Path(auth_file).expanduser()))
    override = find_override_file(environment.env, environment.home)
    if override.path is not None:
        stores.append(JsonFileStore(OVERRIDE, "override file", override.path))
    keychain = keychain if keychain is not None else environment.keychain
    stores.append(keychain if keychain is not None else make_keychain_store(environment))
    stores.append(JsonFileStore(CREDENTIALS, "credentials.json", rattler_credentials_path(environment.home)))
    stores.append(NetrcStore(netrc_path(environment.env, environment.home)))
    return StoreSet(stores, override)


@dataclass
class Inventory:
    stores: list[Store]
    snapshots: dict[str, Snapshot]
    rows: list[Row]
    override: OverrideLookup = field(default_factory=OverrideLookup)
    # Set when rattler cannot even build its credential store: then it sends nothing.
    blocked: str | None = None
    # The environment variables the inventory was read with (CA bundles, proxies, state dir).
    env: dict[str, str] = field(default_factory=dict)
    # What the files looked like just before they were read (see file_signature).
    files: dict[str, tuple[int, int, int] | None] = field(default_factory=dict)

    def store(self, store_id: str) -> Store | None:
        return next((s for s in self.stores if s.id == store_id), None)

    def rows_for(self, key: str) -> list[Row]:
        return [r for r in self.rows if r.key == key]

    def active_row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key and r.status is Status.ACTIVE), None)

    def default_write_store(self) -> Store:
        """Where a new credential goes, as rattler decides: the keychain if usable, else credentials.json."""
        keychain = self.store(KEYCHAIN)
        if keychain is not None and self.snapshots[KEYCHAIN].state is StoreState.OK:
            return keychain
        credentials = self.store(CREDENTIALS)
        assert credentials is not None
        return credentials

    def resolve(self, url: str) -> Resolution:
        return resolve(self, url)


def _ignored_reason(entry: Entry, snapshot: Snapshot, keychain_counts: dict[str, int]) -> str | None:
    if snapshot.state in BAD_FILE_STATES:
        return f"pixi cannot read this store: {snapshot.message}"
    if entry.store_id == NETRC and entry.key == DEFAULT_KEY:
        return "rattler never uses a netrc `default` entry"
    if not rattler_accepts(entry.credential):
        return "rattler cannot read this entry"
    if entry.store_id == KEYCHAIN and keychain_counts.get(entry.key, 0) > 1:
        return f"{keychain_counts[entry.key]} keychain items for this key: rattler fails on the ambiguity"
    return None


def build_rows(stores: list[Store], snapshots: dict[str, Snapshot]) -> list[Row]:
    keychain_counts: dict[str, int] = defaultdict(int)
    for entry in snapshots.get(KEYCHAIN, Snapshot(KEYCHAIN, StoreState.OK)).entries:
        keychain_counts[entry.key] += 1
    winner: dict[str, Store] = {}
    rows: list[Row] = []
    for store in stores:
        snapshot = snapshots[store.id]
        for entry in snapshot.entries:
            reason = _ignored_reason(entry, snapshot, keychain_counts)
            if reason is not None:
                rows.append(Row(entry, store, Status.IGNORED, reason))
            elif entry.key in winner:
                by = winner[entry.key]
                rows.append(Row(entry, store, Status.SHADOWED, f"shadowed by {by.name}", shadowed_by=by.id))
            else:
                winner[entry.key] = store
                rows.append(Row(entry, store, Status.ACTIVE, "pixi uses this entry"))
    return rows


def blocking_problem(stores: list[Store], snapshots: dict[str, Snapshot]) -> str | None:
    for store in stores:
        if isinstance(store, JsonFileStore) and snapshots[store.id].state in BAD_FILE_STATES:
            return (
                f"rattler cannot load {store.path} ({snapshots[store.id].message}): "
                "pixi sends no credentials at all until it is fixed"
            )
    return None


def load_inventory(environment: Environment, keychain: Store | None = None) -> Inventory:
    found = discover_stores(environment, keychain)
    inventory = inventory_from(found.stores, found.override)
    inventory.env = dict(environment.env)
    return inventory


FileSignature = dict[str, tuple[int, int, int] | None]


def file_signature(stores: list[Store]) -> FileSignature:
    """(mtime, size, inode) of every file-backed store, None where absent: cheap to take, and
    it changes whenever another program (e.g. `pixi auth login`) rewrites one of the files."""
    signature: FileSignature = {}
    for store in stores:
        path = getattr(store, "path", None)
        if not isinstance(path, Path):
            continue
        try:
            st = path.stat()
            signature[store.id] = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            signature[store.id] = None
    return signature


def changed_files(inventory: Inventory) -> list[Store]:
    """The file stores that differ on disk from what `inventory` was read from."""
    now = file_signature(inventory.stores)
    return [s for s in inventory.stores if s.id in now and now[s.id] != inventory.files.get(s.id)]


def inventory_from(stores: list[Store], override: OverrideLookup | None = None) -> Inventory:
    # Taken before reading, so a change made while the stores are read is noticed later.
    files = file_signature(stores)
    # Stores are independent; the keychain's D-Bus round trips overlap the file reads.
    with ThreadPoolExecutor(max_workers=len(stores)) as pool:
        snapshots = dict(zip((s.id for s in stores), pool.map(lambda s: s.load(), stores), strict=True))
    return Inventory(
        stores=stores,
        snapshots=snapshots,
        rows=build_rows(stores, snapshots),
        override=override or OverrideLookup(),
        blocked=blocking_problem(stores, snapshots),
        files=files,
    )


# -- resolving a URL ---------------------------------------------------------------


@dataclass
class PreparedRequest:
    """The request rattler would send, with every secret masked."""

    method: str
    url: str
    headers: dict[str, str]
    note: str = ""


@dataclass
class Resolution:
    url: str
    candidates: list[str]
    row: Row | None
    request: PreparedRequest | None
    blocked: str | None = None
    error: str | None = None

    @property
    def key(self) -> str | None:
        return self.row.key if self.row else None


def resolve(inventory: Inventory, url: str) -> Resolution:
    if host_of(url) is None:
        return Resolution(url, [], None, None, error=f"not a URL with a host: {url!r}")
    candidates = candidate_keys(url)
    row = next((r for key in candidates if (r := inventory.active_row(key)) is not None), None)
    if row is None:
        request = PreparedRequest("GET", url, {}, "no credential: sent anonymously")
    else:
        request = describe_request(row, url)
    return Resolution(url, candidates, row, request, blocked=inventory.blocked)


def insert_conda_token(url: str, token: str) -> str:
    """`https://host/chan/...` → `https://host/t/<token>/chan/...`, as rattler does."""
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}/t/{token}/{path}"


def describe_request(row: Row, url: str) -> PreparedRequest:
    cred = row.entry.credential
    if isinstance(cred, BearerToken):
        return PreparedRequest("GET", url, {"Authorization": f"Bearer {mask(cred.token)}"})
    if isinstance(cred, OAuth):
        return PreparedRequest(
            "GET",
            url,
            {"Authorization": f"Bearer {mask(cred.access_token)}"},
            "OAuth access token; refreshed through the token endpoint when expired",
        )
    if isinstance(cred, BasicHTTP):
        return PreparedRequest(
            "GET", url, {"Authorization": f"Basic base64({cred.username}:{mask(cred.password, human=True)})"}
        )
    if isinstance(cred, CondaToken):
        return PreparedRequest("GET", insert_conda_token(url, mask(cred.token)), {}, "token in the URL path")
    if isinstance(cred, S3Credentials):
        return PreparedRequest(
            "GET",
            url,
            {"Authorization": f"AWS4-HMAC-SHA256 Credential={cred.access_key_id}/…"},
            "AWS SigV4-signed S3 request",
        )
    return PreparedRequest("GET", url, {}, "unreadable credential: rattler would fail")
