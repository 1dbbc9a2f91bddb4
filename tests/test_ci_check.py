"""`check` on a CI runner (issue 25, item 2): a prefix.dev channel with no stored credential is
signed in to with the job's OIDC identity (as pixi ≥ 0.71.1 does), or said to lack
`id-token: write`; GitHub annotations and a Markdown step summary."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import jsonschema
import pytest
from pixi_auth_tui.cli.main import main

MANIFEST = """[workspace]
name = "ci-demo"
platforms = ["linux-64"]
channels = ["https://prefix.dev/my-private"]
"""
REQUEST_TOKEN = "gh-request-token-0123456789"
ID_TOKEN = "eyJhbGciOiJub25lIn0.oidc-id-token-0123456789.c2ln"


@pytest.fixture
def workspace(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = home / "ws"
    root.mkdir()
    (root / "pixi.toml").write_text(MANIFEST)
    monkeypatch.chdir(root)
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "CI", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return root


def refused_earlier(home: Path) -> None:
    """What an earlier `check --test` recorded: prefix.dev answered 401 without a credential."""
    folder = home / ".local" / "state" / "pixi-auth-tui"
    folder.mkdir(parents=True, exist_ok=True)
    url = "https://prefix.dev/my-private/noarch/repodata.json"
    record = {"url": url, "status": 401, "message": "HTTP 401", "tested_at": time.time()}
    (folder / "anonymous.json").write_text(json.dumps({"prefix.dev": record}))


SCHEMA = json.loads((Path(__file__).with_name("check.schema.json")).read_text())


def check(*args: str) -> tuple[int, dict]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "--json", *args], out=out, err=err)
    report = json.loads(out.getvalue())
    jsonschema.validate(report, SCHEMA)
    return code, report


def codes(report: dict) -> set[str]:
    return {f["code"] for f in report["findings"]}


def test_a_refused_prefix_dev_channel_is_signed_in_to_on_github(
    workspace: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused_earlier(home)
    # Off CI: a private channel with no credential is missing (exit 8), as before.
    code, report = check()
    assert code == 8 and "missing-credential" in codes(report)
    # On GitHub Actions with `id-token: write`: pixi signs in, nothing is missing.
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/token?api-version=2.0")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", REQUEST_TOKEN)
    code, report = check()
    (host,) = report["hosts"]
    assert code == 0, report["findings"]
    assert host["verdict"] == "ci sign-in" and host["ci_sign_in"] == "yes"
    assert "ci-sign-in" in codes(report) and "missing-credential" not in codes(report)
    # Without the permission: missing, and the fix is named.
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL")
    code, report = check()
    missing = next(f for f in report["findings"] if f["code"] == "missing-credential")
    assert code == 8 and "id-token: write" in missing["explanation"]
    # GitLab: the PREFIX_DEV_ID_TOKEN variable decides.
    monkeypatch.delenv("GITHUB_ACTIONS")
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.setenv("PREFIX_DEV_ID_TOKEN", ID_TOKEN)
    code, report = check()
    assert code == 0 and report["hosts"][0]["verdict"] == "ci sign-in"


# `check --test` on a runner, signing in for real: tests/test_ci_sign_in.py.


def test_github_annotations_and_step_summary(workspace: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    refused_earlier(home)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    summary = home / "step_summary.md"
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "--annotations", "--step-summary", str(summary)], out=out, err=err)
    assert code == 8
    lines = out.getvalue().splitlines()
    error = next(line for line in lines if line.startswith("::error "))
    # The file relative to the checkout, the line naming the channel, the title's `:` escaped.
    assert error.startswith("::error file=pixi.toml,line=4,title=prefix.dev refuses anonymous access")
    assert "id-token: write" in error.split("::", 2)[2]
    text = summary.read_text()
    assert "### pixi-auth-tui check: ci-demo — failed (exit 8)" in text
    assert "| `prefix.dev` | missing | none |" in text
