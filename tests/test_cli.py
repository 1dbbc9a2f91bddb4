"""The command line as a script would use it: subprocesses, exit codes, no secret leaks."""

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import NO_BUS

SECRET = "pfx_SUPERSECRET0123456789abcdefXq7f"


def run(home, *args, stdin="", extra_env=None):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "DBUS_SESSION_BUS_ADDRESS": NO_BUS,
        "XDG_CONFIG_HOME": str(home / ".config"),
    }
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "pixi_auth_tui", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60
    )


def test_version_and_help(home):
    assert run(home, "--version").stdout.startswith("pixi-auth-tui ")
    out = run(home, "--help")
    assert out.returncode == 0 and "resolve" in out.stdout and "Exit codes" in out.stdout


def test_a_commands_help_and_errors_read_whole(home):
    """A command's arguments are added to its parser when the command is used (cli.main's
    CommandParser): its help, its nested commands' help and its usage errors still hold all of them."""
    helped = run(home, "set", "--help")
    assert helped.returncode == 0
    assert all(option in helped.stdout for option in ("--kind {basic,bearer,conda,s3}", "--stdin", "--store", "key"))
    nested = run(home, "ci", "setup", "--help")
    assert nested.returncode == 0 and "--dotenv FILE" in nested.stdout
    missing = run(home, "set")
    assert missing.returncode == 2
    assert (
        missing.stderr.splitlines()[-1] == "pixi-auth-tui set: error: the following arguments are required: key, --kind"
    )
    assert "[--stdin]" in missing.stderr  # the usage line above it names the command's own options
    wrong = run(home, "audit", "--fail-on", "never")
    assert wrong.returncode == 2 and "argument --fail-on: invalid choice: 'never'" in wrong.stderr


def test_set_list_resolve_remove(home):
    set_ = run(home, "set", "repo.example.com", "--kind", "bearer", "--stdin", stdin=SECRET + "\n")
    assert set_.returncode == 0, set_.stderr
    # the keychain is unavailable here, so rattler's fallback file is used
    assert "credentials.json" in set_.stdout
    stored = json.loads((home / ".rattler/credentials.json").read_text())
    assert stored == {"repo.example.com": {"BearerToken": SECRET}}

    listed = run(home, "list", "--json")
    assert listed.returncode == 0
    data = json.loads(listed.stdout)
    (entry,) = data["entries"]
    assert entry["key"] == "repo.example.com" and entry["status"] == "active" and entry["kind"] == "BearerToken"
    states = {s["id"]: s["state"] for s in data["stores"]}
    assert states["keychain"] == "unavailable" and states["credentials"] == "ok"
    assert SECRET not in listed.stdout and SECRET not in run(home, "list").stdout

    res = run(home, "resolve", "https://repo.example.com/chan/noarch/repodata.json", "--json")
    assert res.returncode == 0
    resolved = json.loads(res.stdout)
    assert resolved["match"]["key"] == "repo.example.com"
    assert resolved["request"]["headers"]["Authorization"] == "Bearer pfx_…Xq7f"
    assert SECRET not in res.stdout
    text = run(home, "resolve", "https://repo.example.com/x")
    assert "Bearer pfx_…Xq7f" in text.stdout

    none = run(home, "resolve", "https://elsewhere.example/x")
    assert none.returncode == 3 and "without credentials" in none.stdout

    rm = run(home, "remove", "repo.example.com")
    assert rm.returncode == 0 and "removed" in rm.stdout
    assert json.loads((home / ".rattler/credentials.json").read_text()) == {}
    assert run(home, "remove", "repo.example.com").returncode == 3


def test_basic_and_s3_read_all_secrets_from_stdin(home):
    r = run(home, "set", "files.example", "--kind", "basic", "--username", "al", "--stdin", stdin="pw-1\n")
    assert r.returncode == 0, r.stderr
    r = run(home, "set", "s3://bkt", "--kind", "s3", "--access-key-id", "AK", "--stdin", stdin="sk\nsess\n")
    assert r.returncode == 0, r.stderr
    stored = json.loads((home / ".rattler/credentials.json").read_text())
    assert stored["files.example"] == {"BasicHTTP": {"username": "al", "password": "pw-1"}}
    assert stored["s3://bkt"]["S3Credentials"]["session_token"] == "sess"


