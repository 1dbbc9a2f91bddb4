"""Issue 22, item 13: the smaller flow defects, each driven through Textual's Pilot (and the
CLI where the flow is `check`), on real files in a temporary HOME and real local servers."""

from __future__ import annotations

import io
import json

import pytest
from pixi_auth_tui.cli.main import main
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.dialogs.probe_url import ProbeUrlScreen
from pixi_auth_tui.ui.oauth_screens import SignInForm
from textual.widgets import Button, Input, Static

from tests.conftest import make_env, until
from tests.test_ui import detail, probe_servers, screen_text, select_row, settle, write_json  # noqa: F401
from tests.test_ui_flows import SIZE_IDS, SIZES, messages, settled_footer
from tests.test_workspace_ui import screen_lines
from tests.test_workspace_ui import settle as workspace_settle


def creds(home, doc: dict) -> None:
    write_json(home / ".rattler/credentials.json", doc)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_u_refuses_a_test_url_the_key_cannot_cover(home, size):
    creds(home, {"*.example.org": {"BearerToken": "wild-token-0123"}})
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("U")
        await pilot.pause()
        assert isinstance(app.screen, ProbeUrlScreen)
        app.screen.query_one("#url", Input).value = "https://other.test/chan/noarch/repodata.json"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ProbeUrlScreen)  # refused: the dialog stays, with one clear line
        error = str(app.screen.query_one("#url-error", Static).render())
        assert "does not cover other.test" in error and "\n" not in error.strip()
        app.screen.query_one("#url", Input).value = "https://repo.example.org/chan/noarch/repodata.json"
        await pilot.press("enter")
        await settle(pilot)
        assert app.main.probe_state.urls == {"*.example.org": "https://repo.example.org/chan/noarch/repodata.json"}


async def test_the_forms_test_result_shows_its_url_on_a_line_of_its_own(home, probe_servers):  # noqa: F811
    server = probe_servers[0]
    app = AuthApp(make_env(home))
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        form.query_one("#key", Input).value = "127.0.0.1"
        form.query_one("#token", Input).value = "good-token"
        form.query_one("#probe-url", Input).value = f"{server.base}/private"

        def result() -> str:  # (the line is mounted when it first speaks)
            line = next(iter(form.query("#test-result").results(Static)), None)
            return str(line.render()) if line is not None else ""

        form.query_one("#test", Button).press()
        await until(pilot, lambda: "plain http" in result(), "the plain-http question")
        form.query_one("#test", Button).press()  # the plain-http question answered
        await until(pilot, lambda: not any(word in result() for word in ("Testing", "plain http")), "the result")
        shown = result()
        assert "\\x0a" not in shown
        assert shown.splitlines()[-1].endswith("/private")
        await pilot.press("escape")


def five_stores(home, tmp_path) -> dict[str, str]:
    """Every store pixi reads, the two optional files included: the longest store list."""
    override = home / "override.json"
    override.write_text('{"o.test":{"BearerToken":"override-token"}}')
    (home / ".pixi").mkdir()
    (home / ".pixi/config.toml").write_text(f'authentication-override-file = "{override}"\n')
    auth = tmp_path / "auth.json"
    auth.write_text('{"a.test":{"BearerToken":"auth-file-token"}}')
    creds(home, {"c.test": {"BearerToken": "creds-token"}})
    return {"RATTLER_AUTH_FILE": str(auth)}


