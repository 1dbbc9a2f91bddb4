"""One home per credential kind (model.KINDS): the table drives the form's fields, the CLI's
options, masking, the request `resolve` prints and the request `test` sends; and the CLI's
`set` and the form refuse the same values with the same sentence."""

import ast
import base64
import inspect
import io
import json
from pathlib import Path

import httpx
import pytest
from pixi_auth_tui.cli import main as cli
from pixi_auth_tui.cli.setting import KIND_CHOICES
from pixi_auth_tui.core.model import (
    KIND_LABELS,
    KINDS,
    BasicHTTP,
    BearerToken,
    CondaToken,
    Credential,
    NotRead,
    OAuth,
    S3Credentials,
    Unrecognised,
    all_secrets,
    authorise,
    dumps_credential,
    is_oauth,
    mask,
    mask_for,
    masked_secret,
    parse_credential,
    path_encoded,
    public_identity,
    secret_of,
    send_problem,
)
from pixi_auth_tui.core.redact import redact
from pixi_auth_tui.core.validation import FIELDS_BY_KIND, MAX_SECRET_CHARS, build_credential
from pixi_auth_tui.engine.inventory import Row, Status, describe_request
from pixi_auth_tui.probe.request import ProbeOptions, _authorise, masked_url
from pixi_auth_tui.probe.state import default_probe_url
from pixi_auth_tui.stores.base import Entry, Store
from pixi_auth_tui.stores.macos import MacKeychainStore
from pixi_auth_tui.stores.memory import MemoryKeychainStore
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm
from textual.widgets import Input, Select

from tests.conftest import make_env
from tests.test_ui import settle

APP = Path(__file__).resolve().parent.parent / "app" / "pixi_auth_tui"
URL = "https://repo.example/channel/noarch/repodata.json"

EXAMPLES: list[Credential] = [
    BearerToken("bearer-secret-0001"),
    CondaToken("conda-secret-00002"),
    BasicHTTP("alice", "basic-secret-0003"),
    S3Credentials("AKIAEXAMPLE", "s3-secret-0000004", "session-secret-05"),
    OAuth("oauth-access-000006", "oauth-refresh-00007", 1, "https://a.example/token", None, "rattler"),
    Unrecognised(raw={"Nope": "unrecognised-secret-08"}, reason="unknown variant 'Nope'"),
    NotRead(),
]


def test_every_credential_class_has_exactly_one_kind():
    """A kind added to the Credential union without its KindSpec fails here, not in a KeyError."""
    classes = [spec.cls for spec in KINDS.values()]
    assert sorted(classes, key=repr) == sorted(set(Credential.__args__), key=repr)
    assert sorted(c.kind for c in EXAMPLES) == sorted(KINDS)  # the walk below sees every kind
    for name, spec in KINDS.items():
        assert spec.cls.kind == name and KIND_LABELS[name] == spec.label
        fields = list(inspect.signature(spec.cls).parameters)  # in declaration order
        assert {f.name for f in spec.fields} <= set(fields)
        assert set(spec.secrets) <= set(fields) and spec.secret in (*spec.secrets, None)
        assert spec.identity in (*fields, None) and spec.identity not in spec.secrets
        for field in spec.fields:
            assert field.secret == (field.name in spec.secrets)
        assert spec.sends in ("bearer", "basic", "conda-path", "sigv4", "none")
        assert spec.expiry in ("recorded", "jwt", "")
        if spec.serde:  # a struct variant of rattler's: serde's fields are the class's, in order
            assert [name for name, _typ in spec.serde] == [f for f in fields if f != "misspelled"]
    assert len({spec.label for spec in KINDS.values()}) == len(KINDS)


