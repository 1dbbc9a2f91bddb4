"""`ci setup` / `ci teardown` (issue 25, item 1): a job's secrets become the credentials pixi
reads, in a private file py-rattler reads back, with GitHub's masks before any other output."""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pixi_auth_tui.cli.main import main

from tests.oracle import Case, basic, run_oracle
from tests.uv_oracle import UvCase, case_env, credential_sent, run_uv, start_refusing_proxy

BEARER = "pfx_ci%bearer-0123456789"  # a `%`: GitHub unescapes %25 in a mask, so it must be escaped
CONDA = "ct-ci/conda-0123456789"  # a `/`: a URL path carries it percent-encoded
PASSWORD = "pw-ci-0123456789"
DOCUMENT = json.dumps({"*.prefix.dev": {"BearerToken": BEARER}, "conda.example.com": {"CondaToken": CONDA}})
SECRETS = (BEARER, CONDA, PASSWORD)


def job_env(tmp: Path, **extra: str) -> dict[str, str]:
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp / "home"),
        "XDG_STATE_HOME": str(tmp / "state"),
        "RUNNER_TEMP": str(runner_temp),
        "PIXI_AUTH_TUI_CREDENTIALS": DOCUMENT,
        "PIXI_AUTH_TUI_INDEX_HOST": "pypi.example.com",
        "PIXI_AUTH_TUI_INDEX_USERNAME": "ci-user",
        "PIXI_AUTH_TUI_INDEX_PASSWORD": PASSWORD,
        **extra,
    }


