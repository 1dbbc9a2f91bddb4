"""Python keyring entries for PyPI indexes (issue 21): written by the REAL `keyring` command into
a private gnome-keyring, listed, added, rotated, removed and tested through our CLI, and read
back by the real `keyring get` exactly as uv runs it. A fake keyring PLUGIN (a backend module
with a `keyring.backends` entry point, found by keyring through PYTHONPATH as any installed
distribution is) stands in for token-minting plugins such as Google Artifact Registry's."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pixi_auth_tui.cli import main as cli
from pixi_auth_tui.pypi.keyring_entries import keyring_services, queries_for, service_problem, user_at_advice
from pixi_auth_tui.pypi.keyring_tool import parse_backends

from tests.servers import serve_in_background

VENV_BIN = str(Path(sys.executable).parent)  # holds the real `keyring` command (a dependency)
PLUGIN_PASSWORD = "minted-by-plugin-7c1d9e"


# -- the service names uv asks keyring about (no daemon needed) --------------------------------


def test_services_follow_uv_order():
    assert keyring_services("https://alice@Idx.Example/simple") == ["https://idx.example/simple", "idx.example"]
    assert keyring_services("http://u@127.0.0.1:8080/simple/") == [
        "http://127.0.0.1:8080/simple/",
        "127.0.0.1:8080",
        "http://127.0.0.1:8080",
    ]
    assert keyring_services("https://h.example:443/x") == ["https://h.example/x", "h.example"]  # default port dropped
    assert keyring_services("s3://bucket/x") == [] and keyring_services("not a url") == []


def test_only_urls_with_a_user_name_are_asked():
    queries = queries_for(["https://idx.example/simple", "https://bob:pw@b.example/s", "https://%40x@c.example/"])
    assert [(q.service, q.username) for q in queries] == [
        ("https://b.example/s", "bob"),
        ("b.example", "bob"),
        ("https://c.example/", "@x"),
        ("c.example", "@x"),
    ]
    assert all("pw" not in q.index_url for q in queries)


@pytest.mark.parametrize(
    ("service", "ok"),
    [
        ("https://idx.example/simple", True),
        ("idx.example", True),
        ("idx.example:8443", True),
        ("http://idx.example", True),
        ("IDX.example", False),  # uv asks the lower-case host
        ("https://u@idx.example/simple", False),
        ("idx.example/simple", False),
        ("", False),
        (" idx.example", False),
        ("idx.example\n", False),
        ("ftp://idx.example/", False),
    ],
)
def test_service_names(service, ok):
    assert (service_problem(service) is None) is ok


def test_user_name_advice_names_no_url_with_user_info():
    advice = user_at_advice("https://old@idx.example/simple", "oauth2accesstoken")
    assert advice == "put `oauth2accesstoken@` before the host in the index URL https://idx.example/simple"


def test_backends_list_is_parsed():
    text = (
        "keyring.backends.SecretService.Keyring (priority: 5)\nkeyrings.gauth.GooglePythonAuth (priority: 9)\nnoise\n"
    )
    backends = parse_backends(text)
    assert [(b.name, b.priority, b.is_plugin) for b in backends] == [
        ("keyring.backends.SecretService.Keyring", 5.0, False),
        ("keyrings.gauth.GooglePythonAuth", 9.0, True),
    ]


# -- with a real gnome-keyring and the real `keyring` command -----------------------------------


class IndexServer:
    """A PyPI index on 127.0.0.1 that answers 200 only to `user:password` as HTTP Basic."""

    def __init__(self) -> None:
        self.expect: tuple[str, str] | None = None
        self.seen: list[str | None] = []
        state = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization")
                state.seen.append(auth)
                good = state.expect and auth == "Basic " + base64.b64encode(":".join(state.expect).encode()).decode()
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        serve_in_background(self.server)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simple"


@pytest.fixture(scope="module")
def index_server() -> Iterator[IndexServer]:
    server = IndexServer()
    yield server
    server.server.shutdown()


@pytest.fixture
def pypi_env(keychain, keyring_daemon, home, tmp_path, monkeypatch) -> dict[str, str]:
    """A workspace with a PyPI index, the private keychain, and the real `keyring` on PATH."""
    wipe_python_keyring_items(keyring_daemon.address)
    monkeypatch.setenv("PATH", f"{VENV_BIN}{os.pathsep}/usr/bin:/bin")
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.delenv("PYTHONPATH", raising=False)
    return dict(os.environ)


def workspace(tmp_path: Path, monkeypatch, index_urls: list[str], provider: str | None = "subprocess") -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    extra = json.dumps(index_urls[1:])
    (root / "pixi.toml").write_text(
        '[workspace]\nname = "w"\nchannels = []\nplatforms = ["linux-64"]\n'
        f"[pypi-options]\nindex-url = {json.dumps(index_urls[0])}\nextra-index-urls = {extra}\n"
    )
    if provider:
        (root / ".pixi").mkdir()
        (root / ".pixi" / "config.toml").write_text(f'[pypi-config]\nkeyring-provider = "{provider}"\n')
    monkeypatch.chdir(root)
    return root


def wipe_python_keyring_items(address: str) -> None:
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    conn = open_dbus_connection(bus=address)
    try:
        for item in secretstorage.search_items(conn, {"application": "Python keyring library"}):
            item.delete()
    finally:
        conn.close()


def real_keyring(env: dict[str, str], *args: str, secret: str | None = None) -> subprocess.CompletedProcess[str]:
    """The `keyring` command, as a person (or uv) runs it."""
    return subprocess.run(
        ["keyring", *args], env=env, input=secret, capture_output=True, text=True, timeout=60, check=False
    )


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def listed(stdout: str) -> dict[tuple[str, str], str]:
    """(service, user) → status of every Python keyring row in `list --json`."""
    data = json.loads(stdout)
    return {
        (e["key"], e.get("username") or e.get("identity") or ""): e["status"]
        for e in data["entries"]
        if e["store"] == "keyring-pypi"
    }


@pytest.mark.keychain
def test_entries_written_by_the_real_keyring_are_listed(pypi_env, tmp_path, monkeypatch):
    workspace(tmp_path, monkeypatch, ["https://alice@idx.example/simple", "https://b.example/simple"])
    assert (
        real_keyring(pypi_env, "set", "https://idx.example/simple", "alice", secret="pw-alice-123456\n").returncode == 0
    )
    assert real_keyring(pypi_env, "set", "idx.example", "alice", secret="pw-host-123456\n").returncode == 0
    # A user name no index URL names: found through the Secret Service, and said why uv skips it.
    assert real_keyring(pypi_env, "set", "b.example", "carol", secret="pw-carol-123456\n").returncode == 0
    # Outside text is data: a user name with an escape sequence and markup is shown escaped.
    assert real_keyring(pypi_env, "set", "b.example", "[b]eve\x1b[2J", secret="pw-eve-123456\n").returncode == 0
    code, out, err = run("list")
    assert code == 0, err
    assert "\x1b" not in out and "[b]eve\\x1b[2J" in out
    assert "then uv's own chain" in out and "Python keyring" in out
    assert "pw-alice-123456" not in out and "pw-host-123456" not in out
    lines = {line.split()[0]: line for line in out.splitlines() if "Python keyring  " in line}
    assert " active " in lines["https://idx.example/simple"]
    assert " shadowed " in lines["idx.example"] and "asked before this one" in lines["idx.example"]
    carol = next(line for line in out.splitlines() if "carol" in line)
    assert " ignored " in carol and "put `carol@` before the host" in carol


@pytest.mark.keychain
def test_add_rotate_remove_read_back_by_keyring_as_uv_runs_it(pypi_env, tmp_path, monkeypatch):
    workspace(tmp_path, monkeypatch, ["https://idx.example/simple"])  # no user name yet
    service = "https://idx.example/simple"

    def set_alice(password: str) -> tuple[int, str, str]:
        return run(
            "set",
            service,
            "--kind",
            "basic",
            "--username",
            "alice",
            "--store",
            "keyring-pypi",
            "--stdin",
            stdin=f"{password}\n",
        )

    code, out, err = set_alice("first-pw-1234")
    assert code == 0, err
    assert out.startswith(f"added {service} for alice")
    # the user@ change uv needs, said plainly (in words: every output masks a URL's user info)
    assert "put `alice@` before the host in the index URL https://idx.example/simple" in err
    got = real_keyring(pypi_env, "get", service, "alice")
    assert (got.returncode, got.stdout) == (0, "first-pw-1234\n")
    code, out, err = set_alice("second-pw-5678")
    assert code == 0 and out.startswith(f"rotated {service} for alice"), (out, err)
    assert real_keyring(pypi_env, "get", service, "alice").stdout == "second-pw-5678\n"
    code, out, err = set_alice("second-pw-5678")
    assert code == 0 and out.startswith("Nothing changed"), (out, err)
    code, out, err = run("remove", service, "--store", "keyring-pypi", "--username", "alice")
    assert code == 0 and "removed" in out, err
    assert real_keyring(pypi_env, "get", service, "alice").returncode != 0
    code, out, _err = run("remove", service, "--store", "keyring-pypi", "--username", "alice")
    assert code == cli.EXIT_NOT_FOUND


@pytest.mark.keychain
def test_bad_input_is_one_line_and_stores_nothing(pypi_env, tmp_path, monkeypatch):
    workspace(tmp_path, monkeypatch, ["https://idx.example/simple"])
    code, _out, err = run(
        "set",
        "IDX.example/simple",
        "--kind",
        "basic",
        "--username",
        "a",
        "--store",
        "keyring-pypi",
        "--stdin",
        stdin="pw-123456\n",
    )
    assert code == cli.EXIT_USAGE and err.count("\n") == 1
    code, _out, err = run(
        "set", "idx.example", "--kind", "bearer", "--store", "keyring-pypi", "--stdin", stdin="tok-123456\n"
    )
    assert code == cli.EXIT_USAGE and "--kind basic" in err
    assert real_keyring(pypi_env, "get", "idx.example", "a").returncode != 0


@pytest.mark.keychain
def test_test_runs_keyring_get_as_uv_then_asks_the_index(pypi_env, tmp_path, monkeypatch, index_server):
    url = index_server.url
    workspace(tmp_path, monkeypatch, [url.replace("http://", "http://alice@")])
    host = f"127.0.0.1:{index_server.port}"
    assert real_keyring(pypi_env, "set", host, "alice", secret="index-pw-98765\n").returncode == 0
    index_server.expect = ("alice", "index-pw-98765")
    index_server.seen.clear()
    code, out, err = run("test", host, "--store", "keyring-pypi", "--allow-http", "--json")
    assert code == 0, (out, err)
    report = json.loads(out)
    # uv's calls, in uv's order, stopping at the first answer: the URL, then host:port.
    assert [c["args"][2] for c in report["calls"]] == [url, host]
    assert report["answered_by"] == host and report["result"]["verdict"] == "accepted"
    assert "index-pw-98765" not in out + err
    assert any(a and a.startswith("Basic ") for a in index_server.seen) and None in index_server.seen
    index_server.expect = ("alice", "another-password")
    code, out, _err = run("test", host, "--store", "keyring-pypi", "--allow-http")
    assert code == cli.EXIT_REJECTED and "REJECTED" in out


@pytest.mark.keychain
def test_without_keyring_on_path_nothing_is_tested(pypi_env, tmp_path, monkeypatch):
    workspace(tmp_path, monkeypatch, ["https://alice@idx.example/simple"])
    monkeypatch.setenv("PATH", "/nonexistent")
    code, out, _err = run("test", "https://idx.example/simple", "--store", "keyring-pypi")
    assert code == cli.EXIT_NOT_TESTED
    assert "no `keyring` command on PATH" in out
    # `list` says so too, where uv would run it (keyring-provider subprocess, a user in the URL)
    code, out, _err = run("list")
    assert code == 0 and "- no `keyring` command on PATH: uv cannot ask keyring" in out


# -- a fake token-minting plugin ------------------------------------------------------------------

PLUGIN = f'''
from keyring.backend import KeyringBackend
from keyring.errors import PasswordSetError, PasswordDeleteError


class MintingBackend(KeyringBackend):
    """Answers every request for the user `oauth2accesstoken` with a fresh token, as
    Google Artifact Registry's plugin does; stores nothing."""

    priority = 9

    def get_password(self, service, username):
        return "{PLUGIN_PASSWORD}" if username == "oauth2accesstoken" else None

    def set_password(self, service, username, password):
        raise PasswordSetError("this plugin mints tokens; it stores nothing")

    def delete_password(self, service, username):
        raise PasswordDeleteError("this plugin mints tokens; it stores nothing")
