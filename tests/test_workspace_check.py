"""The workspace check, end to end: sample workspaces written here, real stores in the temporary
HOME, real servers on loopback addresses and a moto S3 server; the CLI as CI runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, S3Credentials
from pixi_auth_tui.probe.state import ProbeState
from pixi_auth_tui.system.manifest import apply_mirror, channel_url, find_manifest, read_manifest
from pixi_auth_tui.workspace.check import ProbePlan, collect_needs, report_json, run_check

from tests.conftest import NO_BUS, make_env
from tests.workspace_fixtures import (
    BASIC,
    MIRROR_TOKEN,
    Servers,
    start_servers,
    write_credentials,
    write_workspace,
)

SCHEMA = json.loads((Path(__file__).with_name("check.schema.json")).read_text())


@pytest.fixture(scope="module")
def servers() -> Servers:
    yield from start_servers()


def good_store(servers: Servers) -> dict:
    return {
        "127.0.0.1": BASIC,
        "mirrored.example": BearerToken("original-token-0123456789"),
        "s3://chan": servers.s3_key,
    }


def cli(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "DBUS_SESSION_BUS_ADDRESS": NO_BUS,
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "NO_PROXY": "*",
    }
    return subprocess.run(
        [sys.executable, "-m", "pixi_auth_tui", "check", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def findings_by_code(data: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for finding in data["findings"]:
        out.setdefault(finding["code"], []).append(finding)
    return out


# -- reading ------------------------------------------------------------------------------------


def test_manifest_features_environments_and_channel_names(tmp_path, servers):
    manifest = write_workspace(tmp_path / "ws", servers)
    nested = tmp_path / "ws" / "src" / "deep"
    nested.mkdir(parents=True)
    assert find_manifest(nested) == manifest  # found from a subfolder, upward
    ws = read_manifest(manifest)
    assert ws.environments == {
        "default": ["default"],
        "gpu": ["default", "gpu", "extra"],
        "cuda": ["mirrored"],
    }
    assert ws.features["default"].channels[0] == "conda-forge"
    assert ws.features["default"].channels[2] == f"{servers.main.base}/public"  # {channel = …} form
    assert ws.s3_options["chan"].force_path_style is True
    # Unknown or malformed content is reported, never fatal.
    assert any("feature.odd" in p and "channel" in p for p in ws.problems)
    assert any("feature.odd" in p and "unknown key 'surprise'" in p for p in ws.problems)
    assert len(ws.problems) == 2, ws.problems  # nothing else in the sample is flagged
    from rattler import Channel  # the reference for how a channel name becomes a URL

    for name in ("conda-forge", "my-org/label/dev", "https://repo.example.org/c", "s3://bucket/c/"):
        assert channel_url(name) == Channel(name).base_url, name
    assert channel_url("./local-channel") is None
    mirrors = {
        "https://conda.anaconda.org/": ["https://a.example/all/"],
        "https://conda.anaconda.org/cf/": ["https://b/"],
    }
    assert apply_mirror("https://conda.anaconda.org/cf/noarch/x", mirrors)[0] == "https://b/noarch/x"  # longest key
    assert apply_mirror("https://conda.anaconda.org/bio/x", mirrors)[0] == "https://a.example/all/bio/x"


def test_pyproject_tool_pixi_is_read(tmp_path):
    root = tmp_path / "py"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "p"\n[tool.pixi.workspace]\nchannels = ["https://repo.example.org/c"]\n'
        'platforms = ["linux-64"]\n[tool.pixi.feature.t.pypi-options]\nindex-url = "https://idx.example.org/simple"\n'
        '[tool.pixi.environments]\nt = ["t"]\n'
        '[tool.pixi.package.build]\nbackend = { name = "pixi-build-python", version = "*" }\n'
        'channels = ["https://prefix.dev/pixi-build-backends"]\n'
    )
    ws = read_manifest(find_manifest(root))
    assert ws.problems == []
    assert ws.build_channels == ["https://prefix.dev/pixi-build-backends"]
    needs = {n.url: n.what for n in collect_needs(ws)}
    assert needs["https://prefix.dev/pixi-build-backends/"] == "build backend channel"
    assert ws.features["default"].channels == ["https://repo.example.org/c"]
    assert ws.features["t"].pypi.index_url == "https://idx.example.org/simple"
    assert ws.environments["t"] == ["default", "t"]


# -- the whole check, through the CLI -------------------------------------------------------------


def test_check_finds_every_host_and_what_will_fail(home, tmp_path, servers):
    ws = tmp_path / "ws"
    write_workspace(ws, servers)
    write_credentials(home, good_store(servers))
    result = cli(home, "--json", "--test", "--allow-http", cwd=ws / ".pixi")  # found upward from a subfolder
    data = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    hosts = {h["host"]: h for h in data["hosts"]}
    assert set(hosts) == {
        "conda.anaconda.org",
        "127.0.0.1",
        "127.0.0.2",
        "127.0.0.3",
        "s3://chan",
    }, hosts.keys()
    main = hosts["127.0.0.1"]
    assert main["credential"]["key"] == "127.0.0.1" and main["credential"]["kind"] == "BasicHTTP"
    assert main["verdict"] == "accepted" and main["last_test"]["verdict"] == "accepted"
    whats = {u["what"] for u in main["urls"]}
    # the manifest's channel and index, and what pixi.lock fetched (read through py-rattler)
    assert {"conda channel", "PyPI index", "pixi.lock channel", "pixi.lock conda package"} <= whats
    assert any(u["url"].endswith("/old-channel/") for u in main["urls"])  # only in the lock
    assert hosts["s3://chan"]["verdict"] == "accepted", hosts["s3://chan"]
    assert hosts["s3://chan"]["credential"]["kind"] == "S3Credentials"
    assert hosts["127.0.0.3"]["verdict"] == "public" and hosts["127.0.0.3"]["anonymous"]["status"] == 200
    # The mirror: the original host's credential is not what reaches 127.0.0.2, which refuses.
    mirror = hosts["127.0.0.2"]
    assert mirror["urls"][0]["url"] == "http://mirrored.example/chan/"
    assert mirror["urls"][0]["requested"] == f"{servers.mirror.base}/mirror/"
    assert mirror["credential"] is None and mirror["verdict"] == "missing"
    codes = findings_by_code(data)
    assert codes["missing-credential"][0]["host"] == "127.0.0.2"
    assert codes["missing-credential"][0]["fails"] == "missing"
    assert "pixi-auth-tui set 127.0.0.2 --kind bearer" in codes["missing-credential"][0]["explanation"]
    assert {h["host"]: h["login_key"] for h in data["hosts"]}["conda.anaconda.org"] == "conda.anaconda.org"
    (bypass,) = codes["mirror-bypass"]
    assert bypass["host"] == "127.0.0.2" and "mirrored.example" in bypass["explanation"]
    assert {f["host"] for f in codes["plain-http"]} >= {"127.0.0.1", "127.0.0.2"}
    assert codes["manifest-problem"]
    assert "rejected" not in codes
    assert result.returncode == 8 and data["exit_code"] == 8
    text = cli(home, cwd=ws).stdout  # the summary counts in words: "5 hosts", never "host(s)"
    assert "\n5 hosts: 1 missing" in text and "(s)" not in text, text
    # no secret anywhere in the output
    for secret in (BASIC.password, servers.s3_key.secret_access_key, "original-token-0123456789"):
        assert secret not in result.stdout and secret not in result.stderr
    # the server saw the credential the check claims pixi sends
    assert any(auth and auth.startswith("Basic ") for path, auth in servers.main.seen if path.startswith("/private/"))

    # Fix the mirror's credential: nothing will fail now; warnings remain for --fail-on warning.
    write_credentials(home, {**good_store(servers), "127.0.0.2": MIRROR_TOKEN})
    fixed = cli(home, "--test", "--allow-http", "--workspace", str(ws))
    assert fixed.returncode == 0, fixed.stdout
    assert "127.0.0.2" in fixed.stdout and "ACCEPTED" in fixed.stdout
    assert cli(home, str(ws), "--fail-on", "warning").returncode == 5

    # A wrong password: rejected (exit 4), unless only missing credentials fail the job.
    write_credentials(home, {**good_store(servers), "127.0.0.2": MIRROR_TOKEN, "127.0.0.1": BasicHTTP("alice", "bad")})
    rejected = cli(home, "--json", "--test", "--allow-http", str(ws))
    data = json.loads(rejected.stdout)
    assert rejected.returncode == 4, data["findings"]
    assert findings_by_code(data)["rejected"][0]["host"] == "127.0.0.1"
    # Without --test, the last test is remembered: still rejected.
    assert cli(home, str(ws)).returncode == 4
    assert cli(home, str(ws), "--fail-on", "missing").returncode == 0


def rattler_as_pixi(home: Path, url: str, mirrors: dict[str, list[str]]) -> str:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "DBUS_SESSION_BUS_ADDRESS": NO_BUS,
        "XDG_CACHE_HOME": str(home / ".cache"),
        "NO_PROXY": "*",
    }
    script = Path(__file__).with_name("rattler_pixi_fetch.py")
    case = json.dumps({"url": url, "mirrors": mirrors})
    proc = subprocess.run([sys.executable, str(script), case], capture_output=True, text=True, env=env, timeout=120)
    assert proc.stdout.strip(), proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.rattler
def test_mirror_verdicts_agree_with_py_rattler(home, tmp_path, servers):
    """py-rattler, with pixi's middleware order, fails and succeeds exactly where the check says."""
    ws = tmp_path / "ws"
    write_workspace(ws, servers, lock=False)
    mirrors = {"http://mirrored.example/chan": [f"{servers.mirror.base}/mirror"]}
    write_credentials(home, good_store(servers))
    data = json.loads(cli(home, "--json", "--test", "--allow-http", str(ws)).stdout)
    assert {h["host"]: h["verdict"] for h in data["hosts"]}["127.0.0.2"] == "missing"
    refused = rattler_as_pixi(home, "http://mirrored.example/chan", mirrors)
    assert refused.startswith("ERR") and "401" in refused, refused
    write_credentials(home, {**good_store(servers), "127.0.0.2": MIRROR_TOKEN})
    data = json.loads(cli(home, "--json", "--test", "--allow-http", str(ws)).stdout)
    assert {h["host"]: h["verdict"] for h in data["hosts"]}["127.0.0.2"] == "accepted"
    assert rattler_as_pixi(home, "http://mirrored.example/chan", mirrors) == "OK"


