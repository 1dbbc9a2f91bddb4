"""Every store pixi reads, in pixi's lookup order; which entry wins for each key and each URL."""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterator
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from pixi_auth_tui.core.hostkeys import (
    candidate_keys,
    host_of,
    never_matched,
    plain_host_key,
    redact_userinfo,
    url_userinfo,
)
from pixi_auth_tui.core.model import (
    KINDS,
    Credential,
    OAuth,
    authorise,
    mask,
    mask_for,
    oauth_refresh_first,
    oauth_sends_nothing,
    rattler_accepts,
    reading_problem,
    send_problem,
)
from pixi_auth_tui.stores.base import Ability, Entry, Snapshot, Store, StoreState
from pixi_auth_tui.stores.jsonfile import JsonFileStore
from pixi_auth_tui.stores.netrc import NetrcStore, netrc_path
from pixi_auth_tui.system.paths import Environment, literal_tilde, rattler_credentials_path
from pixi_auth_tui.system.pixiconfig import OverrideLookup, find_override_file

# Store ids, in pixi's lookup order.
OVERRIDE = "override"
AUTH_FILE = "auth-file"
KEYCHAIN = "keychain"
CREDENTIALS = "credentials"
NETRC = "netrc"
BAD_FILE_STATES = (StoreState.MALFORMED, StoreState.REJECTED, StoreState.ERROR)


class Status(StrEnum):
    ACTIVE = "active"  # what pixi uses for this key
    SHADOWED = "shadowed"  # an earlier store has the same key
    IGNORED = "ignored"  # pixi cannot use it at all (see reason)
    # pixi matches this entry for its key but sends no credential, and the match stops the
    # lookup (no wildcard or later store takes over): an expired OAuth token it cannot refresh.
    BLOCKING = "blocking"


# The statuses of the entry a key's lookup ends at.
WINNING = frozenset({Status.ACTIVE, Status.BLOCKING})


class Row(NamedTuple):
    """An entry in the inventory: its store, and whether pixi uses it (its status, and why)."""

    entry: Entry
    store: Store
    status: Status
    reason: str = ""
    shadowed_by: str | None = None  # store id of the winning entry

    @property
    def key(self) -> str:
        return self.entry.key

    def with_credential(self, credential: Credential) -> Row:
        """The same row, its entry holding `credential` (a secret read on demand, a refresh)."""
        return self._replace(entry=self.entry._replace(credential=credential))


def make_keychain_store(environment: Environment) -> Store:
    if sys.platform == "darwin":
        from pixi_auth_tui.stores.macos import MacKeychainStore

        return MacKeychainStore()
    if sys.platform == "win32":
        from pixi_auth_tui.stores.windows import WindowsCredentialStore

        return WindowsCredentialStore()
    from pixi_auth_tui.stores.dbus_session import can_prompt, session_bus
    from pixi_auth_tui.stores.locking import keychain_lock_path
    from pixi_auth_tui.stores.secretservice import SecretServiceStore

    # The bus pixi's libdbus reaches: DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus.
    bus = session_bus(environment.env)
    return SecretServiceStore(
        bus.address, keychain_lock_path(environment.env), no_bus=bus.reason, can_prompt=can_prompt(environment.env)
    )


class StoreSet(NamedTuple):
    """The stores pixi consults, in its order, and how its override file was found."""

    stores: list[Store]
    override: OverrideLookup


