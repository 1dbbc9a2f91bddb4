"""macOS Keychain and Windows Credential Manager adapters.

These platforms cannot run here (Linux CI), so the native calls are FAKED: the tests
check rattler's naming and the listing logic; the real native path is a thin layer
(`security`/keyring on macOS, Cred* via pywin32-ctypes on Windows)."""

from pixi_auth_tui.core.model import BearerToken, CondaToken, NotRead
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
    native.reads.clear()
    snap = store.load()
    # Listing reads no secret (a read may prompt on macOS); the secret is read on demand.
    assert snap.state is StoreState.OK and snap.entries[0].credential == NotRead() and native.reads == []
    assert store.read_secret("repo.prefix.dev") == BearerToken("b") and native.reads == ["repo.prefix.dev"]
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
        # The real filter takes only a prefix followed by `*`: rattler's suffix pattern
        # cannot be a filter, so everything is enumerated and matched afterwards.
        assert filter_ is None
        if not self.creds:
            err = Exception("no credentials")
            err.winerror = 1168
            raise err
        return [{"TargetName": t, "Type": c.get("Type", CRED_TYPE_GENERIC)} for t, c in self.creds.items()]

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


def test_windows_lists_only_generic_rattler_targets_and_an_empty_vault():
    api = FakeCredApi()
    store = WindowsCredentialStore(CredApiKeychain(api))
    assert store.load().state is StoreState.OK and store.load().entries == []  # ERROR_NOT_FOUND: none at all
    api.creds["a.test.rattler"] = {"TargetName": "a.test.rattler", "Type": 2}  # a domain credential
    api.creds["rattler.example"] = {"TargetName": "rattler.example", "Type": CRED_TYPE_GENERIC}
    store.set("b.test", BearerToken("t"))
    assert [e.key for e in store.load().entries] == ["b.test"]


def test_windows_blob_limit_is_reported_and_nothing_is_written():
    api = FakeCredApi()
    store = WindowsCredentialStore(CredApiKeychain(api))
    fits = BearerToken("x" * (1280 - len('{"BearerToken":""}')))  # 2,560 bytes as UTF-16
    store.set("fits.test", fits)
    try:
        store.set("big.test", BearerToken("x" * 1300))
    except StoreError as err:
        assert "2,560" in str(err) and "credentials.json" in str(err)
    else:
        raise AssertionError("a blob over 2,560 bytes must be refused")
    assert set(api.creds) == {"fits.test.rattler"}


def test_set_falls_back_to_credentials_json_when_the_blob_is_too_large(home):
    """As `pixi auth login` does on Windows: the keychain refuses, the file takes it, with a warning."""
    import argparse
    import io

    from pixi_auth_tui.cli.setting import cmd_set
    from pixi_auth_tui.engine.inventory import load_inventory

    from tests.conftest import make_env

    api = FakeCredApi()
    inv = load_inventory(make_env(home), keychain=WindowsCredentialStore(CredApiKeychain(api)))
    args = argparse.Namespace(key="big.test", kind="bearer", store=None, stdin=True, username=None, access_key_id=None)
    out, err = io.StringIO(), io.StringIO()
    assert cmd_set(inv, args, out, err, io.StringIO("y" * 2000 + "\n")) == 0
    assert api.creds == {} and "big.test" in (home / ".rattler/credentials.json").read_text()
    assert "keychain refuses it" in err.getvalue() and "PLAIN TEXT" in err.getvalue()
