"""The command line's PyPI half: `resolve --pypi`, `set/remove --store uv`, `test URL --pypi`
(real files in the temporary HOME, a real HTTP server on 127.0.0.1, the real uv)."""

from __future__ import annotations

import base64
import io
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pixi_auth_tui.cli.main import main

from tests.servers import serve_in_background
from tests.test_pypi_stores import uv, uv_file


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def test_resolve_pypi_text_json_and_exit_codes(home: Path) -> None:
    (home / ".netrc").write_text("# uv reads past this comment\ndefault login d password default-secret-1\n")
    code, out, _ = run("resolve", "https://idx.example.com/simple", "--pypi", "--project", "pip")
    assert code == 0
    assert "GET https://idx.example.com/simple/pip/" in out and "netrc (as uv reads it)" in out
    assert "after the server refuses" in out and "default-secret-1" not in out
    code, out, _ = run("resolve", "https://bob@other.example.com/simple", "--pypi", "--json")
    said = json.loads(out)
    assert code == 3 and said["layer"] == "url" and said["authorization"] == "Basic base64(bob:)"
    assert [layer["outcome"] for layer in said["layers"]] == [
        "not consulted",
        "user name",
        "nothing",  # the default entry's login is d, not bob
        "nothing",
        "not consulted",
    ]
    code, _out, err = run("resolve", "not a url", "--pypi")
    assert code == 2 and "not a URL" in err