def discover_stores(environment: Environment, keychain: Store | None = None, pypi: bool | None = None) -> StoreSet:
    """The stores pixi consults, in its order. `keychain` replaces the platform's (tests, --demo).
    uv's stores follow rattler's when the workspace has PyPI indexes (`pypi` None), always (True)
    or never (False)."""
    stores: list[Store] = []
    # pixi means to put its override file after RATTLER_AUTH_FILE, but its check never matches
    # (see DOMAIN.md), so the override file is consulted first: we show what pixi does.
    override = find_override_file(environment.env, environment.home, workspace=environment.workspace)
    if override.path is not None:
        stores.append(JsonFileStore(OVERRIDE, "override file", override.path.absolute()))
    auth_file = environment.get("RATTLER_AUTH_FILE")
    if auth_file:
        # As rattler reads it: the path as written, `~` included (see paths.literal_tilde), from
        # the working directory when relative (shown whole, so a `~` folder is not read as home).
        stores.append(JsonFileStore(AUTH_FILE, "RATTLER_AUTH_FILE", Path(auth_file).absolute()))
    keychain = keychain if keychain is not None else environment.keychain
    stores.append(keychain if keychain is not None else make_keychain_store(environment))
    stores.append(JsonFileStore(CREDENTIALS, "credentials.json", rattler_credentials_path(environment.home)))
    stores.append(NetrcStore(netrc_path(environment.env, environment.home)))
    if pypi or (pypi is None and (environment.workspace is not None or _uv_credentials_exist(environment))):
        # (outside a workspace uv's chain holds only its credentials.toml, when it exists: most
        # commands there do not even import uv's store modules)
        from pixi_auth_tui.pypi.stores import discover_pypi_stores

        stores += discover_pypi_stores(environment, wanted=bool(pypi))
    return StoreSet(stores, override)


def _uv_credentials_exist(environment: Environment) -> bool:
    from pixi_auth_tui.pypi.uv_dirs import credentials_path

    return credentials_path(environment.env, environment.home).exists()


class WriteChoice(NamedTuple):
    """Where a new credential goes (where `pixi auth login` would write it), and why."""

    store: Store
    reason: str
    warning: str | None = None  # set when the choice means a plaintext file instead of the keychain


ORDER_NOTE = (
    "pixi consults its authentication-override-file before RATTLER_AUTH_FILE (its docs describe "
    "the reverse order; its code does this)"
)


def order_note(inventory: Inventory, store_id: str) -> str | None:
    """Why a store sits where it does, when pixi's docs say otherwise (both files present); and
    a path pixi reads other than a person would expect (a literal `~`)."""
    notes = [note for note in (_order_note(inventory, store_id), tilde_note(inventory, store_id)) if note]
    return "; ".join(notes) or None


def tilde_note(inventory: Inventory, store_id: str) -> str | None:
    """The warning for a store path that starts with `~` as written (paths.literal_tilde)."""
    if inventory.store(store_id) is None:
        return None
    if store_id == AUTH_FILE:
        written = inventory.env.get("RATTLER_AUTH_FILE")
        return literal_tilde(Path(written), "RATTLER_AUTH_FILE") if written else None
    if store_id == OVERRIDE:
        source = inventory.override.source
        return literal_tilde(inventory.override.path, f"authentication-override-file in {source}")
    return None


def _order_note(inventory: Inventory, store_id: str) -> str | None:
    if store_id in (OVERRIDE, AUTH_FILE) and inventory.store(OVERRIDE) and inventory.store(AUTH_FILE):
        return ORDER_NOTE
    if store_id == OVERRIDE and inventory.override.source is not None:
        return f"named by {inventory.override.source}; `pixi auth login/logout/status` never use it"
    return None


