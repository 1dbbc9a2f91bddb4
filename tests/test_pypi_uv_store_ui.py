"""uv's credentials.toml as a store of its own (issue 21, items 3 and 6): entries written by the
REAL `uv auth login` are shown after rattler's stores with their place in uv's chain, then
rotated, deleted and added with the keyboard through Textual's Pilot (120x40 and 80x24), each
change read back by the real `uv auth token`."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.dialogs.confirm import ConfirmScreen
from pixi_auth_tui.ui.dialogs.credential_form import CredentialForm
from textual.widgets import Input, Select

from tests.conftest import until, until_store_rows
from tests.test_pypi_cli import index_server, run  # noqa: F401 (a fixture)
from tests.test_pypi_stores import uv, uv_env
from tests.test_ui import open_add_form, screen_text, settle
from tests.uv_oracle import UV

SIZES = [(120, 40), (80, 24)]


def uv_token(home: Path, service: str, user: str) -> str | None:
    """What the real uv reads back for (service, user) from its credentials.toml."""
    done = subprocess.run(
        [str(UV), "auth", "token", service, "--username", user],
        capture_output=True,
        text=True,
        env=uv_env(home),
        timeout=60,
        check=False,
    )
    return done.stdout.rstrip("\n") if done.returncode == 0 else None


def workspace(root: Path, index_urls: list[str]) -> Path:
    root.mkdir()
    (root / "pixi.toml").write_text(
        '[workspace]\nname = "w"\nchannels = []\nplatforms = ["linux-64"]\n'
        f"[pypi-options]\nindex-url = {json.dumps(index_urls[0])}\nextra-index-urls = {json.dumps(index_urls[1:])}\n"
    )
    return root


def uv_rows(app):
    return [r for r in app.main.inventory.rows if r.store.id == "uv"]


async def wait_rows(pilot, count):
    await until_store_rows(pilot, "uv", count)


def test_list_shows_uv_store_in_the_chain_with_what_shadows_it(home: Path, tmp_path: Path, monkeypatch) -> None:
    """Written by the real `uv auth login`; each entry judged as uv under pixi uses it."""
    for service, user, password in (
        ("https://idx.example.com/simple", "alice", "alice-pw-13579"),  # the index names alice: used
        ("https://idx.example.com/simple", "bob", "bob-pw-24680"),  # another user: not for this index
        ("https://n.example.com/simple", "u", "netrc-first-1357"),  # netrc as uv reads it answers first
        ("https://r.example.com/simple", "u", "rattler-first-2468"),  # rattler's layer answers first
    ):
        assert uv(home, "login", service, "--username", user, "--password", password).returncode == 0
    (home / ".netrc").write_text("machine n.example.com login u password netrc-pw-9753\n")
    (home / ".rattler").mkdir()
    (home / ".rattler" / "credentials.json").write_text('{"r.example.com":{"BearerToken":"rattler-tok-8642"}}')
    monkeypatch.chdir(
        workspace(
            tmp_path / "ws",
            ["https://alice@idx.example.com/simple", "https://n.example.com/simple", "https://r.example.com/simple"],
        )
    )
    code, out, err = run("list", "--json")
    assert code == 0, err
    rows = {(e["key"], e["item_ref"]): e for e in json.loads(out)["entries"] if e["store"] == "uv"}
    assert rows[("https://idx.example.com/", "alice")]["status"] == "active"
    assert rows[("https://idx.example.com/", "bob")]["status"] == "shadowed"
    assert "netrc as uv reads it" in rows[("https://n.example.com/", "u")]["reason"]
    assert rows[("https://n.example.com/", "u")]["status"] == "shadowed"
    rattler = rows[("https://r.example.com/", "u")]
    assert rattler["status"] == "shadowed" and "rattler's r.example.com in credentials.json" in rattler["reason"]
    code, out, _ = run("list")
    assert "then uv's own chain" in out and "uv credentials" in out
    assert "alice-pw-13579" not in out and "bob-pw-24680" not in out


def test_netrc_is_shown_as_rattler_and_as_uv_read_it(home: Path, tmp_path: Path, monkeypatch) -> None:
    """Item 4: a netrc rattler ignores whole (a quoted value with a space) still serves PyPI
    through uv, `default` entry included; a readable one is shadowed by rattler's own reading
    for an index without a user name (pixi's layer goes first)."""
    root = workspace(tmp_path / "ws", ["https://alice@q.example.com/simple", "https://other.example.org/simple"])
    monkeypatch.chdir(root)
    (home / ".netrc").write_text(
        'machine q.example.com login alice password "two words"\ndefault login d password dflt-pw-1\n'
    )
    code, out, err = run("list", "--json")
    assert code == 0, err
    said = json.loads(out)
    states = {s["id"]: s["state"] for s in said["stores"]}
    assert states["netrc"] == "malformed" and states["netrc-uv"] == "ok"
    uv_rows = {e["key"]: e for e in said["entries"] if e["store"] == "netrc-uv"}
    assert uv_rows["q.example.com"]["status"] == "active"
    assert "https://q.example.com/simple" in uv_rows["q.example.com"]["reason"]
    assert uv_rows["default"]["status"] == "active" and "other.example.org" in uv_rows["default"]["reason"]
    code, out, _ = run("resolve", "https://q.example.com/simple/pip/", "--json")  # the same model
    assert json.loads(out)["layer"] == "netrc"
    (home / ".netrc").write_text("machine other.example.org login u password plain-pw-2\n")
    code, out, _ = run("list", "--json")
    row = next(e for e in json.loads(out)["entries"] if e["store"] == "netrc-uv")
    assert row["status"] == "shadowed" and "rattler's other.example.org in netrc goes first" in row["reason"]
    assert "two words" not in out and "plain-pw-2" not in out


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_uv_entries_are_rotated_deleted_and_added_from_the_ui(home: Path, tmp_path: Path, size) -> None:
    assert (
        uv(home, "login", "https://idx.example/simple", "--username", "alice", "--password", "first-pw-2468").returncode
        == 0
    )
    assert (
        uv(
            home, "login", "https://idx.example/simple", "--username", "[b]bob\x1b[31m", "--password", "bob-pw-1357"
        ).returncode
        == 0
    )
    root = workspace(tmp_path / "ws", ["https://alice@idx.example/simple"])
    env = {**os.environ, "HOME": str(home)}
    app = AuthApp(Environment(home=home, env=env, workspace=root))
    async with app.run_test(size=size) as pilot:
        await wait_rows(pilot, 2)
        await settle(pilot)
        text = screen_text(app)
        assert "uv credentials" in text and "first-pw-2468" not in text and "\x1b" not in text
        rows = {r.entry.item_ref: r for r in uv_rows(app)}
        assert rows["alice"].status.value == "active"
        # rotate alice's password with the keyboard alone: the user name is the entry's, fixed
        app.main.table.select_index(app.main.table.shown_rows.index(rows["alice"]))
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CredentialForm)
        assert form.query_one("#username", Input).disabled and form.query_one("#password", Input).has_focus
        await pilot.press(*"second-pw-9753", "enter")
        await settle(pilot)
        assert uv_token(home, "https://idx.example/simple", "alice") == "second-pw-9753"
        assert uv_token(home, "https://idx.example/simple", "[b]bob\x1b[31m") == "bob-pw-1357"
        await wait_rows(pilot, 2)
        # delete the other user's entry, after the confirmation
        row = next(r for r in uv_rows(app) if r.entry.item_ref != "alice")
        app.main.table.select_index(app.main.table.shown_rows.index(row))
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "uv auth logout" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        await wait_rows(pilot, 1)
        assert uv_token(home, "https://idx.example/simple", "[b]bob\x1b[31m") is None
        assert uv_token(home, "https://idx.example/simple", "alice") == "second-pw-9753"
        # add one: stored where `uv auth login` stores it, and said so before saving
        form = await open_add_form(pilot)
        form.query_one("#store", Select).value = "uv"
        await settle(pilot)
        assert form.query_one("#kind", Select).value == "BasicHTTP"
        form.query_one("#key", Input).value = "https://new.example/simple"
        form.query_one("#username", Input).value = "carol"
        await settle(pilot)
        assert "stored under https://new.example/, as `uv auth login` stores it" in str(
            form.query_one("#key-hint").render()
        )
        form.query_one("#password", Input).value = "carol-pw-112233"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, CredentialForm)
        await wait_rows(pilot, 2)
        assert uv_token(home, "https://new.example/simple", "carol") == "carol-pw-112233"


