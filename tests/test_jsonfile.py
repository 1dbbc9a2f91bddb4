import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken
from pixi_auth_tui.stores.base import ConflictError, StoreError, StoreState
from pixi_auth_tui.stores.jsonfile import ABSENT, JsonFileStore


def store_at(path):
    return JsonFileStore("credentials", "credentials.json", path)


def test_new_file_is_created_private_with_rattlers_bytes(home):
    path = home / ".rattler" / "credentials.json"
    store = store_at(path)
    snap = store.load()
    assert snap.state is StoreState.MISSING and snap.version == ABSENT
    store.set("b.example", BearerToken("tok"), expect=snap.version)
    store.set("a.example", BasicHTTP("u", "p"), expect=store.load().version)
    assert path.read_bytes() == (
        b'{"a.example":{"BasicHTTP":{"username":"u","password":"p"}},"b.example":{"BearerToken":"tok"}}'
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir() if "pixi-auth-tui" in p.name] == []


def test_a_rewrite_leaves_the_file_0600_as_rattlers_does_and_other_entries_preserved(home):
    """rattler rewrites through a fresh temp file, so its result is 0600 whatever the old mode
    (issue 22, item 12): ours too — a file of secrets left 0640 by a rewrite helps nobody."""
    path = home / "auth.json"
    original = {
        "z.example": {"GoogleCloud": None},
        "weird.example": {"BearerToken": "x", "Extra": 1},
        "keep.example": {"CondaToken": "c"},
    }
    path.write_text(json.dumps(original, indent=4))
    path.chmod(0o640)
    store = store_at(path)
    snap = store.load()
    assert snap.state is StoreState.REJECTED  # rattler rejects unknown variants
    with pytest.raises(StoreError, match="rattler cannot read"):
        store.set("new.example", BearerToken("n"), expect=snap.version)
    assert json.loads(path.read_text()) == original  # untouched
    store.remove("z.example", expect=snap.version)
    store.remove("weird.example", expect=store.load().version)
    store.set("new.example", BearerToken("n"), expect=store.load().version)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == '{"keep.example":{"CondaToken":"c"},"new.example":{"BearerToken":"n"}}'


def test_untouched_unknown_values_survive_a_write(home):
    path = home / "auth.json"
    path.write_text('{"a.example":{"CondaToken":"c"}}')
    store = store_at(path)
    store.set("b.example", BearerToken("é✓"), expect=store.load().version)
    assert json.loads(path.read_text(encoding="utf-8"))["b.example"] == {"BearerToken": "é✓"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'"text"', "expected a JSON object"),
        (b'{"a": 1} trailing', "invalid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'\xef\xbb\xbf{"a": {"BearerToken": "x"}}', "invalid JSON"),  # a BOM is no whitespace to serde
        (b'{"\\ud800": {"BearerToken": "x"}}', "lone surrogate"),
        (b'{"a": NaN}', "not valid JSON"),
    ],
)
def test_malformed_files_are_reported_and_never_written(home, content, reason):
    path = home / "credentials.json"
    path.write_bytes(content)
    store = store_at(path)
    snap = store.load()
    assert snap.state is StoreState.MALFORMED
    assert reason in snap.message
    with pytest.raises(StoreError, match="malformed"):
        store.set("x.example", BearerToken("t"), expect=snap.version)
    with pytest.raises(StoreError):
        store.remove("a", expect=snap.version)
    assert path.read_bytes() == content


def test_wrong_shapes_are_shown_and_block_writes(home):
    path = home / "credentials.json"
    content = b'{"a.example":{"BasicHttp":{"username":"u","password":"p"}},"b.example":{"BearerToken":"ok"}}'
    path.write_bytes(content)
    snap = store_at(path).load()
    assert snap.state is StoreState.REJECTED
    assert any("BasicHttp" in p for p in snap.problems)
    creds = {e.key: e.credential for e in snap.entries}
    assert creds["a.example"] == BasicHTTP("u", "p", misspelled=True)
    with pytest.raises(StoreError):
        store_at(path).set("c.example", BearerToken("t"), expect=snap.version)
    assert path.read_bytes() == content


def test_repair_rewrites_the_spelling(home):
    path = home / "credentials.json"
    path.write_bytes(b'{"a.example":{"BasicHttp":{"username":"u","password":"p"}}}')
    store = store_at(path)
    snap = store.load()
    store.repair({"a.example": BasicHTTP("u", "p")}, expect=snap.version)
    assert store.load().state is StoreState.OK
    assert path.read_bytes() == b'{"a.example":{"BasicHTTP":{"username":"u","password":"p"}}}'