class Inventory:
    """Every store as read once, and a row per entry, in pixi's lookup order."""

    __slots__ = ("_index", "blocked", "env", "files", "keys", "override", "rows", "snapshots", "stores")

    def __init__(
        self,
        stores: list[Store],
        snapshots: dict[str, Snapshot],
        rows: list[Row],
        override: OverrideLookup | None = None,
        # Set when rattler cannot even build its credential store: then it sends nothing.
        blocked: str | None = None,
        # The environment variables the inventory was read with (CA bundles, proxies, state dir).
        env: dict[str, str] | None = None,
        # What the files looked like just before they were read (see file_signature).
        files: dict[str, tuple[int, int, int] | None] | None = None,
        # Set when `rows` hold only these keys' rows (every store still read whole): `resolve`'s.
        keys: frozenset[str] | None = None,
    ) -> None:
        self.stores = stores
        self.snapshots = snapshots
        self.rows = rows
        self.override = OverrideLookup() if override is None else override
        self.blocked = blocked
        self.env: dict[str, str] = {} if env is None else env
        self.files: dict[str, tuple[int, int, int] | None] = {} if files is None else files
        self.keys = keys
        self._index: dict[str, list[Row]] | None = None

    def store(self, store_id: str) -> Store | None:
        return next((s for s in self.stores if s.id == store_id), None)

    def with_store(self, store: Store, snapshot: Snapshot) -> Inventory:
        """The same inventory with one more store (last), as `snapshot` found it; its rows as they are."""
        stores, snapshots = [*self.stores, store], {**self.snapshots, store.id: snapshot}
        return Inventory(stores, snapshots, self.rows, self.override, self.blocked, self.env, self.files, self.keys)

    def _rows_by_key(self) -> dict[str, list[Row]]:
        # rows never change after the inventory is built: one index, built on first use, not a
        # scan per question
        index = self._index
        if index is None:
            index = self._index = {}
            for row in self.rows:
                index.setdefault(row.key, []).append(row)
        return index

    def rows_for(self, key: str) -> list[Row]:
        return list(self._rows_by_key().get(key, ()))

    def active_row(self, key: str) -> Row | None:
        """The entry `key`'s lookup ends at (ACTIVE, or BLOCKING: matched, but nothing is sent)."""
        return next((r for r in self._rows_by_key().get(key, ()) if r.status in WINNING), None)

    def default_write_store(self) -> Store:
        """Where a new credential goes when nobody chose: where `pixi auth login` would put it."""
        return self.write_choice().store

    def write_choice(self, credential: Credential | None = None) -> WriteChoice:
        """`pixi auth login`'s choice: RATTLER_AUTH_FILE if set, else the keychain, else
        credentials.json. Given the credential, also where it falls back when the chosen store
        refuses it (Windows' size limit): credentials.json, as `pixi auth login` does."""
        choice = self._first_choice()
        refusal = choice.store.write_problem(credential) if credential is not None else None
        credentials = self.store(CREDENTIALS)
        if refusal and credentials is not None and credentials is not choice.store:
            return WriteChoice(
                credentials,
                f"the keychain refuses it ({refusal})",
                warning=f"stored in PLAIN TEXT in {credentials.location}",
            )
        return choice

    def _first_choice(self) -> WriteChoice:
        auth = self.store(AUTH_FILE)
        if auth is not None:
            return WriteChoice(auth, "RATTLER_AUTH_FILE is set, so `pixi auth login` writes there")
        keychain = self.store(KEYCHAIN)
        if keychain is not None and self.snapshots[KEYCHAIN].state is StoreState.OK:
            return WriteChoice(keychain, "the keychain is usable, so `pixi auth login` writes there")
        credentials = self.store(CREDENTIALS)
        assert credentials is not None
        why = self.snapshots[KEYCHAIN].message if keychain is not None else "no keychain"
        return WriteChoice(
            credentials,
            "the keychain is not usable, so `pixi auth login` falls back to credentials.json",
            warning=f"the keychain cannot be used ({why}): "
            f"the secret is stored in PLAIN TEXT in {credentials.location}",
        )

    def resolve(self, url: str, now: float | None = None) -> Resolution:
        return resolve(self, url, now)


def _ignored_reason(entry: Entry, snapshot: Snapshot, keychain_counts: dict[str, int]) -> str | None:
    if snapshot.state in BAD_FILE_STATES:
        return f"pixi cannot read this store: {snapshot.message}"
    if entry.note:
        return entry.note
    if entry.store_id == KEYCHAIN and not rattler_accepts(entry.credential):
        # rattler logs the parse error and goes on to the next store (py-rattler, DOMAIN.md).
        return f"rattler cannot read this keychain item ({reading_problem(entry.credential)}) and skips it"
    if not rattler_accepts(entry.credential):
        return "rattler cannot read this entry"
    if entry.store_id == KEYCHAIN and keychain_counts.get(entry.key, 0) > 1:
        return f"{keychain_counts[entry.key]} keychain items for this key: rattler fails on the ambiguity"
    return None


def _never_used(key: str) -> str | None:
    problem = never_matched(key)
    return None if problem is None else f"pixi never uses this entry: rattler can never match the key (it {problem})"


USED = "pixi uses this entry"
SENDS_NOTHING = "pixi matches this entry but sends nothing: "
PYPI_USED = "uv sends this for PyPI indexes when rattler has no credential for the host (conda channels never use it)"
CONDA_CHAIN = "conda"


