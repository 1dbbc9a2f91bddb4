"""The Workspace view through Textual's Pilot, at 120x40 and 80x24: real stores in the temporary
HOME, the sample workspace behind real local servers (tests/workspace_fixtures.py)."""

from __future__ import annotations

import html
import json
import re

import pytest
from pixi_auth_tui.core.model import BearerToken
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.widgets.line_table import LineTable
from pixi_auth_tui.ui.workspace_screen import PrefilledForm, WorkspaceScreen
from textual.widgets import Input, Select, Static

from tests.conftest import make_env, until
from tests.test_ui import screen_text
from tests.test_ui import settle as ui_settle
from tests.workspace_fixtures import BASIC, MIRROR_TOKEN, Servers, start_servers, write_credentials, write_workspace


@pytest.fixture(scope="module")
def servers() -> Servers:
    yield from start_servers()


@pytest.fixture
def workspace_app(home, tmp_path, servers, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "*")
    manifest = write_workspace(tmp_path / "ws", servers)
    write_credentials(home, {"127.0.0.1": BASIC, "mirrored.example": BearerToken("original-token-0123456789")})
    app = AuthApp(make_env(home, XDG_STATE_HOME=str(home / ".local" / "state")))
    app.workspace_paths = [manifest]  # as run_tui does when started inside the workspace
    return app


def main_screen(app):
    """Where the main table's methods live: the app itself, or its MainScreen once app/ui is split."""
    return getattr(app, "main", app)


CELL_WIDTH = 12.2  # the x of one terminal cell in Textual's SVG export (0.61 × its 20px font)


def screen_lines(app) -> list[str]:
    """The screen's text row by row, from Textual's SVG export (one <text> run per style span,
    each at its cell: blank cells between runs are not exported as text)."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in re.findall(r'<text[^>]*x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot()):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    lines = []
    for _y, runs in sorted(rows.items()):
        line = ""
        for x, text in sorted(runs):
            line = line.ljust(round(x / CELL_WIDTH)) + text
        lines.append(line)
    return lines


async def settle(pilot):
    """Wait for the app, then for the Workspace screen's latest check, then for the screen."""
    await ui_settle(pilot)
    worker = getattr(pilot.app.screen, "running", None)
    if worker is not None:
        await worker.wait()
        await ui_settle(pilot)


def host_index(screen: WorkspaceScreen, host: str) -> int:
    assert screen.report is not None
    return next(i for i, h in enumerate(screen.report.hosts) if h.host == host)


async def test_workspace_view_first_then_jump_add_and_test(workspace_app, home, servers):
    app = workspace_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WorkspaceScreen)  # shown first inside a workspace
        text = screen_text(app)
        for expected in ("sample", "127.0.0.1", "127.0.0.2", "s3://chan", "conda.anaconda.org", "Username + password"):
            assert expected in text, expected
        assert BASIC.password not in text
        verdicts = {h.host: h.verdict for h in screen.report.hosts}
        assert verdicts["127.0.0.1"] == "untested" and verdicts["s3://chan"] == "no credential"

        # Enter on a host with a credential goes to that credential on the main screen.
        table = screen.query_one("#hosts", LineTable)
        table.move_cursor(row=host_index(screen, "127.0.0.1"))
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, WorkspaceScreen)
        selected = main_screen(app).selected_row()
        assert selected is not None and (selected.store.id, selected.key) == ("credentials", "127.0.0.1")

        # Back with w; `n` on the mirror host, which has none, opens the add form with its key.
        await pilot.press("w")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WorkspaceScreen)
        screen.query_one("#hosts", LineTable).move_cursor(row=host_index(screen, "127.0.0.2"))
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PrefilledForm)
        assert form.query_one("#key", Input).value == "127.0.0.2"
        assert form.query_one("#kind", Select).value == "BearerToken"
        form.query_one("#token", Input).value = MIRROR_TOKEN.token
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen)
        stored = json.loads((home / ".rattler" / "credentials.json").read_text())
        assert stored["127.0.0.2"] == {"BearerToken": MIRROR_TOKEN.token}
        host = screen.report.hosts[host_index(screen, "127.0.0.2")]
        assert host.row is not None and host.row.key == "127.0.0.2"

        # Test one host (t), then every host (T): plain http needs a yes.
        await pilot.press("t")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.click("#confirm")
        await settle(pilot)
        tested = {h.host: h.verdict for h in screen.report.hosts}
        assert tested["127.0.0.2"] == "accepted" and tested["127.0.0.1"] == "untested"  # only the selected one
        await pilot.press("T")
        await settle(pilot)
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.click("#confirm")
        await settle(pilot)
        verdicts = {h.host: h.verdict for h in screen.report.hosts}
        assert verdicts["127.0.0.1"] == "accepted" and verdicts["127.0.0.2"] == "accepted"
        assert verdicts["127.0.0.3"] == "public"
        assert "accepted" in screen_text(app)
        # Back on the main screen, the credential's "Last test" says what the check found.
        await pilot.press("escape")
        await settle(pilot)
        (line,) = [line for line in screen_lines(app) if line.lstrip().startswith("127.0.0.2 ")]
        assert "accepted" in line, line