def test_resolve_answers_a_workspace_index_as_uv_sends_it(home: Path, tmp_path: Path, monkeypatch) -> None:
    """Without --pypi, a URL under one of the workspace's PyPI indexes is answered with uv's
    chain, for the index as the workspace writes it (its `alice@` included); other URLs, and
    --conda, keep rattler's lookup."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pixi.toml").write_text(
        '[workspace]\nname = "w"\nchannels = []\nplatforms = ["linux-64"]\n'
        '[pypi-options]\nindex-url = "https://alice@idx.example.com/simple"\n'
    )
    (home / ".netrc").write_text("machine idx.example.com login alice password netrc-pw-123456\n")
    monkeypatch.chdir(root)
    code, out, _ = run("resolve", "https://idx.example.com/simple/numpy/", "--json")
    said = json.loads(out)
    assert code == 0 and said["layer"] == "netrc" and said["username"] == "alice"
    assert said["request_url"] == "https://idx.example.com/simple/numpy/" and said["when"] == "first request"
    assert "a PyPI index of this workspace" in said["notes"][0]
    for argv in (("https://idx.example.com/elsewhere",), ("https://idx.example.com/simple", "--conda")):
        code, out, _ = run("resolve", *argv, "--json")
        assert code == 0 and json.loads(out)["match"]["store"] == "netrc"  # rattler's answer, not uv's
    with pytest.raises(SystemExit) as usage:
        run("resolve", "https://idx.example.com/simple", "--pypi", "--conda")
    assert usage.value.code == 2


def test_set_and_remove_store_uv_write_what_uv_writes(home: Path, tmp_path: Path) -> None:
    code, out, _ = run(
        "set", "https://idx.example.com/simple", "--kind", "basic", "--username", "alice", "--store", "uv", "--stdin",
        stdin="pa'ss\"word\n",
    )  # fmt: skip
    assert code == 0 and out.startswith("Added alice@https://idx.example.com/")
    assert "stored under https://idx.example.com/" in out
    ours = uv_file(home)
    theirs = tmp_path / "theirs"
    assert uv(theirs, "login", "https://idx.example.com/simple", "--username", "alice", "--password", "pa'ss\"word")
    assert ours.read_bytes() == uv_file(theirs).read_bytes()
    # a token goes in as uv auth login --token stores it
    code, out, _ = run(
        "set", "tok.example.com", "--kind", "bearer", "--store", "uv", "--stdin", stdin="tok-0123456789\n"
    )
    assert code == 0 and "__token__" in out and 'username = "__token__"' in ours.read_text()
    # the same checks as every other store, in the same words
    code, _, err = run(
        "set", "x.example.com", "--kind", "basic", "--username", "u", "--store", "uv", "--stdin", stdin="a\x01b\n"
    )
    assert code == 2 and "nothing" not in ours.read_text()
    code, _, err = run("set", "x.example.com", "--kind", "conda", "--store", "uv", "--stdin", stdin="t0123456789\n")
    assert code == 2 and "user name and password" in err
    code, _, err = run(
        "set",
        "http://x.example.com/simple",
        "--kind",
        "basic",
        "--username",
        "u",
        "--store",
        "uv",
        "--stdin",
        stdin="p\n",
    )
    assert code == 2 and "HTTPS is required" in err
    # uv reads what we wrote: `uv auth logout` removes it; ours removes uv's
    assert uv(home, "logout", "tok.example.com").returncode == 0
    code, out, _ = run("remove", "https://idx.example.com/simple", "--store", "uv", "--username", "alice")
    assert code == 0 and ours.read_text() == "credential = []\n"
    code, out, _ = run("remove", "https://idx.example.com/simple", "--store", "uv", "--username", "alice")
    assert code == 3 and "is not stored" in out


@pytest.fixture
def index_server():
    """A PyPI simple index on 127.0.0.1 that answers only alice:right-password."""
    good = "Basic " + base64.b64encode(b"alice:right-password").decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            ok = self.headers.get("Authorization") == good
            body = b"<html><body><a href='/simple/pip/'>pip</a></body></html>" if ok else b""
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    serve_in_background(server)
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()


def test_test_pypi_asks_the_index_as_uv_does(home: Path, index_server: str, monkeypatch) -> None:
    monkeypatch.setenv("NO_PROXY", "*")
    code, out, _ = run("test", index_server, "--pypi", "--allow-http")
    assert code == 7 and "NOT TESTED" in out  # nothing anywhere: nothing to test
    (home / ".netrc").write_text("machine 127.0.0.1 login alice password wrong-password\n")
    code, out, _ = run("test", index_server, "--pypi", "--allow-http")
    assert code == 4 and "REJECTED" in out and "netrc" in out
    # a `default` entry: rattler never uses it, uv does
    (home / ".netrc").write_text("default login alice password right-password\n")
    code, out, _ = run("test", index_server, "--pypi", "--allow-http", "--json")
    said = json.loads(out)
    assert code == 0 and said["verdict"] == "accepted" and said["anonymous_status"] == 401
    assert said["layer"] == "netrc" and said["url"].endswith("/simple/") and "right-password" not in out
    code, out, _ = run("test", index_server, "--pypi")
    assert code == 7 and "http" in out.lower()  # plain http needs --allow-http, as for conda hosts


def test_test_store_uv_and_netrc_uv_ask_the_index_as_uv_sends_the_entry(
    home: Path, tmp_path: Path, index_server: str, monkeypatch
) -> None:
    """`test KEY --store uv|netrc-uv`: one entry of uv's own stores, sent to the workspace's
    index it serves (entries written by the real `uv auth login`)."""
    for user, password in (("alice", "right-password"), ("bob", "wrong-password")):
        assert uv(home, "login", index_server, "--username", user, "--password", password).returncode == 0
    (home / ".netrc").write_text("machine 127.0.0.1 login alice password right-password\n")
    root = tmp_path / "ws"
    root.mkdir()
    (root / "pixi.toml").write_text(
        '[workspace]\nname = "w"\nchannels = []\nplatforms = ["linux-64"]\n'
        f'[pypi-options]\nindex-url = "{index_server}"\n'
    )
    monkeypatch.chdir(root)
    service = index_server.removesuffix("simple")  # where uv auth login stored it
    code, out, _ = run("test", service, "--store", "uv")
    assert code == 2 and "choose one with --username" in out + _
    code, out, _ = run("test", index_server, "--store", "uv", "--username", "alice", "--allow-http", "--json")
    said = json.loads(out)
    assert code == 0 and said["verdict"] == "accepted" and said["url"].startswith(index_server), said
    code, out, _ = run("test", service, "--store", "uv", "--username", "bob", "--allow-http")
    assert code == 4 and "REJECTED" in out and "wrong-password" not in out
    code, out, _ = run("test", service, "--store", "uv", "--username", "alice")
    assert code == 7  # plain http only with --allow-http, as for every test
    code, out, _ = run("test", "127.0.0.1", "--store", "netrc-uv", "--allow-http")
    assert code == 0 and "ACCEPTED" in out
    code, out, _ = run("test", "nope.example", "--store", "uv")
    assert code == 3


BEARER_AND_TOKEN = (
    '[[credential]]\nservice = "https://idx3.example.com/"\nscheme = "bearer"\ntoken = "bearer-tok-123456"\n\n'
    '[[credential]]\nservice = "https://idx3.example.com/"\nusername = "__token__"\nscheme = "basic"\n'
    'password = "basic-tok-654321"\n'
)


def test_remove_takes_out_a_bearer_entry_through_the_one_delete(home: Path, tmp_path: Path) -> None:
    """uv reads `scheme = "bearer"` entries (its `login --token` writes user `__token__`, scheme
    basic: a bearer entry is written by hand or another tool). `remove --store uv` said it was not
    stored (failed before). Now the CLI and the UI's `d` share operations.delete_entry: without
    --username the `__token__` entry goes first, byte for byte as `uv auth logout` leaves the file,
    then the bearer one (which `uv auth logout` cannot remove at all)."""
    from pixi_auth_tui.engine.inventory import load_inventory
    from pixi_auth_tui.engine.operations import delete_entry

    from tests.conftest import make_env

    path, theirs = uv_file(home), uv_file(tmp_path / "theirs")
    for file in (path, theirs):
        file.parent.mkdir(parents=True)
        file.write_text(BEARER_AND_TOKEN)
    assert uv(tmp_path / "theirs", "logout", "https://idx3.example.com/simple").returncode == 0
    code, out, err = run("remove", "https://idx3.example.com/simple", "--store", "uv")
    assert code == 0, err
    assert path.read_bytes() == theirs.read_bytes() and "bearer-tok" in path.read_text()
    assert uv(tmp_path / "theirs", "logout", "https://idx3.example.com/simple").returncode != 0  # uv: stuck
    code, out, err = run("remove", "https://idx3.example.com/simple", "--store", "uv")
    assert code == 0 and path.read_text() == "credential = []\n", (out, err)
    code, out, _ = run("remove", "https://idx3.example.com/simple", "--store", "uv")
    assert code == 3 and "is not stored" in out
    # the UI's `d` on the bearer row, beside a __token__ entry: the one delete takes the bearer one
    path.write_text(BEARER_AND_TOKEN)
    inventory = load_inventory(make_env(home, XDG_DATA_HOME=str(home / ".local/share")), pypi=True)
    bearer = next(r for r in inventory.rows if r.store.id == "uv" and r.entry.item_ref is None)
    delete_entry(inventory, bearer)
    assert "bearer-tok" not in path.read_text() and "basic-tok-654321" in path.read_text()