def build_rows(
    stores: list[Store],
    snapshots: dict[str, Snapshot],
    keys: Collection[str] | None = None,
    now: float | None = None,
) -> list[Row]:
    """A row per entry, in lookup order; with `keys`, only the rows of those keys (a key's rows
    depend on that key's entries alone: `resolve` needs the few keys a URL can match). `now`
    decides which OAuth entries have expired (BLOCKING)."""
    now = time.time() if now is None else now
    unmatched: dict[str, str | None] = {}  # per key: why rattler never matches it (once per key)

    def entries_of(snapshot: Snapshot) -> list[Entry]:
        return snapshot.entries if keys is None else [e for e in snapshot.entries if e.key in keys]

    keychain_counts: dict[str, int] = defaultdict(int)
    for entry in entries_of(snapshots.get(KEYCHAIN, Snapshot(KEYCHAIN, StoreState.OK))):
        keychain_counts[entry.key] += 1
    winner: dict[str, Store] = {}
    rows: list[Row] = []
    append = rows.append
    for store in stores:
        snapshot = snapshots[store.id]
        if store.chain != CONDA_CHAIN:  # uv's own stores: not in rattler's lookup (see pypi_rows)
            rattler = None if blocking_problem(stores, snapshots) else rows
            rows += pypi_rows(store, snapshot, entries_of(snapshot), rattler)
            continue
        shadowed: dict[str, str] = {}  # reason, per winning store's name (one string for all its keys)
        for entry in entries_of(snapshot):
            # (_ignored_reason's first checks inline: at 100,000 entries a call per entry shows)
            reason = None
            if entry.note is not None or snapshot.state in BAD_FILE_STATES or entry.store_id == KEYCHAIN:
                reason = _ignored_reason(entry, snapshot, keychain_counts)
            elif not rattler_accepts(entry.credential):
                reason = "rattler cannot read this entry"
            key = entry.key
            plain = plain_host_key(key)  # (the common key: the checks below need not look at it)
            if reason is None and not plain:
                if key not in unmatched:
                    unmatched[key] = _never_used(key)
                reason = unmatched[key]
            if reason is not None:
                append(Row(entry, store, Status.IGNORED, reason))
            elif key in winner:
                by = winner[key]
                why = shadowed.get(by.name) or shadowed.setdefault(by.name, f"shadowed by {by.name}")
                append(Row(entry, store, Status.SHADOWED, why, by.id))
            else:
                winner[key] = store
                if type(entry.credential) is OAuth:
                    append(_oauth_row(entry, store, now))
                elif not plain and fails_every_request(key, entry.credential):
                    append(Row(entry, store, Status.BLOCKING, SENDS_NOTHING + NOT_S3))
                else:
                    append(Row(entry, store, Status.ACTIVE, USED))
    if keychain_counts:  # (only a keychain item's row can fall through, when there is one)
        return [_with_fallthrough(row, winner) if row.store.id == KEYCHAIN else row for row in rows]
    return rows


def fails_every_request(key: str, cred: Credential) -> bool:
    """An s3:// key holding anything but S3 keys: only s3:// URLs reach the key, and rattler fails
    each of them ("not S3 credentials") without falling back to another key or store."""
    return key[:5].lower() == "s3://" and not KINDS[cred.kind].endpoint_named


def _oauth_row(entry: Entry, store: Store, now: float) -> Row:
    """The winning row of an OAuth entry: BLOCKING when rattler can send nothing for it."""
    blocks = oauth_sends_nothing(entry.credential, now)
    if blocks is not None:
        return Row(entry, store, Status.BLOCKING, SENDS_NOTHING + blocks)
    first = oauth_refresh_first(entry.credential, now)
    return Row(entry, store, Status.ACTIVE, f"{USED}; {first}" if first else USED)


def _skipped_keychain_item(row: Row) -> bool:
    """A keychain item rattler skips (ambiguous, or a secret it cannot parse): it goes on to the
    next store, as if the item were not there."""
    if row.status is not Status.IGNORED or row.store.id != KEYCHAIN or row.entry.note is not None:
        return False
    return "ambiguity" in row.reason or not rattler_accepts(row.entry.credential)


def fallthrough(then: Store | None) -> str:
    """Where pixi goes when it skips a keychain item: the store that holds the key next."""
    if then is not None:
        return f"pixi falls through and uses the entry in {then.name}"
    return "no later store has this key, so pixi sends none for it (a wildcard key may still apply)"


