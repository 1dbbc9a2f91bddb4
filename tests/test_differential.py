"""Differential tests: for every class of case in issue 11, what we say pixi sends is what
py-rattler sends, and every store we call readable is one rattler can build (tests/oracle.py).

Where py-rattler and DOMAIN.md disagreed, py-rattler won; those cases say so.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.model import BearerToken
from pixi_auth_tui.engine.inventory import load_inventory
from pixi_auth_tui.stores.base import StoreState

from tests.oracle import Case, check_all, run_oracle

pytestmark = pytest.mark.rattler


def _home(root: Path, n: int) -> Path:
    home = root / f"case{n}"
    (home / ".rattler").mkdir(parents=True)
    return home


def _file_cases(root: Path, texts: dict[str, str | bytes], url_host: str = "a.test") -> list[Case]:
    """One case per credentials-file text, read through RATTLER_AUTH_FILE."""
    cases = []
    for n, (label, text) in enumerate(texts.items()):
        home = _home(root, n)
        auth = home / "auth.json"
        auth.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        cases.append(Case(home, f"http://{url_host}/c{n}", {"RATTLER_AUTH_FILE": str(auth)}, label=label))
    return cases


OAUTH = '{"access_token":"a","token_endpoint":"https://t.test/token","client_id":"c"%s}'
BASIC_WITH = '{"a.test":{"BasicHTTP":{"username":"u","password":"p","extra":%s}}}'

# 5. Files exactly as serde_json reads them.
JSON_TEXTS: dict[str, str | bytes] = {
    "plain": '{"a.test":{"BearerToken":"x"}}',
    "repeated key: last wins": '{"a.test":{"BearerToken":"first"},"a.test":{"BearerToken":"last"}}',
    "repeated key: an unreadable first occurrence still fails": '{"a.test":{"Bad":1},"a.test":{"BearerToken":"x"}}',
    "repeated field": '{"a.test":{"BasicHTTP":{"username":"u","username":"v","password":"p"}}}',
    "two variants": '{"a.test":{"BearerToken":"x","CondaToken":"y"}}',
    "lone surrogate in a value": '{"a.test":{"BearerToken":"\\udc00"}}',
    "lone surrogate in a key": '{"\\ud800":{"BearerToken":"x"},"a.test":{"BearerToken":"x"}}',
    "surrogate pair": '{"a.test":{"BearerToken":"\\ud83d\\ude00"}}',
    "lone surrogate in an unknown field": BASIC_WITH % '"\\ud800"',
    "1e400 in an unknown field": BASIC_WITH % "1e400",
    "huge integer in an unknown field": BASIC_WITH % "123456789012345678901234567890",
    "repeated keys inside an unknown field": BASIC_WITH % '{"k":1,"k":2}',
    "deep nesting in an unknown field": BASIC_WITH % ("[" * 130 + "]" * 130),
    "NaN": '{"a.test":{"BearerToken":"x"},"z":NaN}',
    "NaN in an unknown field": BASIC_WITH % "NaN",
    "BOM": "\ufeff" + '{"a.test":{"BearerToken":"x"}}',
    "empty": "",
    "only whitespace": "  \n",
    "form feed is no whitespace": '\x0c{"a.test":{"BearerToken":"x"}}',
    "not UTF-8": b'{"a.test":{"BearerToken":"\xe9"}}',
    "null": "null",
    "a unit variant": '{"a.test":{"BearerToken":"x"},"b.test":"BearerToken"}',
    "basic as an array": '{"a.test":{"BasicHTTP":["u","p"]}}',
    "basic as a short array": '{"a.test":{"BasicHTTP":["u"]}}',
    "s3 as a 3-array": '{"a.test":{"BearerToken":"x"},"b.test":{"S3Credentials":["a","s",null]}}',
    "s3 as a 2-array": '{"a.test":{"BearerToken":"x"},"b.test":{"S3Credentials":["a","s"]}}',
    "s3 without session_token": '{"a.test":{"BearerToken":"x"},'
    '"b":{"S3Credentials":{"access_key_id":"a","secret_access_key":"s"}}}',
    "basic password null": '{"a.test":{"BasicHTTP":{"username":"u","password":null}}}',
    "oauth minimal": '{"a.test":{"OAuth":%s}}' % (OAUTH % ""),
    "oauth expires_at i64 max": '{"a.test":{"OAuth":%s}}' % (OAUTH % ',"expires_at":9223372036854775807'),
    "oauth expires_at past i64": '{"a.test":{"OAuth":%s}}' % (OAUTH % ',"expires_at":9223372036854775808'),
    "oauth expires_at 5.0": '{"a.test":{"OAuth":%s}}' % (OAUTH % ',"expires_at":5.0'),
    "oauth expires_at 1e2": '{"a.test":{"OAuth":%s}}' % (OAUTH % ',"expires_at":1e2'),
    "oauth expires_at -0": '{"a.test":{"OAuth":%s}}' % (OAUTH % ',"expires_at":-0'),
    # An expired OAuth token makes rattler try a refresh first (issue 13's ground): parse only.
    "oauth expires_at -5": '{"a.test":{"BearerToken":"x"},"b.test":{"OAuth":%s}}' % (OAUTH % ',"expires_at":-5'),
    "oauth expires_at 1e400": '{"a.test":{"OAuth":%s}}' % (OAUTH % ',"expires_at":1e400'),
    "oauth expires_at string": '{"a.test":{"OAuth":%s}}' % (OAUTH % ',"expires_at":"5"'),
    "oauth without client_id": '{"a.test":{"OAuth":{"access_token":"a","token_endpoint":"e"}}}',
    "misspelled BasicHttp": '{"a.test":{"BasicHttp":{"username":"u","password":"p"}}}',
    "trailing comma": '{"a.test":{"BearerToken":"x"},}',
    "escaped slash": '{"a.test":{"BearerToken":"x\\/y"}}',
    "tab inside a string": '{"a.test":{"BearerToken":"x\ty"}}',
    "conda token": '{"a.test":{"CondaToken":"ct"}}',
    "DEL in a bearer token": '{"a.test":{"BearerToken":"x\u007fy"}}',
    "escaped control character in a bearer token": '{"a.test":{"BearerToken":"x\u0001y"}}',
    "escaped tab in a bearer token": '{"a.test":{"BearerToken":"x\ty"}}',
    "escaped newline in a password": '{"a.test":{"BasicHTTP":{"username":"u","password":"a\nb"}}}',
}


def test_files_are_read_exactly_as_serde_json_reads_them(tmp_path):
    cases = _file_cases(tmp_path, JSON_TEXTS)
    assert check_all(cases) == []


def test_a_repeated_key_shows_the_last_entry_as_the_one_used(tmp_path):
    (case,) = _file_cases(tmp_path, {"dup": JSON_TEXTS["repeated key: last wins"]})
    inv = load_inventory(case.environment())
    rows = inv.rows_for("a.test")
    assert [r.status.value for r in rows] == ["ignored", "active"]
    assert "rattler keeps the last" in rows[0].reason


# 3. netrc as rattler parses it (netrc_rs).
NETRC_TEXTS = {
    "plain": "machine a.test login u password p\n",
    "quotes are literal": 'machine a.test login u password "ab"\n',
    "a quoted space fails the whole file": 'machine a.test login u password "a b"\n',
    "last duplicate wins": "machine a.test login u password first\nmachine a.test login u password second\n",
    "default is never used": "default login u password d\n",
    "default before a machine": "default login u password d\nmachine a.test login u password p\n",
    "macdef body": "machine b.test login x password y\nmacdef init\ncd /\nls\n\nmachine a.test login u password p\n",
    "macdef swallows after an empty line": "macdef init\n\nmachine a.test login u password p\n",
    "a comment fails the file": "# hi\nmachine a.test login u password p\n",
    "account": "machine a.test login u password p account acc\n",
    "no login": "machine a.test password p\n",
    "no password": "machine a.test login u\n",
    "nothing but the machine": "machine a.test\n",
    "unknown keyword": "machine a.test login u password p port 22\n",
    "backslash is literal": "machine a.test login u password a\\ b\n",
    "machine names are case-sensitive": "machine A.TEST login u password p\n",
    "CRLF": "machine a.test login u password p\r\n",
    "missing value": "machine a.test login u password\n",
    "two logins": "machine a.test login u login v password p\n",
    "two logins after an entry without one": "machine b.test\nmachine a.test login u login v password p\n",
    "keyword as a value": "machine a.test login machine password p\n",
    "no-break space separates": "machine\u00a0a.test login u password p\n",
    "a wildcard machine matches like any key": "machine *.test login u password p\n",
    "hash inside a value": "machine a.test login u password #p\n",
    "not UTF-8": b"machine a.test login u password \xff\n",
}


def test_netrc_is_read_exactly_as_rattler_reads_it(tmp_path):
    cases = []
    for n, (label, text) in enumerate(NETRC_TEXTS.items()):
        home = _home(tmp_path, n)
        netrc = home / "netrc"
        netrc.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        cases.append(Case(home, f"http://a.test/c{n}", {"NETRC": str(netrc)}, label=label))
    assert check_all(cases) == []
    # A file rattler cannot parse is shown as such, with every entry marked unused.
    inv = load_inventory(cases[2].environment())
    assert inv.snapshots["netrc"].state is StoreState.MALFORMED
    assert all(r.status.value == "ignored" for r in inv.rows if r.store.id == "netrc")


# 4. URLs as rattler sees them.
URL_KEYS = [
    "xn--bcher-kva.de",
    "127.0.0.1",
    "10.0.0.1",
    "example.com.",
    "example.com",
    "[::1]",
    "a.test",
    "aab.test",
    "ex.ample.test",
    "*.com.",
    "*.",
    "*.localhost",
    "bücher.de",
    "EXAMPLE.org",
]
URLS = [
    "http://BÜCHER.de/c",
    "http://0x7f.1/c",
    "http://2130706433/c",
    "http://127.1/c",
    "http://10.1/c",
    "http://example.com./c",
    "http://EXAMPLE.com/c",
    "http://[0:0::1]/c",
    "http://u:p@a.test/c",
    "http://u@a.test/c",
    "http://:p@a.test/c",
    "http://u:p%40x@a.test/c",
    "http://a%41b.test/c",
    "http://ex%2eample.test/c",
    "http://x.example.com./c",
    "http://a.test:8080/c",
    "http://foo./c",
    "http://localhost/c",
    "http://example.org/c",
]


def test_urls_are_keyed_as_rattler_keys_them(tmp_path):
    doc = {key: {"BearerToken": f"T{i}"} for i, key in enumerate(URL_KEYS)}
    cases = []
    for n, url in enumerate(URLS):
        home = _home(tmp_path, n)
        (home / ".rattler/credentials.json").write_text(json.dumps(doc))
        cases.append(Case(home, f"{url}{n}", label=url))
    assert check_all(cases) == []


# 1. Store order, and pixi's override file.
def test_store_order_and_the_override_file(tmp_path):
    cases = []
    # RATTLER_AUTH_FILE before credentials.json before netrc; other stores still consulted after it
    home = _home(tmp_path, 0)
    (home / "auth.json").write_text('{"a.test":{"BearerToken":"auth"}}')
    (home / ".rattler/credentials.json").write_text('{"a.test":{"BearerToken":"creds"},"b.test":{"BearerToken":"b"}}')
    (home / ".netrc").write_text("machine a.test login n password n\nmachine c.test login n password c\n")
    env = {"RATTLER_AUTH_FILE": str(home / "auth.json")}
    cases += [Case(home, f"http://{h}.test/c{i}", env, label=f"order {h}") for i, h in enumerate("abcd")]
    # The override file, read by Client.from_config (py-rattler uses it alone; pixi falls through
    # to the other stores after it, so only keys in the override file are compared here).
    home = _home(tmp_path, 1)
    override = home / "override.json"
    override.write_text('{"a.test":{"BearerToken":"override"}}')
    (home / "auth.json").write_text('{"a.test":{"BearerToken":"auth"}}')
    config = f'authentication-override-file = "{override}"\n'
    (home / ".pixi").mkdir()
    (home / ".pixi/config.toml").write_text(config)
    env = {"RATTLER_AUTH_FILE": str(home / "auth.json")}
    cases.append(Case(home, "http://a.test/c9", env, config=config, label="override before RATTLER_AUTH_FILE"))
    assert check_all(cases) == []
    outcome = run_oracle([Case(home, "http://a.test/c10", env, config=config)])[0]
    assert {r.authorization for r in outcome.requests} == {"Bearer override"}


def test_a_bad_override_file_fails_the_whole_store(tmp_path):
    home = _home(tmp_path, 0)
    override = home / "override.json"
    override.write_text('{"a.test":{"BasicHttp":{"username":"u","password":"p"}}}')
    config = f'authentication-override-file = "{override}"\n'
    (home / ".pixi").mkdir()
    (home / ".pixi/config.toml").write_text(config)
    assert check_all([Case(home, "http://a.test/c0", config=config)]) == []


# Generated: hosts (IDN, IP forms, ports, userinfo, trailing dots, wildcards), netrc texts
# (quotes, duplicates, default, macdef, comments) and store combinations, in batches so one
# py-rattler process answers many scenarios.
GEN_KEYS = [
    "a.test",
    "b.a.test",
    "*.a.test",
    "*.test",
    "xn--bcher-kva.test",
    "*.xn--bcher-kva.test",
    "bücher.test",
    "B.test",
    "a.test.",
    "*.test.",
    "*.",
    "127.0.0.1",
    "[::1]",
    "10.0.0.1",
    "*.0.0.1",  # never matches: IP hosts get no wildcard lookup
]
HOSTS = st.one_of(
    st.tuples(st.lists(st.sampled_from(["a", "b", "bücher", "B", "xn--bcher-kva"]), max_size=2), st.booleans()).map(
        lambda t: ".".join([*t[0], "test"]) + ("." if t[1] else "")
    ),
    st.sampled_from(["127.0.0.1", "0x7f.1", "2130706433", "127.1", "[::1]", "[0:0::1]", "10.0.0.1", "10.1"]),
)
USERINFO = st.sampled_from(["", "", "", "u:p@", "u@", ":p@", "u:p%40x@", "%75:pw@"])
PORTS = st.sampled_from(["", "", ":8080"])
KINDS = st.sampled_from(["bearer", "conda", "basic"])
NETRC_LINE = st.one_of(
    st.sampled_from(GEN_KEYS).map(lambda k: f"machine {k} login u password {{pw}}"),
    st.sampled_from(GEN_KEYS).map(lambda k: f'machine {k} login u password "{{pw}}"'),
    st.just("default login d password {pw}"),
    st.just("macdef m\ncd /\n"),
    st.just("# comment"),
    st.just('machine a.test login u password "x y"'),
    st.just("machine a.test login u password {pw} account a"),
)


def _credential_json(kind: str, secret: str) -> dict:
    if kind == "basic":
        return {"BasicHTTP": {"username": "user", "password": secret}}
    return {"BearerToken" if kind == "bearer" else "CondaToken": secret}


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    use_auth = draw(st.booleans())
    auth = draw(st.dictionaries(st.sampled_from(GEN_KEYS), KINDS, max_size=3)) if use_auth else None
    creds = draw(st.dictionaries(st.sampled_from(GEN_KEYS), KINDS, max_size=3))
    netrc = draw(st.lists(NETRC_LINE, max_size=4))
    url = f"http://{draw(USERINFO)}{draw(HOSTS)}{draw(PORTS)}/"
    return {"auth": auth, "creds": creds, "netrc": netrc, "url": url}


def _write_scenario(home: Path, n: int, scenario: dict) -> Case:
    env = {}
    if scenario["auth"] is not None:
        auth = {k: _credential_json(kind, f"auth-{i}") for i, (k, kind) in enumerate(scenario["auth"].items())}
        (home / "auth.json").write_text(json.dumps(auth))
        env["RATTLER_AUTH_FILE"] = str(home / "auth.json")
    creds = {k: _credential_json(kind, f"creds-{i}") for i, (k, kind) in enumerate(scenario["creds"].items())}
    (home / ".rattler/credentials.json").write_text(json.dumps(creds))
    (home / ".netrc").write_text(
        "".join(line.format(pw=f"netrc-{i}") + "\n" for i, line in enumerate(scenario["netrc"]))
    )
    return Case(home, f"{scenario['url']}c{n}", env, label=json.dumps(scenario, ensure_ascii=False))


BATCH = 60


@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(scenarios(), min_size=BATCH, max_size=BATCH))
def test_generated_scenarios_agree_with_py_rattler(batch):
    # 4 batches × 60 scenarios = 240 generated cases, each compared with py-rattler.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "home"
        cases = [_write_scenario(_home(root, n), n, scenario) for n, scenario in enumerate(batch)]
        assert check_all(cases) == []


# 6. The keychain as rattler sees it (a real gnome-keyring on a private bus).
def _item(address: str, label: str, attributes: dict[str, str], secret: str) -> None:
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    conn = open_dbus_connection(bus=address)
    try:
        secretstorage.get_default_collection(conn).create_item(label, attributes, secret.encode())
    finally:
        conn.close()


@pytest.mark.keychain
def test_keychain_duplicates_old_pixi_items_and_items_without_username(tmp_path, keychain, keyring_daemon):
    from pixi_auth_tui.stores.secretservice import SecretServiceStore, item_attributes, item_label

    bus = keyring_daemon.address
    # a.test: rattler's item plus Python keyring's (an extra `application`): ambiguous for rattler
    _item(bus, item_label("a.test"), item_attributes("a.test"), '{"BearerToken":"kc-1"}')
    _item(
        bus,
        "Password for 'a.test' on 'rattler'",
        {**item_attributes("a.test"), "application": "Python keyring library"},
        '{"BearerToken":"kc-2"}',
    )
    # b.test: written by older pixi (keyring-rs 3.6)
    old = {**item_attributes("b.test"), "target": "default", "application": "rust-keyring"}
    _item(bus, "b.test@rattler:default (keyring v3.6.3)", old, '{"BearerToken":"old-pixi"}')
    # c.test: duplicates with nothing behind them; and an item with no username at all
    _item(bus, item_label("c.test"), item_attributes("c.test"), '{"BearerToken":"c1"}')
    _item(bus, item_label("c.test"), {**item_attributes("c.test"), "application": "x"}, '{"BearerToken":"c2"}')
    _item(bus, "keyring:@rattler", {"service": "rattler"}, '{"BearerToken":"nameless"}')
    home = _home(tmp_path, 0)
    (home / ".rattler/credentials.json").write_text('{"a.test":{"BearerToken":"file"}}')
    cases = [Case(home, f"http://{h}.test/c{i}", label=h) for i, h in enumerate("abc")]
    store = SecretServiceStore(bus)
    assert check_all(cases, bus=bus, keychain_for=lambda _case: store) == []

    inv = load_inventory(cases[0].environment(store))
    a_rows = [r for r in inv.rows_for("a.test") if r.store.id == "keychain"]
    assert all(
        r.status.value == "ignored" and "falls through" in r.reason and "credentials.json" in r.reason for r in a_rows
    )
    c_rows = [r for r in inv.rows_for("c.test") if r.store.id == "keychain"]
    assert all("sends none" in r.reason for r in c_rows)
    assert inv.active_row("b.test").store.id == "keychain"
    problems = " ".join(inv.snapshots["keychain"].problems)
    assert "b.test" not in problems and "Python keyring library" in problems  # old pixi's item is rattler's own
    (nameless,) = inv.rows_for("")
    assert nameless.status.value == "ignored" and "no `username`" in nameless.reason

    # Rotating the old pixi item changes it in place: still one item, and rattler sends the new secret.
    store.set("b.test", BearerToken("rotated"))
    assert sum(e.key == "b.test" for e in store.load().entries) == 1
    # The nameless item is removable by its path.
    store.remove("", item_ref=nameless.entry.item_ref)
    assert not [e for e in store.load().entries if e.key == ""]
    assert check_all([Case(home, "http://b.test/c7", label="rotated")], bus=bus, keychain_for=lambda _c: store) == []


# Generated credentials files: the risky corners of serde_json, in varying places.
JSON_STRINGS = st.sampled_from(['"x"', '"\\ud800"', '"\\ud83d\\ude00"', '"\\u00e9"', '"a\\/b"', '""', '"\\n"'])
JSON_NUMBERS = st.sampled_from(["5", "-5", "-0", "5.0", "1e2", "1e400", "9223372036854775807", "9223372036854775808"])
JSON_ODD = st.sampled_from(["null", "true", "[]", "{}", "NaN", '{"k":1,"k":2}', "[1,[2,[3]]]"])
JSON_ANY = st.one_of(JSON_STRINGS, JSON_NUMBERS, JSON_ODD)


@st.composite
def credential_texts(draw: st.DrawFn) -> str:
    variant = draw(st.sampled_from(["BearerToken", "CondaToken", "BasicHTTP", "S3Credentials", "OAuth", "Bearer"]))
    if variant in ("BearerToken", "CondaToken", "Bearer"):
        return f'{{"{variant}":{draw(JSON_STRINGS | JSON_ANY)}}}'
    fields = {
        "BasicHTTP": ["username", "password"],
        "S3Credentials": ["access_key_id", "secret_access_key", "session_token"],
        "OAuth": ["access_token", "token_endpoint", "client_id", "refresh_token", "expires_at"],
    }[variant]
    if variant != "OAuth" and draw(st.booleans()):  # a struct written as an array
        items = [draw(JSON_STRINGS) for _ in fields[: draw(st.integers(len(fields) - 1, len(fields) + 1))]]
        return f'{{"{variant}":[{",".join(items)}]}}'
    parts = []
    for name in fields:
        if draw(st.integers(0, 5)) == 0:
            continue  # missing
        value = draw(JSON_NUMBERS | st.just("null")) if name == "expires_at" else draw(JSON_STRINGS | JSON_ANY)
        parts.append(f'"{name}":{value}')
        if draw(st.integers(0, 8)) == 0:
            parts.append(f'"{name}":"again"')  # a repeated field
    if draw(st.booleans()):
        parts.append(f'"extra":{draw(JSON_ANY)}')  # ignored by serde, whatever it holds
    return f'{{"{variant}":{{{",".join(parts)}}}}}'


@st.composite
def credential_files(draw: st.DrawFn) -> str:
    keys = draw(
        st.lists(st.sampled_from(['"a.test"', '"b.test"', '"\\ud800"', '"\\u0061.test"']), min_size=1, max_size=3)
    )
    body = ",".join(f"{key}:{draw(credential_texts())}" for key in keys)
    return "{" + body + "}"


@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.lists(credential_files(), min_size=BATCH, max_size=BATCH))
def test_generated_files_agree_with_py_rattler(texts):
    with tempfile.TemporaryDirectory() as tmp:
        cases = _file_cases(Path(tmp) / "home", {f"{n}: {t}": t for n, t in enumerate(texts)})
        assert check_all(cases) == []


# 2. pixi's config files: our list matches py-rattler's own search paths for "pixi"
# (py-rattler also lists rattler's shared /etc/rattler and ~/.config/rattler files, which
# DOMAIN.md's pixi set does not include; PIXI_NO_CONFIG / PIXI_CONFIG_FILE are pixi's own).
@pytest.mark.parametrize("extra", [{}, {"XDG_CONFIG_HOME": "/xdg"}, {"PIXI_HOME": "/ph"}])
def test_config_search_paths_match_py_rattler(home, extra):
    import os
    import subprocess
    import sys

    from pixi_auth_tui.system.pixiconfig import global_config_locations

    script = (
        "import json; from rattler import Config; "
        "print(json.dumps([str(p) for p, shared in Config.config_search_paths('pixi') if not shared]))"
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(home), **extra}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    theirs = [Path(p) for p in json.loads(out.stdout)]
    assert global_config_locations(extra, home, platform="linux") == theirs