async def test_netrc_as_uv_reads_it_is_tested_from_the_ui(home: Path, tmp_path: Path, index_server: str) -> None:  # noqa: F811
    """A netrc rattler ignores whole (a `#` comment) still answers uv: `t` on its uv row asks
    the workspace's index with that entry, as uv sends it (plain http only after a yes)."""
    (home / ".netrc").write_text("# only uv reads past this\nmachine 127.0.0.1 login alice password right-password\n")
    root = workspace(tmp_path / "ws", [index_server])
    app = AuthApp(Environment(home=home, env={**os.environ, "HOME": str(home)}, workspace=root))
    async with app.run_test(size=(80, 24)) as pilot:

        def shown() -> bool:
            inventory = app.main.inventory
            return inventory is not None and any(r.store.id == "netrc-uv" for r in inventory.rows)

        await until(pilot, shown, "the rows of netrc as uv reads it")
        await settle(pilot)
        assert app.main.inventory is not None
        assert app.main.inventory.snapshots["netrc"].state.value == "malformed"
        row = next(r for r in app.main.inventory.rows if r.store.id == "netrc-uv")
        assert row.status.value == "active" and "keyring get" not in detail_text(app, row)
        app.main.table.select_index(app.main.table.shown_rows.index(row))
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "plain http" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
        result = app.main.last_result(row)
        assert result is not None and result.verdict.value == "accepted", result


