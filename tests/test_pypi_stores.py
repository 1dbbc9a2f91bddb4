"""uv's credentials.toml written by the real `uv auth login` and by us, byte for byte; ours read
back by the real uv; netrc parsed as uv's parser does (the oracle in test_pypi_oracle.py checks
what uv then sends)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pixi_auth_tui.pypi import uv_netrc, uv_store

from tests.uv_oracle import UV, UvCase, case_env, credential_sent, run_uv, start_refusing_proxy

PASSWORDS = [
    "plain-password",
    's3"cr et',  # a double quote: literal string
    "it's",  # a single quote: basic string
    "a\"'b",  # both: multi-line basic string
    "back\\slash",  # a backslash: literal
    "tab\there",  # a tab: escaped in basic strings
    "back\\slash'quote",  # backslash and single quote: multi-line literal
    'q"""x\'',  # three double quotes and a single quote
    "ünïcödé-密码",
    "a\x7fb",  # DEL: escaped
]


def uv_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "UV_NO_CONFIG": "1",
    }


def uv(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(UV), "auth", *args], capture_output=True, text=True, env=uv_env(home), timeout=60, check=False
    )


def uv_file(home: Path) -> Path:
    return home / ".local" / "share" / "uv" / "credentials" / "credentials.toml"


@pytest.mark.parametrize("password", PASSWORDS)
def test_we_write_what_uv_auth_login_writes(tmp_path: Path, password: str) -> None:
    theirs, ours = tmp_path / "theirs", tmp_path / "ours"
    done = uv(theirs, "login", "https://idx.example.com/simple", "--username", "u'ser", "--password", password)
    assert done.returncode == 0, done.stderr
    env = {"HOME": str(ours), "XDG_DATA_HOME": str(ours / ".local" / "share")}
    path = uv_store.credentials_path(env, ours)
    assert path == uv_file(ours)
    outcome = uv_store.save(path, "https://idx.example.com/simple", "u'ser", password)
    assert outcome.changed and outcome.message.startswith("Added")
    assert path.read_bytes() == uv_file(theirs).read_bytes()
    # and we read uv's file as uv does
    (entry,) = uv_store.read(uv_file(theirs)).entries
    assert (entry.service.href, entry.username, entry.password) == ("https://idx.example.com/", "u'ser", password)


def test_rotate_remove_and_several_entries_match_uv(tmp_path: Path) -> None:
    theirs, ours = tmp_path / "theirs", tmp_path / "ours"
    path = uv_store.credentials_path({"HOME": str(ours), "XDG_DATA_HOME": str(ours / ".local/share")}, ours)
    steps = [
        ("login", "https://a.example.com/simple", "alice", "one"),
        ("login", "a.example.com", "alice", "two"),  # a bare host is https://host/: rotates alice
        ("login", "https://b.example.com/+simple/", "bob", "three"),
        ("login", "http://localhost:8080/simple", "carol", "four"),
    ]
    for _verb, service, user, password in steps:
        assert uv(theirs, "login", service, "--username", user, "--password", password).returncode == 0
        uv_store.save(path, service, user, password)
    # uv writes entries in hash order; ours keep the file's order: same entries, and our
    # rendering of uv's entries in uv's order is uv's file exactly.
    mine, uvs = uv_store.read(path).entries, uv_store.read(uv_file(theirs)).entries
    assert sorted(mine, key=repr) == sorted(uvs, key=repr) and len(mine) == 3
    assert uv_store.render(uvs) == uv_file(theirs).read_text()
    assert uv_store.save(path, "a.example.com", "alice", "two").changed is False  # nothing to write
    for service, user in (("https://a.example.com/simple", "alice"), ("b.example.com", "bob")):
        assert uv(theirs, "logout", service, "--username", user).returncode == 0
        assert uv_store.delete(path, uv_store.login_service(service).href, user).changed
    assert uv(theirs, "logout", "http://localhost:8080/", "--username", "carol").returncode == 0
    assert uv_store.delete(path, uv_store.login_service("http://localhost:8080/").href, "carol").changed
    assert path.read_text() == uv_file(theirs).read_text() == "credential = []\n"
    assert uv_store.delete(path, uv_store.login_service("b.example.com").href, "bob").changed is False


def test_uv_refuses_what_uv_auth_login_refuses(tmp_path: Path) -> None:
    path = tmp_path / "credentials.toml"
    with pytest.raises(uv_store.UvStoreError, match="HTTPS is required"):
        uv_store.save(path, "http://idx.example.com/simple", "u", "p")
    assert uv(tmp_path / "h", "login", "http://idx.example.com/simple", "--username", "u", "--password", "p").returncode
    with pytest.raises(uv_store.UvStoreError, match="cannot be empty"):
        uv_store.save(path, "idx.example.com", "u", "")
    assert not path.exists()


