"""The redaction scan: secrets of every kind in every store, every error path we can provoke
(network, TLS, timeout, redirect, malformed files, bad input, a forced crash in the CLI and in
the UI), then every output and every file the tool wrote is searched for any secret."""

from __future__ import annotations

import base64
import html
import io
import json
import socket
import ssl
import unicodedata
from pathlib import Path
from urllib.parse import unquote, unquote_plus

import pytest
import trustme
from pixi_auth_tui.cli import main as cli
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken, S3Credentials
from pixi_auth_tui.ui.app import AuthApp
from textual.app import App

from tests.conftest import make_env
from tests.servers import ScriptedServer, start_scripted_server

HOST = "127.0.0.1"


def secret(name: str) -> str:
    return f"zz{name}-Kq7vLEAK-{name[::-1]}-0123456789"


BEARER, CONDA, PASSWORD = secret("bearer"), secret("conda"), secret("password")
S3_SECRET, S3_SESSION = secret("s3secret"), secret("s3session")
OAUTH_ACCESS, OAUTH_REFRESH = secret("oauthaccess"), secret("oauthrefresh")
BARE, NETRC_PASSWORD, TYPO, MISSPELLED = secret("bare"), secret("netrc"), secret("typo"), secret("misspelled")
KEYCHAIN_BEARER, KEYCHAIN_BASIC = secret("kcbearer"), secret("kcbasic")
STDIN_SECRET = secret("stdin")
ALL = [
    BEARER,
    CONDA,
    PASSWORD,
    S3_SECRET,
    S3_SESSION,
    OAUTH_ACCESS,
    OAUTH_REFRESH,
    BARE,
    NETRC_PASSWORD,
    TYPO,
    MISSPELLED,
    KEYCHAIN_BEARER,
    KEYCHAIN_BASIC,
    STDIN_SECRET,
]


def leaks(text: str) -> list[str]:
    """Every secret (or a recognisable piece, or the basic-auth header form) found in `text`."""
    # Every reading of the text a person or a program could make: as written, upper or lower
    # case, percent-decoded (twice, + as a space), entities and JSON escapes undone.
    readings = {text.lower(), unquote(unquote(text)).lower(), unquote_plus(text).lower()}
    readings.add(html.unescape(text).replace("\\/", "/").lower())
    readings.add(unicodedata.normalize("NFC", text).lower())
    found = [
        s
        for s in ALL
        if any(s.lower() in r or (s.split("-")[0] + "-Kq7v").lower() in r for r in readings)
        or base64.b64encode(s.encode()).decode().rstrip("=") in text
    ]
    for user, password in (("alice", PASSWORD), ("kc-user", KEYCHAIN_BASIC), ("n", NETRC_PASSWORD)):
        if base64.b64encode(f"{user}:{password}".encode()).decode() in text:
            found.append(f"basic header of {user}")
    return found


def oauth_json(access: str, refresh: str | None) -> dict:
    return {
        "OAuth": {
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": 4102444800,
            "token_endpoint": "https://auth.example/token",
            "revocation_endpoint": None,
            "client_id": "rattler",
        }
    }


def write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    path.chmod(0o600)
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture
def servers():
    plain = ScriptedServer()
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(context)
    tls = ScriptedServer()
    running = [start_scripted_server(plain), start_scripted_server(tls, context)]
    yield plain, tls
    for server in running:
        server.shutdown()


