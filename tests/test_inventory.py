import json

from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.hostkeys import candidate_keys
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken, S3Credentials, Unrecognised
from pixi_auth_tui.engine import inventory as inventory_module
from pixi_auth_tui.engine.inventory import (
    AUTH_FILE,
    CREDENTIALS,
    KEYCHAIN,
    NETRC,
    OVERRIDE,
    Row,
    Status,
    build_rows,
    load_inventory,
    resolve,
)
from pixi_auth_tui.stores.base import Entry, Snapshot, StoreState
from pixi_auth_tui.stores.memory import MemoryKeychainStore

from tests.conftest import make_env


def setup_three_stores(home):
    auth = home / "auth.json"
    auth.write_text(json.dumps({"host.example": {"BearerToken": "from-auth-file"}}))
    (home / ".rattler").mkdir()
    (home / ".rattler/credentials.json").write_text(
        json.dumps(
            {
                "host.example": {"BearerToken": "from-credentials"},
                "*.example": {"CondaToken": "wild"},
                "only.example": {"BasicHTTP": {"username": "u", "password": "p"}},
            }
        )
    )
    (home / ".netrc").write_text("machine host.example login n password np\nmachine only.example login n password q\n")
    override = home / "override.json"
    override.write_text(json.dumps({"other.example": {"BearerToken": "o"}}))
    (home / ".pixi").mkdir()
    (home / ".pixi/config.toml").write_text(f'authentication-override-file = "{override}"\n')
    return make_env(home, RATTLER_AUTH_FILE=str(auth))


def test_same_key_in_three_stores(home):
    env = setup_three_stores(home)
    keychain = MemoryKeychainStore([("host.example", '{"BearerToken":"from-keychain"}')])
    inv = load_inventory(env, keychain=keychain)
    # pixi consults the override file first (its docs say RATTLER_AUTH_FILE first; its code does not)
    assert [s.id for s in inv.stores] == [OVERRIDE, AUTH_FILE, KEYCHAIN, CREDENTIALS, NETRC]
    table = [(r.store.id, r.status, r.shadowed_by) for r in inv.rows_for("host.example")]
    assert table == [
        (AUTH_FILE, Status.ACTIVE, None),
        (KEYCHAIN, Status.SHADOWED, AUTH_FILE),
        (CREDENTIALS, Status.SHADOWED, AUTH_FILE),
        (NETRC, Status.SHADOWED, AUTH_FILE),
    ]
    assert inv.active_row("only.example").store.id == CREDENTIALS
    assert inv.rows_for("only.example")[1].status is Status.SHADOWED
    assert inv.blocked is None


def test_resolution_is_key_major_like_rattler(home):
    env = setup_three_stores(home)
    inv = load_inventory(env, keychain=MemoryKeychainStore([("*.host.example", '{"BearerToken":"kc"}')]))
    # exact host in an early store
    res = inv.resolve("https://host.example/chan")
    assert res.key == "host.example" and res.row.store.id == AUTH_FILE
    assert res.request.headers == {"Authorization": "Bearer …file"}
    # a subdomain: *.host.example (keychain) beats *.example (credentials.json) — keys first, then stores
    res = inv.resolve("https://sub.host.example/chan")
    assert res.key == "*.host.example" and res.row.store.id == KEYCHAIN
    # conda token goes into the path, masked
    res = inv.resolve("https://deep.other.example/chan/noarch/repodata.json")
    assert res.key == "*.example"
    assert res.request.url == "https://deep.other.example/t/••••••/chan/noarch/repodata.json"
    assert res.request.headers == {}
    assert inv.resolve("https://nothing.test/x").row is None


def test_s3_resolution(home):
    (home / ".rattler").mkdir()
    (home / ".rattler/credentials.json").write_text(
        json.dumps({"s3://bucket/a": {"S3Credentials": {"access_key_id": "AK", "secret_access_key": "sk"}}})
    )
    inv = load_inventory(make_env(home), keychain=MemoryKeychainStore())
    res = inv.resolve("s3://bucket/a/b/c")
    assert res.key == "s3://bucket/a"
    assert "AK" in res.request.headers["Authorization"] and "sk" not in str(res.request)


def test_malformed_file_blocks_rattler_but_hides_no_store(home):
    (home / ".rattler").mkdir()
    (home / ".rattler/credentials.json").write_text("{oops")
    (home / ".netrc").write_text("machine a.example login u password p\n")
    inv = load_inventory(make_env(home), keychain=MemoryKeychainStore([("k.example", '{"BearerToken":"t"}')]))
    assert inv.snapshots[CREDENTIALS].state.value == "malformed"
    assert "credentials.json" in inv.blocked and "without rattler's credentials" in inv.blocked
    assert "uv's own chain still runs" in inv.blocked  # PyPI requests still get netrc's, uv's store's …
    assert {r.key for r in inv.rows} == {"a.example", "k.example"}


def test_duplicates_and_unreadable_keychain_items_are_ignored(home):
    keychain = MemoryKeychainStore(
        [
            ("dup.example", '{"BearerToken":"a"}'),
            ("dup.example", '{"BearerToken":"b"}'),
            ("bad.example", "not json"),
        ]
    )
    (home / ".netrc").write_text("machine dup.example login u password p\ndefault login a password b\n")
    inv = load_inventory(make_env(home), keychain=keychain)
    statuses = [(r.store.id, r.status) for r in inv.rows_for("dup.example")]
    # rattler's keychain lookup fails on the ambiguity and falls through to later stores
    assert statuses == [(KEYCHAIN, Status.IGNORED), (KEYCHAIN, Status.IGNORED), (NETRC, Status.ACTIVE)]
    assert inv.rows_for("bad.example")[0].status is Status.IGNORED
    assert inv.rows_for("default")[0].status is Status.IGNORED


