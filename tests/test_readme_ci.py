"""README "In CI" (issue 25, item 5): the GitHub Actions and GitLab CI examples, run step by
step with each CI's variables set — the `pixi-auth-tui` steps as written, `pixi install` stood in
for by py-rattler reading the credentials the steps left, a fake id-token endpoint on 127.0.0.1,
prefix.dev's mint and channel on a TLS server on 127.0.0.1 and a proxy that reaches only it, so
`check --test` signs in for real and never leaves the machine."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme
import yaml

from tests.oracle import Case, basic, run_oracle
from tests.servers import IdTokenEndpoint, PrefixDevStandIn, start_prefix_dev, start_tunnel_proxy

README = Path(__file__).resolve().parent.parent / "README.md"
MANIFEST = """[workspace]
name = "readme-ci"
platforms = ["linux-64"]
channels = ["https://prefix.dev/my-private", "https://conda.corp.example/internal"]

[pypi-options]
index-url = "https://pypi.corp.example/simple"
"""
SECRETS = {
    "PIXI_CREDENTIALS": json.dumps({"conda.corp.example": {"BearerToken": "conda-readme-0123456789"}}),
    "CORP_PYPI_PASSWORD": "corp-readme-0123456789",
}
ID_TOKEN = "eyJhbGciOiJub25lIn0.readme-oidc-0123456789.c2ln"


def ci_examples() -> tuple[dict, dict]:
    section = README.read_text().split("## In CI", 1)[1].split("\n## ", 1)[0]
    github, gitlab = re.findall(r"```yaml\n(.*?)```", section, re.S)
    return yaml.safe_load(github), yaml.safe_load(gitlab)


@pytest.fixture
def job(tmp_path: Path):
    """A checkout with the workspace, a runner temp dir, the id-token endpoint, prefix.dev (a TLS
    server on 127.0.0.1 that mints tokens) and a proxy that reaches it and refuses every other host."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "pixi.toml").write_text(MANIFEST)
    (tmp_path / "runner-temp").mkdir()
    endpoint = IdTokenEndpoint(ID_TOKEN)
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("prefix.dev").configure_cert(context)
    prefix_dev = start_prefix_dev(PrefixDevStandIn(ID_TOKEN, "pfx-readme-minted-0123456789"), context)
    _asked, proxy = start_tunnel_proxy({"prefix.dev:443": prefix_dev.server_address[1]})
    base = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/pixi-auth-tui-tests-have-no-session-bus",
        "HTTPS_PROXY": f"http://127.0.0.1:{proxy.server_address[1]}",
        "NO_PROXY": "127.0.0.1",
        "SSL_CERT_FILE": str(tmp_path / "ca.pem"),
        "CI": "true",
    }
    yield checkout, base, endpoint
    for server in (endpoint.server, proxy, prefix_dev):
        server.shutdown()
        server.server_close()


def _secrets(value: str) -> str:
    return re.sub(r"\$\{\{ secrets\.(\w+) \}\}", lambda m: SECRETS[m.group(1)], value)


def _ours(command: str) -> bool:
    return command.startswith(("pixi-auth-tui", 'eval "$(pixi-auth-tui'))


def rattler_sends(tmp: Path, auth_file: str) -> tuple[list, list]:
    """What `pixi install` would send (py-rattler, with the job's RATTLER_AUTH_FILE)."""
    home = tmp / "oracle-home"
    home.mkdir(exist_ok=True)
    conda, pypi = run_oracle(
        [
            Case(home, "http://conda.corp.example/c1", {"RATTLER_AUTH_FILE": auth_file}),
            Case(home, "http://pypi.corp.example/c2", {"RATTLER_AUTH_FILE": auth_file}),
        ]
    )
    return [r.authorization for r in conda.requests], [r.authorization for r in pypi.requests]