def test_an_s3_bucket_without_a_stored_key(home, tmp_path, servers, monkeypatch):
    """rattler falls back to the AWS SDK's chain: missing (a failure) unless that chain is set up."""
    monkeypatch.setenv("NO_PROXY", "*")
    ws = tmp_path / "ws"
    write_workspace(ws, servers, lock=False)
    write_credentials(home, {**good_store(servers), "127.0.0.2": MIRROR_TOKEN, "s3://chan": BearerToken("x" * 20)})
    codes = findings_by_code(engine_check(home, ws))
    assert codes["s3-wrong-kind"][0]["fails"] == "missing"  # rattler: "… are not S3 credentials"
    del_s3 = {k: v for k, v in good_store(servers).items() if k != "s3://chan"}
    write_credentials(home, {**del_s3, "127.0.0.2": MIRROR_TOKEN})
    data = engine_check(home, ws, test=ProbePlan(allow_http=True))
    (missing,) = findings_by_code(data)["missing-credential"]
    assert missing["host"] == "s3://chan" and missing["fails"] == "missing" and "403" in missing["explanation"]
    data = engine_check(home, ws, AWS_ACCESS_KEY_ID="AKIAFROMENV")
    (missing,) = findings_by_code(data)["missing-credential"]
    assert missing["severity"] == "warning" and missing["fails"] is None and "AWS" in missing["title"]
    assert data["summary"]["missing"] == 0