async def test_the_folded_store_line_names_every_store_at_80x24(home, tmp_path):
    app = AuthApp(make_env(home, **five_stores(home, tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        names = [s.name for s in app.main.inventory.stores]
        assert names[:2] == ["override file", "RATTLER_AUTH_FILE"] and names[-1] == "netrc"
        for number, name in enumerate(names, 1):
            assert f"{number} {name}" in text, f"store {number} ({name}) is not shown at 80x24"
        assert f"{len(names)} netrc missing" in text


@pytest.mark.parametrize("size", [(100, 40), (120, 40)], ids=["100x40", "120x40"])
async def test_a_long_store_name_never_runs_into_its_state(home, tmp_path, size):
    app = AuthApp(make_env(home, **five_stores(home, tmp_path)))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "2 RATTLER_AUTH_FILE ok" in text, text


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_sign_in_form_has_its_own_footer_and_says_it_scrolls(home, size):
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, SignInForm)
        keys = await settled_footer(pilot)
        assert ("esc", "Cancel") in keys and ("^s", "Sign in") in keys
        assert "Tab reaches the fields below" in screen_text(app)
        await pilot.press("escape")


async def test_r_says_what_it_read(home):
    creds(home, {"a.test": {"BearerToken": "a-token"}, "b.test": {"BearerToken": "b-token"}})
    app = AuthApp(make_env(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = len(messages(app))
        await pilot.press("r")
        await settle(pilot)
        said = messages(app)[before:]
        assert any(m.startswith("Re-read 3 stores: 2 entries") for m in said), said


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_the_cursor_stays_in_place_after_a_delete(home, size):
    creds(home, {f"{c}.test": {"BearerToken": f"{c}-token-123"} for c in "abcd"})
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        select_row(app, "c.test", "credentials")
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        row = app.main.selected_row()
        assert row is not None and row.key == "d.test"  # the row that took its place, not the first


# -- the workspace check: a host that could not be reached is said, and fails the check --------


def tls_workspace(tmp_path, port: int):
    """A workspace whose only channel is https on a port that speaks plain http: TLS fails."""
    root = tmp_path / "ws"
    root.mkdir()
    manifest = root / "pixi.toml"
    manifest.write_text(
        f'[workspace]\nname = "w"\nchannels = ["https://127.0.0.1:{port}/private"]\nplatforms = ["linux-64"]\n'
    )
    return manifest


def test_check_says_a_failed_anonymous_request_and_fails(home, tmp_path, probe_servers, monkeypatch):  # noqa: F811
    monkeypatch.setenv("NO_PROXY", "*")
    port = int(probe_servers[0].base.rsplit(":", 1)[1])
    manifest = tls_workspace(tmp_path, port)
    out, err = io.StringIO(), io.StringIO()
    code = main(["check", "--test", "--json", str(manifest)], out=out, err=err, stdin=io.StringIO())
    report = json.loads(out.getvalue())
    (host,) = report["hosts"]
    assert host["verdict"] == "unreachable" and "TLS" in host["anonymous"]["message"]
    assert code == 6 and report["exit_code"] == 6


async def test_the_workspace_view_shows_a_failed_anonymous_request(home, tmp_path, probe_servers, monkeypatch):  # noqa: F811
    from pixi_auth_tui.ui.workspace_screen import WorkspaceScreen

    monkeypatch.setenv("NO_PROXY", "*")
    port = int(probe_servers[0].base.rsplit(":", 1)[1])
    app = AuthApp(make_env(home, XDG_STATE_HOME=str(home / ".local" / "state")))
    app.workspace_paths = [tls_workspace(tmp_path, port)]
    async with app.run_test(size=(120, 40)) as pilot:
        await workspace_settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen)
        await pilot.press("T")
        await workspace_settle(pilot)
        lines = screen_lines(app)
        (row,) = [line for line in lines if line.strip().startswith("127.0.0.1 ")][:1]
        assert "unreachable" in row and "no credential" not in row
        assert "TLS failed" in screen_text(app)


@pytest.mark.parametrize("size", [(100, 40), (160, 48)], ids=["100x40", "160x48"])
async def test_every_store_is_named_when_their_messages_wrap(home, tmp_path, size):
    """A line per store where there is room: a long reason (a file rattler rejects, every entry
    named) may wrap, but it never pushes a later store out of the list."""
    env = five_stores(home, tmp_path)
    bad = {f"host-{i}.example.internal": {"NotAKind": i} for i in range(12)}
    (tmp_path / "auth.json").write_text(json.dumps(bad))
    creds(home, bad)
    (home / ".netrc").write_text("machine n.test login u password p\nmacdef init\n")
    app = AuthApp(make_env(home, **env))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = screen_text(app)
        names = [s.name for s in app.main.inventory.stores]
        for number, name in enumerate(names, 1):
            assert f"{number} {name}" in text, f"store {number} ({name}) is not shown at {size}"