'''


def install_plugin(site: Path) -> None:
    """A distribution keyring discovers as it discovers any plugin: a module and a dist-info
    with a `keyring.backends` entry point, on the `keyring` program's Python path."""
    site.mkdir()
    (site / "fake_mint_keyring.py").write_text(PLUGIN)
    info = site / "fake_mint_keyring-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-mint-keyring\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[keyring.backends]\nfake-mint = fake_mint_keyring\n")


@pytest.mark.keychain
def test_a_plugin_is_detected_and_its_token_tested_as_uv_asks(pypi_env, tmp_path, monkeypatch, index_server):
    install_plugin(tmp_path / "site")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    url = index_server.url
    workspace(tmp_path, monkeypatch, [url.replace("http://", "http://oauth2accesstoken@")])
    backends = real_keyring(dict(os.environ), "--list-backends").stdout
    assert "fake_mint_keyring.MintingBackend (priority: 9)" in backends
    code, out, err = run("list", "--json")
    assert code == 0, err
    rows = [e for e in json.loads(out)["entries"] if e["store"] == "keyring-pypi"]
    assert len(rows) == 1 and rows[0]["key"] == url
    assert "may be supplied by plugin fake-mint-keyring at request time" in rows[0]["reason"]
    store = next(s for s in json.loads(out)["stores"] if s["id"] == "keyring-pypi")
    assert f"uv runs: `keyring` is {VENV_BIN}/keyring" in store["message"]
    assert "plugins: fake-mint-keyring" in store["message"]
    index_server.expect = ("oauth2accesstoken", PLUGIN_PASSWORD)
    code, out, err = run("test", url, "--store", "keyring-pypi", "--allow-http")
    assert code == 0, (out, err)
    assert "plugins: fake-mint-keyring" in out and "ACCEPTED" in out
    assert PLUGIN_PASSWORD not in out + err


@pytest.mark.keychain
def test_a_keychain_reached_only_through_xdg_runtime_dir_is_not_the_keyring_commands(
    pypi_env, keyring_daemon, tmp_path, monkeypatch
):
    """pixi's libdbus finds the keychain at $XDG_RUNTIME_DIR/bus when DBUS_SESSION_BUS_ADDRESS is
    unset; the `keyring` program uv runs does not (jeepney reads DBUS_SESSION_BUS_ADDRESS alone:
    the real command is asked here). The Python keyring store answers as that program does, and
    now says why and what to export (it said only "no keyring backend": failed before)."""
    workspace(tmp_path, monkeypatch, ["https://alice@idx.example/simple"])
    set_done = real_keyring(pypi_env, "set", "https://idx.example/simple", "alice", secret="pw-xdg-1234567\n")
    assert set_done.returncode == 0
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(keyring_daemon.run_dir))
    got = real_keyring(dict(os.environ), "get", "https://idx.example/simple", "alice")
    assert got.returncode != 0 and "pw-xdg" not in got.stdout  # what uv gets from it: nothing
    code, out, err = run("list", "--json")
    assert code == 0, err
    stores = {s["id"]: s for s in json.loads(out)["stores"]}
    assert stores["keychain"]["state"] == "ok"  # rattler's libdbus: the user bus
    python_keyring = stores["keyring-pypi"]
    assert python_keyring["state"] == "unavailable"
    assert f"export DBUS_SESSION_BUS_ADDRESS=unix:path={keyring_daemon.run_dir}/bus" in python_keyring["message"]
    code, out, _ = run("resolve", "https://alice@idx.example/simple", "--pypi", "--json")
    keyring_layer = next(layer for layer in json.loads(out)["layers"] if layer["layer"] == "keyring")
    assert keyring_layer["outcome"] == "nothing" and "pw-xdg" not in out