async def test_workspace_view_fits_80x24_and_says_what_is_missing(workspace_app, servers):
    app = workspace_app
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, WorkspaceScreen)
        await pilot.press("T")
        await settle(pilot)
        await pilot.click("#confirm")
        await settle(pilot)
        # The missing credentials come first, and are said plainly, at 80 columns.
        assert screen.report.hosts[0].host == "127.0.0.2" and screen.report.hosts[0].verdict == "missing"
        screen.query_one("#hosts", LineTable).move_cursor(row=0)
        await settle(pilot)
        text = screen_text(app)
        assert "127.0.0.2" in text and "missing" in text
        assert "refuses anonymous access" in text  # the detail pane of the selected host
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, WorkspaceScreen)


def test_started_inside_a_workspace_the_view_comes_first(home, tmp_path):
    from pixi_auth_tui.engine.demo import demo_environment
    from pixi_auth_tui.ui.main import build_app

    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "pixi.toml").write_text('[workspace]\nchannels = ["conda-forge"]\nplatforms = []\n')
    assert build_app(make_env(home), root / "src").workspace_paths == [root / "pixi.toml"]
    assert build_app(make_env(home), tmp_path).workspace_paths == []
    assert build_app(demo_environment(home / "demo"), root).workspace_paths == []  # demo data: main screen


async def test_w_outside_a_workspace_says_so(home, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = AuthApp(make_env(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, WorkspaceScreen)  # not started inside one: the main screen
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen)
        assert "No pixi workspace here" in screen_text(app)
        await pilot.press("n", "enter")  # nothing selected: nothing happens, nothing breaks
        await settle(pilot)
        assert isinstance(app.screen, WorkspaceScreen)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
async def test_w_again_shows_the_last_report_at_once_and_refreshes_behind_it(workspace_app, monkeypatch, size):
    """The second `w` shows what the view showed last before any store is read again, says
    "refreshing…" while the check runs, and redraws nothing when the check finds the same."""
    import threading

    from pixi_auth_tui.ui import workspace_screen

    app = workspace_app
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        first = app.screen
        assert isinstance(first, WorkspaceScreen) and first.report is not None
        hosts = [h.host for h in first.report.hosts]
        await pilot.press("escape")
        await settle(pilot)

        # The check of the second opening waits until the test lets it go.
        release, started = threading.Event(), threading.Event()
        real_check = workspace_screen.run_check

        def held_check(*args, **kwargs):
            started.set()
            release.wait(timeout=120)  # (only ends a test that failed before releasing it)
            return real_check(*args, **kwargs)

        monkeypatch.setattr(workspace_screen, "run_check", held_check)
        try:
            await shown_at_once_then_refreshed(pilot, first, hosts, release, started, monkeypatch)
        finally:
            release.set()


async def shown_at_once_then_refreshed(pilot, first, hosts, release, started, monkeypatch):
    """(The second half of the test above: the check is held until `release`.)"""
    app = pilot.app
    await pilot.press("w")
    await until(pilot, started.is_set, "the second check started")
    screen = app.screen
    assert isinstance(screen, WorkspaceScreen) and screen is not first
    table = screen.query_one("#hosts", LineTable)
    # Shown at once, while no store has been read again: the hosts, and that it is refreshing.
    assert [h.host for h in screen.report.hosts] == hosts and table.row_count == len(hosts)
    assert "refreshing…" in screen_text(app)

    redrawn: list[str] = []  # what the refresh sets again: nothing, when nothing changed
    for name, widget, method in (
        ("hosts", table, "set_rows"),
        ("summary", screen.query_one("#ws-summary", Static), "update"),
        ("detail", screen.query_one("#host-detail", Static), "update"),
    ):
        real = getattr(widget, method)
        counted = lambda *a, real=real, name=name, **kw: redrawn.append(name) or real(*a, **kw)  # noqa: E731
        monkeypatch.setattr(widget, method, counted)
    release.set()
    await until(pilot, lambda: screen.running is not None and screen.running.is_finished, "the check ended")
    await until(pilot, lambda: "refreshing…" not in screen_text(app), "refreshing… gone")
    assert screen.report is not None and [h.host for h in screen.report.hosts] == hosts
    assert redrawn == []