def pypi_rows(store: Store, snapshot: Snapshot, entries: list[Entry], rattler: list[Row] | None = None) -> list[Row]:
    """Rows of a store only uv reads (after rattler's layer found nothing for the host): they
    never take part in rattler's lookup; an entry the store knows uv never asks for is ignored.
    With `rattler` (the rows of rattler's stores; None when pixi drops that layer), an entry uv
    would send on a request without a user name is shadowed where rattler has a credential
    for the host: pixi's layer sets the header first and uv keeps it."""
    rows = []
    active: dict[str, Row] | None = None
    for entry in entries:
        verdict = store.chain_verdict(entry)
        if snapshot.state in BAD_FILE_STATES:
            rows.append(Row(entry, store, Status.IGNORED, f"uv cannot read this store: {snapshot.message}"))
            continue
        if verdict is None and entry.note is None:
            verdict = ("active", PYPI_USED, None)
        url = store.anonymous_url(entry) if rattler is not None and verdict and verdict[0] == "active" else None
        if url is not None and rattler is not None:
            if active is None:
                active = {r.key: r for r in rattler if r.status in WINNING and r.store.chain == CONDA_CHAIN}
            winner = next((active[key] for key in candidate_keys(url) if key in active), None)
            if winner is not None and winner.status is Status.ACTIVE:  # (a blocking one sends nothing)
                why = f"rattler's {winner.key} in {winner.store.name} goes first for {url} (pixi's layer; uv keeps it)"
                rows.append(Row(entry, store, Status.SHADOWED, why, winner.store.id))
                continue
        if verdict is not None:
            status, why, by = verdict
            rows.append(Row(entry, store, Status(status), why, store.id if by else None))
        else:
            rows.append(Row(entry, store, Status.IGNORED, entry.note or ""))
    return rows


def _with_fallthrough(row: Row, winner: dict[str, Store]) -> Row:
    """A keychain item rattler skips is not fatal: say where pixi goes instead."""
    if not _skipped_keychain_item(row):
        return row
    then = winner.get(row.key)
    reason = f"{row.reason}; {fallthrough(then)}"
    return Row(row.entry, row.store, row.status, reason, shadowed_by=then.id if then else None)


def blocking_problem(stores: list[Store], snapshots: dict[str, Snapshot]) -> str | None:
    for store in stores:
        if Ability.BLOCKS_WHEN_BAD in store.abilities and snapshots[store.id].state in BAD_FILE_STATES:
            return (
                f"rattler cannot load {store.path} ({snapshots[store.id].message}), so pixi cannot build its "
                "credential store at all: its conda requests fail with an error and its PyPI requests (uv) "
                "go out without rattler's credentials (uv's own chain still runs) until this file is fixed"
            )
    return None


def load_inventory(
    environment: Environment,
    keychain: Store | None = None,
    keys: Collection[str] | None = None,
    pypi: bool | None = None,
) -> Inventory:
    """Every store read; the rows of every key, or with `keys` only of those (see Inventory.keys).
    uv's stores as `discover_stores` decides; never for `keys` (rattler's lookup) unless `pypi`."""
    found = discover_stores(environment, keychain, False if keys is not None and pypi is None else pypi)
    inventory = inventory_from(found.stores, found.override, keys)
    inventory.env = dict(environment.env)
    return inventory


def offering_uv_store(inventory: Inventory, environment: Environment) -> Inventory:
    """`inventory`, with uv's credentials.toml among its stores even before the file exists, so
    that an add can create it where `uv auth login` would (`UV_CREDENTIALS_DIR`, else uv's data
    dir). Listed only inside a workspace with PyPI indexes or once the file exists (discover_stores);
    offered to write to always, as `set --store uv` is."""
    from pixi_auth_tui.pypi import uv_store
    from pixi_auth_tui.pypi.uv_credentials import STORE_ID, UvCredentialsStore

    if inventory.store(STORE_ID) is not None:
        return inventory
    path = uv_store.credentials_path(environment.env, environment.home)
    store = UvCredentialsStore(path, [], environment.env, environment.home)
    return inventory.with_store(store, store.load())


FileSignature = dict[str, tuple[int, int, int] | None]


