"""macOS Keychain and Windows Credential Manager adapters.

These platforms cannot run here (Linux CI), so the native calls are FAKED: the tests
check rattler's naming and the listing logic; the real native path is a thin layer
(`security`/keyring on macOS, Cred* via pywin32-ctypes on Windows)."""

from pixi_auth_tui.model import BearerToken, CondaToken
from pixi_auth_tui.stores.base import StoreError, StoreState
from pixi_auth_tui.stores.macos import MacKeychainStore, parse_dump_keychain
from pixi_auth_tui.stores.platform_keychain import NativeKeychainError
from pixi_auth_tui.stores.windows import (
    CRED_TYPE_GENERIC,
    CredApiKeychain,
    WindowsCredentialStore,
    decode_blob,
    encode_blob,
    key_of_target,
    target_name,
)

DUMP = """keychain: "/Users/u/Library/Keychains/login.keychain-db"
version: 512
class: "genp"
attributes:
    0x00000007 <blob>="rattler"
    "acct"<blob>="repo.prefix.dev"
    "svce"<blob>="rattler"
keychain: "/Users/u/Library/Keychains/login.keychain-db"
class: "genp"
attributes:
    "acct"<blob>="*.example.com"
    "svce"<blob>="other-app"
keychain: "/Users/u/Library/Keychains/login.keychain-db"
class: "inet"
attributes:
    "acct"<blob>="x"
    "svce"<blob>="rattler"
keychain: "/Users/u/Library/Keychains/login.keychain-db"
class: "genp"
attributes:
    "acct"<blob>=0x2A2E707265666978  "*.prefix.dev"
    "svce"<blob>="rattler"
"""


def test_macos_listing_reads_names_not_secrets():
    assert parse_dump_keychain(DUMP) == ["repo.prefix.dev", "*.prefix.dev"]


class FakeMacNative:
    """Stands in for the Security framework: one generic password per (service, account)."""

    def __init__(self):
        self.items = {}
        self.reads = []

    def list_keys(self):
        return list(self.items)

    def read(self, key):
        self.reads.append(key)
        return self.items.get(key)

    def write(self, key, secret):
        self.items[key] = secret

    def delete(self, key):
        del self.items[key]


def test_macos_store_naming_and_in_place_update():
    native = FakeMacNative()
    store = MacKeychainStore(native)
    store.set("repo.prefix.dev", BearerToken("a"))
    store.set("repo.prefix.dev", BearerToken("b"))
    assert native.items == {"repo.prefix.dev": '{"BearerToken":"b"}'}
    snap = store.load()
    assert snap.state is StoreState.OK and snap.entries[0].credential == BearerToken("b")
    store.remove("repo.prefix.dev")
    assert native.items == {}


def test_macos_unavailable_is_reported():
    class Broken(FakeMacNative):
        def list_keys(self):
            raise NativeKeychainError("security: not found")

    assert MacKeychainStore(Broken()).load().state is StoreState.UNAVAILABLE


class FakeCredApi:
    """Stands in for win32cred (Windows only): records targets as Credential Manager would."""

    def __init__(self):
        self.creds = {}

    def CredEnumerate(self, filter_, flags):
        assert filter_ == "*.rattler"
        return [{"TargetName": t, "Type": CRED_TYPE_GENERIC} for t in self.creds if t.endswith(".rattler")]

    def CredRead(self, target, typ):
        if target not in self.creds:
            err = Exception("not found")
            err.winerror = 1168
            raise err
        return self.creds[target]

    def CredWrite(self, cred, flags):
        self.creds[cred["TargetName"]] = cred

    def CredDelete(self, target, typ):
        del self.creds[target]


def test_windows_target_naming_is_keyring_rs():
    assert target_name("repo.prefix.dev") == "repo.prefix.dev.rattler"
    assert key_of_target("*.prefix.dev.rattler") == "*.prefix.dev"
    assert key_of_target("rattler") is None and key_of_target(".rattler") is None
    assert decode_blob(encode_blob('{"BearerToken":"é"}')) == '{"BearerToken":"é"}'
    assert decode_blob(b'{"CondaToken":"x"}') == '{"CondaToken":"x"}'  # a UTF-8 blob still reads


def test_windows_store_round_trip():
    api = FakeCredApi()
    api.creds["unrelated"] = {"TargetName": "unrelated", "Type": CRED_TYPE_GENERIC}
    store = WindowsCredentialStore(CredApiKeychain(api))
    store.set("*.prefix.dev", CondaToken("c"))
    written = api.creds["*.prefix.dev.rattler"]
    assert written["UserName"] == "*.prefix.dev" and written["Type"] == CRED_TYPE_GENERIC
    assert [e.key for e in store.load().entries] == ["*.prefix.dev"]
    store.remove("*.prefix.dev")
    try:
        store.remove("*.prefix.dev")
    except StoreError as err:
        assert "not in the keychain" in str(err)
    else:
        raise AssertionError("removing a missing key must fail")