def test_change_on_disk_between_read_and_write_is_refused(home):
    path = home / "credentials.json"
    store = store_at(path)
    store.set("a.example", BearerToken("mine"), expect=ABSENT)
    snap = store.load()
    # another program (say `pixi auth login`) writes in between
    path.write_text('{"a.example":{"BearerToken":"mine"},"other.example":{"CondaToken":"theirs"}}')
    before = path.read_bytes()
    with pytest.raises(ConflictError, match="changed on disk"):
        store.set("b.example", BearerToken("x"), expect=snap.version)
    with pytest.raises(ConflictError):
        store.remove("a.example", expect=snap.version)
    assert path.read_bytes() == before
    # and a file that appears after we saw none is not overwritten either
    other = home / "new.json"
    fresh = store_at(other)
    seen = fresh.load().version
    other.write_text('{"x":{"CondaToken":"c"}}')
    with pytest.raises(ConflictError):
        fresh.set("y", BearerToken("t"), expect=seen)


def test_permission_denied_leaves_previous_file(home, monkeypatch):
    # Injected rather than chmod: the suite runs as root in CI, and root ignores folder modes.
    import tempfile

    path = home / "credentials.json"
    path.write_text('{"a.example":{"BearerToken":"old"}}')
    store = store_at(path)
    snap = store.load()

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    with pytest.raises(StoreError, match="Permission denied"):
        store.set("b.example", CondaToken("c"), expect=snap.version)
    assert path.read_text() == '{"a.example":{"BearerToken":"old"}}'


def test_disk_full_leaves_previous_file(home, monkeypatch):
    path = home / "credentials.json"
    path.write_text('{"a.example":{"BearerToken":"old"}}')
    store = store_at(path)
    snap = store.load()

    real_fsync = os.fsync

    def full(fd):
        if os.fstat(fd).st_size > 0 and stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(28, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError, match=r"disk full.*intact"):
        store.set("b.example", CondaToken("c"), expect=snap.version)
    monkeypatch.undo()
    assert path.read_text() == '{"a.example":{"BearerToken":"old"}}'
    assert [p.name for p in home.iterdir() if "pixi-auth-tui" in p.name] == []


def test_a_folder_or_unreadable_path_is_an_error_state(home):
    (home / "dir.json").mkdir()
    snap = store_at(home / "dir.json").load()
    assert snap.state is StoreState.ERROR and "folder" in snap.message


def test_a_repeated_key_keeps_the_last_and_is_never_collapsed_by_a_write(home):
    path = home / "credentials.json"
    content = b'{"a": {"BearerToken": "x"}, "a": {"BearerToken": "y"}}'
    path.write_bytes(content)
    store = store_at(path)
    snap = store.load()
    assert snap.state is StoreState.OK  # serde_json keeps the last value, as rattler does
    assert [(e.key, e.credential, e.note is None) for e in snap.entries] == [
        ("a", BearerToken("x"), False),
        ("a", BearerToken("y"), True),
    ]
    with pytest.raises(StoreError, match="more than once"):
        store.set("b", BearerToken("t"))
    assert path.read_bytes() == content


def test_what_we_cannot_read_is_written_back_exactly(home):
    path = home / "credentials.json"
    path.write_bytes(b'{"a":{"Bad":[1e400,-0,"\\ud800",{"k":1,"k":2}]}}')
    store = store_at(path)
    assert store.load().state is StoreState.REJECTED
    store.repair({}, expect=None)  # a rewrite that changes nothing keeps every byte of the bad entry
    assert path.read_bytes() == b'{"a":{"Bad":[1e400,-0,"\\ud800",{"k":1,"k":2}]}}'


file_keys = st.sampled_from(["a.example", "b.example", "*.example", "c.example"])
file_values = st.sampled_from(
    ['{"BearerToken":"t1"}', '{"BasicHttp":{"username":"u","password":"p"}}', '"bare"', '{"CondaToken":"c"}']
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(file_keys, file_values), max_size=6), st.sets(file_keys, max_size=2))
def test_a_file_read_for_some_keys_holds_their_entries_and_says_what_the_whole_file_says(pairs, keys):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "credentials.json"
        path.write_text("{" + ",".join(f'"{key}":{value}' for key, value in pairs) + "}")
        store = JsonFileStore("credentials", "credentials.json", path)
        whole, some = store.load(), store.load(keys)
    assert some.entries == [e for e in whole.entries if e.key in keys]
    assert (some.state, some.message, some.problems, some.version) == (
        whole.state,
        whole.message,
        whole.problems,
        whole.version,
    )
