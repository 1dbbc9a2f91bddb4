"""`ci setup` with RATTLER_AUTH_FILE already set to a file of the user's (issue 25): the job's
credentials are added to that file's entries — in ci setup's own private copy, so the user's file
is never written — without losing any; a key in both is said in one line; py-rattler reads the
result. A file rattler rejects cannot be merged, and nothing is written."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from pixi_auth_tui.cli.main import main

from tests.oracle import Case, basic, run_oracle

THEIRS = {
    "theirs.example": {"BasicHTTP": {"username": "them", "password": "their-pw-0123456789"}},
    "shared.example": {"BearerToken": "their-shared-0123456789"},
    "s3://their-bucket": {"S3Credentials": {"access_key_id": "AKIA0123", "secret_access_key": "s3-secret-0123456789"}},
}
JOB = {
    "job.example": {"BearerToken": "job-token-0123456789"},
    "shared.example": {"BearerToken": "job-shared-0123456789"},
}


def run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    for name in ("GITHUB_ACTIONS", "GITHUB_ENV", "CI", "RATTLER_AUTH_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_ci_setup_merges_the_users_auth_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    theirs = tmp_path / "their-auth.json"
    original = json.dumps(THEIRS, indent=2).encode()
    theirs.write_bytes(original)
    github_env = tmp_path / "github_env"
    github_env.touch()
    runner = tmp_path / "runner-temp"
    runner.mkdir()
    env = {
        "RATTLER_AUTH_FILE": str(theirs),
        "PIXI_AUTH_TUI_CREDENTIALS": json.dumps(JOB),
        "RUNNER_TEMP": str(runner),
        "GITHUB_ACTIONS": "true",
        "GITHUB_ENV": str(github_env),
    }
    code, out, err = run(monkeypatch, env, "ci", "setup")
    assert code == 0, err
    exported = dict(line.split("=", 1) for line in github_env.read_text().splitlines())
    merged = Path(exported["RATTLER_AUTH_FILE"])
    assert merged.parent.parent == runner and theirs.read_bytes() == original  # theirs is never written
    # Every entry of theirs is kept, the job's added; the one key in both is said in one line.
    assert set(json.loads(merged.read_text())) == {*THEIRS, *JOB}
    conflict = [line for line in out.splitlines() if line.startswith("note:") and "shared.example" in line]
    assert len(conflict) == 1 and "the job's credential is used" in conflict[0], out
    assert "their-shared" not in out + err and "job-shared" not in out.replace("::add-mask::job-shared", "")
    # py-rattler (pixi) with the new RATTLER_AUTH_FILE: each host gets what it should.
    oracle_home = tmp_path / "oracle"
    oracle_home.mkdir()
    with_merged = {"RATTLER_AUTH_FILE": str(merged)}
    outcomes = run_oracle(
        [
            Case(oracle_home, "http://theirs.example/c1", with_merged),
            Case(oracle_home, "http://job.example/c2", with_merged),
            Case(oracle_home, "http://shared.example/c3", with_merged),
        ]
    )
    sent = [{r.authorization for r in outcome.requests} for outcome in outcomes]
    assert sent == [
        {basic("them", "their-pw-0123456789")},
        {"Bearer job-token-0123456789"},
        {"Bearer job-shared-0123456789"},
    ]
    # Teardown removes only the copy, and later steps get the user's file back.
    code, out, err = run(monkeypatch, {**env, "RATTLER_AUTH_FILE": str(merged)}, "ci", "teardown")
    assert code == 0, err
    assert not merged.exists() and theirs.read_bytes() == original
    assert github_env.read_text().splitlines()[-1] == f"RATTLER_AUTH_FILE={theirs}"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            '{"a.example": {"BasicHttp": {"username": "u", "password": "p"}}}',
            "rattler rejects the whole file because of 1 entry (a.example: spelled `BasicHttp`",
        ),
        ("{not json", "not a file rattler reads"),
    ],
)
def test_a_file_rattler_rejects_is_not_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, said: str
) -> None:
    theirs = tmp_path / "their-auth.json"
    theirs.write_text(content)
    runner = tmp_path / "runner-temp"
    runner.mkdir()
    env = {"RATTLER_AUTH_FILE": str(theirs), "PIXI_AUTH_TUI_CREDENTIALS": json.dumps(JOB), "RUNNER_TEMP": str(runner)}
    code, out, err = run(monkeypatch, env, "ci", "setup")
    assert code == 1 and said in err and "nothing was written" in err and out == ""
    assert list(runner.iterdir()) == [] and theirs.read_text() == content
