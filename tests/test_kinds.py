"""One home per credential kind (model.KINDS): the table drives the form's fields, the CLI's
options, masking, the request `resolve` prints and the request `test` sends."""

import base64
import io
import json

import httpx
import pytest
from pixi_auth_tui import cli
from pixi_auth_tui.model import (
    KINDS,
    BasicHTTP,
    BearerToken,
    CondaToken,
    Credential,
    OAuth,
    S3Credentials,
    all_secrets,
    authorise,
    mask,
)
from pixi_auth_tui.probe import ProbeOptions, _authorise
from pixi_auth_tui.validation import build_credential

EXAMPLES = [
    BearerToken("bearer-secret-0001"),
    CondaToken("conda-secret-00002"),
    BasicHTTP("alice", "basic-secret-0003"),
    S3Credentials("AKIAEXAMPLE", "s3-secret-0000004", "session-secret-05"),
    OAuth("oauth-access-000006", "oauth-refresh-00007", 1, "https://a.example/token", None, "rattler"),
]


def test_every_credential_class_has_exactly_one_kind():
    """A kind added to the Credential union without its KindSpec fails here, not in a KeyError."""
    classes = [spec.cls for spec in KINDS.values()]
    assert sorted(classes, key=repr) == sorted(set(Credential.__args__), key=repr)
    for name, spec in KINDS.items():
        assert spec.cls.kind == name
        for field in spec.fields:
            assert field.name in spec.cls.__dataclass_fields__
            assert field.secret == (field.name in spec.secrets)


@pytest.mark.parametrize("cred", EXAMPLES, ids=lambda c: c.kind)
def test_resolve_prints_exactly_what_test_sends_with_the_secrets_masked(cred):
    url = "https://repo.example/channel/noarch/repodata.json"
    shown, sent = authorise(cred, url, reveal=mask), authorise(cred, url)
    printed = json.dumps([shown.url, shown.headers, shown.basic, shown.sigv4], ensure_ascii=False)
    on_the_wire = json.dumps([sent.url, sent.headers, sent.basic, sent.sigv4], ensure_ascii=False)
    for secret in all_secrets(cred):
        assert secret not in printed
        on_the_wire = on_the_wire.replace(secret, mask(secret))
    assert on_the_wire == printed
    # … and the probe puts that same description on the wire
    target, headers, auth = _authorise(cred, "GET", url, ProbeOptions())
    request = httpx.Request("GET", target, headers=headers)
    if auth is not None:
        request = next(auth.auth_flow(request))
    if sent.basic:
        expected = "Basic " + base64.b64encode(f"{sent.basic[0]}:{sent.basic[1]}".encode()).decode()
        assert request.headers["Authorization"] == expected
    elif sent.sigv4:
        assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/")
    else:
        assert str(request.url) == sent.url and request.headers.get("Authorization") == sent.headers.get(
            "Authorization"
        )


def test_the_cli_and_the_form_refuse_the_same_values(home):
    """Today's bug: `set` took an S3 access key id with spaces that the form refuses."""
    _cred, errors = build_credential("S3Credentials", {"access_key_id": "AK IA", "secret_access_key": "sk"})
    assert errors == {"access_key_id": "contains spaces"}
    err = io.StringIO()
    code = cli.main(
        ["set", "s3://bkt", "--kind", "s3", "--access-key-id", "AK IA", "--stdin"],
        io.StringIO(),
        err,
        io.StringIO("sk\n"),
    )
    assert code == 2 and "the access key id contains spaces" in err.getvalue()
    assert not (home / ".rattler/credentials.json").exists()


def test_cli_remove_names_the_same_successor_as_the_ui(home):
    path = home / ".rattler/credentials.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"repo.prefix.dev": {"BearerToken": "a"}, "*.prefix.dev": {"BearerToken": "b"}}))
    out = io.StringIO()
    assert cli.main(["remove", "repo.prefix.dev"], out, io.StringIO(), io.StringIO()) == 0
    assert "pixi now uses *.prefix.dev in credentials.json for repo.prefix.dev" in out.getvalue()
    assert json.loads(path.read_text()) == {"*.prefix.dev": {"BearerToken": "b"}}
