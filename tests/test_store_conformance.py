"""One conformance suite run against every store, as `keyring` does for its backends: the
same calls must mean the same thing whether the secret lands in a file, the Secret Service
(a real gnome-keyring), the demo's memory keychain, or the macOS / Windows adapters (their
native calls FAKED here: those platforms cannot run on Linux CI)."""

import pytest
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, NotRead, S3Credentials, Unrecognised, dumps_credential
from pixi_auth_tui.stores.base import Ability, Store, StoreError, StoreState
from pixi_auth_tui.stores.jsonfile import JsonFileStore
from pixi_auth_tui.stores.macos import MacKeychainStore
from pixi_auth_tui.stores.memory import MemoryKeychainStore
from pixi_auth_tui.stores.netrc import NetrcStore
from pixi_auth_tui.stores.windows import CredApiKeychain, WindowsCredentialStore

from tests.test_platform_keychains import FakeCredApi, FakeMacNative

STORES = ["credentials-file", "secret-service", "memory", "macos-faked", "windows-faked"]


@pytest.fixture(params=STORES)
def store(request, home) -> Store:
    if request.param == "credentials-file":
        return JsonFileStore("credentials", "credentials.json", home / ".rattler/credentials.json")
    if request.param == "secret-service":
        return request.getfixturevalue("keychain")
    if request.param == "memory":
        return MemoryKeychainStore()
    if request.param == "macos-faked":
        return MacKeychainStore(FakeMacNative())
    return WindowsCredentialStore(CredApiKeychain(FakeCredApi()))


def stored(store: Store) -> dict[str, str]:
    snapshot = store.load()
    assert snapshot.state in (StoreState.OK, StoreState.MISSING), snapshot.message
    keys = [e.key for e in snapshot.entries]
    assert len(keys) == len(set(keys)), f"duplicate entries: {keys}"
    # macOS lists names only (a read may prompt): its secrets are read on demand
    on_demand = Ability.READ_ON_DEMAND in store.abilities
    creds = {
        e.key: store.read_secret(e.key) if isinstance(e.credential, NotRead) and on_demand else e.credential
        for e in snapshot.entries
    }
    return {key: dumps_credential(cred) for key, cred in creds.items()}


def write(store: Store, key: str, credential) -> None:
    store.set(key, credential, expect=store.load().version)


def test_add_rotate_remove(store):
    assert stored(store) == {}
    write(store, "a.example", BearerToken("first-é"))
    assert stored(store) == {"a.example": '{"BearerToken":"first-é"}'}
    write(store, "a.example", BasicHTTP("u", "rotated"))  # in place: still one entry
    write(store, "*.b.example", S3Credentials("AK", "SK", None))
    assert stored(store) == {
        "a.example": '{"BasicHTTP":{"username":"u","password":"rotated"}}',
        "*.b.example": '{"S3Credentials":{"access_key_id":"AK","secret_access_key":"SK","session_token":null}}',
    }
    store.remove("a.example", expect=store.load().version)
    assert list(stored(store)) == ["*.b.example"]


def test_removing_a_missing_key_fails_and_changes_nothing(store):
    write(store, "kept.example", BearerToken("t"))
    with pytest.raises(StoreError):
        store.remove("missing.example", expect=store.load().version)
    assert list(stored(store)) == ["kept.example"]


def test_a_credential_rattler_cannot_read_is_never_written(store):
    with pytest.raises(StoreError):
        write(store, "bad.example", Unrecognised(raw={"Nope": 1}, reason="unknown variant"))
    assert stored(store) == {}


def test_abilities_are_declared_not_probed(store):
    """A declared ability has its own implementation; an undeclared one says so plainly."""
    calls = {
        Ability.UNLOCK: lambda: store.unlock(),
        Ability.DEDUPE: lambda: store.dedupe("none.example", "/no/item"),
        Ability.REPAIR: lambda: store.repair({}, expect=store.load().version),
        Ability.READ_ON_DEMAND: lambda: store.read_secret("none.example"),
        Ability.PARTIAL_LOAD: lambda: store.load_keys(["none.example"]),
    }
    # BLOCKS_WHEN_BAD is how rattler treats the store, not a method: declared by the credentials files
    assert set(calls) | {Ability.BLOCKS_WHEN_BAD} == set(Ability)
    assert (Ability.BLOCKS_WHEN_BAD in store.abilities) == isinstance(store, JsonFileStore)
    for ability, call in calls.items():
        own = getattr(type(store), ability.value) is not getattr(Store, ability.value)
        assert own == (ability in store.abilities), ability
        if ability not in store.abilities:
            with pytest.raises(StoreError):
                call()


def test_read_only_store_refuses_writes(home):
    netrc = NetrcStore(home / ".netrc")
    (home / ".netrc").write_text("machine n.example login u password p\n")
    assert not netrc.writable and netrc.abilities == frozenset()
    with pytest.raises(StoreError):
        netrc.set("x.example", BearerToken("t"))
    assert (home / ".netrc").read_text() == "machine n.example login u password p\n"
