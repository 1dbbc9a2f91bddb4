"""The Secret Service store on a real gnome-keyring (private D-Bus session), with py-rattler
as the judge of whether pixi would authenticate."""

import json

import pytest
import secretstorage
from jeepney.io.blocking import open_dbus_connection
from pixi_auth_tui.core.hostkeys import candidate_keys
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken, S3Credentials, Unrecognised
from pixi_auth_tui.engine.inventory import KEYCHAIN, Status, load_inventory
from pixi_auth_tui.stores.base import StoreError, StoreState
from pixi_auth_tui.stores.memory import MemoryKeychainStore
from pixi_auth_tui.stores.secretservice import KeychainLocked, SecretServiceStore, item_attributes, item_label
from pixi_auth_tui.ui.reading import KeychainAhead, read_stores

from tests.conftest import make_env, rattler_fetch

pytestmark = [pytest.mark.keychain]


def raw_items(address, key=None):
    conn = open_dbus_connection(bus=address)
    try:
        attrs = {"service": "rattler"} | ({"username": key} if key else {})
        return [
            (i.get_label(), i.get_attributes(), i.get_secret().decode())
            for i in secretstorage.search_items(conn, attrs)
        ]
    finally:
        conn.close()


def rattler_style_item(address, key, secret):
    """An item exactly as rattler (keyring-rs) writes it."""
    conn = open_dbus_connection(bus=address)
    try:
        collection = secretstorage.get_default_collection(conn)
        collection.create_item(item_label(key), item_attributes(key), secret.encode())
    finally:
        conn.close()


def test_added_item_is_rattlers_item_and_rattler_uses_it(home, keychain, keyring_daemon, server):
    keychain.set("127.0.0.1", BearerToken("kc-token"))
    ((label, attrs, secret),) = raw_items(keyring_daemon.address)
    assert label == "keyring:127.0.0.1@rattler"
    assert {k: v for k, v in attrs.items() if k != "xdg:schema"} == {
        "service": "rattler",
        "username": "127.0.0.1",
    }
    assert secret == '{"BearerToken":"kc-token"}'
    server.expect["kc"] = BearerToken("kc-token")
    assert rattler_fetch(home, [(server.url("kc"), {})], bus=keyring_daemon.address) == ["OK"]


def test_rotating_a_rattler_item_keeps_one_item(home, keychain, keyring_daemon, server):
    rattler_style_item(keyring_daemon.address, "127.0.0.1", '{"BearerToken":"old"}')
    keychain.set("127.0.0.1", BearerToken("new"))
    items = raw_items(keyring_daemon.address, "127.0.0.1")
    assert len(items) == 1 and items[0][2] == '{"BearerToken":"new"}'
    server.expect["rot"] = BearerToken("new")
    assert rattler_fetch(home, [(server.url("rot"), {})], bus=keyring_daemon.address) == ["OK"]


def test_python_keyring_duplicate_is_reported_and_deduped(home, keychain, keyring_daemon, server):
    import keyring.backends.SecretService

    rattler_style_item(keyring_daemon.address, "127.0.0.1", '{"BearerToken":"good"}')
    # The trap from DOMAIN.md: keyring adds an attribute, so this creates a SECOND item.
    keyring.backends.SecretService.Keyring().set_password("rattler", "127.0.0.1", '{"BearerToken":"good"}')
    assert len(raw_items(keyring_daemon.address, "127.0.0.1")) == 2
    server.expect["dup"] = BearerToken("good")
    assert rattler_fetch(home, [(server.url("dup"), {})], bus=keyring_daemon.address)[0].startswith("ERR")

    snap = keychain.load()
    assert any("2 keychain items match" in p for p in snap.problems)
    inv = load_inventory(make_env(home), keychain=keychain)
    assert [r.status for r in inv.rows_for("127.0.0.1")] == [Status.IGNORED, Status.IGNORED]
    with pytest.raises(StoreError, match="2 keychain items match"):
        keychain.set("127.0.0.1", BearerToken("x"))
    assert len(raw_items(keyring_daemon.address, "127.0.0.1")) == 2  # nothing written

    items = keychain.items_for("127.0.0.1")
    keep = next(i for i in items if not i.written_by_rattler)  # keep the keyring one: dedupe must fix it
    assert keychain.dedupe("127.0.0.1", keep.path) == 1
    ((label, attrs, _secret),) = raw_items(keyring_daemon.address, "127.0.0.1")
    assert label == item_label("127.0.0.1") and attrs.get("application") is None
    assert rattler_fetch(home, [(server.url("dup"), {})], bus=keyring_daemon.address) == ["OK"]