def test_rotate_reports_rotation(home):
    run(home, "set", "a.example", "--kind", "conda", "--stdin", stdin="old-token\n")
    r = run(home, "set", "a.example", "--kind", "conda", "--stdin", stdin="new-token\n")
    assert r.returncode == 0 and r.stdout.startswith("rotated")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["set", "a.example", "--kind", "bearer", "--stdin"], "\n", "Token is empty"),
        (["set", "a.example", "--kind", "bearer", "--stdin"], "x\x07y\n", "control character"),
        (["set", "a.example:443", "--kind", "bearer", "--stdin"], "t\n", "port"),
        (["set", "a.example", "--kind", "basic", "--stdin"], "t\n", "needs --username"),
        (["set", "a.example", "--kind", "bearer"], "", "no terminal"),
        (["resolve", "not a url"], "", "not a URL"),
    ],
)
def test_usage_errors_are_one_clear_line(home, args, stdin, message):
    r = run(home, *args, stdin=stdin)
    assert r.returncode == 2
    assert message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_secret_is_never_an_argument(home):
    # argparse has no option that could carry a secret
    r = run(home, "set", "a.example", "--kind", "bearer", "--token", SECRET)
    assert r.returncode == 2
    assert not (home / ".rattler/credentials.json").exists()


def test_suggests_pixi_login_normalisation_without_applying_it(home):
    r = run(home, "set", "prefix.dev", "--kind", "bearer", "--stdin", stdin="tok-123456789\n")
    assert r.returncode == 0 and "*.prefix.dev" in r.stderr
    assert "prefix.dev" in json.loads((home / ".rattler/credentials.json").read_text())


def test_store_errors_exit_1_and_leave_files(home):
    path = home / ".rattler/credentials.json"
    path.parent.mkdir()
    path.write_text("{broken")
    r = run(home, "set", "a.example", "--kind", "bearer", "--stdin", "--store", "credentials", stdin="tok\n")
    assert r.returncode == 1 and "malformed" in r.stderr
    assert path.read_text() == "{broken"


def test_remove_asks_which_store_when_ambiguous(home):
    (home / ".netrc").write_text("machine a.example login u password p\n")
    run(home, "set", "a.example", "--kind", "bearer", "--stdin", stdin="tok-abcdefgh\n")
    r = run(home, "remove", "a.example")
    assert r.returncode == 2 and "--store" in r.stderr
    r = run(home, "remove", "a.example", "--store", "credentials")
    assert r.returncode == 0 and "now uses the entry in netrc" in r.stdout
    r = run(home, "remove", "a.example", "--store", "netrc")
    assert r.returncode == 1 and "read-only" in r.stderr


def test_demo_list_works_without_touching_home(home):
    r = run(home, "--demo", "list", "--json")
    assert r.returncode == 0
    data = json.loads(r.stdout)
    assert {e["store"] for e in data["entries"]} >= {"keychain", "credentials", "netrc", "override"}
    assert list(home.iterdir()) == []


def test_test_command_exit_codes_and_state(home):
    from tests.servers import ScriptedServer, start_scripted_server

    state = ScriptedServer()
    server = start_scripted_server(state)
    try:
        env = {"XDG_STATE_HOME": str(home / "state")}
        run(home, "set", "127.0.0.1", "--kind", "bearer", "--stdin", stdin="good-token\n")
        url = f"{state.base}/private/noarch/repodata.json"
        refused = run(home, "test", "127.0.0.1", "--url", url, extra_env=env)
        # Not sent (plain http needs --allow-http): not a success either.
        assert refused.returncode == 7 and "NEEDS CONFIRMATION" in refused.stdout and state.seen == []
        ok = run(home, "test", "127.0.0.1", "--allow-http", "--json", extra_env=env)  # the URL was remembered
        assert ok.returncode == 0, ok.stderr
        (result,) = json.loads(ok.stdout)
        assert result["verdict"] == "accepted" and result["status"] == 200 and result["anonymous_status"] == 401
        run(home, "set", "127.0.0.1", "--kind", "bearer", "--stdin", stdin="revoked-token\n")
        bad = run(home, "test", "--all", "--allow-http", extra_env=env)
        assert bad.returncode == 4 and "REJECTED" in bad.stdout
        saved = (home / "state/pixi-auth-tui/state.json").read_text()
        assert "revoked-token" not in saved and "good-token" not in saved and url in saved
    finally:
        server.shutdown()
    assert run(home, "test", "nothing.example").returncode == 3
    assert run(home, "test").returncode == 2


def test_set_without_store_says_where_and_why_and_warns_about_plain_text(home, tmp_path):
    # No keychain here: pixi auth login would fall back to credentials.json, in plain text.
    result = run(home, "set", "a.example", "--kind", "bearer", "--stdin", stdin=SECRET + "\n")
    assert result.returncode == 0, result.stderr
    assert "store chosen: credentials.json, because the keychain is not usable" in result.stderr
    assert "warning:" in result.stderr and "PLAIN TEXT" in result.stderr and SECRET not in result.stderr
    # With RATTLER_AUTH_FILE set, that file is chosen (as `pixi auth login` does), with no warning.
    auth = tmp_path / "auth.json"
    result = run(
        home,
        "set",
        "b.example",
        "--kind",
        "bearer",
        "--stdin",
        stdin=SECRET + "\n",
        extra_env={"RATTLER_AUTH_FILE": str(auth)},
    )
    assert result.returncode == 0, result.stderr
    assert "because RATTLER_AUTH_FILE is set" in result.stderr and "warning" not in result.stderr
    assert json.loads(auth.read_text()) == {"b.example": {"BearerToken": SECRET}}
    # An explicit --store is the person's own choice: no explanation needed.
    result = run(home, "set", "c.example", "--kind", "bearer", "--stdin", "--store", "credentials", stdin="x\n")
    assert result.returncode == 0 and "store chosen" not in result.stderr