def test_github_actions_example(job, tmp_path: Path) -> None:
    checkout, base, endpoint = job
    github, _ = ci_examples()
    (_name, spec), *_ = github["jobs"].items()
    assert spec["permissions"]["id-token"] == "write"
    env_file, summary = tmp_path / "github_env", tmp_path / "step_summary.md"
    env_file.touch()
    env = {
        **base,
        "GITHUB_ACTIONS": "true",
        "GITHUB_ENV": str(env_file),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(tmp_path / "runner-temp"),
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{endpoint.base}/ok?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh-request-readme-0123456789",
    }
    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    ran = []
    for step in spec["steps"]:
        command = step.get("run", "")
        # The runner reads $GITHUB_ENV between steps.
        env.update(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
        if command == "pixi install":
            conda, pypi = rattler_sends(tmp_path, env["RATTLER_AUTH_FILE"])
            assert set(conda) == {"Bearer conda-readme-0123456789"}
            assert set(pypi) == {basic("ci", SECRETS["CORP_PYPI_PASSWORD"])}
            continue
        if not _ours(command):
            continue
        step_env = {**env, **{k: _secrets(str(v)) for k, v in step.get("env", {}).items()}}
        proc = subprocess.run(["sh", "-c", command], env=step_env, cwd=checkout, capture_output=True, text=True)
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
        outputs.setdefault(" ".join(command.split()[1:3]), proc)
        ran.append(command)
    assert [c.split()[1] for c in ran] == ["ci", "check", "ci"]
    assert outputs["ci setup"].stdout.startswith("::add-mask::")
    check = next(proc for command, proc in outputs.items() if command.startswith("check"))
    notice = next(line for line in check.stdout.splitlines() if line.startswith("::notice "))
    assert "signs in to prefix.dev with GitHub Actions's OIDC identity (tested)" in notice
    # The tokens the sign-in obtained were masked before any other line.
    assert check.stdout.startswith("::add-mask::") and "::add-mask::pfx-readme-minted-0123456789" in check.stdout
    assert endpoint.seen and endpoint.seen[0][1]["audience"] == ["prefix.dev"]
    assert "| `prefix.dev` | ci sign-in | the CI's OIDC identity |" in summary.read_text()
    # Teardown (if: always()) removed the file; no secret reached the summary or the env file.
    assert not Path(env["RATTLER_AUTH_FILE"]).exists()
    written = summary.read_text() + env_file.read_text() + check.stdout + check.stderr
    masks = "".join(line for line in check.stdout.splitlines(keepends=True) if line.startswith("::add-mask::"))
    written = written.replace(masks, "")
    secrets = ("conda-readme-0123456789", "corp-readme-0123456789", ID_TOKEN, "pfx-readme-minted-0123456789")
    assert not any(secret in written for secret in secrets)


def test_gitlab_ci_example(job, tmp_path: Path) -> None:
    checkout, base, _endpoint = job
    _, gitlab = ci_examples()
    (_name, spec), *_ = gitlab.items()
    assert spec["id_tokens"] == {"PREFIX_DEV_ID_TOKEN": {"aud": "prefix.dev"}}
    env = {
        **base,
        "GITLAB_CI": "true",
        "PREFIX_DEV_ID_TOKEN": ID_TOKEN,
        "TMPDIR": str(tmp_path / "runner-temp"),
        "PIXI_AUTH_TUI_CREDENTIALS": json.dumps(
            {
                "conda.corp.example": {"BearerToken": "conda-readme-0123456789"},
                "pypi.corp.example": {"BasicHTTP": {"username": "ci", "password": SECRETS["CORP_PYPI_PASSWORD"]}},
            }
        ),
    }
    # The job's script runs in one shell: `eval` exports RATTLER_AUTH_FILE for the lines after it.
    lines = []
    for command in spec["script"]:
        if command == "pixi install":
            lines.append('printf "%s\\n" "$RATTLER_AUTH_FILE" > seen-auth-file')
        elif _ours(command):
            lines.append(command + " || exit $?")
    proc = subprocess.run(["sh", "-c", "\n".join(lines)], env=env, cwd=checkout, capture_output=True, text=True)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    auth_file = (checkout / "seen-auth-file").read_text().strip()
    assert auth_file.startswith(str(tmp_path / "runner-temp"))
    assert not Path(auth_file).exists()  # torn down at the end of the script
    assert "| `prefix.dev` | ci sign-in |" in (checkout / "check.md").read_text()
    assert "conda-readme-0123456789" not in proc.stdout + proc.stderr
