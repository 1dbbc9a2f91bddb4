"""Fuzzing (hypothesis, bounded): the parsers never crash, fail only in documented ways,
round-trip what rattler accepts, and our URL resolution agrees with py-rattler's."""

from __future__ import annotations

import base64
import json
import string
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.model import (
    BasicHTTP,
    BearerToken,
    CondaToken,
    S3Credentials,
    credential_to_json,
    parse_credential,
    rattler_accepts,
)
from pixi_auth_tui.core.validation import (
    FIELDS_BY_KIND,
    SECRET_FIELDS,
    build_credential,
    identifier_problem,
    username_problem,
)
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.stores.base import StoreError, StoreState
from pixi_auth_tui.stores.jsonfile import JsonFileStore, parse_document, serialise_document

from tests.conftest import make_env, rattler_fetch
from tests.servers import start_recording_proxy

FILE_STATES = {StoreState.OK, StoreState.REJECTED, StoreState.MALFORMED}
CONTROL = ("Cc", "Cf", "Zl", "Zp")

# -- the credentials-file parser ------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
secrets_text = st.text(min_size=1, max_size=40)
rattler_credentials = st.one_of(
    st.builds(BearerToken, secrets_text),
    st.builds(CondaToken, secrets_text),
    st.builds(BasicHTTP, st.text(max_size=20), secrets_text),
    st.builds(S3Credentials, secrets_text, secrets_text, st.none() | secrets_text),
)
# What a person or another tool may have put in a file: rattler's own shapes, the docs'
# `BasicHttp` spelling, variants with wrong fields, and anything else JSON can hold.
entry_values = st.one_of(
    rattler_credentials.map(credential_to_json),
    st.builds(lambda u, p: {"BasicHttp": {"username": u, "password": p}}, st.text(max_size=8), st.text(max_size=8)),
    st.dictionaries(
        st.sampled_from(["BearerToken", "CondaToken", "BasicHTTP", "S3Credentials", "OAuth", "Other"]),
        json_values,
        min_size=1,
        max_size=2,
    ),
    json_values,
)
documents = st.dictionaries(st.text(max_size=20), entry_values, max_size=6)


def file_store(path: Path) -> JsonFileStore:
    return JsonFileStore("credentials", "credentials.json", path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300) | documents.map(lambda d: json.dumps(d).encode()))
def test_credentials_file_parser_never_crashes_and_never_writes_what_it_cannot_read(home, data):
    path = home / "fuzz.json"
    path.write_bytes(data)
    store = file_store(path)
    snap = store.load()
    assert snap.state in FILE_STATES
    if snap.state is not StoreState.OK:
        assert snap.message  # a reason a person can read
        with pytest.raises(StoreError):
            store.set("new.example", BearerToken("t"), expect=snap.version)
        assert path.read_bytes() == data  # untouched
        return
    assert all(rattler_accepts(e.credential) for e in snap.entries)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_parse_serialise_parse_is_the_identity_on_what_rattler_accepts(doc):
    accepted = {k: v for k, v in doc.items() if rattler_accepts(parse_credential(v))}
    once = serialise_document({k: credential_to_json(parse_credential(v)) for k, v in accepted.items()})
    parsed = {k: parse_credential(v) for k, v in parse_document(once).items()} if accepted else {}
    assert parsed == {k: parse_credential(v) for k, v in accepted.items()}
    if accepted:
        again = serialise_document({k: credential_to_json(c) for k, c in parsed.items()})
        assert again == once  # the bytes are a fixed point


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents, st.text(min_size=1, max_size=20), rattler_credentials)
def test_a_write_keeps_every_other_entry_exactly(home, doc, key, cred):
    path = home / "keep.json"
    path.write_bytes(serialise_document(doc))
    store = file_store(path)
    snap = store.load()
    if snap.state is not StoreState.OK:
        return  # covered above: such files are never written
    before = parse_document(path.read_bytes())
    store.set(key, cred, expect=snap.version)
    after = parse_document(path.read_bytes())
    assert parse_credential(after.pop(key)) == cred
    before.pop(key, None)
    assert after == before


# -- the form validators -------------------------------------------------------------------

anything = st.text(alphabet=st.characters(codec="utf-8"), max_size=200) | st.sampled_from(
    ["", " ", "\n", "tok\n", "a\tb", "\u200b", "x" * (1024 * 1024 + 1), "ok-token", "user:name", " padded "]
)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(sorted(FIELDS_BY_KIND)),
    st.dictionaries(st.sampled_from(sorted({f for fields in FIELDS_BY_KIND.values() for f in fields})), anything),
)
def test_validators_accept_only_storable_values(kind, values):
    cred, errors = build_credential(kind, values)
    assert (cred is None) == bool(errors)
    if cred is None:
        assert all(isinstance(message, str) and message for message in errors.values())
        return
    for name in FIELDS_BY_KIND[kind]:
        value = values.get(name, "")
        if not value:
            continue
        assert value == value.strip()
        assert not any(unicodedata.category(ch) in CONTROL for ch in value)
        if name in SECRET_FIELDS:
            assert len(value) <= 1024 * 1024
    assert rattler_accepts(cred)
    assert parse_credential(json.loads(json.dumps(credential_to_json(cred)))) == cred