@pytest.mark.parametrize("cred", EXAMPLES, ids=lambda c: c.kind)
def test_every_kind_is_masked_resolved_and_tested_the_same_way(cred):
    """Walk every kind: label, fields, masking, the request `resolve` prints, the request `test`
    sends and the default probe URL all come from its one KindSpec, and agree."""
    # made anew in this test: its secrets registered with its redactor
    cred = type(cred)(**{name: getattr(cred, name) for name in cred.__slots__})
    spec = KINDS[cred.kind]
    secrets = all_secrets(cred)
    assert (secret_of(cred) is None) == (spec.secret is None)
    shown = [public_identity(cred), masked_secret(cred), repr(cred), str(cred)]
    for secret in secrets:
        assert not any(secret in text for text in shown), secret
        assert redact(f"x {secret} y") != f"x {secret} y"  # registered with the redactor
    row = Row(Entry("repo.example", cred, "keychain"), MemoryKeychainStore(), Status.ACTIVE)
    # rattler sends S3 keys only for s3:// URLs (and nothing to an https host: test_differential)
    described = "s3://bucket/channel/noarch/repodata.json" if spec.endpoint_named else URL
    printed = describe_request(row, described)
    assert not any(s in json.dumps([printed.url, printed.headers, printed.note]) for s in secrets)
    assert printed.note in (spec.note, send_problem(cred))
    if spec.sends == "none":
        with pytest.raises(ValueError):
            _authorise(cred, "GET", URL, ProbeOptions())
    else:
        sent = authorise(cred, URL)
        assert printed.url == authorise(cred, described, reveal=mask_for(cred)).url
        target, headers, auth = _authorise(cred, "GET", URL, ProbeOptions())
        assert target == sent.url and (auth is not None) == (sent.basic is not None)
        assert {k.decode(): v.decode() for k, v in headers.items()}.keys() >= sent.headers.keys()
    # S3 keys go to an endpoint the person names: no default URL from the key
    expected = None if spec.endpoint_named else "https://repo.example/"
    assert default_probe_url("repo.example", cred) == expected
    assert is_oauth(cred) == isinstance(cred, OAuth)
    if spec.serde is not None:  # written as rattler writes it, read back the same
        assert parse_credential(json.loads(dumps_credential(cred))) == cred


@pytest.mark.parametrize("cred", EXAMPLES[:5], ids=lambda c: c.kind)
def test_resolve_prints_exactly_what_test_sends_with_the_secrets_masked(cred):
    shown, sent = authorise(cred, URL, reveal=mask), authorise(cred, URL)
    printed = json.dumps([shown.url, shown.headers, shown.basic, shown.sigv4], ensure_ascii=False)
    on_the_wire = json.dumps([sent.url, sent.headers, sent.basic, sent.sigv4], ensure_ascii=False)
    for secret in all_secrets(cred):
        assert secret not in printed
        on_the_wire = on_the_wire.replace(secret, mask(secret))
    assert on_the_wire == printed
    # … and the probe puts that same description on the wire
    target, headers, auth = _authorise(cred, "GET", URL, ProbeOptions())
    request = httpx.Request("GET", target, headers=headers)
    if auth is not None:
        request = next(auth.auth_flow(request))
    if sent.basic:
        expected = "Basic " + base64.b64encode(f"{sent.basic[0]}:{sent.basic[1]}".encode()).decode()
        assert request.headers["Authorization"] == expected
    elif sent.sigv4:
        assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/")
        assert request.headers["X-Amz-Security-Token"] == "session-secret-05"
    else:
        assert str(request.url) == sent.url
        assert request.headers.get("Authorization") == sent.headers.get("Authorization")


def test_a_conda_token_is_percent_encoded_into_the_path_as_rattler_does():
    """Checked against py-rattler: `a b"c<d>e`f#g?h{i}j^k\\l%m` and non-ASCII go out as
    /t/a%20b%22c%3Cd%3Ee%60f%23g%3Fh%7Bi%7Dj^k/l%m/… (so `test` sends what rattler sends),
    and neither the token nor its encoded form is ever printed."""
    token = 'a b"c<d>e`f#g?h{i}j^k\\l%m-é-0123456789'
    assert path_encoded(token) == "a%20b%22c%3Cd%3Ee%60f%23g%3Fh%7Bi%7Dj^k/l%m-%C3%A9-0123456789"
    cred = CondaToken(token)
    target, _headers, _auth = _authorise(cred, "GET", URL, ProbeOptions())
    assert target == f"https://repo.example/t/{path_encoded(token)}/channel/noarch/repodata.json"
    assert path_encoded(token) not in masked_url(target, cred) and path_encoded(token) not in redact(target)
    assert send_problem(cred) is None