def detail_text(app, row) -> str:
    app.main.table.select_index(app.main.table.shown_rows.index(row))
    return app.main.detail.text().plain


def test_a_rotation_to_the_same_secret_writes_nothing_and_says_so(home: Path) -> None:
    """With two users under one service, saving alice's password unchanged said "Rotated" (the
    comparison looked for one entry per key); now it says nothing changed (failed before)."""
    from pixi_auth_tui.core.model import BasicHTTP
    from pixi_auth_tui.engine.inventory import load_inventory
    from pixi_auth_tui.engine.operations import save_credential

    from tests.conftest import make_env

    for user in ("alice", "bob"):
        assert (
            uv(home, "login", "https://idx.example/simple", "--username", user, "--password", f"{user}-pw-1").returncode
            == 0
        )
    before = (home / ".local/share/uv/credentials/credentials.toml").read_bytes()
    inventory = load_inventory(make_env(home, XDG_DATA_HOME=str(home / ".local/share")), pypi=True)
    store = inventory.store("uv")
    assert store is not None
    outcome = save_credential(inventory, store, "https://idx.example/", BasicHTTP("alice", "alice-pw-1"))
    assert not outcome.changed and outcome.message.startswith("Nothing changed"), outcome.message
    assert (home / ".local/share/uv/credentials/credentials.toml").read_bytes() == before


@pytest.mark.parametrize("own_dir", [False, True], ids=["xdg-data-home", "UV_CREDENTIALS_DIR"])
async def test_uv_store_is_offered_outside_a_workspace_before_its_file_exists(
    home: Path, tmp_path: Path, own_dir: bool
) -> None:
    """Outside a workspace and before any `uv auth login`, `n` did not offer uv's store (failed
    before): it is offered where uv would create it (`UV_CREDENTIALS_DIR`, else uv's data dir; the
    folders made as uv makes them), and it writes byte for byte what `uv auth login` writes, read
    back by the real `uv auth token`."""
    theirs = tmp_path / "theirs"
    done = uv(theirs, "login", "https://idx.example/simple", "--username", "carol", "--password", "carol-pw-112233")
    assert done.returncode == 0, done.stderr
    env = {**os.environ, **uv_env(home)}
    if own_dir:
        env["UV_CREDENTIALS_DIR"] = str(home / "not" / "yet" / "there")
    target = Path(env.get("UV_CREDENTIALS_DIR") or home / ".local/share/uv/credentials") / "credentials.toml"
    app = AuthApp(Environment(home=home, env=env))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.main.inventory is not None and app.main.inventory.store("uv") is None  # not listed: no file
        form = await open_add_form(pilot)
        form.query_one("#store", Select).value = "uv"
        await settle(pilot)
        form.query_one("#key", Input).value = "https://idx.example/simple"
        form.query_one("#username", Input).value = "carol"
        form.query_one("#password", Input).value = "carol-pw-112233"
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, CredentialForm)
        await wait_rows(pilot, 1)  # now listed: the file exists
    assert target.read_bytes() == (theirs / ".local/share/uv/credentials/credentials.toml").read_bytes()
    read_back = subprocess.run(
        [str(UV), "auth", "token", "https://idx.example/simple", "--username", "carol"],
        capture_output=True,
        text=True,
        env={k: v for k, v in env.items() if k != "XDG_DATA_HOME" or not own_dir},
        timeout=60,
        check=False,
    )
    assert read_back.stdout.rstrip("\n") == "carol-pw-112233", read_back.stderr


async def test_the_test_url_example_fits_the_chosen_store(home: Path) -> None:
    """The form's test-URL placeholder showed a conda channel's repodata for uv's store too
    (failed before): a PyPI store shows an index URL, a conda store a channel's repodata."""
    app = AuthApp(Environment(home=home, env={**os.environ, **uv_env(home)}))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        form = await open_add_form(pilot)
        probe = form.query_one("#probe-url", Input)
        conda_store = form.query_one("#store", Select).value
        assert "repodata.json" in probe.placeholder
        form.query_one("#store", Select).value = "uv"
        await settle(pilot)
        assert probe.placeholder == "https://host/simple/ (the index URL)"
        form.query_one("#store", Select).value = conda_store
        await settle(pilot)
        assert "repodata.json" in probe.placeholder