def test_a_token_in_a_manifest_url_is_never_written_or_printed(home, tmp_path, servers, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "*")
    root = tmp_path / "t"
    root.mkdir()
    token = "manifest-token-0123456789"
    (root / "pixi.toml").write_text(
        f'[workspace]\nchannels = ["{servers.main.base}/t/{token}/private"]\nplatforms = []\n'
    )
    write_credentials(home, {"127.0.0.1": BASIC})
    data = engine_check(home, root, test=ProbePlan(allow_http=True))
    assert findings_by_code(data)["url-credentials"][0]["host"] == "127.0.0.1"
    assert data["hosts"][0]["last_test"] is not None  # it was tested
    state = home / ".local" / "state" / "pixi-auth-tui"
    for text in (json.dumps(data), (state / "state.json").read_text(), (state / "anonymous.json").read_text()):
        assert token not in text


def test_a_large_repodata_is_judged_by_its_status_never_downloaded(home, tmp_path, servers, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "*")
    root = tmp_path / "big"
    root.mkdir()
    (root / "pixi.toml").write_text(
        f'[workspace]\nchannels = ["{servers.main.base}/big", "conda-forge"]\nplatforms = []\n'
    )
    write_credentials(home, {"127.0.0.1": BASIC})
    servers.main.big_done.clear()
    servers.main.big_outcomes.clear()
    data = engine_check(home, root, test=ProbePlan(allow_http=True))
    verdicts = {h["host"]: h["verdict"] for h in data["hosts"]}
    assert verdicts == {"127.0.0.1": "accepted", "conda.anaconda.org": "public"}  # the public one is not asked
    assert servers.main.big_done.wait(60)  # the server finishes (or gives up) once the client has let go
    assert servers.main.big_outcomes == ["abandoned"]