def test_cli_writes_apply_to_the_file_as_it_is_now(home):
    """`set`/`remove` re-read the file under the lock: another program's change in between is kept."""
    creds = home / ".rattler/credentials.json"
    creds.parent.mkdir()
    creds.write_text(json.dumps({"a.example": {"BearerToken": "a"}}))
    result = run(home, "set", "b.example", "--kind", "bearer", "--stdin", "--store", "credentials", stdin="b\n")
    assert result.returncode == 0, result.stderr
    assert set(json.loads(creds.read_text())) == {"a.example", "b.example"}


def test_workspace_config_names_the_override_file(home, tmp_path):
    ws = tmp_path / "ws"
    (ws / ".pixi").mkdir(parents=True)
    (ws / "pixi.toml").write_text('[workspace]\nname = "w"\n')
    override = tmp_path / "override.json"
    override.write_text(json.dumps({"ws.example": {"BearerToken": "w"}}))
    (ws / ".pixi/config.toml").write_text(f'authentication-override-file = "{override}"\n')
    listed = json.loads(run(home, "--workspace", str(ws), "list", "--json").stdout)
    assert listed["override_file"]["named_by"] == str(ws / ".pixi/config.toml")
    assert [e["store"] for e in listed["entries"]] == ["override"]
    # without --workspace (and not run inside it) the workspace config does not apply
    assert json.loads(run(home, "list", "--json").stdout)["entries"] == []
    bad = run(home, "--workspace", str(tmp_path), "list")
    assert bad.returncode == 2 and "not a pixi workspace" in bad.stderr


def test_resolve_and_test_say_url_credentials_are_sent_instead_of_any_store(home):
    creds = home / ".rattler/credentials.json"
    creds.parent.mkdir()
    creds.write_text(json.dumps({"a.example": {"BearerToken": "stored-token-0123"}}))
    res = run(home, "resolve", "https://user:pa%40ss@A.example/c", "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["url_credentials"] is True and data["match"] is None
    assert data["request"]["headers"]["Authorization"].startswith("Basic base64(user:")
    assert "pa@ss" not in res.stdout and "pa%40ss" not in res.stdout  # the URL's own password is masked too
    text = run(home, "resolve", "https://user:pass@a.example/c").stdout
    assert "consults no store" in text
    tested = run(home, "test", "a.example", "--url", "https://user:pass@a.example/c")
    assert tested.returncode == 2 and "instead of any stored credential" in tested.stderr


def test_resolve_promises_no_request_when_a_rejected_file_stops_pixi(home):
    """A file rattler rejects stops pixi before it picks a credential: resolve must not print a
    request with credentials, and exits 3 (nothing sent), in text and JSON alike."""
    auth = home / "auth.json"
    auth.write_text(json.dumps({"a.example": {"BasicHttp": {"username": "u", "password": "p"}}}))
    creds = home / ".rattler" / "credentials.json"
    creds.parent.mkdir()
    creds.write_text(json.dumps({"b.example": {"BearerToken": "tok-1234567890"}}))
    env = {"RATTLER_AUTH_FILE": str(auth)}
    text = run(home, "resolve", "https://b.example/x", extra_env=env)
    assert text.returncode == 3, text.stdout + text.stderr
    assert "Authorization" not in text.stdout
    assert "none with credentials" in text.stdout and "once the store below is fixed" in text.stdout
    data = json.loads(run(home, "resolve", "https://b.example/x", "--json", extra_env=env).stdout)
    assert data["blocked"] and data["match"]["key"] == "b.example"
    listed = run(home, "list", extra_env=env).stdout
    assert "(1 entry)" in listed and "1 entries" not in listed


def reference_table(headers, rows):
    """The table as first written (a ljust per cell, a printable check per cell): the reference."""
    from pixi_auth_tui.core.redact import plain

    if not all(cell.isprintable() for row in rows for cell in row):
        rows = [[plain(cell) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in [headers, *rows]
    )


cells = st.text(st.sampled_from("ab \u00a0\t\n\x1b\u202e\u2028é名\ud800"), max_size=5)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=5))
def test_the_table_is_padded_and_escaped_as_before(rows):
    import io

    from pixi_auth_tui.cli.listing import _table

    out = io.StringIO()
    _table(["KEY", "K", "NOTE"], rows, out)
    assert out.getvalue() == reference_table(["KEY", "K", "NOTE"], rows)


