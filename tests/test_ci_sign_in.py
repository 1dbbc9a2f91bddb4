"""`check --test` on a runner signs in to prefix.dev as pixi does (rattler's challenge middleware
and trusted_publishing.rs): the challenge, the CI's OIDC ID token, `POST /api/oidc/mint_token`,
the request again with the minted token — against a real TLS server on 127.0.0.1 reached as
https://prefix.dev through a CONNECT proxy (trusted through SSL_CERT_FILE: a test CA), never
the network. The verdict says how far the sign-in got; both tokens are masked on GitHub."""

from __future__ import annotations

import io
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import trustme
from pixi_auth_tui.cli.main import main

from tests.servers import IdTokenEndpoint, PrefixDevStandIn, start_prefix_dev, start_tunnel_proxy
from tests.test_ci_check import ID_TOKEN, MANIFEST, REQUEST_TOKEN, SCHEMA

MINTED = "pfx-minted-0123456789abcdef"


@pytest.fixture(scope="module")
def prefix_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PrefixDevStandIn, IdTokenEndpoint, dict]]:
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("prefix.dev").configure_cert(context)
    state = PrefixDevStandIn(ID_TOKEN, MINTED)
    server = start_prefix_dev(state, context)
    _asked, proxy = start_tunnel_proxy({"prefix.dev:443": state.port})
    endpoint = IdTokenEndpoint(ID_TOKEN)
    env = {
        "SSL_CERT_FILE": str(ca_file),
        "HTTPS_PROXY": f"http://127.0.0.1:{proxy.server_address[1]}",
        "NO_PROXY": "127.0.0.1",
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{endpoint.base}/ok?api-version=2.0",
    }
    yield state, endpoint, env
    for stopping in (server, proxy, endpoint.server):
        stopping.shutdown()
        stopping.server_close()


@pytest.fixture
def job(home: Path, monkeypatch: pytest.MonkeyPatch, prefix_dev) -> tuple[PrefixDevStandIn, IdTokenEndpoint]:
    state, endpoint, env = prefix_dev
    root = home / "ws"
    root.mkdir()
    (root / "pixi.toml").write_text(MANIFEST)
    monkeypatch.chdir(root)
    for name in ("GITLAB_CI", "CI", "PREFIX_DEV_ID_TOKEN", "BUILDKITE", "CIRCLECI", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    state.seen.clear()
    state.mint_bodies.clear()
    state.mint_status, state.accepts_minted, state.minted = 200, True, MINTED
    state.challenge = 'Bearer realm="prefix.dev"'
    state.moved_to, state.minted_goes_to = "/", ""
    return state, endpoint


def check(*args: str) -> tuple[int, dict, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "--test", "--json", "--timeout", "10", *args], out=out, err=err)
    report = json.loads(out.getvalue())
    jsonschema.validate(report, SCHEMA)
    return code, report, out.getvalue(), err.getvalue()


def test_check_test_mints_a_token_and_tests_the_channel_with_it(job) -> None:
    state, endpoint = job
    code, report, out, err = check()
    (host,) = report["hosts"]
    tested = host["ci_sign_in_test"]
    assert (tested["outcome"], tested["id_token"], tested["minted"], tested["status"]) == ("accepted", True, True, 200)
    assert code == 0 and host["verdict"] == "ci sign-in", report["findings"]
    # As rattler does it: the ID token asked for audience prefix.dev, exchanged at the challenged
    # origin's mint endpoint as {"token": …}, the channel asked again with the minted token.
    assert endpoint.seen[-1][1]["audience"] == ["prefix.dev"]
    assert state.mint_bodies == [{"token": ID_TOKEN}]
    assert [s.authorization for s in state.seen if s.path.endswith("repodata.json")][-1] == f"Bearer {MINTED}"
    # Both tokens are masked on GitHub (stderr with --json: stdout stays JSON) and shown nowhere.
    assert f"::add-mask::{MINTED}" in err.splitlines() and f"::add-mask::{ID_TOKEN}" in err.splitlines()
    assert MINTED not in out and ID_TOKEN not in out and REQUEST_TOKEN not in out + err


def test_without_json_the_masks_come_before_any_other_output(job) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", "--test", "--timeout", "10"], out=out, err=err) == 0
    lines = out.getvalue().splitlines()
    masks = [line for line in lines if line.startswith("::add-mask::")]
    assert masks and lines[: len(masks)] == masks, lines[:5]
    said = "    CI sign-in, as pixi does it: accepted — minted a prefix.dev token; prefix.dev accepted it (HTTP 200)"
    assert said in lines
    assert MINTED not in "\n".join(lines[len(masks) :]) + err.getvalue()


@pytest.mark.parametrize(
    ("change", "outcome", "exit_code", "said"),
    [
        ({"mint_status": 403}, "mint-refused", 8, "HTTP 403"),
        ({"accepts_minted": False}, "rejected", 4, "refused it (HTTP 401)"),
        ({"challenge": 'Basic realm="x, Bearer"'}, "no-challenge", 8, "without a `WWW-Authenticate: Bearer`"),
        ({"minted": MINTED + "\n"}, "mint-unusable", 8, "line break"),
    ],
)
def test_each_way_the_sign_in_fails_is_said(job, change: dict, outcome: str, exit_code: int, said: str) -> None:
    state, _endpoint = job
    for name, value in change.items():
        setattr(state, name, value)
    code, report, out, _err = check()
    (host,) = report["hosts"]
    assert host["ci_sign_in_test"]["outcome"] == outcome, host["ci_sign_in_test"]
    failed = next(f for f in report["findings"] if f["code"] == "ci-sign-in-failed")
    assert said in failed["explanation"] and code == exit_code
    assert MINTED not in out