def test_a_redirect_echoing_the_password_in_a_token_parameter_is_shown_without_it():
    """A hostile server answers `test` with a redirect whose `token=` parameter holds the
    password, space and all: the URL shown (redirected away, final URL) holds none of it —
    the credential's secrets are hidden before the URL is masked, which ends the parameter at
    the space."""
    password = "correct horse/battery&staple é"
    cred = BasicHTTP("alice", password)
    location = f"http://other.example/next?token={password}&x=1"
    shown = redact(masked_url(location, cred))
    assert "horse" not in shown and "staple" not in shown, shown
    assert "é" not in shown, shown  # a password shows none of its characters (README)


def test_a_token_header_fails_only_on_what_rattler_refuses():
    """py-rattler sends a tab and non-ASCII (as UTF-8) in `Authorization`, and fails on any other
    control character ("failed to parse header value"): resolve and test say the same."""
    assert send_problem(BearerToken("t\tab-é")) is None
    for token in ("t\x01x", "t\x7fx", "t\x1bx"):
        bearer, oauth = BearerToken(token), OAuth(token, None, None, "https://a.example/t", None, "rattler")
        assert send_problem(bearer) and send_problem(oauth)
    _target, headers, _auth = _authorise(BearerToken("tok-é"), "GET", URL, ProbeOptions())
    assert headers[b"Authorization"] == "Bearer tok-é".encode()


# -- one check, one wording: the CLI's `set` and the form -------------------------------------

BAD_INPUTS = [
    # (case, CLI --kind, key, the kind's fields, the sentence both must say)
    ("spaces in an S3 key id", "s3", "s3://bkt", {"access_key_id": "AK IA", "secret_access_key": "sk"},
     "Access key ID contains spaces"),
    ("a line break in a token", "bearer", "a.example", {"token": "front\u2028back"},
     "Token contains a line break (U+2028); a secret is one line"),
    ("an empty token", "conda", "a.example", {"token": ""}, "Token is empty"),
    ("an empty username", "basic", "a.example", {"username": "", "password": "pw"}, "Username is empty"),
    ("a colon in a username", "basic", "a.example", {"username": "[b]a:b[/b]", "password": "pw"},
     "Username contains ':' (HTTP basic auth cannot carry it in a username)"),
    ("a control character", "bearer", "a.example", {"token": "x\x07y"},
     "Token contains the control character U+0007"),
    ("padding around a password", "basic", "a.example", {"username": "u", "password": " pw"},
     "Password has leading or trailing spaces (a paste accident?)"),
    ("an over-long secret", "bearer", "a.example", {"token": "x" * (MAX_SECRET_CHARS + 1)},
     f"Token is longer than {MAX_SECRET_CHARS:,} characters"),
    ("markup as a key", "bearer", "[/]", {"token": "tok"}, "Invalid key: contains a path: rattler keys are hosts only"),
    ("a key with a port", "bearer", "a.example:8080", {"token": "tok"},
     "Invalid key: contains a port: rattler keys are hosts without ports"),
]  # fmt: skip


def cli_refusal(kind: str, key: str, values: dict[str, str]) -> tuple[int, str]:
    spec = KINDS[KIND_CHOICES[kind]]
    argv = ["set", key, "--kind", kind, "--stdin"]
    for field in spec.fields:
        if not field.secret:
            argv += [f"--{field.name.replace('_', '-')}", values[field.name]]
    stdin = "".join(values.get(f.name, "") + "\n" for f in spec.fields if f.secret)
    err = io.StringIO()
    code = cli.main(argv, io.StringIO(), err, io.StringIO(stdin))
    return code, err.getvalue()


