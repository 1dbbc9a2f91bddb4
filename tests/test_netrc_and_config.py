from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.model import BasicHTTP
from pixi_auth_tui.stores.base import StoreState
from pixi_auth_tui.stores.netrc import NetrcStore, netrc_path, parse_netrc
from pixi_auth_tui.system.pixiconfig import config_locations, find_override_file


def test_netrc_machines_default_and_macdef(home):
    path = home / ".netrc"
    path.write_text(
        "machine a.example login u1 password p1\n"
        "macdef init\ncd /\nls\n\n"
        'machine b.example\n  login u2\n  password "p2"\n'
        "default login anon password guest\n"
        "machine a.example login u3 password p3\n"
    )
    snap = NetrcStore(path).load()
    assert snap.state is StoreState.OK
    assert [(e.key, e.credential, e.note is None) for e in snap.entries] == [
        ("a.example", BasicHTTP("u1", "p1"), False),  # superseded by the later a.example
        ("b.example", BasicHTTP("u2", '"p2"'), True),  # quotes are literal for rattler
        ("default", BasicHTTP("anon", "guest"), False),  # never used
        ("a.example", BasicHTTP("u3", "p3"), True),
    ]


@pytest.mark.parametrize(
    "text",
    [
        'machine a.example login u password "p 2"\n',  # a quoted space splits the value: `2"` is a stray word
        "# a comment\nmachine a.example login u password p\n",  # no comments for netrc_rs
        "machine a.example login u password p port 22\n",
        "machine a.example login u login v password p\n",  # one login too many
        "machine a.example login u password\n",
        "login u\nmachine a.example\n",
    ],
)
def test_what_rattler_cannot_parse_makes_the_whole_netrc_unused(home, text):
    path = home / ".netrc"
    path.write_text(text)
    snap = NetrcStore(path).load()
    assert snap.state is StoreState.MALFORMED and "ignores the whole netrc" in snap.message
    assert len(snap.problems) == 1 and snap.problems[0].startswith("line ")


def test_netrc_count_rule_is_global_as_in_rattler(home):
    # netrc_rs counts logins against all entries so far: a second login is fine when an earlier
    # entry had none (checked against py-rattler: it sends v:p here).
    parsed = parse_netrc("machine b.example\nmachine a.example login u login v password p\n")
    assert parsed.errors == [] and parsed.machines[-1].login == "v"


def test_a_macdef_followed_by_an_empty_line_swallows_the_next_entry():
    # netrc_rs skips whitespace (the empty line too) before the macro body: rattler never sees b.example.
    parsed = parse_netrc("machine a.example login u password p\nmacdef m\n\nmachine b.example login x password y\n")
    assert parsed.errors == [] and [m.name for m in parsed.machines] == ["a.example"]


def test_netrc_not_utf8_is_ignored_whole(home):
    path = home / ".netrc"
    path.write_bytes(b"machine a.example login u password \xff\n")
    assert NetrcStore(path).load().state is StoreState.MALFORMED


def test_netrc_location(home):
    assert netrc_path({}, home) == home / ".netrc"
    assert netrc_path({"NETRC": "/x/netrc"}, home) == Path("/x/netrc")
    assert NetrcStore(home / "none").load().state is StoreState.MISSING


@given(st.text(max_size=300))
def test_netrc_parser_never_crashes(text):
    result = parse_netrc(text)
    assert isinstance(result.errors, list)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_override_file_follows_pixi_priority(home):
    env = {"XDG_CONFIG_HOME": str(home / "xdg"), "PIXI_HOME": str(home / "pixihome")}
    # With XDG_CONFIG_HOME and PIXI_HOME set, pixi reads neither ~/.config/pixi nor ~/.pixi.
    write(home / ".config/pixi/config.toml", 'authentication-override-file = "/from/dot-config"\n')
    write(home / ".pixi/config.toml", 'authentication-override-file = "/from/dot-pixi"\n')
    assert find_override_file(env, home).path is None
    assert find_override_file({}, home).path == Path("/from/dot-pixi")
    assert find_override_file({"PIXI_HOME": str(home / "pixihome")}, home).path == Path("/from/dot-config")
    write(home / "xdg/pixi/config.toml", 'authentication_override_file = "/from/xdg"\n')
    assert find_override_file(env, home).path == Path("/from/xdg")
    write(home / "pixihome/config.toml", 'authentication-override-file = "/from/pixi-home"\n')
    found = find_override_file(env, home)
    assert found.path == Path("/from/pixi-home") and found.source == home / "pixihome/config.toml"
    # a workspace's .pixi/config.toml goes on top of them all
    workspace = home / "ws"
    write(workspace / "pixi.toml", '[workspace]\nname = "w"\n')
    write(workspace / ".pixi/config.toml", 'authentication-override-file = "/from/workspace"\n')
    found = find_override_file(env, home, workspace=workspace)
    assert found.path == Path("/from/workspace") and found.source == workspace / ".pixi/config.toml"
    # PIXI_CONFIG_FILE replaces them all; PIXI_NO_CONFIG skips them
    write(home / "only.toml", 'authentication-override-file = "/from/only"\n')
    assert find_override_file({**env, "PIXI_CONFIG_FILE": str(home / "only.toml")}, home).path == Path("/from/only")
    assert find_override_file({**env, "PIXI_NO_CONFIG": "1"}, home).path is None