def test_hostile_manifest_text_is_printed_inert(home, tmp_path):
    root = tmp_path / "h"
    root.mkdir()
    (root / "pixi.toml").write_text(
        '[workspace]\nchannels = ["https://repo.example.org/[red]x[/red]\\u001b[2J", "http://[::1", '
        '"http://h.example:99999/x", "https://", "https://u:p@[::1]:8/c"]\nplatforms = []\n'
    )
    out = cli(home, str(root))
    assert out.returncode == 0, out.stderr
    assert "\x1b" not in out.stdout and "[red]x[/red]" in out.stdout
    assert "Not a URL pixi can fetch: http://[::1/" in out.stdout and "[::1]" in out.stdout
    assert "u:p@" not in out.stdout


def test_no_workspace_and_usage(home, tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    out = cli(home, str(empty))
    assert out.returncode == 3 and "no pixi.toml" in out.stderr


# -- findings that need no network ----------------------------------------------------------------


def engine_check(home: Path, root: Path, *more: Path, test: ProbePlan | None = None, **extra: str) -> dict:
    env = make_env(home, XDG_STATE_HOME=str(home / ".local" / "state"), **extra)
    report = run_check([root, *more], env, ProbeState.default(env.env), test)
    data = report_json(report)
    jsonschema.validate({**data, "exit_code": 0}, SCHEMA)
    return data


def test_wildcards_pypi_without_credentials_s3_without_options_and_secrets_in_urls(home, tmp_path):
    root = tmp_path / "w"
    root.mkdir()
    (root / "pixi.toml").write_text(
        """
[workspace]
channels = ["https://conda.anaconda.org/t/xy-SECRET-TOKEN-42/private", "s3://nobucketopts/c",
            "https://user:hunter2-secret@files.corp.example.net/chan"]
platforms = ["linux-64"]
[pypi-options]
extra-index-urls = ["https://pypi.internal.example.com/simple"]
[pypi-dependencies]
x = "*"
"""
    )
    write_credentials(
        home,
        {
            "*.org": BearerToken("wild-org-token-0123456789"),  # covers pypi.org: over-broad
            "s3://nobucketopts": S3Credentials("AKIAEXAMPLE", "s3-secret-0123456789"),
        },
    )
    data = engine_check(home, root)
    codes = findings_by_code(data)
    broad = {f["host"] for f in codes["broad-wildcard"]}
    assert {"pypi.org", "conda.anaconda.org"} <= broad
    (pypi,) = [f for f in codes["pypi-no-credential"]]
    assert pypi["host"] == "pypi.internal.example.com" and pypi["severity"] == "warning"
    assert "keyring-provider is not set" in pypi["explanation"]
    assert codes["s3-no-options"][0]["host"] == "s3://nobucketopts"
    assert {f["host"] for f in codes["url-credentials"]} == {"conda.anaconda.org", "files.corp.example.net"}
    text = json.dumps(data)
    assert "xy-SECRET-TOKEN-42" not in text and "hunter2-secret" not in text
    corp = next(h for h in data["hosts"] if h["host"] == "files.corp.example.net")
    assert corp["credential"] is None and "written into the URL" in corp["request"]["note"]

    # keyring-provider = "subprocess" in the workspace config, but the index URL names no user:
    # uv never runs the keyring CLI then ("Skipping keyring fetch … without username").
    (root / ".pixi").mkdir()
    config = 'tls-no-verify = true\n[pypi-config]\nkeyring-provider = "subprocess"\nindex-url = "https://idx.example"\n'
    (root / ".pixi" / "config.toml").write_text(config)
    (home / ".config" / "pixi").mkdir(parents=True)
    (home / ".config" / "pixi" / "config.toml").write_text("mirrors = [broken")
    codes = findings_by_code(engine_check(home, root))
    assert codes["tls-no-verify"]
    assert "https://idx.example" in codes["pypi-config-unused"][0]["explanation"]  # only `pixi init` uses it
    assert "not valid TOML" in codes["config-problem"][0]["explanation"]
    assert {f["host"]: f["key"] for f in codes["untested"]} == {"pypi.org": "*.org", "conda.anaconda.org": "*.org"}
    assert codes["pypi-no-credential"][0]["severity"] == "warning"
    assert "the URL names no user" in codes["pypi-no-credential"][0]["explanation"]
    (no_user,) = codes["pypi-keyring-no-user"]
    assert no_user["severity"] == "warning" and no_user["host"] == "pypi.internal.example.com"
    assert "https://USER@pypi.internal.example.com/simple" in no_user["explanation"]


def test_several_workspaces_report_unused_credentials_and_a_broken_store(home, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root, url in ((a, "https://repo.a.example/c"), (b, "https://repo.b.example/c")):
        root.mkdir()
        (root / "pixi.toml").write_text(f'[workspace]\nchannels = ["{url}"]\nplatforms = ["linux-64"]\n')
    write_credentials(
        home,
        {
            "repo.a.example": BearerToken("a-token-0123456789"),
            "unused.example": BearerToken("u-token-0123456789"),
        },
    )
    data = engine_check(home, a, b)
    codes = findings_by_code(data)
    assert [f["key"] for f in codes["unused-credential"]] == ["unused.example"]
    verdicts = {h["host"]: h["verdict"] for h in data["hosts"]}
    assert verdicts == {"repo.a.example": "untested", "repo.b.example": "no credential"}
    # One bad entry breaks the file: pixi sends nothing, and the check says so (a failure).
    (home / ".rattler" / "credentials.json").write_text('{"x": {"BasicHttp": {"username": "u", "password": "p"}}}')
    data = engine_check(home, a)
    assert findings_by_code(data)["store-blocked"][0]["fails"] == "missing"
    assert [h["verdict"] for h in data["hosts"]] == ["blocked"]


def test_workspace_override_file_is_consulted(home, tmp_path):
    """The workspace's .pixi/config.toml may name its own authentication-override-file."""
    root = tmp_path / "o"
    (root / ".pixi").mkdir(parents=True)
    (root / "pixi.toml").write_text('[workspace]\nchannels = ["https://private.o.example/c"]\nplatforms = []\n')
    override = tmp_path / "override.json"
    override.write_text(json.dumps({"private.o.example": {"BearerToken": "override-token-0123456789"}}))
    (root / ".pixi" / "config.toml").write_text(f'authentication-override-file = "{override}"\n')
    data = engine_check(home, root)
    (host,) = data["hosts"]
    assert host["credential"]["store"] == "override" and host["credential"]["key"] == "private.o.example"
    other = tmp_path / "other"
    other.mkdir()
    (other / "pixi.toml").write_text("[workspace]\nchannels = []\nplatforms = []\n")
    data = engine_check(home, root, other)  # together with another workspace: said, not silently wrong
    assert any("override file was not applied" in f["title"] for f in data["findings"])
    assert data["hosts"][0]["credential"] is None


def test_a_missing_lock_reader_is_reported_not_fatal(home, tmp_path, monkeypatch):
    root = tmp_path / "l"
    root.mkdir()
    (root / "pixi.toml").write_text('[workspace]\nchannels = ["conda-forge"]\nplatforms = []\n')
    (root / "pixi.lock").write_text("version: 6\nenvironments: [not a mapping\n")
    codes = findings_by_code(engine_check(home, root))
    assert "cannot be read" in codes["lock-unread"][0]["explanation"]
    monkeypatch.setitem(sys.modules, "rattler", None)  # as if py-rattler were not installed
    codes = findings_by_code(engine_check(home, root))
    assert "py-rattler is not installed" in codes["lock-unread"][0]["explanation"]


def test_the_check_engine_loads_without_textual_or_the_network_stack():
    code = (
        "import sys, pixi_auth_tui.workspace.check, pixi_auth_tui.cli.check; "
        "print(sorted(m for m in ('textual', 'httpx', 'rattler') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