async def test_set_and_the_form_refuse_the_same_values_with_the_same_sentence(home):
    """Today's bug was `set` taking an S3 access key id with spaces that the form refused; every
    refusal is now one check and one sentence, on both paths, and nothing is stored."""
    for case, kind, key, values, sentence in BAD_INPUTS:
        code, err = cli_refusal(kind, key, values)
        assert (code, err) == (cli.EXIT_USAGE, f"pixi-auth-tui: {sentence}\n"), case
    app = AuthApp(make_env(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CredentialForm)
        for case, kind, key, values, sentence in BAD_INPUTS:
            form.query_one("#kind", Select).value = KIND_CHOICES[kind]
            await pilot.pause()
            form.query_one("#key", Input).value = key
            for name in FIELDS_BY_KIND[KIND_CHOICES[kind]]:  # the form mounts only the chosen kind's fields
                form.query_one(f"#{name}", Input).value = values.get(name, "")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is form, case
            shown = [str(line.render()) for line in form.query(".error") if str(line.render())]
            assert shown == [sentence], case
    assert not (home / ".rattler/credentials.json").exists()


def test_set_refuses_more_stdin_lines_than_the_kind_reads(home):
    """The form refuses a multi-line paste; `set` used to store the first line and drop the rest."""
    err = io.StringIO()
    code = cli.main(
        ["set", "a.example", "--kind", "bearer", "--stdin"], io.StringIO(), err, io.StringIO("front\nback\n")
    )
    assert code == cli.EXIT_USAGE
    assert err.getvalue() == (
        "pixi-auth-tui: stdin holds 2 lines, but Bearer token takes 1 secret, one per line: nothing was stored\n"
    )
    assert "front" not in err.getvalue() and not (home / ".rattler/credentials.json").exists()
    # S3: the session token is the optional second line
    code = cli.main(
        ["set", "s3://bkt", "--kind", "s3", "--access-key-id", "AK", "--stdin"],
        io.StringIO(),
        io.StringIO(),
        io.StringIO("sk\n"),
    )
    assert code == 0
    stored = json.loads((home / ".rattler/credentials.json").read_text())
    assert stored == {"s3://bkt": json.loads(dumps_credential(S3Credentials("AK", "sk")))}


def test_build_credential_says_the_whole_sentence_per_field():
    _cred, errors = build_credential("S3Credentials", {"access_key_id": "AK IA", "secret_access_key": ""})
    assert errors == {
        "access_key_id": "Access key ID contains spaces",
        "secret_access_key": "Secret access key is empty",
    }


def test_cli_remove_names_the_same_successor_as_the_ui(home):
    path = home / ".rattler/credentials.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"repo.prefix.dev": {"BearerToken": "a"}, "*.prefix.dev": {"BearerToken": "b"}}))
    out = io.StringIO()
    assert cli.main(["remove", "repo.prefix.dev"], out, io.StringIO(), io.StringIO()) == 0
    assert "pixi now uses *.prefix.dev in credentials.json for repo.prefix.dev" in out.getvalue()
    assert json.loads(path.read_text()) == {"*.prefix.dev": {"BearerToken": "b"}}


# -- the shape of the code ---------------------------------------------------------------------

CREDENTIAL_CLASSES = {spec.cls.__name__ for spec in KINDS.values()}
# Store methods only some stores offer: asked through Store.abilities, never probed for.
STORE_METHODS = {name for name in vars(Store) if not name.startswith("_") and callable(getattr(Store, name))}


def kind_ladders(source: str) -> list[int]:
    """Lines with `isinstance(x, <a credential class>)` (alone or in a tuple) or `case <class>(…)`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.MatchClass)
            and getattr(node.cls, "id", getattr(node.cls, "attr", "")) in CREDENTIAL_CLASSES
        ):
            found.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            if len(node.args) != 2:
                continue
            second = node.args[1]
            names = second.elts if isinstance(second, ast.Tuple) else [second]
            ids = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "") for n in names}
            if ids & CREDENTIAL_CLASSES:
                found.append(node.lineno)
    return found


def store_probes(source: str) -> list[int]:
    """Lines with `getattr(x, "<store method>")` / `hasattr(...)`: an ability probed, not declared."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr"):
            name = node.args[1] if len(node.args) > 1 else None
            if isinstance(name, ast.Constant) and name.value in STORE_METHODS:
                found.append(node.lineno)
    return found