def write_many_tokens(home) -> None:
    """credentials.json with 3,000 bearer tokens: `list --json` of it is larger than a pipe's buffer."""
    body = ",".join(f'"h{i:05d}.example":{{"BearerToken":"tok-{i:010d}"}}' for i in range(3000))
    (home / ".rattler").mkdir(exist_ok=True)
    (home / ".rattler" / "credentials.json").write_text("{" + body + "}")


def test_a_reading_command_writes_all_its_output_before_the_process_ends(home):
    """What list/resolve/audit print is all out when the process ends, through a pipe larger
    than its buffer, and the same as the command writes in-process."""
    import io

    from pixi_auth_tui.cli import main as cli

    write_many_tokens(home)
    done = run(home, "list", "--json")
    assert done.returncode == 0, done.stderr
    env = {"HOME": str(home), "DBUS_SESSION_BUS_ADDRESS": NO_BUS, "XDG_CONFIG_HOME": str(home / ".config")}
    here = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert cli.main(["list", "--json"], out=here) == 0
    assert done.stdout == here.getvalue() and len(done.stdout) > 300_000
    missing = run(home, "resolve", "https://nothing.example/x")
    assert missing.returncode == cli.EXIT_NOT_FOUND and "Match:      none" in missing.stdout


def test_python_dash_m_is_guarded_as_the_installed_program(home):
    """`python -m pixi_auth_tui` crashes as the installed program does — a redacted message and a
    report, never Python's traceback quoting the secret — and ends quietly when its reader goes."""
    (home / ".rattler").mkdir()
    (home / ".rattler" / "credentials.json").write_text(json.dumps({"crash.example": {"BearerToken": SECRET}}))
    crash = (
        "import runpy, sys\n"
        "from pixi_auth_tui.cli import listing\n"
        "def explode(inv, args, out):\n"
        "    raise RuntimeError('forced failure with ' + inv.rows[0].entry.credential.token)\n"
        "listing.cmd_list = explode\n"
        "sys.argv = ['pixi-auth-tui', 'list']\n"
        "runpy.run_module('pixi_auth_tui', run_name='__main__')\n"
    )
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "DBUS_SESSION_BUS_ADDRESS": NO_BUS}
    done = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 70, done.stderr
    assert "Traceback" not in done.stderr and SECRET not in done.stderr + done.stdout
    assert done.stderr.startswith("pixi-auth-tui stopped because of an internal error (RuntimeError: forced failure")
    assert "forced failure with <hidden>" in done.stderr
    # a reader that stops early (`| head -1`): no traceback, no complaint
    write_many_tokens(home)
    reader = subprocess.Popen(
        [sys.executable, "-m", "pixi_auth_tui", "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.read(10)
    reader.stdout.close()  # the reader goes away with most of the output unread
    assert reader.stderr.read() == b"" and reader.wait(timeout=60) == 0


PARSER_LINES = [
    ["--help"],
    ["--version"],
    *([name, "--help"] for name in ("list", "resolve", "set", "test", "audit", "remove", "login", "refresh")),
    *([name, "--help"] for name in ("logout", "token", "check", "ci", "status")),
    ["ci", "setup", "--help"],
    ["ci", "teardown", "--help"],
    ["bogus"],
    ["list", "--bogus"],
    ["resolve"],
    ["resolve", "u", "--pypi", "--conda"],
    ["set", "k", "--kind", "zz"],
    ["audit", "--fail-on", "never"],
    ["ci"],
    ["ci", "setup", "--bogus"],
    ["status", "--bogus"],
    ["--workspace"],
    ["list", "--js", "--x"],
]


def parser_outputs(cli) -> list[tuple[object, str, str]]:
    outputs = []
    for argv in PARSER_LINES:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as stop:
            cli.build_parser().parse_args(argv)
        outputs.append((stop.value.code, out.getvalue(), err.getvalue()))
    return outputs


@pytest.mark.parametrize("columns", ["40", "80", "200"])
def test_parsers_built_when_used_read_as_parsers_built_at_once(columns: str, monkeypatch: pytest.MonkeyPatch):
    """A command's parser is built when it is used (cli.main's CommandParser): every help, usage
    and usage error reads exactly as with every parser built when the program's parser is."""
    from pixi_auth_tui.cli import main as cli

    monkeypatch.setenv("COLUMNS", columns)
    when_used = parser_outputs(cli)
    lazy_init = cli.CommandParser.__init__

    def built_at_once(self, *args, **kwargs):
        lazy_init(self, *args, **kwargs)
        self.build()

    monkeypatch.setattr(cli.CommandParser, "__init__", built_at_once)
    assert parser_outputs(cli) == when_used
    assert all(code in (0, 2) for code, _, _ in when_used)