def file_signature(stores: list[Store]) -> FileSignature:
    """(mtime, size, inode) of every file-backed store, None where absent: cheap to take, and
    it changes whenever another program (e.g. `pixi auth login`) rewrites one of the files."""
    signature: FileSignature = {}
    for store in stores:
        path = store.path
        if path is None:
            continue
        try:
            st = path.stat()
            signature[store.id] = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            signature[store.id] = None
    return signature


def changed_files(stores: list[Store], signature: FileSignature) -> list[Store]:
    """The file stores that differ on disk from `signature` (taken when they were read)."""
    now = file_signature(stores)
    return [s for s in stores if s.id in now and now[s.id] != signature.get(s.id)]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: loading makes several objects per entry, none in a
    cycle, and the collector would rescan the growing heap again and again (at 100,000
    entries that was most of the loading time). Reference counting still frees everything."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_all(stores: list[Store], keys: frozenset[str] | None = None) -> dict[str, Snapshot]:
    """Every store's snapshot, in order. A store with no file behind it (a keychain over D-Bus,
    Python keyring) waits on another process: each such store loads in a thread of its own,
    started first, so its round trips overlap the file reads, which run here one after another
    (a thread per file would only add thread starts and switches: parsing holds the GIL). (Plain
    threads: concurrent.futures would import logging into every CLI command; bench/RESULTS.md.)
    With `keys`, a credentials file's snapshot holds only those keys' entries (see
    JsonFileStore.load)."""
    results: list[Snapshot | BaseException | None] = [None] * len(stores)

    def load(index: int) -> None:
        store = stores[index]
        try:
            partial = keys is not None and Ability.PARTIAL_LOAD in store.abilities
            results[index] = store.load_keys(keys) if partial and keys is not None else store.load()
        except BaseException as err:  # re-raised in the caller, as a pool would
            results[index] = err

    threads = [
        threading.Thread(target=load, args=(i,), daemon=True) for i, store in enumerate(stores) if store.path is None
    ]
    for thread in threads:
        thread.start()
    for i, store in enumerate(stores):
        if store.path is not None:
            load(i)
    for thread in threads:
        thread.join()
    snapshots: dict[str, Snapshot] = {}
    for store, result in zip(stores, results, strict=True):
        if isinstance(result, BaseException):
            raise result
        assert result is not None
        snapshots[store.id] = result
    return snapshots


def inventory_from(
    stores: list[Store], override: OverrideLookup | None = None, keys: Collection[str] | None = None
) -> Inventory:
    # Taken before reading, so a change made while the stores are read is noticed later.
    files = file_signature(stores)
    with gc_paused():
        wanted = None if keys is None else frozenset(keys)
        snapshots = _load_all(stores, wanted)
        rows = build_rows(stores, snapshots, wanted)
    return Inventory(
        stores=stores,
        snapshots=snapshots,
        rows=rows,
        override=override or OverrideLookup(),
        blocked=blocking_problem(stores, snapshots),
        files=files,
        keys=None if keys is None else frozenset(keys),
    )


# -- resolving a URL ---------------------------------------------------------------


class PreparedRequest(NamedTuple):
    """The request rattler would send, with every secret masked."""

    method: str
    url: str
    headers: dict[str, str]
    note: str = ""
    # Set when rattler cannot even send it (e.g. a control character in a header value).
    fails: str | None = None
    # Set when rattler refreshes the OAuth token first (what the headers show then is the new
    # token's; an expired one whose refresh the provider refuses sends nothing).
    refresh_first: str | None = None
    # Set when an entry matched but rattler puts no credential on the request (see note).
    withheld: bool = False


class Resolution(NamedTuple):
    """What rattler does for a URL: the keys it tries, the entry it matches, the request it sends."""

    url: str
    candidates: list[str]
    row: Row | None
    request: PreparedRequest | None
    blocked: str | None = None
    error: str | None = None
    # The URL's own user:password, which rattler sends instead of any stored credential.
    userinfo: tuple[str, str] | None = None
    # The host rattler keys on, when it differs from how the URL spells it (IDN, IPv4 forms, …).
    normalised_host: str | None = None

    @property
    def key(self) -> str | None:
        return self.row.key if self.row else None

    @property
    def sends_credential(self) -> bool:
        # A store rattler cannot build stops pixi before any credential is chosen; a match
        # rattler sends nothing for (expired OAuth, the wrong kind for the URL) sends none.
        if self.blocked is not None:
            return False
        if self.userinfo is not None:
            return True
        request = self.request
        return self.row is not None and request is not None and not request.fails and not request.withheld

    @property
    def blocking(self) -> str | None:
        """Why the matched entry sends nothing and stops the lookup (None: it does not)."""
        request = self.request
        if self.row is None or request is None or not (request.withheld or request.fails):
            return None
        return request.fails or request.note