def test_a_channel_behind_a_redirect(job, home: Path) -> None:
    """pixi's client follows redirects below the middleware: the challenge is the last answer's,
    the mint is at the requested URL's origin, the token follows redirects within it only."""
    state, _endpoint = job
    (home / "ws" / "pixi.toml").write_text(MANIFEST.replace("/my-private", "/moved/my-private"))
    code, report, _out, _err = check()
    tested = report["hosts"][0]["ci_sign_in_test"]
    assert (tested["outcome"], code) == ("accepted", 0), tested
    assert [s.path for s in state.seen if s.authorization][-1] == "/my-private/noarch/repodata.json"
    # A redirect to another host: the token is not carried there, and the test says so.
    state.minted_goes_to = "https://elsewhere.example/my-private/noarch/repodata.json"
    code, report, out, _err = check()
    tested = report["hosts"][0]["ci_sign_in_test"]
    assert tested["outcome"] == "unverified" and "elsewhere.example, another host" in tested["message"]
    assert code == 6 and MINTED not in out  # (check's exit for a host that could not be judged)


def test_a_job_refused_its_id_token_never_reaches_the_mint(job, monkeypatch: pytest.MonkeyPatch) -> None:
    state, endpoint = job
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{endpoint.base}/deny?api-version=2.0")
    code, report, _out, _err = check()
    tested = report["hosts"][0]["ci_sign_in_test"]
    assert (tested["outcome"], tested["id_token"], tested["minted"]) == ("no-id-token", False, None)
    assert code == 8 and "HTTP 403" in tested["message"] and state.mint_bodies == []


# -- which CI, as ambient-id 0.0.11 (pixi 0.77's) sees it --------------------------------------

AGENTS = {
    # The agents themselves cannot run here: stand-ins that print the token only when asked
    # exactly as ambient-id 0.0.11 asks (its argv), otherwise fail as the real ones would.
    "buildkite": ("BUILDKITE", "buildkite-agent", "oidc request-token --audience prefix.dev"),
    "circleci": ("CIRCLECI", "circleci", 'run oidc get --root-issuer --claims {"aud":"prefix.dev"}'),
}


def agent_on_path(folder: Path, name: str, expected_args: str) -> None:
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(
        "#!/bin/sh\n"
        f"if [ \"$*\" = '{expected_args}' ]; then printf '%s\\n' '{ID_TOKEN}'; exit 0; fi\n"
        'echo "unexpected arguments: $*" >&2; exit 2\n'
    )
    script.chmod(0o755)


@pytest.mark.parametrize(
    ("env", "provider", "oidc"),
    [
        # The first detector whose variable is exactly "true" decides; its failure is final.
        ({"GITHUB_ACTIONS": "true", "GITLAB_CI": "true", "PREFIX_DEV_ID_TOKEN": ID_TOKEN}, "github", "no"),
        ({"GITHUB_ACTIONS": "True", "GITLAB_CI": "true", "PREFIX_DEV_ID_TOKEN": ID_TOKEN}, "gitlab", "yes"),
        ({"GITLAB_CI": "true", "BUILDKITE": "true"}, "gitlab", "no"),
        ({"BUILDKITE": "true", "CIRCLECI": "true", "PATH": "/nonexistent"}, "buildkite", "no"),
        ({"CIRCLECI": "true", "PATH": "/nonexistent"}, "circleci", "no"),
        # pixi 0.77's ambient-id has no Google Cloud detector: no sign-in there.
        ({"GOOGLE_SERVICE_ACCOUNT_NAME": "ci@project.iam.gserviceaccount.com", "CI": "true"}, "gcp", "no"),
        ({"CI": "true"}, "ci", "none"),
        ({}, None, "none"),
    ],
)
def test_the_ci_is_told_as_pixi_tells_it(env: dict, provider: str | None, oidc: str) -> None:
    from pixi_auth_tui.ci.detect import detect_ci

    ci = detect_ci(env)
    assert (ci.provider, ci.oidc) == (provider, oidc), ci.detail
    if provider in AGENTS:
        assert f"no `{AGENTS[provider][1]}` on PATH" in ci.detail


@pytest.mark.parametrize("provider", sorted(AGENTS))
def test_check_test_signs_in_through_the_agents_command(
    job, provider: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, _endpoint = job
    variable, command, args = AGENTS[provider]
    monkeypatch.delenv("GITHUB_ACTIONS")
    monkeypatch.setenv(variable, "true")
    agent_on_path(home / "bin", command, args)
    monkeypatch.setenv("PATH", f"{home / 'bin'}:{__import__('os').environ['PATH']}")
    code, report, out, err = check()
    tested = report["hosts"][0]["ci_sign_in_test"]
    assert report["ci"]["provider"] == provider and report["ci"]["oidc"] == "unknown"
    assert (tested["outcome"], tested["id_token"], tested["minted"]) == ("accepted", True, True), tested
    assert state.mint_bodies == [{"token": ID_TOKEN}] and code == 0  # stdout trimmed, as ambient-id does
    assert ID_TOKEN not in out + err and "::add-mask::" not in out + err  # masks are GitHub's
    # An agent that refuses: the sign-in fails with its exit status, and nothing is minted.
    agent_on_path(home / "bin", command, "something else")
    state.mint_bodies.clear()
    code, report, _out, _err = check()
    tested = report["hosts"][0]["ci_sign_in_test"]
    assert (tested["outcome"], code, state.mint_bodies) == ("no-id-token", 8, [])
    assert "exited with 2: unexpected arguments" in tested["message"]
