"""The CLI you can gate on, and that never crashes or leaks on bad input: `test` exit codes,
refused URLs, --demo offline, broken CA bundles, non-ASCII tokens, stdin line breaks, crashes."""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest
from pixi_auth_tui.cli import main as cli
from pixi_auth_tui.core.redact import HIDDEN

GOOD = "good-token"


def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err, stdin=io.StringIO(stdin))
    return code, out.getvalue(), err.getvalue()


def store(home: Path, entries: dict[str, object]) -> None:
    path = home / ".rattler" / "credentials.json"
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(json.dumps(entries))
    path.chmod(0o600)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_exit_code_is_zero_only_when_every_credential_was_accepted(home, http_server):
    store(home, {"127.0.0.1": {"BearerToken": GOOD}})
    url = f"{http_server.base}/private/noarch/repodata.json"
    assert run("test", "127.0.0.1", "--url", url, "--allow-http")[0] == 0
    # public: reachable without the credential, so nothing was verified
    assert run("test", "127.0.0.1", "--url", f"{http_server.base}/public/x", "--allow-http")[0] == cli.EXIT_UNVERIFIED
    # network error: nobody listens
    code, out, _ = run("test", "127.0.0.1", "--url", f"http://127.0.0.1:{closed_port()}/x", "--allow-http")
    assert code == cli.EXIT_UNVERIFIED and "NETWORK ERROR" in out
    # not sent: plain http without --allow-http
    assert run("test", "127.0.0.1", "--url", url)[0] == cli.EXIT_NOT_TESTED
    # not covered: the key does not cover the URL's host
    assert run("test", "127.0.0.1", "--url", "https://elsewhere.example/x")[0] == cli.EXIT_NOT_TESTED
    store(home, {"127.0.0.1": {"BearerToken": "revoked-token"}})
    assert run("test", "127.0.0.1", "--url", url, "--allow-http")[0] == cli.EXIT_REJECTED


def test_a_url_with_userinfo_or_a_bad_port_is_refused_with_the_reason(home, http_server):
    store(home, {"127.0.0.1": {"BearerToken": GOOD}})
    code, _, err = run("test", "127.0.0.1", "--url", f"http://me:pw@127.0.0.1:{http_server.port}/private/x")
    assert code == cli.EXIT_USAGE and "user name or password" in err and "rattler sends instead" in err
    code, _, err = run("test", "127.0.0.1", "--url", "https://127.0.0.1:99999/x")
    assert code == cli.EXIT_USAGE and err.count("\n") == 1 and "port" in err.lower()
    assert http_server.seen == []