def test_a_file_uv_cannot_read_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "credentials.toml"
    path.write_text('[[credential]]\nservice = "idx.example.com"\nusername = "u"\npassword = "p"\n')
    assert "not an absolute URL" in (uv_store.read(path).error or "")
    with pytest.raises(uv_store.UvStoreError, match="uv cannot read it"):
        uv_store.save(path, "https://x.example.com/", "u", "p")
    assert "idx.example.com" in path.read_text()


def test_new_file_is_private_and_uv_reads_ours(tmp_path: Path) -> None:
    recorder, server = start_refusing_proxy()
    try:
        home = tmp_path / "case"
        home.mkdir()
        env = case_env(home, server.server_address[1])
        path = uv_store.credentials_path(env, home)
        uv_store.save(path, "http://localhost:20999/simple", "ours", 's3"cr\\et')
        assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
        done = run_uv(UvCase("ours", "http://localhost:20999/simple", "localhost:20999", home, env))
        assert credential_sent(recorder.sent("localhost:20999")) == 'basic ours:s3"cr\\et', done.stderr
    finally:
        server.shutdown()


def test_credentials_dir_resolution() -> None:
    home = Path("/home/u")
    assert uv_store.credentials_path({"UV_CREDENTIALS_DIR": "/c"}, home) == Path("/c/credentials.toml")
    base = {"HOME": "/home/u"}
    assert uv_store.credentials_path({**base, "UV_CREDENTIALS_DIR": ""}, home, "linux") == Path(
        "/home/u/.local/share/uv/credentials/credentials.toml"
    )
    assert uv_store.credentials_path({**base, "XDG_DATA_HOME": "rel"}, home, "linux").parts[:4] == (
        "/",
        "home",
        "u",
        ".local",
    )
    assert uv_store.credentials_path({**base, "XDG_DATA_HOME": "/x"}, home, "linux") == Path(
        "/x/uv/credentials/credentials.toml"
    )


def test_uv_netrc_parser_rules(tmp_path: Path) -> None:
    parse = uv_netrc.parse
    hosts = parse('# c\nmachine a login u password "p w" # tail\ndefault login d password dp\n')
    assert hosts["a"].password == "p w" and hosts["default"].login == "d"
    assert parse("machine a login u password pa\\ ss\n")["a"].password == "pa ss"
    assert parse('machine a login u password pa"ss\n')["a"].password == 'pa"ss'
    assert parse("machine a login #u password p\n")["a"].login == "#u"  # a value, not a comment
    assert parse("machine a user u2 password p\nmachine a login u3 password q\n")["a"].login == "u3"
    assert parse("macdef m\nline\n\nmachine a login u password p\n")["a"].password == "p"
    for bad in ("#word then words\nmachine a login u password p\n", "machine a port 8\n", "machine\n"):
        with pytest.raises(uv_netrc.NetrcSyntaxError):
            parse(bad)
    # which file: $NETRC when it exists, else ~/.netrc (NETRC= and a missing file fall back)
    (tmp_path / ".netrc").write_text("machine h login u password p\n")
    env = {"HOME": str(tmp_path)}
    for named in (str(tmp_path / "missing"), ""):
        found = uv_netrc.load({**env, "NETRC": named}, tmp_path)
        assert found.path == tmp_path / ".netrc" and uv_netrc.lookup(found, "h", None) is not None
    assert uv_netrc.load({**env, "NETRC": "~/.netrc"}, tmp_path).path == tmp_path / ".netrc"
    found = uv_netrc.load(env, tmp_path)
    assert uv_netrc.lookup(found, "h", "other") is None and uv_netrc.lookup(found, "H", None) is None


def test_keyring_command_as_uv_runs_it(tmp_path: Path) -> None:
    """One home for `keyring get` (keyring_tool): uv's services in its order, the first answer,
    trailing white space trimmed as Rust's trim_end trims it (a trailing \\x1f stays: Python's
    rstrip() took it off, so `test` sent another password than uv sends — failed before)."""
    from pixi_auth_tui.pypi.keyring_entries import keyring_services
    from pixi_auth_tui.pypi.keyring_tool import find_keyring, uv_keyring_lookup

    tests = Path(__file__).resolve().parent
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHONPATH": str(tests),
        "PYTHON_KEYRING_BACKEND": "fake_keyring_backend.FileKeyring",
        "FAKE_KEYRING_FILE": str(tmp_path / "k.json"),
        "HOME": str(tmp_path),
    }
    (tmp_path / "k.json").write_text('{"idx.example.com\\u0000bob": "pw\\u001f \\n"}')
    services = keyring_services("https://idx.example.com/simple")
    assert services == ["https://idx.example.com/simple", "idx.example.com"]  # no scheme://host for https
    assert keyring_services("http://h:8/simple")[-1] == "http://h:8"
    keyring = find_keyring(env)
    assert keyring is not None
    answers = uv_keyring_lookup(keyring, env, services, "bob")
    assert [a.outcome for a in answers] == ["nothing (exit 1)", "a password"]
    assert answers[-1].service == "idx.example.com" and answers[-1].password == "pw\x1f"
    assert find_keyring({**env, "PATH": str(tmp_path)}) is None