def test_no_module_but_model_tests_for_a_credential_kind():
    """Per-kind behaviour lives in KINDS (model.py); OAuth-only features ask `is_oauth`."""
    offenders = {
        str(path.relative_to(APP)): lines
        for path in sorted(APP.rglob("*.py"))
        if path != APP / "core" / "model.py"
        if (lines := kind_ladders(path.read_text()))
    }
    assert offenders == {}


def test_no_module_probes_a_store_for_an_ability():
    offenders = {
        str(path.relative_to(APP)): lines
        for path in sorted(APP.rglob("*.py"))
        if (lines := store_probes(path.read_text()))
    }
    assert offenders == {}


def test_the_structure_checks_find_what_they_look_for():
    assert kind_ladders("if isinstance(c, (BearerToken, m.OAuth)): pass\nisinstance(c, str)") == [1]
    assert kind_ladders("match c:\n    case S3Credentials():\n        pass") == [2]
    assert store_probes('getattr(store, "write_problem", None)\ngetattr(args, "demo", False)') == [1]


# -- against py-rattler: what `test` sends is what rattler sends --------------------------------

ON_THE_WIRE = {
    "a conda token with URL-special characters": {"CondaToken": 'a b"c<d>e`f#g?h{i}j^k\\l%m|n[o]p\x7fqér;s=t@u~'},
    "a bearer token with a tab and non-ASCII": {"BearerToken": "tab\there-é"},
    "a bearer token with a control character": {"BearerToken": "ctl\x01here"},
    "an OAuth token with DEL": {
        "OAuth": {"access_token": "del\x7fhere", "token_endpoint": "https://t.example/token", "client_id": "rattler"}
    },
}


def test_tokens_go_on_the_wire_exactly_as_py_rattler_sends_them(tmp_path):
    """py-rattler fetches through a recording proxy; `_authorise` (what `test` sends) must
    produce the same Authorization bytes and the same conda path, and `send_problem` (what
    `resolve` and `test` say) must fail exactly where rattler fails."""
    from tests.oracle import Case, run_oracle

    cases = []
    for n, (label, value) in enumerate(ON_THE_WIRE.items()):
        home = tmp_path / f"h{n}"
        (home / ".rattler").mkdir(parents=True)
        (home / ".rattler/credentials.json").write_text(json.dumps({"repo.example": value}))
        cases.append(Case(home, f"http://repo.example/c{n}", label=label))
    for case, outcome, value in zip(cases, run_oracle(cases), ON_THE_WIRE.values(), strict=True):
        cred = parse_credential(value)
        if send_problem(cred):
            assert outcome.requests == [] and "header" in outcome.result, case.label
            continue
        assert outcome.requests, (case.label, outcome.result)
        for request in outcome.requests:
            path = "/" + request.url.split("://", 1)[1].split("/", 1)[1]
            resource = path[path.index(case.url.rsplit("/", 1)[1]) - 1 :]  # the path without the token
            target, headers, _auth = _authorise(cred, "GET", f"http://repo.example{resource}", ProbeOptions())
            sent = httpx.Request("GET", target, headers=headers)
            assert sent.url.raw_path.decode() == path, case.label
            header = next((v for k, v in sent.headers.raw if k.lower() == b"authorization"), None)
            assert request.authorization == (header.decode("latin-1") if header else None), case.label


# -- a keychain item listed by name only (macOS) ------------------------------------------------


def fake_mac_keychain(items: dict[str, str]):
    """A macOS keychain holding `items` (key → secret), its native calls FAKED (macOS cannot
    run here); the fake records which secrets were read."""
    from tests.test_platform_keychains import FakeMacNative

    native = FakeMacNative()
    native.items.update(items)
    return MacKeychainStore(native), native