@given(st.text(max_size=100))
def test_username_and_identifier_checks_never_crash(text):
    for check in (username_problem, identifier_problem):
        problem = check(text)
        assert problem is None or isinstance(problem, str)


# -- resolution, with py-rattler as the oracle -----------------------------------------------

LABELS = ["a", "b", "c"]
domains = st.lists(st.sampled_from(LABELS), min_size=0, max_size=3).map(lambda labels: ".".join([*labels, "test"]))
keys = st.one_of(domains, domains.map(lambda d: f"*.{d}"))
user_safe = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=6)


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    """Entries over RATTLER_AUTH_FILE, credentials.json and netrc; a few hosts to request."""
    stores: dict[str, dict[str, str]] = {}
    for store in ("auth-file", "credentials", "netrc"):
        chosen = draw(st.lists(keys, max_size=4, unique=True))
        kinds = ["basic"] if store == "netrc" else ["bearer", "conda", "basic"]
        stores[store] = {key: draw(st.sampled_from(kinds)) for key in chosen}
    hosts = draw(st.lists(domains, min_size=1, max_size=5, unique=True))
    return {"stores": stores, "hosts": hosts, "user": draw(user_safe)}


def _credential(kind: str, secret: str, user: str) -> BearerToken | CondaToken | BasicHTTP:
    return {"bearer": BearerToken, "conda": CondaToken}[kind](secret) if kind != "basic" else BasicHTTP(user, secret)


def _what_rattler_sends(cred) -> tuple[str | None, bool]:
    """(Authorization header, whether the path carries the token) for a credential."""
    if isinstance(cred, BearerToken):
        return f"Bearer {cred.token}", False
    if isinstance(cred, BasicHTTP):
        return "Basic " + base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode(), False
    if isinstance(cred, CondaToken):
        return None, True
    return None, False


@pytest.mark.rattler
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenarios())
def test_resolution_matches_py_rattler(home, scenario):
    seen, proxy = start_recording_proxy()
    try:
        expected = _write_scenario(home, scenario)
        env = {"RATTLER_AUTH_FILE": str(home / "auth.json"), "NETRC": str(home / "netrc")}
        inv = load_inventory(make_env(home, **env))
        cases = [(f"http://{host}/c{i}", env) for i, host in enumerate(scenario["hosts"])]
        rattler_fetch(
            home,
            cases,
            extra_env={"http_proxy": f"http://127.0.0.1:{proxy.server_address[1]}", "no_proxy": ""},
        )
        for i, (url, _env) in enumerate(cases):
            resolution = inv.resolve(url)
            cred = resolution.row.entry.credential if resolution.row else None
            header, in_path = _what_rattler_sends(cred)
            host = scenario["hosts"][i]
            token_path = f"http://{host}/t/{cred.token}/c{i}/" if in_path else None
            plain_path = f"http://{host}/c{i}/"
            got = [r for r in seen if r.url.startswith(token_path or plain_path)]
            assert got, f"py-rattler made no request for {url}; saw {[r.url for r in seen]}"
            assert {r.authorization for r in got} == {header}, (
                f"{url}: we resolve {resolution.key!r} in "
                f"{resolution.row.store.id if resolution.row else None}, rattler sent {got[0]}; "
                f"stores {expected}"
            )
    finally:
        proxy.shutdown()


def _write_scenario(home: Path, scenario: dict) -> dict[str, dict[str, str]]:
    """Write every store with a unique secret per entry; returns {store: {key: secret}}."""
    secrets: dict[str, dict[str, str]] = {}
    user = scenario["user"]
    files = {"auth-file": home / "auth.json", "credentials": home / ".rattler" / "credentials.json"}
    for store_id, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        entries = scenario["stores"][store_id]
        secrets[store_id] = {key: f"{store_id}-{n}" for n, key in enumerate(entries)}
        doc = {
            key: credential_to_json(_credential(kind, secrets[store_id][key], user)) for key, kind in entries.items()
        }
        path.write_bytes(serialise_document(doc))
    netrc = scenario["stores"]["netrc"]
    secrets["netrc"] = {key: f"netrc-{n}" for n, key in enumerate(netrc)}
    (home / "netrc").write_text(
        "".join(f"machine {key} login {user} password {secrets['netrc'][key]}\n" for key in netrc)
    )
    return secrets
