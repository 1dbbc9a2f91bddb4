"""Differential tests for issue 22's "it says something pixi does not do" classes: what we say
pixi sends is what py-rattler sends (tests/oracle.py's recording proxy), and the commands
built on that picture keep working.

One test per class: a keychain secret rattler cannot parse (7), expired OAuth it cannot
refresh (8), keys it can never match and the wrong kind for the URL's scheme (11).
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from pixi_auth_tui.cli.main import main
from pixi_auth_tui.engine.inventory import Status, load_inventory

from tests.oracle import Case, check_all, disagreement, run_oracle

pytestmark = pytest.mark.rattler


def _home(root: Path, n: int) -> Path:
    home = root / f"case{n}"
    (home / ".rattler").mkdir(parents=True)
    return home


def cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


# 7. A keychain secret rattler cannot parse: rattler skips the item and goes on to the next store.
KEYCHAIN_SECRETS: dict[str, bytes] = {
    "BasicHttp, the spelling pixi's docs show": b'{"BasicHttp":{"username":"u","password":"p"}}',
    "not JSON": b"hello",
    "a bare string": b'"tok"',
    "an unknown variant": b'{"Bearer":"x"}',
    "a missing field": b'{"BasicHTTP":{"username":"u"}}',
    "a lone surrogate": b'{"BearerToken":"\\ud800"}',
    "empty": b"",
    "null": b"null",
    "two variants": b'{"BearerToken":"x","CondaToken":"y"}',
    "trailing text": b'{"BearerToken":"x"} junk',
    "a BOM": '\ufeff{"BearerToken":"x"}'.encode(),
    "not UTF-8": b'{"BearerToken":"\xff"}',
    "a float expires_at": b'{"OAuth":{"access_token":"a","token_endpoint":"https://t.test/t","client_id":"c",'
    b'"expires_at":5.0}}',
}


def _item(address: str, key: str, secret: bytes) -> None:
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    conn = open_dbus_connection(bus=address)
    try:
        attributes = {"service": "rattler", "username": key}
        secretstorage.get_default_collection(conn).create_item(f"keyring:{key}@rattler", attributes, secret)
    finally:
        conn.close()


@pytest.mark.keychain
def test_a_keychain_secret_rattler_cannot_parse_is_skipped_as_rattler_skips_it(
    tmp_path, home, keychain, keyring_daemon
):
    bus = keyring_daemon.address
    cases = []
    for n, (label, secret) in enumerate(KEYCHAIN_SECRETS.items()):
        host = f"h{n}.test"
        _item(bus, host, secret)
        case_home = _home(tmp_path, n)
        # even cases: the same key in credentials.json; odd ones: only a wildcard behind it
        behind = {host: {"BearerToken": f"file-{n}"}} if n % 2 == 0 else {}
        behind["*.test"] = {"BearerToken": "wild"}
        (case_home / ".rattler/credentials.json").write_text(json.dumps(behind))
        cases.append(Case(case_home, f"http://{host}/c{n}", label=label))
    assert check_all(cases, bus=bus, keychain_for=lambda _case: keychain) == []

    # Shown as unusable, with why and what pixi uses instead.
    inv = load_inventory(cases[0].environment(keychain))
    row = next(r for r in inv.rows_for("h0.test") if r.store.id == "keychain")
    assert row.status is Status.IGNORED
    assert "BasicHttp" in row.reason and "skips it" in row.reason and "credentials.json" in row.reason

    # Every command keeps working, and the item can be repaired or removed.
    (home / ".rattler").mkdir()
    (home / ".rattler/credentials.json").write_text('{"h0.test":{"BearerToken":"file-0"}}')
    assert cli("list")[0] == 0
    code, out, _ = cli("resolve", "http://h0.test/x")
    assert code == 0 and "h0.test in credentials.json" in out
    code, out, _ = cli("audit")
    assert code in (0, 5) and "Rewrite as BasicHTTP" in out and "not UTF-8" in out
    assert cli("remove", "h1.test", "--store", "keychain")[0] == 0
    code, out, err = cli("set", "h3.test", "--kind", "bearer", "--store", "keychain", "--stdin", stdin="new-token\n")
    assert code == 0, err
    code, out, _ = cli("list", "--json")
    rows = {(e["key"], e["store"]): e for e in json.loads(out)["entries"]}
    assert ("h1.test", "keychain") not in rows and rows[("h3.test", "keychain")]["status"] == "active"


@pytest.mark.keychain
def test_the_audit_repairs_a_misspelled_keychain_item_in_place(home, keychain, keyring_daemon):
    from pixi_auth_tui.audit.findings import run_audit
    from pixi_auth_tui.audit.fixes import apply_fix

    _item(keyring_daemon.address, "m.test", KEYCHAIN_SECRETS["BasicHttp, the spelling pixi's docs show"])
    env = Case(home, "http://m.test/c0").environment(keychain)
    inv = load_inventory(env)
    (finding,) = [f for f in run_audit(inv, home) if f.code == "unreadable-entry"]
    apply_fix(inv, finding, "respell-keychain", home / "backups")
    (row,) = load_inventory(env).rows_for("m.test")
    assert row.status is Status.ACTIVE and not row.entry.credential.misspelled  # type: ignore[union-attr]
    assert (
        check_all([Case(home, "http://m.test/c1")], bus=keyring_daemon.address, keychain_for=lambda _c: keychain) == []
    )


# 8. Expired OAuth that cannot be refreshed: rattler sends nothing, and does not fall back.
def _oauth(expires_at: int | None, refresh: str | None) -> dict:
    return {
        "OAuth": {
            "access_token": "acc",
            "refresh_token": refresh,
            "expires_at": expires_at,
            "token_endpoint": "http://tok.test/token",  # the recording proxy refuses every refresh
            "revocation_endpoint": None,
            "client_id": "c",
        }
    }


def test_expired_oauth_that_cannot_be_refreshed_sends_nothing_and_blocks_the_host(tmp_path):
    now = int(time.time())
    wildcard = {"*.test": {"BearerToken": "wild"}}
    scenarios = {
        "expired, no refresh token, a wildcard behind": ({"a.test": _oauth(now - 100, None), **wildcard}, None),
        "expired, no refresh token, netrc behind": ({"a.test": _oauth(now - 100, None)}, "a.test"),
        "expired, the provider refuses the refresh": ({"a.test": _oauth(now - 100, "rt"), **wildcard}, None),
        "within 300 s, no refresh token: still sent": ({"a.test": _oauth(now + 200, None), **wildcard}, None),
        "valid": ({"a.test": _oauth(now + 3600, None), **wildcard}, None),
        "no expiry recorded": ({"a.test": _oauth(None, None)}, None),
        "an expired wildcard, the exact host in netrc": ({"*.test": _oauth(now - 100, None)}, "a.test"),
        "an expired wildcard, nothing behind": ({"*.test": _oauth(now - 100, None)}, None),
    }
    cases = []
    for n, (label, (doc, netrc)) in enumerate(scenarios.items()):
        case_home = _home(tmp_path, n)
        (case_home / ".rattler/credentials.json").write_text(json.dumps(doc))
        if netrc:
            (case_home / ".netrc").write_text(f"machine {netrc} login n password np\n")
        cases.append(Case(case_home, f"http://a.test/c{n}", label=label))
    assert check_all(cases) == []

    inv = load_inventory(cases[0].environment())
    blocking = inv.active_row("a.test")
    assert blocking is not None and blocking.status is Status.BLOCKING
    assert "sends nothing" in blocking.reason and "sign in again" in blocking.reason
    res = inv.resolve("http://a.test/x")
    assert res.row is blocking and not res.sends_credential and res.request and res.request.headers == {}
    assert res.blocking is not None and "does not fall back" in res.blocking
    refreshable = load_inventory(cases[2].environment()).resolve("http://a.test/x")
    assert refreshable.request and refreshable.request.refresh_first and "refresh" in refreshable.request.refresh_first


def test_status_says_a_matched_entry_that_sends_nothing_fails(home):
    """`status` names what pixi sends: an entry rattler matches but sends nothing for (expired
    OAuth without a refresh token, a bearer token under an s3:// key) fails, listed or asked."""
    (home / ".rattler").mkdir()
    doc = {"a.test": _oauth(int(time.time()) - 100, None), "s3://bucket": {"BearerToken": "bearer-token-123"}}
    (home / ".rattler/credentials.json").write_text(json.dumps(doc))
    code, out, _ = cli("status", "--json")
    hosts = {h["host"]: h for h in json.loads(out)["hosts"]}
    assert set(hosts) == {"a.test", "s3://bucket"}, hosts
    assert hosts["a.test"]["state"] == "expired" and "sign in again" in hosts["a.test"]["note"]
    assert hosts["s3://bucket"]["state"] == "not-sent" and "not S3" in hosts["s3://bucket"]["note"]
    assert code == 4
    code, out, _ = cli("status", "s3://bucket/chan")
    assert code == 4 and "sends nothing" in out and "pixi sends s3://bucket" not in out, out


def test_resolve_says_an_expired_oauth_entry_sends_nothing(home):
    (home / ".rattler").mkdir()
    doc = {"a.test": _oauth(int(time.time()) - 100, None), "*.test": {"BearerToken": "wild-token-123"}}
    (home / ".rattler/credentials.json").write_text(json.dumps(doc))
    code, out, _ = cli("resolve", "http://a.test/x")
    assert code == 3 and "NO credential" in out and "Authorization" not in out and "sign in again" in out
    code, out, _ = cli("list", "--json")
    (entry,) = [e for e in json.loads(out)["entries"] if e["key"] == "a.test"]
    assert entry["status"] == "blocking"


# 11. Keys rattler never matches, and a credential of the wrong kind for the URL's scheme.
NEVER_MATCHED = ["127.0.0.1.", "[::ffff:127.0.0.1]", "EXAMPLE.org", "bücher.test", "a.test:8080", "*.0.0.1"]


def test_keys_rattler_never_matches_are_never_used(tmp_path):
    doc = {key: {"BearerToken": f"never-{i}"} for i, key in enumerate(NEVER_MATCHED)}
    urls = ["http://127.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://example.org/", "http://bücher.test/"]
    urls += ["http://a.test:8080/", "http://10.0.0.1/"]
    cases = []
    for n, url in enumerate(urls):
        case_home = _home(tmp_path, n)
        (case_home / ".rattler/credentials.json").write_text(json.dumps(doc))
        cases.append(Case(case_home, f"{url}c{n}", label=url))
    assert check_all(cases) == []  # rattler sends nothing to any of them, and we say so
    inv = load_inventory(cases[0].environment())
    for key in NEVER_MATCHED:
        (row,) = inv.rows_for(key)
        assert row.status is Status.IGNORED and "never" in row.reason, key
    # A too-broad wildcard is used (it matches too much), not "never used".
    (case_home / ".rattler/credentials.json").write_text('{"*.com":{"BearerToken":"broad"}}')
    assert load_inventory(cases[-1].environment()).rows[0].status is Status.ACTIVE


def test_the_audit_says_never_only_of_keys_rattler_never_matches(tmp_path):
    """A too-broad key (`*.com`, `*.`) is matched, and sent, by rattler: the audit warns that it
    matches too much, never that pixi does not use it; the keys it never matches say so."""
    broad = {"*.com": "http://x.example.com/", "*.": "http://foo./"}
    doc = {key: {"BearerToken": f"broad-{i}"} for i, key in enumerate(broad)}
    doc |= {key: {"BearerToken": f"never-{i}"} for i, key in enumerate(NEVER_MATCHED)}
    cases = []
    for n, url in enumerate(broad.values()):
        case_home = _home(tmp_path, n)
        (case_home / ".rattler/credentials.json").write_text(json.dumps(doc))
        cases.append(Case(case_home, f"{url}c{n}", label=url))
    outcomes = run_oracle(cases)
    for (key, _url), outcome in zip(broad.items(), outcomes, strict=True):
        assert {r.authorization for r in outcome.requests} == {f"Bearer {doc[key]['BearerToken']}"}, key
    assert check_all(cases) == []
    from pixi_auth_tui.audit.findings import run_audit

    inv = load_inventory(cases[0].environment())
    findings = run_audit(inv, cases[0].home, None)
    by_key: dict[str, list] = {}
    for f in findings:
        if f.key is not None:
            by_key.setdefault(f.key, []).append(f)
    for key in broad:
        titles = [f.title for f in by_key.get(key, [])]
        assert not any("never" in t for t in titles), (key, titles)
        assert [f.code for f in by_key[key] if f.code == "broad-key"] == ["broad-key"], (key, titles)
    for key in NEVER_MATCHED:
        assert any(f.code == "unmatchable-key" and "never" in f.title for f in by_key.get(key, [])), key


S3_OPTIONS = '[s3-options.bucket]\nendpoint-url = "http://s3.test"\nregion = "us-east-1"\nforce-path-style = true\n'
BASIC = {"username": "u", "password": "p"}
S3_KEYS = {"S3Credentials": {"access_key_id": "AK", "secret_access_key": "SK-secret", "session_token": None}}


def test_the_wrong_kind_for_the_urls_scheme_sends_nothing(tmp_path, monkeypatch):
    scenarios = [
        ("a bearer token under s3://bucket, with s3-options", "s3://bucket/c0", {"s3://bucket": {"BearerToken": "b"}}),
        ("a bearer token under the bucket's name", "s3://bucket/c1", {"bucket": {"BearerToken": "b"}}),
        (
            "basic auth under s3://bucket",
            "s3://bucket/c2",
            {"s3://bucket": {"BasicHTTP": {"username": "u", "password": "p"}}},
        ),
        ("S3 keys under an http host", "http://a.test/c3", {"a.test": S3_KEYS}),
    ]
    cases = []
    for n, (label, url, doc) in enumerate(scenarios):
        case_home = _home(tmp_path, n)
        (case_home / ".rattler/credentials.json").write_text(json.dumps(doc))
        cases.append(Case(case_home, url, config=S3_OPTIONS if url.startswith("s3") else None, label=label))
    outcomes = run_oracle(cases)
    assert all("not S3 credentials" in o.result for o in outcomes[:3])
    for case, outcome in zip(cases, outcomes, strict=True):
        assert disagreement(load_inventory(case.environment()), case, outcome) is None, case.label
    for case in cases[:3]:
        res = load_inventory(case.environment()).resolve(case.url)
        assert res.request and res.request.fails and "not S3" in res.request.fails and not res.request.headers
        assert not res.sends_credential
    res = load_inventory(cases[3].environment()).resolve(cases[3].url)
    assert res.request and res.request.headers == {} and not res.sends_credential
    # `list` says it too: an s3:// key only ever serves s3:// URLs, so the entry never works, and
    # the lookup stops at it (rattler does not go on to another key or store).
    for case in (cases[0], cases[2]):
        (row,) = load_inventory(case.environment()).rows_for("s3://bucket")
        assert row.status is Status.BLOCKING and "not S3" in row.reason, row
        monkeypatch.setenv("HOME", str(case.home))
        code, out, _err = cli("list", "--json")
        (entry,) = json.loads(out)["entries"]
        assert code == 0 and entry["status"] == "blocking" and "not S3 credentials" in entry["reason"]
        code, out, _err = cli("list")
        assert "blocking" in out and "not S3" in out, out
        code, out, _err = cli("resolve", case.url)
        assert code == 3 and "rattler fails" in out and "with NO credential" not in out, out
        from pixi_auth_tui.audit.findings import Severity, run_audit

        inv = load_inventory(case.environment())
        (finding,) = [f for f in run_audit(inv, case.home, None) if f.key == "s3://bucket"]
        assert finding.code == "s3-wrong-kind" and finding.severity is Severity.ERROR, finding
        assert "not S3 credentials" in finding.explanation
    # A host key may serve https://bucket/… as well: it stays active.
    (row,) = load_inventory(cases[1].environment()).rows_for("bucket")
    assert row.status is Status.ACTIVE


# 9. `~` is not expanded: `~/x` is a folder literally named `~` in the working directory.
def test_a_literal_tilde_is_read_as_rattler_reads_it(tmp_path, monkeypatch):
    case_home = _home(tmp_path, 0)
    cwd = tmp_path / "cwd"
    (cwd / "~").mkdir(parents=True)
    monkeypatch.chdir(cwd)  # the oracle's process starts here too
    (cwd / "~/auth.json").write_text('{"a.test":{"BearerToken":"from-the-tilde-folder"}}')
    (case_home / "auth.json").write_text('{"a.test":{"BearerToken":"from-home"}}')
    (cwd / "~/ov.json").write_text('{"b.test":{"BearerToken":"override-in-the-tilde-folder"}}')
    (case_home / "ov.json").write_text('{"b.test":{"BearerToken":"override-in-home"}}')
    config = 'authentication-override-file = "~/ov.json"\n'
    (case_home / ".pixi").mkdir()
    (case_home / ".pixi/config.toml").write_text(config)
    env = {"RATTLER_AUTH_FILE": "~/auth.json"}
    cases = [
        Case(case_home, "http://a.test/c0", env, label="RATTLER_AUTH_FILE=~/auth.json"),
        Case(case_home, "http://b.test/c1", env, config=config, label="authentication-override-file = ~/ov.json"),
    ]
    assert check_all(cases) == []
    inv = load_inventory(cases[0].environment())
    assert inv.store("auth-file").path == cwd / "~/auth.json"  # type: ignore[union-attr]
    assert inv.store("override").path == cwd / "~/ov.json"  # type: ignore[union-attr]
    from pixi_auth_tui.engine.inventory import order_note

    for store_id in ("auth-file", "override"):
        note = order_note(inv, store_id) or ""
        assert "do not expand `~`" in note and str(cwd / "~") in note
    monkeypatch.setenv("RATTLER_AUTH_FILE", "~/auth.json")
    assert "RATTLER_AUTH_FILE starts with a literal `~`" in cli("audit")[1]


# 10. pixi's config as pixi reads it, and NETRC= as rattler reads it.
def test_an_empty_netrc_variable_means_no_netrc(tmp_path):
    case_home = _home(tmp_path, 0)
    (case_home / ".netrc").write_text("machine a.test login u password p\n")
    cases = [
        Case(case_home, "http://a.test/c0", {"NETRC": ""}, label="NETRC="),
        Case(case_home, "http://a.test/c1", {}, label="NETRC unset"),
    ]
    assert check_all(cases) == []
    inv = load_inventory(cases[0].environment())
    snapshot = inv.snapshots["netrc"]
    assert snapshot.state.value == "missing" and "NETRC is set but empty" in snapshot.message
    assert inv.rows == []


def _override_config(home: Path, text: str, folder: Path | None = None) -> Path:
    folder = folder or home / ".pixi"
    folder.mkdir(parents=True, exist_ok=True)
    override = home / "ov.json"
    override.write_text('{"a.test":{"BearerToken":"override"}}')
    (folder / "config.toml").write_text(f'authentication-override-file = "{override}"\n{text}')
    return override


@pytest.mark.parametrize(
    ("value", "read"),
    [
        *[(value, True) for value in ("0", "false", "no", "off", "FALSE", "")],
        *[(value, False) for value in ("1", "true", "yes", "on", "True")],
    ],
)
def test_pixi_no_config_is_read_as_clap_reads_a_boolean(home, value, read):
    _override_config(home, "")
    inv = load_inventory(Case(home, "http://a.test/", {"PIXI_NO_CONFIG": value}).environment())
    assert (inv.store("override") is not None) == read


def test_a_pixi_no_config_value_clap_refuses_is_reported(home):
    _override_config(home, "")
    inv = load_inventory(Case(home, "http://a.test/", {"PIXI_NO_CONFIG": "maybe"}).environment())
    assert any("PIXI_NO_CONFIG" in error for error in inv.override.errors)


@pytest.mark.parametrize(
    "text",
    [
        'tls-no-verify = "yes"\n',
        'authentication_override_file = "/elsewhere.json"\n',  # the same field twice, through its alias
        '[mirrors]\n"https://conda.anaconda.org/conda-forge" = ["not a url"]\n',
        '[s3-options.bucket]\nregion = "eu"\n',
        '[cache]\nroot = "relative/path"\n',
        'pinning-strategy = "newest"\n',
        "[concurrency]\nsolves = -1\n",
    ],
)
def test_a_config_file_with_an_invalid_value_is_skipped_whole(home, text):
    _override_config(home, text)
    inv = load_inventory(Case(home, "http://a.test/").environment())
    assert inv.store("override") is None
    assert any("skips the whole file" in error for error in inv.override.errors)
    code, out, _err = cli("list")  # said where the stores are listed, not only by the audit
    assert code == 0 and "skips the whole file" in out.split("Stores, in pixi's lookup order")[0], out


def test_unknown_keys_do_not_skip_a_config_file(home):
    _override_config(home, 'some-future-key = "x"\n[shell]\nchange-ps1 = false\n')
    assert load_inventory(Case(home, "http://a.test/").environment()).store("override") is not None


def test_a_relative_xdg_config_home_is_ignored(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _override_config(home, "", folder=tmp_path / "relative/pixi")
    env = {"XDG_CONFIG_HOME": "relative"}
    assert load_inventory(Case(home, "http://a.test/", env).environment()).store("override") is None
    _override_config(home, "", folder=home / ".config/pixi")
    assert load_inventory(Case(home, "http://a.test/", env).environment()).store("override") is not None