def test_default_write_store(home):
    inv = load_inventory(make_env(home), keychain=MemoryKeychainStore())
    assert inv.default_write_store().id == KEYCHAIN
    inv = load_inventory(make_env(home))  # the no-bus environment: keychain unavailable
    assert inv.snapshots[KEYCHAIN].state.value == "unavailable"
    assert inv.default_write_store().id == CREDENTIALS


def test_the_override_file_wins_over_rattler_auth_file_as_in_pixi(home):
    env = setup_three_stores(home)
    (home / "override.json").write_text(json.dumps({"host.example": {"BearerToken": "from-override"}}))
    inv = load_inventory(env, keychain=MemoryKeychainStore([]))
    assert inv.active_row("host.example").store.id == OVERRIDE
    auth_row = next(r for r in inv.rows_for("host.example") if r.store.id == AUTH_FILE)
    assert auth_row.status is Status.SHADOWED and auth_row.shadowed_by == OVERRIDE
    from pixi_auth_tui.engine.inventory import order_note

    assert "docs describe the reverse order" in (order_note(inv, OVERRIDE) or "")


def test_write_choice_is_where_pixi_auth_login_writes(home):
    from pixi_auth_tui.engine.inventory import CREDENTIALS as CRED

    env = setup_three_stores(home)
    inv = load_inventory(env, keychain=MemoryKeychainStore([]))
    assert inv.write_choice().store.id == AUTH_FILE and inv.write_choice().warning is None
    no_auth = make_env(home)
    inv = load_inventory(no_auth, keychain=MemoryKeychainStore([]))
    assert inv.write_choice().store.id == KEYCHAIN and inv.write_choice().warning is None
    inv = load_inventory(no_auth)  # no session bus here: the keychain is unavailable
    choice = inv.write_choice()
    assert choice.store.id == CRED and "PLAIN TEXT" in (choice.warning or "")


# -- build_rows against the plain version it replaced ------------------------------------------


def reference_rows(stores, snapshots):
    """build_rows as first written (a call and a record made per entry): the reference."""
    counts: dict[str, int] = {}
    for entry in snapshots[KEYCHAIN].entries:
        counts[entry.key] = counts.get(entry.key, 0) + 1
    winner, rows = {}, []
    for store in stores:
        snapshot = snapshots[store.id]
        for entry in snapshot.entries:
            reason = inventory_module._ignored_reason(entry, snapshot, counts)
            if reason is not None:
                rows.append(Row(entry, store, Status.IGNORED, reason))
            elif entry.key in winner:
                by = winner[entry.key]
                rows.append(Row(entry, store, Status.SHADOWED, f"shadowed by {by.name}", shadowed_by=by.id))
            else:
                winner[entry.key] = store
                rows.append(Row(entry, store, Status.ACTIVE, "pixi uses this entry"))
    return [inventory_module._with_fallthrough(row, winner) for row in rows]


class NamedStore(MemoryKeychainStore):
    def __init__(self, store_id):
        super().__init__()
        self.id, self.name = store_id, f"the {store_id} store"


CREDS = [
    BearerToken("tok-000001"),
    CondaToken("tok-000002"),
    BasicHTTP("u", "pw-000003"),
    BasicHTTP("u", "pw-000004", misspelled=True),
    Unrecognised(raw="bare", reason="a bare string"),
    S3Credentials("AKIA", "s3-000005"),
]
entry_specs = st.tuples(st.sampled_from(["a.example", "b.example", "*.example"]), st.sampled_from(CREDS))
store_specs = st.tuples(
    st.sampled_from([StoreState.OK, StoreState.OK, StoreState.REJECTED, StoreState.MALFORMED]),
    st.lists(st.tuples(entry_specs, st.sampled_from([None, None, "", "a later entry wins"])), max_size=5),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(store_specs, min_size=5, max_size=5))
def test_rows_are_built_as_the_plain_version_builds_them(specs):
    stores = [NamedStore(store_id) for store_id in (OVERRIDE, AUTH_FILE, KEYCHAIN, CREDENTIALS, NETRC)]
    snapshots = {
        store.id: Snapshot(
            store.id,
            state,
            "why",
            [Entry(key, cred, store.id, note=note) for (key, cred), note in entries],
        )
        for store, (state, entries) in zip(stores, specs, strict=True)
    }
    built = build_rows(stores, snapshots)
    assert built == reference_rows(stores, snapshots)
    assert [row._asdict() for row in built] == [row._asdict() for row in reference_rows(stores, snapshots)]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(store_specs, min_size=5, max_size=5),
    st.sampled_from(["https://a.example/x", "https://b.example/", "https://c.example/x", "https://example/"]),
)
def test_resolve_reads_the_same_from_the_rows_of_its_keys_alone(specs, url):
    stores = [NamedStore(store_id) for store_id in (OVERRIDE, AUTH_FILE, KEYCHAIN, CREDENTIALS, NETRC)]
    snapshots = {
        store.id: Snapshot(
            store.id, state, "why", [Entry(key, cred, store.id, note=note) for (key, cred), note in entries]
        )
        for store, (state, entries) in zip(stores, specs, strict=True)
    }
    keys = candidate_keys(url)
    full, few = inventory_from_snapshots(stores, snapshots, None), inventory_from_snapshots(stores, snapshots, keys)
    assert few.rows == [row for row in full.rows if row.key in keys]
    assert resolve(few, url)._asdict() == resolve(full, url)._asdict()


def inventory_from_snapshots(stores, snapshots, keys):
    class Loaded(NamedStore):
        def load(self):
            return snapshots[self.id]

    for store in stores:
        store.__class__ = Loaded
    return inventory_module.inventory_from(stores, keys=keys)