def test_wildcard_and_each_kind(home, keychain, keyring_daemon, server):
    keychain.set("*.localhost", BasicHTTP("kcuser", "kc pass"))
    keychain.set("127.0.0.1", CondaToken("kc-conda"))
    keychain.set("s3://bucket", S3Credentials("AK", "SK", None))
    server.expect["w"] = BasicHTTP("kcuser", "kc pass")
    server.expect["c"] = CondaToken("kc-conda")
    results = rattler_fetch(
        home, [(server.url("w", host="localhost"), {}), (server.url("c"), {})], bus=keyring_daemon.address
    )
    assert results == ["OK", "OK"]
    creds = {e.key: e.credential for e in keychain.load().entries}
    assert creds["s3://bucket"] == S3Credentials("AK", "SK", None)


def test_listing_is_batched(keychain):
    for i in range(30):
        keychain.set(f"h{i}.example", BearerToken(f"t{i}"))
    snap = keychain.load()
    assert len(snap.entries) == 30
    # one search, the session, then one pipeline: each item's Attributes (not GetAll, which
    # costs gnome-keyring four times the CPU) and one batched GetSecrets
    assert keychain.last_calls == ["SearchItems", "OpenSession"] + ["Get Attributes"] * 30 + ["GetSecrets"]
    assert keychain.last_call_count == 1 + 1 + 30 + 1


def test_only_duplicates_have_their_modified_time_read(keychain, keyring_daemon):
    import keyring.backends.SecretService

    keychain.set("one.example", BearerToken("a"))
    keychain.set("dup.example", BearerToken("b"))
    keyring.backends.SecretService.Keyring().set_password("rattler", "dup.example", '{"BearerToken":"c"}')
    snap = keychain.load()
    assert keychain.last_calls.count("Get Modified") == 2
    conn = open_dbus_connection(bus=keyring_daemon.address)
    try:
        truth = {i.item_path: i.get_modified() for i in secretstorage.search_items(conn, {"service": "rattler"})}
    finally:
        conn.close()
    modified = {e.item_ref: e.modified for e in snap.entries}
    dup_refs = [e.item_ref for e in snap.entries if e.key == "dup.example"]
    assert len(dup_refs) == 2 and all(modified[r] == truth[r] and truth[r] > 0 for r in dup_refs)
    assert next(e.modified for e in snap.entries if e.key == "one.example") is None
    assert {e.origin for e in snap.entries if e.key == "dup.example"} == {"rattler", "Python keyring"}


def test_remove_exactly_the_chosen_item(keychain, keyring_daemon):
    keychain.set("a.example", BearerToken("a"))
    keychain.set("b.example", BearerToken("b"))
    keychain.remove("a.example")
    assert [e.key for e in keychain.load().entries] == ["b.example"]
    with pytest.raises(StoreError, match="not in the keychain"):
        keychain.remove("a.example")


def test_non_json_secret_is_shown_not_dropped(keychain, keyring_daemon):
    rattler_style_item(keyring_daemon.address, "odd.example", "plain text, not json")
    snap = keychain.load()
    (entry,) = snap.entries
    assert isinstance(entry.credential, Unrecognised) and snap.problems
    assert raw_items(keyring_daemon.address, "odd.example")[0][2] == "plain text, not json"


def test_no_bus_means_unavailable_and_files_take_over(home):
    inv = load_inventory(make_env(home))
    assert inv.snapshots[KEYCHAIN].state is StoreState.UNAVAILABLE
    assert "D-Bus" in inv.snapshots[KEYCHAIN].message
    assert inv.default_write_store().id == "credentials"
    assert SecretServiceStore(None).load().state is StoreState.UNAVAILABLE


def test_locked_collection_is_reported_and_nothing_written(own_daemon):
    store = SecretServiceStore(own_daemon.address)
    store.set("a.example", BearerToken("before-lock"))
    conn = open_dbus_connection(bus=own_daemon.address)
    try:
        secretstorage.get_default_collection(conn).lock()
    finally:
        conn.close()
    snap = store.load()
    assert snap.state is StoreState.LOCKED and "locked" in snap.message
    with pytest.raises(KeychainLocked):
        store.set("a.example", BearerToken("after-lock"))
    with pytest.raises(KeychainLocked):
        store.set("new.example", BearerToken("x"))
    with pytest.raises(StoreError):
        store.remove("a.example")
    # the daemon can no longer show us the secret, but the item is still there
    conn = open_dbus_connection(bus=own_daemon.address)
    try:
        assert len(list(secretstorage.search_items(conn, item_attributes("a.example")))) == 1
    finally:
        conn.close()


