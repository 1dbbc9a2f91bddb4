"""`status` (issue 25, item 4): per host the credential pixi sends, its kind, expiry and last
test, as scripts want it: --json and an exit code when one is expired or rejected."""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path

import pytest
from pixi_auth_tui.cli.main import main

from tests.servers import RepoServer


def jwt(exp: int) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'exp': exp})}.c2lnbmF0dXJl"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write_credentials(home: Path, doc: dict) -> None:
    folder = home / ".rattler"
    folder.mkdir(exist_ok=True)
    (folder / "credentials.json").write_text(json.dumps(doc))


def test_status_per_host_json_and_exit_codes(home: Path, server: RepoServer) -> None:
    expired = jwt(int(time.time()) - 3600)
    write_credentials(
        home,
        {
            "127.0.0.1": {"BearerToken": "wrong-token-0123456789"},
            "valid.example": {"BearerToken": "valid-token-0123456789"},
        },
    )
    # Nothing expired, nothing tested: exit 0, every key pixi uses listed.
    code, out, _ = run("status", "--json")
    said = json.loads(out)
    assert code == 0 and said["exit_code"] == 0
    assert [(h["host"], h["state"]) for h in said["hosts"]] == [
        ("127.0.0.1", "untested"),
        ("valid.example", "untested"),
    ]
    # A real test against a 127.0.0.1 server that refuses the token: status says rejected, exit 4.
    server.expect["chan"] = __import__("pixi_auth_tui.core.model", fromlist=["BearerToken"]).BearerToken(
        "right-0123456789"
    )
    test_code, _, _ = run("test", "127.0.0.1", "--url", server.url("chan") + "/noarch/repodata.json", "--allow-http")
    assert test_code == 4
    code, out, _ = run("status", "127.0.0.1", "--json")
    (host,) = json.loads(out)["hosts"]
    assert code == 4 and host["state"] == "rejected" and host["last_test"]["verdict"] == "rejected"
    assert host["credential"]["key"] == "127.0.0.1" and host["credential"]["kind"] == "BearerToken"
    # An expired JWT: exit 4, and the text names the expiry; no secret is printed.
    write_credentials(home, {"old.example": {"BearerToken": expired}})
    code, out, _ = run("status", "old.example")
    assert code == 4 and "expired" in out and "expires:" in out and expired not in out
    # A host with no credential: exit 3.
    code, out, _ = run("status", "nothing.example", "--json")
    assert code == 3 and json.loads(out)["hosts"][0]["state"] == "none"


@pytest.mark.parametrize(
    ("ci_env", "state", "code"),
    [
        (
            {
                "GITHUB_ACTIONS": "true",
                "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/t",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token-0123456789",
            },
            "ci-sign-in",
            0,
        ),
        ({"GITHUB_ACTIONS": "true"}, "none", 3),
        ({"GITLAB_CI": "true", "PREFIX_DEV_ID_TOKEN": "id-token-0123456789"}, "ci-sign-in", 0),
    ],
)
def test_status_of_prefix_dev_in_ci(
    home: Path, monkeypatch: pytest.MonkeyPatch, ci_env: dict[str, str], state: str, code: int
) -> None:
    for name, value in ci_env.items():
        monkeypatch.setenv(name, value)
    got, out, _ = run("status", "repo.prefix.dev", "--json")
    said = json.loads(out)
    assert (got, said["hosts"][0]["state"]) == (code, state)
    assert said["ci"]["provider"] in ("github", "gitlab")
    if state == "none":
        assert "id-token: write" in said["hosts"][0]["note"]