def run_cli(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pixi_auth_tui", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_github_masks_first_then_a_private_file_py_rattler_reads(tmp_path: Path) -> None:
    github_env = tmp_path / "github_env"
    github_env.write_text("EARLIER=1\n")
    env = job_env(tmp_path, GITHUB_ACTIONS="true", GITHUB_ENV=str(github_env))
    proc = run_cli(env, "ci", "setup", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    masks = [line for line in lines if line.startswith("::add-mask::")]
    # Every mask comes before any other line, and stderr says nothing.
    assert lines[: len(masks)] == masks and len(masks) >= 3
    assert proc.stderr == ""
    masked = {line[len("::add-mask::") :].replace("%25", "%") for line in masks}
    b64 = base64.b64encode(f"ci-user:{PASSWORD}".encode()).decode()
    assert {BEARER, CONDA, PASSWORD, b64, "ct-ci%2Fconda-0123456789"} <= masked
    assert "ci-user" not in masked and "BearerToken" not in masked  # names, not secrets
    # No secret anywhere but the masks and the private file.
    rest = "\n".join(lines[len(masks) :]) + github_env.read_text()
    assert not any(secret in rest for secret in (*SECRETS, b64))
    # $GITHUB_ENV: appended, pointing at a 0600 file in a 0700 folder under RUNNER_TEMP.
    assert github_env.read_text().startswith("EARLIER=1\nRATTLER_AUTH_FILE=")
    exported = dict(line.split("=", 1) for line in github_env.read_text().splitlines())
    auth_file = Path(exported["RATTLER_AUTH_FILE"])
    assert auth_file.parent.parent == tmp_path / "runner-temp"
    assert stat.S_IMODE(auth_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(auth_file.parent.stat().st_mode) == 0o700
    # rattler's own format: keys sorted, compact, no newline.
    assert auth_file.read_text() == json.dumps(
        {
            "*.prefix.dev": {"BearerToken": BEARER},
            "conda.example.com": {"CondaToken": CONDA},
            "pypi.example.com": {"BasicHTTP": {"username": "ci-user", "password": PASSWORD}},
        },
        separators=(",", ":"),
    )
    # The netrc for uv on its own: the exact host's user and password.
    netrc = Path(exported["NETRC"])
    assert netrc.read_text() == f"machine pypi.example.com login ci-user password {PASSWORD}\n"
    assert stat.S_IMODE(netrc.stat().st_mode) == 0o600
    # py-rattler, with only RATTLER_AUTH_FILE, sends each host its credential.
    home = tmp_path / "home"
    cases = [
        Case(home, "http://repo.prefix.dev/c1", {"RATTLER_AUTH_FILE": str(auth_file)}),
        Case(home, "http://conda.example.com/c2", {"RATTLER_AUTH_FILE": str(auth_file)}),
        Case(home, "http://pypi.example.com/c3", {"RATTLER_AUTH_FILE": str(auth_file)}),
    ]
    bearer, conda, user = run_oracle(cases)
    assert {r.authorization for r in bearer.requests} == {f"Bearer {BEARER}"}
    assert conda.requests and all(f"/t/{CONDA}/c2/" in r.url for r in conda.requests)
    assert {r.authorization for r in user.requests} == {basic("ci-user", PASSWORD)}
    # The real uv, run on its own with the exported NETRC, sends the index its user and password.
    recorder, proxy = start_refusing_proxy()
    try:
        uv_home = tmp_path / "uv-home"
        uv_home.mkdir()
        uv_env = case_env(uv_home, proxy.server_address[1], {"NETRC": str(netrc)})
        run_uv(UvCase("ci", "http://pypi.example.com/simple/", "pypi.example.com", uv_home, uv_env))
    finally:
        proxy.shutdown()
    assert credential_sent(recorder.sent("pypi.example.com")) == f"basic ci-user:{PASSWORD}"
    # Teardown, found through RATTLER_AUTH_FILE: the folder is gone; a second run is a no-op.
    env_after = {**env, **exported}
    proc = run_cli(env_after, "ci", "teardown", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not auth_file.parent.exists()
    again = run_cli(env_after, "ci", "teardown", cwd=tmp_path)
    assert again.returncode == 0 and "already gone" in again.stdout


def _run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    for name in [n for n in os.environ if n.startswith(("PIXI_AUTH_TUI_", "GITHUB_", "GITLAB", "RUNNER_"))]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name != "PATH":
            monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_elsewhere_export_lines_for_eval_and_a_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = job_env(tmp_path)
    (tmp_path / "home" / ".netrc").write_text("machine other.example login u password p\n")
    dotenv = tmp_path / "ci.env"
    code, out, err = _run(monkeypatch, env, "ci", "setup", "--dotenv", str(dotenv))
    assert code == 0, err
    # stdout is only what `eval` runs; a netrc of the machine's own is never hidden by NETRC.
    assert out.startswith("export RATTLER_AUTH_FILE=") and out.count("\n") == 1
    assert "~/.netrc" in err or ".netrc exists" in err
    shell = subprocess.run(["sh", "-c", out + 'printf %s "$RATTLER_AUTH_FILE"'], capture_output=True, text=True)
    assert Path(shell.stdout).is_file()
    assert dotenv.read_text() == f"RATTLER_AUTH_FILE={shell.stdout}\n"
    assert not any(secret in out + err for secret in SECRETS)


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (
            {
                "PIXI_AUTH_TUI_CREDENTIALS": json.dumps(
                    {"a.example": {"BasicHttp": {"username": "u", "password": "pw-0123456789"}}}
                )
            },
            "unknown variant 'BasicHttp'",
        ),
        ({"PIXI_AUTH_TUI_CREDENTIALS": '{"a.example": {"BearerToken": "pw-0123456789"'}, "not JSON rattler can read"),
        ({"PIXI_AUTH_TUI_X_TOKEN": "pw-0123456789"}, "PIXI_AUTH_TUI_X_HOST"),
        ({"PIXI_AUTH_TUI_X_HOST": "*.prefix.dev", "PIXI_AUTH_TUI_X_TOKEN": "pw-0123456789"}, "given twice"),
        ({"PIXI_AUTH_TUI_X_HOST": "a.example", "PIXI_AUTH_TUI_X_TOKEN": "pw-0123456789 "}, "trailing spaces"),
        ({"PIXI_AUTH_TUI_X_HOST": "a.example", "PIXI_AUTH_TUI_X_PASSWORD": "pw-0123456789"}, "Username is empty"),
    ],
)
def test_refused_credentials_write_nothing_and_show_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, str], said: str
) -> None:
    github_env = tmp_path / "github_env"
    env = {**job_env(tmp_path, GITHUB_ACTIONS="true", GITHUB_ENV=str(github_env)), **extra}
    code, out, err = _run(monkeypatch, env, "ci", "setup")
    assert code == 2 and said in err and "nothing was written" in err
    assert not list((tmp_path / "runner-temp").iterdir()) and not github_env.exists()
    # Only masks on stdout (one of them covering the secret, even in a document that is no JSON).
    assert "pw-0123456789" not in err and all(line.startswith("::add-mask::") for line in out.splitlines())
    assert any("pw-0123456789" in line for line in out.splitlines())


def test_nothing_to_set_up_and_foreign_files_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare = {"HOME": str(tmp_path), "RUNNER_TEMP": str(tmp_path)}
    code, _out, err = _run(monkeypatch, bare, "ci", "setup")
    assert code == 3 and "no credential in the environment" in err
    foreign = tmp_path / "mine.json"
    foreign.write_text("{}")
    # A file of the user's in RATTLER_AUTH_FILE: kept beside the job's (tests/test_ci_merge.py), never written.
    code, _out, err = _run(monkeypatch, {**job_env(tmp_path), "RATTLER_AUTH_FILE": str(foreign)}, "ci", "setup")
    assert code == 0 and "0 entries of" in err and foreign.read_text() == "{}"
    code, _out, err = _run(monkeypatch, {"RATTLER_AUTH_FILE": str(foreign)}, "ci", "teardown")
    assert code == 1 and "left alone" in err and foreign.exists()