def test_daemon_killed_mid_session(own_daemon, home):
    store = SecretServiceStore(own_daemon.address)
    store.set("a.example", BearerToken("t"))
    own_daemon.kill_keyring()
    # D-Bus activation may start a fresh gnome-keyring, whose login keyring is locked.
    snap = store.load()
    assert snap.state in (StoreState.UNAVAILABLE, StoreState.ERROR, StoreState.LOCKED)
    assert snap.message
    with pytest.raises(StoreError):
        store.set("a.example", BearerToken("u"))
    inv = load_inventory(make_env(home), keychain=store)
    assert inv.default_write_store().id == "credentials"


def test_duplicate_report_survives_json_round_trip(keychain, keyring_daemon):
    rattler_style_item(keyring_daemon.address, "x.example", json.dumps({"BearerToken": "1"}))
    rattler_style_item(keyring_daemon.address, "x.example", json.dumps({"BearerToken": "2"}))
    with pytest.raises(StoreError, match="choose which one"):
        keychain.remove("x.example")
    refs = [i.path for i in keychain.items_for("x.example")]
    keychain.remove("x.example", item_ref=refs[0])
    assert [e.item_ref for e in keychain.load().entries] == [refs[1]]


def test_the_ui_lists_the_keychain_ahead_and_a_write_drops_that_listing(keychain, keyring_daemon, home, tmp_path):
    secret = "pfx_READ-AHEAD-5ecret-0123456789"
    keychain.set("a.example", BearerToken(secret))
    timings = tmp_path / "timings.jsonl"
    env = make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address, PIXI_AUTH_TUI_TIMINGS=str(timings))
    environment = KeychainAhead(env).environment()  # as run_tui starts it, before Textual
    store = environment.keychain
    assert isinstance(store, SecretServiceStore)
    read = read_stores(environment)  # the UI's first read takes that listing
    assert read.inventory.store(KEYCHAIN) is store
    assert [(row.key, row.store.id, row.entry.credential) for row in read.inventory.rows] == [
        ("a.example", KEYCHAIN, BearerToken(secret))
    ]
    (line,) = [json.loads(text) for text in timings.read_text().splitlines()]
    assert line["keychain_start"] <= line["keychain_end"] <= line["read_end"] and line["rows"] == 1
    assert secret not in timings.read_text()
    # What a listing read ahead found may predate a write: the write drops it.
    store.read_ahead()
    store._ahead.result()  # type: ignore[union-attr]  # finished before the write
    store.set("b.example", BearerToken("b"))
    assert {e.key for e in store.load().entries} == {"a.example", "b.example"}
    assert store.read_ahead_times is None
    # A keychain the environment names (the demo's, a test's) is left as it is.
    named = env._replace(keychain=MemoryKeychainStore([]))
    assert KeychainAhead(named).environment() is named


def test_resolve_reads_only_the_items_of_the_keys_a_url_can_match(home, keychain, keyring_daemon):
    import keyring.backends.SecretService

    for i in range(20):
        keychain.set(f"h{i}.example", BearerToken(f"t{i}"))
    keychain.set("*.example", BearerToken("wild"))
    keyring.backends.SecretService.Keyring().set_password("rattler", "h3.example", '{"BearerToken":"dup"}')
    rattler_style_item(keyring_daemon.address, "h4.example", '{"BasicHttp":{"username":"u","password":"p"}}')
    (home / ".rattler").mkdir()
    (home / ".rattler/credentials.json").write_text('{"h3.example":{"BearerToken":"file"}}')
    env = make_env(home, DBUS_SESSION_BUS_ADDRESS=keyring_daemon.address)
    whole = load_inventory(env, keychain=keychain)
    for url in ("https://h1.example/x", "https://h3.example/x", "https://h4.example/x", "https://h99.example/x"):
        keys = candidate_keys(url)
        few = load_inventory(env, keychain=keychain, keys=keys)
        # each key searched as rattler searches it: only those keys' items read
        assert keychain.last_calls.count("SearchItems") == len(keys)
        assert keychain.last_calls.count("Get Attributes") == len(
            [e for e in whole.snapshots[KEYCHAIN].entries if e.key in keys]
        )
        assert described(few.rows) == described(r for r in whole.rows if r.key in keys)
        chosen, expected = few.resolve(url), whole.resolve(url)
        assert described([chosen.row] if chosen.row else []) == described([expected.row] if expected.row else [])
        assert chosen.request == expected.request and chosen.candidates == expected.candidates


def described(rows):
    """Rows as what they say (two loads make store objects of their own)."""
    return sorted(((r.key, r.store.id, r.status, r.reason, r.shadowed_by, r.entry._asdict()) for r in rows), key=repr)
