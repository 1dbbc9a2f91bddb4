"""What we write to credential files is what rattler reads: py-rattler is the oracle,
talking to a real server on 127.0.0.1 that answers 401 unless the credential is right."""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken
from pixi_auth_tui.engine.inventory import OVERRIDE, load_inventory
from pixi_auth_tui.stores.jsonfile import JsonFileStore

from tests.conftest import make_env, rattler_fetch

pytestmark = pytest.mark.rattler


def credentials_file(home):
    return JsonFileStore("credentials", "credentials.json", home / ".rattler" / "credentials.json")


def put(store, key, cred):
    store.set(key, cred, expect=store.load().version)


def test_each_kind_written_by_us_authenticates(home, server):
    store = credentials_file(home)
    put(store, "127.0.0.1", BearerToken("bearer-secret"))
    server.expect["bearer"] = BearerToken("bearer-secret")
    put(store, "localhost", BasicHTTP("alice", "pässwörd:with:colons"))
    server.expect["basic"] = BasicHTTP("alice", "pässwörd:with:colons")
    results = rattler_fetch(home, [(server.url("bearer"), {}), (server.url("basic", host="localhost"), {})])
    assert results == ["OK", "OK"]
    # and the server really demanded it: a wrong channel is refused
    assert rattler_fetch(home, [(server.url("nobody"), {})])[0].startswith("ERR")


def test_conda_token_goes_into_the_path(home, server):
    put(credentials_file(home), "127.0.0.1", CondaToken("ct-12345"))
    server.expect["conda"] = CondaToken("ct-12345")
    assert rattler_fetch(home, [(server.url("conda"), {})]) == ["OK"]
    assert any(s.path.startswith("/t/ct-12345/conda/") for s in server.seen)


def test_wildcard_key(home, server):
    put(credentials_file(home), "*.localhost", BearerToken("wild"))
    server.expect["wild"] = BearerToken("wild")
    assert rattler_fetch(home, [(server.url("wild", host="localhost"), {})]) == ["OK"]


def test_rattler_auth_file_wins_over_credentials_json(home, server):
    put(credentials_file(home), "127.0.0.1", BearerToken("loses"))
    auth = JsonFileStore("auth-file", "RATTLER_AUTH_FILE", home / "elsewhere" / "auth.json")
    put(auth, "127.0.0.1", BearerToken("wins"))
    server.expect["c"] = BearerToken("wins")
    assert rattler_fetch(home, [(server.url("c"), {"RATTLER_AUTH_FILE": str(auth.path)})]) == ["OK"]
    inv = load_inventory(make_env(home, RATTLER_AUTH_FILE=str(auth.path)))
    assert inv.resolve(server.url("c")).row.store.id == "auth-file"


def test_override_file_named_in_pixi_config(home, server):
    override = home / "team" / "override.json"
    (home / ".pixi").mkdir()
    (home / ".pixi" / "config.toml").write_text(f"authentication-override-file = '{override}'\n")
    inv = load_inventory(make_env(home))
    store = inv.store(OVERRIDE)
    assert store is not None and store.path == override
    put(store, "127.0.0.1", BasicHTTP("team", "shared"))
    server.expect["o"] = BasicHTTP("team", "shared")
    # pixi hands this file to rattler as a file store, exactly as RATTLER_AUTH_FILE is handled
    assert rattler_fetch(home, [(server.url("o"), {"RATTLER_AUTH_FILE": str(override)})]) == ["OK"]


def test_netrc_entries_are_what_rattler_uses(home, server):
    (home / ".netrc").write_text("machine 127.0.0.1 login n password np\n")
    server.expect["n"] = BasicHTTP("n", "np")
    assert rattler_fetch(home, [(server.url("n"), {})]) == ["OK"]
    assert load_inventory(make_env(home)).resolve(server.url("n")).row.store.id == "netrc"


def test_one_misspelled_entry_breaks_the_whole_file_for_rattler(home, server):
    path = home / ".rattler" / "credentials.json"
    path.parent.mkdir()
    path.write_text('{"127.0.0.1":{"BearerToken":"good"},"x.example":{"BasicHttp":{"username":"u","password":"p"}}}')
    server.expect["m"] = BearerToken("good")
    assert rattler_fetch(home, [(server.url("m"), {})])[0].startswith("ERR")
    inv = load_inventory(make_env(home))
    assert inv.blocked and "credentials.json" in inv.blocked


header_safe = st.text(alphabet=string.ascii_letters + string.digits + "-._~+/=!$%&*^|", min_size=1, max_size=60)
path_safe = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=40)
any_password = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30
).filter(lambda s: s.strip() == s)
creds = st.one_of(
    st.builds(BearerToken, header_safe),
    st.builds(CondaToken, path_safe),
    st.builds(
        BasicHTTP,
        st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20),
        any_password,
    ),
)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(creds, min_size=1, max_size=6))
def test_round_trip_through_rattler(home, server, batch):
    """Each generated credential goes into its own file; rattler must send exactly it."""
    server.expect.clear()
    cases = []
    for i, cred in enumerate(batch):
        store = JsonFileStore("auth-file", "RATTLER_AUTH_FILE", home / f"gen-{i}.json")
        store.set("127.0.0.1", cred, expect=store.load().version)
        assert store.load().entries[0].credential == cred
        server.expect[f"g{i}"] = cred
        cases.append((server.url(f"g{i}"), {"RATTLER_AUTH_FILE": str(store.path)}))
    assert rattler_fetch(home, cases) == ["OK"] * len(batch)