URL_USERINFO_NOTE = "credentials in the URL itself: rattler sends them as HTTP Basic and consults no store"


def first_active(rows: list[Row], candidates: list[str]) -> Row | None:
    """The entry rattler sends for a request whose candidate keys are `candidates`: the
    first key, in order, that some store holds usably (the store order decided ACTIVE)."""
    active = {r.key: r for r in rows if r.status in WINNING and r.store.chain == CONDA_CHAIN}
    return next((active[key] for key in candidates if key in active), None)


def resolve(inventory: Inventory, url: str, now: float | None = None) -> Resolution:
    host = host_of(url)
    if host is None:
        return Resolution(url, [], None, None, error=f"not a URL with a host: {url!r}")
    candidates = candidate_keys(url)
    written = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    normalised = host if host not in (written, written.lower()) and not written.startswith(f"{host}:") else None
    userinfo = url_userinfo(url)
    if userinfo is not None:
        user, password = userinfo
        shown = redact_userinfo(url)  # the URL's own password is a secret too
        request = PreparedRequest(
            "GET", shown, {"Authorization": f"Basic base64({user}:{mask(password)})"}, URL_USERINFO_NOTE
        )
        return Resolution(
            shown, candidates, None, request, blocked=inventory.blocked, userinfo=userinfo, normalised_host=normalised
        )
    row = first_active(inventory.rows, candidates)
    if row is None:
        request = PreparedRequest("GET", url, {}, "no credential: sent anonymously")
    else:
        request = describe_request(row, url, now)
    return Resolution(url, candidates, row, request, blocked=inventory.blocked, normalised_host=normalised)


def describe_request(row: Row, url: str, now: float | None = None) -> PreparedRequest:
    """The request rattler would send, secrets masked: `authorise` with `mask`, the same
    description `test` sends for real; or none, with the reason, where rattler sends none."""
    cred = row.entry.credential
    now = time.time() if now is None else now
    nothing = _sends_nothing(cred, url, now)
    if nothing is not None:
        fails, note = nothing
        return PreparedRequest("GET", url, {}, note, fails, withheld=True)
    plan = authorise(cred, url, reveal=mask_for(cred))
    headers = dict(plan.headers)
    if plan.basic is not None:
        headers["Authorization"] = f"Basic base64({plan.basic[0]}:{plan.basic[1]})"
    if plan.sigv4 is not None:
        headers["Authorization"] = f"AWS4-HMAC-SHA256 Credential={plan.sigv4[0]}/…"
    fails = send_problem(cred)
    refresh = oauth_refresh_first(cred, now)
    return PreparedRequest("GET", plan.url, headers, fails or plan.note, fails, refresh_first=refresh)


NOT_S3 = (
    "the credential stored for this s3:// URL is not S3 keys: rattler fails the request "
    '("not S3 credentials") when the bucket has s3-options, and otherwise ignores stored credentials '
    "(the AWS SDK's own chain signs it); either way this entry is never sent"
)
S3_ONLY = "S3 keys are used only for s3:// URLs: rattler sends no credential to this host"


def _sends_nothing(cred: Credential, url: str, now: float) -> tuple[str | None, str] | None:
    """(why the request fails or None, what is said) where rattler puts no credential on the
    request for the matched entry; None when it sends one (py-rattler agrees: test_differential)."""
    blocks = oauth_sends_nothing(cred, now)
    if blocks is not None:
        return None, blocks
    s3_url = url.lower().startswith("s3://")
    if s3_url and not KINDS[cred.kind].endpoint_named:
        return NOT_S3, NOT_S3
    if not s3_url and KINDS[cred.kind].endpoint_named:
        return None, S3_ONLY
    return None