async def test_a_secret_listed_by_name_only_is_read_when_revealed_or_copied(home):
    """macOS lists rattler's items without reading them (a read may prompt): the detail pane
    says so, and v / c read that one secret then (its native calls FAKED: macOS cannot run here)."""
    from tests.test_ui import detail, select_row

    keychain, native = fake_mac_keychain({"mac.example": '{"BearerToken":"mac-secret-token-0001"}'})
    app = AuthApp(make_env(home)._replace(keychain=keychain))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        select_row(app, "mac.example", "keychain")
        await settle(pilot)
        assert "not read yet" in detail(app) and native.reads == []
        await pilot.press("v")
        await settle(pilot)
        assert "mac-secret-token-0001" in detail(app) and native.reads == ["mac.example"]
        await pilot.press("c")
        await settle(pilot)
        assert app.clipboard == "mac-secret-token-0001" and native.reads == ["mac.example"]  # read once


def test_token_and_test_read_a_secret_listed_by_name_only(home):
    """`token` printed nothing for a macOS keychain entry (its secret is listed by name only);
    like `test`, it now reads that one secret when asked for it."""
    import argparse

    from pixi_auth_tui.cli.oauth import cmd_token
    from pixi_auth_tui.engine.inventory import inventory_from

    keychain, native = fake_mac_keychain(
        {"mac.example": '{"BearerToken":"mac-secret-token-0002"}', "other.example": '{"BearerToken":"never-read"}'}
    )
    inv = inventory_from([keychain])
    out, err = io.StringIO(), io.StringIO()
    assert cmd_token(inv, argparse.Namespace(host="mac.example"), out, err) == cli.EXIT_OK, err.getvalue()
    assert out.getvalue() == "mac-secret-token-0002\n" and native.reads == ["mac.example"]


async def test_the_ui_test_reads_a_secret_listed_by_name_only(home):
    """`t` on a macOS keychain entry tested nothing ("not read"); now it reads that one secret
    first, as `test` on the command line does, and sends it (here to a closed local port)."""
    from pixi_auth_tui.probe.state import Verdict

    from tests.test_ui import select_row

    keychain, native = fake_mac_keychain({"127.0.0.1": '{"BearerToken":"mac-secret-token-0003"}'})
    app = AuthApp(make_env(home)._replace(keychain=keychain))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        select_row(app, "127.0.0.1", "keychain")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        result = app.main.last_result(app.main.selected_row())
        assert result is not None and result.verdict not in (Verdict.UNSUPPORTED, Verdict.NEEDS_URL), result
        assert native.reads == ["127.0.0.1"]


def test_rotating_a_secret_listed_by_name_only_writes_it(home):
    """`set` (and the form's rotate) over a macOS keychain entry crashed comparing with a secret
    never read; it is now written in place, without reading the old one."""
    from pixi_auth_tui.engine.inventory import inventory_from
    from pixi_auth_tui.engine.operations import save_credential

    store, native = fake_mac_keychain({"mac.example": '{"BearerToken":"old-secret"}'})
    outcome = save_credential(inventory_from([store]), store, "mac.example", BearerToken("new-secret"), as_seen=False)
    assert outcome.changed and outcome.message.startswith("Rotated mac.example")
    assert native.items == {"mac.example": '{"BearerToken":"new-secret"}'} and native.reads == []


def test_moving_a_secret_listed_by_name_only_reads_it_first(home):
    """Moving a macOS keychain entry to credentials.json crashed writing a secret never read."""
    from pixi_auth_tui.engine.inventory import inventory_from
    from pixi_auth_tui.engine.operations import move_entry
    from pixi_auth_tui.stores.jsonfile import JsonFileStore

    keychain, native = fake_mac_keychain({"mac.example": '{"BearerToken":"moved-secret"}'})
    target = JsonFileStore("credentials", "credentials.json", home / ".rattler/credentials.json")
    inv = inventory_from([keychain, target])
    outcome = move_entry(inv, inv.rows_for("mac.example")[0], target)
    assert outcome.ok and native.items == {} and native.reads == ["mac.example"]
    assert json.loads((home / ".rattler/credentials.json").read_text()) == {
        "mac.example": {"BearerToken": "moved-secret"}
    }