def test_config_order_lowest_first(home):
    paths = config_locations({"XDG_CONFIG_HOME": "/xdg", "PIXI_HOME": "/ph"}, home, platform="linux")
    assert paths == [Path("/etc/pixi/config.toml"), Path("/xdg/pixi/config.toml"), Path("/ph/config.toml")]
    assert config_locations({}, home, workspace=Path("/ws"), platform="linux") == [
        Path("/etc/pixi/config.toml"),
        home / ".config/pixi/config.toml",
        home / ".pixi/config.toml",
        Path("/ws/.pixi/config.toml"),
    ]
    # PIXI_NO_CONFIG / PIXI_CONFIG_FILE touch only the global files, never the workspace's
    assert config_locations({"PIXI_NO_CONFIG": "1"}, home, workspace=Path("/ws")) == [Path("/ws/.pixi/config.toml")]
    assert config_locations({"PIXI_CONFIG_FILE": "/c.toml"}, home, workspace=Path("/ws")) == [
        Path("/c.toml"),
        Path("/ws/.pixi/config.toml"),
    ]
    mac = config_locations({"XDG_CONFIG_HOME": "/xdg"}, home, platform="darwin")
    assert mac == [
        Path("/etc/pixi/config.toml"),
        Path("/xdg/pixi/config.toml"),
        home / "Library/Application Support/pixi/config.toml",
        home / ".pixi/config.toml",
    ]


def test_workspace_is_found_upward_from_a_folder(home):
    from pixi_auth_tui.system.pixiconfig import find_workspace

    write(home / "proj/pyproject.toml", '[project]\nname = "p"\n')
    assert find_workspace(home / "proj") is None  # a pyproject.toml without [tool.pixi] is no workspace
    write(home / "proj/pyproject.toml", '[project]\nname = "p"\n[tool.pixi.workspace]\nchannels = []\n')
    (home / "proj/src/deep").mkdir(parents=True)
    assert find_workspace(home / "proj/src/deep") == home / "proj"
    write(home / "proj/sub/pixi.toml", "[workspace]\n")
    assert find_workspace(home / "proj/sub") == home / "proj/sub"
    assert find_workspace(home / "proj/sub/pixi.toml") == home / "proj/sub"


def test_bad_config_is_reported(home):
    write(home / ".pixi/config.toml", "this is = = not toml")
    found = find_override_file({}, home)
    assert found.path is None and "not valid TOML" in found.errors[0]
    write(home / ".pixi/config.toml", "authentication-override-file = 3\n")
    assert "must be a string" in find_override_file({}, home).errors[0]


netrc_words = st.sampled_from(
    ["machine", "default", "login", "password", "account", "macdef", "a.example", "u", "p", '"q r"', "#x", "é"]
)
netrc_gaps = st.sampled_from([" ", "\n", "\t", "\r\n", "  \n\n", "\x0b", "\x1c", "\u2028", "\xa0"])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(netrc_words, netrc_gaps), max_size=14))
def test_the_quick_netrc_reading_agrees_with_the_full_parser(parts):
    from pixi_auth_tui.stores.netrc import _parse_words, parse_netrc_fully

    text = "".join(word + gap for word, gap in parts)
    full = parse_netrc_fully(text)
    quick = _parse_words(text)
    if quick is not None:
        assert quick == full
    assert parse_netrc(text) == full