def test_demo_never_contacts_any_host(home, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the demo tried to open a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    code, out, _ = run("--demo", "test", "--all")
    assert code == cli.EXIT_NOT_TESTED and "demo data: no request is sent" in out


def test_a_broken_ssl_cert_file_is_one_clear_line(home, monkeypatch):
    bundle = home / "broken.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    store(home, {"repo.example.com": {"BearerToken": GOOD}})
    code, _, err = run("test", "repo.example.com")
    assert code == cli.EXIT_FAILED
    assert err.startswith("pixi-auth-tui: cannot test: SSL_CERT_FILE=") and err.count("\n") == 1


@pytest.mark.parametrize("token", ["zq-secret\x01ctl", "zq-secret\x1bescape", "zq-secret\x7fdel"])
def test_a_token_no_header_can_carry_is_not_sent_and_not_echoed(home, http_server, token):
    store(home, {"127.0.0.1": {"BearerToken": token}})
    code, out, err = run("test", "127.0.0.1", "--url", f"{http_server.base}/private/x", "--allow-http")
    assert code == cli.EXIT_NOT_TESTED, err
    assert "no HTTP header may carry" in out and "zq-" not in out + err
    assert [s for s in http_server.seen if s.authorization and "Bearer" in s.authorization] == []


@pytest.mark.parametrize("token", ["zq-secret-nön-ascii", "zq-secret\x85next-line", "zq-secret\twith-tab"])
def test_a_token_rattler_sends_is_sent_the_same_way_and_not_echoed(home, http_server, token):
    """py-rattler sends a tab and non-ASCII in a header (as UTF-8 bytes; checked with
    fetch_repo_data against a local server): so does `test`, and it says what the server said."""
    store(home, {"127.0.0.1": {"BearerToken": token}})
    code, out, err = run("test", "127.0.0.1", "--url", f"{http_server.base}/private/x", "--allow-http")
    assert code == cli.EXIT_REJECTED, err
    assert "zq-" not in out + err
    sent = f"Bearer {token}".encode().decode("latin-1")  # how the server's http.server reads the bytes
    assert [s.authorization for s in http_server.seen if s.path == "/private/x" and s.authorization] == [sent]


@pytest.mark.parametrize("brk", ["\x85", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x0b", "\x0c", "\r"])
def test_a_secret_with_any_line_break_is_refused_not_truncated(home, brk):
    code, _, err = run("set", "repo.example.com", "--kind", "bearer", "--stdin", stdin=f"front-part{brk}back-part\n")
    assert code == cli.EXIT_USAGE and "Token contains" in err
    assert not (home / ".rattler" / "credentials.json").exists()
    assert "front-part" not in err and "back-part" not in err


def test_crlf_input_still_works(home):
    code, _, err = run("set", "repo.example.com", "--kind", "bearer", "--stdin", stdin="token-from-windows\r\n")
    assert code == 0, err
    assert json.loads((home / ".rattler" / "credentials.json").read_text()) == {
        "repo.example.com": {"BearerToken": "token-from-windows"}
    }


def test_text_output_escapes_control_characters_json_keeps_exact_values(home):
    hostile = "evil\x1b]8;;http://x\x07\u202etxt.example"
    store(home, {hostile: {"BasicHTTP": {"username": "u\x1b[2Jser", "password": "pw-123456"}}})
    _, out, _ = run("list")
    assert "\x1b" not in out and "\u202e" not in out
    assert "evil\\x1b]8;;http://x\\x07\\u202etxt.example" in out and "u\\x1b[2Jser" in out
    _, out, _ = run("list", "--json")
    assert any(entry["key"] == hostile for entry in json.loads(out)["entries"])
    _, out, _ = run("audit")
    assert "\x1b" not in out and "\u202e" not in out


def test_a_crash_prints_one_message_and_writes_a_redacted_report(home, monkeypatch, capsys):
    secret = "pfx_crash-secret-0123456789"
    store(home, {"repo.example.com": {"BearerToken": secret}})

    def explode(inv, args, out):
        token = inv.rows[0].entry.credential.token  # a local holding the secret
        raise RuntimeError(f"boom while handling {token}")

    monkeypatch.setattr("pixi_auth_tui.cli.listing.cmd_list", explode)
    monkeypatch.setattr("sys.argv", ["pixi-auth-tui", "list"])
    with pytest.raises(SystemExit) as exit_:
        cli.main_entry()
    assert exit_.value.code == 70
    captured = capsys.readouterr()
    assert secret not in captured.err + captured.out
    assert "internal error (RuntimeError: boom while handling <hidden>)" in captured.err
    (report,) = (home / ".local" / "state" / "pixi-auth-tui" / "crash-reports").iterdir()
    assert report.stat().st_mode & 0o777 == 0o600
    text = report.read_text()
    assert str(report) in captured.err and "Traceback" in text and "explode" in text
    assert secret not in text and HIDDEN in text


def test_s3_keys_are_signed_only_for_the_named_endpoint_never_for_a_who_am_i(home, http_server):
    store(
        home,
        {"s3://bucket": {"S3Credentials": {"access_key_id": "AKIA1", "secret_access_key": "s3-secret-abcdef"}}},
    )
    run("test", "s3://bucket", "--url", f"{http_server.base}/private/bucket/key", "--allow-http")
    signed = [seen.path for seen in http_server.seen if seen.authorization and "AWS4-HMAC-SHA256" in seen.authorization]
    assert signed == ["/private/bucket/key"]
    assert all(not seen.path.startswith("/api") for seen in http_server.seen)