def test_no_secret_leaves_through_any_output_or_file(home, keychain, keyring_daemon, servers, monkeypatch, capsys):
    plain, tls = servers
    # A redirect that carries the conda token in its target, to another host.
    plain.redirect_to = f"http://elsewhere.invalid/t/{CONDA}/channel"
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", keyring_daemon.address)
    auth_file = write(home / "auth.json", {HOST: {"BearerToken": BEARER}, "bare.example": BARE})
    override = write(home / "override.json", {HOST: {"CondaToken": CONDA}})
    write(home / ".config" / "pixi" / "config.toml", f'authentication-override-file = "{override}"\n')
    credentials = write(
        home / ".rattler" / "credentials.json",
        {
            HOST: {"BasicHTTP": {"username": "alice", "password": PASSWORD}},
            "s3://bucket": {
                "S3Credentials": {"access_key_id": "AKIA1", "secret_access_key": S3_SECRET, "session_token": S3_SESSION}
            },
            "localhost": oauth_json(OAUTH_ACCESS, OAUTH_REFRESH),
        },
    )
    misspelled = write(
        home / "misspelled.json", {"m.example": {"BasicHttp": {"username": "m", "password": MISSPELLED}}}
    )
    netrc = write(
        home / ".netrc", f"machine {HOST} login n password {NETRC_PASSWORD}\nmachine t.example pasword {TYPO}\n"
    )
    keychain.set("kc.example", BearerToken(KEYCHAIN_BEARER))
    keychain.set("kc2.example", BasicHTTP("kc-user", KEYCHAIN_BASIC))
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(auth_file))
    monkeypatch.setenv("NETRC", str(netrc))
    for cred in (BearerToken(BEARER), CondaToken(CONDA), S3Credentials("AKIA1", S3_SECRET, S3_SESSION)):
        assert cred  # every kind was created at least once in this process, as a loader would

    outputs: list[str] = []

    def run(*argv: str, stdin: str = "") -> int:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(list(argv), out=out, err=err, stdin=io.StringIO(stdin))
        outputs.append(f"{out.getvalue()}{err.getvalue()}")  # what the tool wrote, not the command line
        return code

    # Listing, resolving, auditing: every store, every kind.
    for argv in (["list"], ["list", "--json"], ["audit"], ["audit", "--json"]):
        run(*argv)
    for url in (f"http://{HOST}/x", "https://localhost/x", "s3://bucket/key", f"https://{HOST}/t/{CONDA}/c"):
        run("resolve", url)
        run("resolve", url, "--json")
    # Test connection through every error path, for the entries of every store.
    private, away = f"{plain.base}/private/x", f"{plain.base}/away/x"
    for store in ("auth-file", "override", "credentials", "netrc"):
        run("test", HOST, "--store", store, "--url", private, "--allow-http")
        run("test", HOST, "--store", store, "--url", away, "--allow-http", "--json")
        run("test", HOST, "--store", store, "--url", f"http://{HOST}:{closed_port()}/x", "--allow-http")
        run("test", HOST, "--store", store, "--url", f"{tls.base}/private/x")  # untrusted certificate
    run("test", HOST, "--store", "credentials", "--url", f"{plain.base}/slow/x", "--allow-http", "--timeout", "0.3")
    run("test", "s3://bucket", "--url", f"{plain.base}/private/x", "--allow-http")
    run("test", "localhost", "--url", f"http://localhost:{plain.port}/private/x", "--allow-http")
    run("test", "--all", "--allow-http")
    run("test", HOST, "--url", f"http://u:{PASSWORD}@{HOST}/x")  # userinfo: refused
    # Bad input: a secret with a line break, a secret on a form rattler cannot read.
    run("set", "new.example", "--kind", "bearer", "--stdin", stdin=f"{STDIN_SECRET}\u2028tail\n")
    run("set", "new.example", "--kind", "basic", "--username", "u", "--stdin", stdin=f" {STDIN_SECRET}\n")
    # Malformed files: a truncated credentials file, the misspelled one as RATTLER_AUTH_FILE.
    good = credentials.read_bytes()
    credentials.write_bytes(good[: good.index(PASSWORD.encode()) + 10])
    run("list")
    run("audit")
    credentials.write_bytes(good)
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(misspelled))
    run("list")
    run("audit", "--json")
    run("set", HOST, "--kind", "bearer", "--store", "auth-file", "--stdin", stdin=STDIN_SECRET + "\n")
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(auth_file))

    # A crash of the CLI, with a secret in a local variable and in the message.
    def explode(inv, args, out):
        token = next(r.entry.credential for r in inv.rows if r.key == "kc.example").token
        raise RuntimeError(f"forced CLI failure with {token}")

    monkeypatch.setattr("pixi_auth_tui.cli.listing.cmd_list", explode)
    monkeypatch.setattr("sys.argv", ["pixi-auth-tui", "list"])
    with pytest.raises(SystemExit):
        cli.main_entry()
    monkeypatch.undo()

    captured = capsys.readouterr()
    everything = "\n".join(outputs) + captured.out + captured.err
    assert "forced CLI failure with <hidden>" in everything
    assert "redirected away" in everything and "TLS ERROR" in everything and "TIMEOUT" in everything
    assert "NETWORK ERROR" in everything and "user name or password" in everything
    assert leaks(everything) == [], [line for line in everything.splitlines() if leaks(line)]

    # Every file the tool wrote (all but the stores themselves) holds no secret.
    stores = {auth_file, override, credentials, misspelled, netrc}
    written = [p for p in home.rglob("*") if p.is_file() and p not in stores]
    assert any(p.name == "state.json" for p in written) and any("crash-" in p.name for p in written)
    for path in written:
        assert leaks(path.read_text(errors="replace")) == [], path


async def test_no_secret_leaves_the_ui_even_when_it_crashes(home, monkeypatch, capsys):
    write(
        home / ".rattler" / "credentials.json",
        {
            "a.example": {"BearerToken": BEARER},
            "b.example": {"BasicHTTP": {"username": "alice", "password": PASSWORD}},
            "c.example": oauth_json(OAUTH_ACCESS, OAUTH_REFRESH),
            "d.example": BARE,
        },
    )
    write(home / ".netrc", f"machine t.example pasword {TYPO}\n")
    app = AuthApp(make_env(home, XDG_STATE_HOME=str(home / ".local/state")))
    shown: list[str] = []
    textual_notify = App.notify

    def recording_notify(self, message, **kwargs):  # what reaches Textual, after our gate
        shown.append(message)
        return textual_notify(self, message, **kwargs)

    monkeypatch.setattr(App, "notify", recording_notify)

    def explode(self):  # a forced failure on the event loop, with a secret in a local and the message
        password = next(r.entry.credential.password for r in self.main.inventory.rows if r.key == "b.example")
        raise RuntimeError(f"forced UI failure with {password} and {base64.b64encode(password.encode())}")

    monkeypatch.setattr(AuthApp, "action_help", explode)
    with pytest.raises(Exception, match="forced UI failure"):
        async with app.run_test(size=(160, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            for _ in range(4):
                await pilot.press("down", "c", "t")  # copy and test notify; nothing may leak into them
                await app.workers.wait_for_complete()
                await pilot.pause()
                shown.append(app.query_one("#detail").render().plain)
            await pilot.press("a")
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("escape", "question_mark")
    captured = capsys.readouterr()
    exit_text = "".join(str(r) for r in app._exit_renderables)
    report = app.crash_report.read_text()
    assert "forced UI failure with <hidden>" in report
    assert leaks("\n".join(shown) + exit_text + captured.out + captured.err + report) == []
    for path in home.rglob("*"):
        if path.is_file() and path.name not in ("credentials.json", ".netrc"):
            assert leaks(path.read_text(errors="replace")) == [], path
