"""What the cold start's shortcuts must keep: the keys line's keys (drawn with the first frame,
following the focus) and the filter box answering `/` and Escape."""

import json
import subprocess
import sys
import threading
from functools import partial
from typing import ClassVar

import pytest
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.keys_line import KeysLine, ShownKey
from pixi_auth_tui.ui.widgets import store_reader
from pixi_auth_tui.ui.widgets.credential_browser import FilterBox
from pixi_auth_tui.ui.widgets.credential_table import CredentialTable
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Button, Input, Static

from tests.conftest import NO_BUS, make_env, until
from tests.test_table_index import many_rows_home
from tests.test_ui import layout_requests, settle, write_json

BREAKPOINTS = {"-narrow", "-medium", "-wide", "-short", "-tall"}
MAIN_KEYS = ["Add", "Edit", "Move", "Delete", "Filter", "Test", "Audit", "Help", "Quit", "palette"]


def footer_keys(app: App[None]) -> list[ShownKey]:
    """The keys the screen's keys line drew."""
    return [span.key for span in app.screen.query_one(KeysLine).spans]


def described(keys: list[ShownKey]) -> list[str]:
    return [key.description for key in keys if key.description]


async def test_filter_box_and_footer_across_focus_changes(home):
    write_json(
        home / ".rattler/credentials.json", {"a.example": {"BearerToken": "t-1"}, "b.example": {"CondaToken": "c"}}
    )
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen = app.main
        box = screen.query_one("#filter", Input)
        assert box.display and isinstance(screen.focused, CredentialTable)  # the box is there, waiting
        assert described(footer_keys(app)) == MAIN_KEYS
        # At rest nothing redraws itself on a timer (a hidden progress bar animated 15 times a second).
        assert [w for w in screen.walk_children() if w.auto_refresh] == []

        await pilot.press("slash")
        await settle(pilot)
        assert box.display and screen.focused is box
        assert box.placeholder == FilterBox.TYPING  # what the pty shows: in, and how to get out
        # Typing goes to the box: Textual shows only the keys it does not take.
        await until(pilot, lambda: described(footer_keys(app)) == ["Filter", "palette"], "the box's keys")

        await pilot.press(*"b.ex")
        await pilot.pause()
        assert [r.key for r in screen.table.shown_rows] == ["b.example"]
        await pilot.press("escape")
        await settle(pilot)
        assert box.value == "" and isinstance(screen.focused, CredentialTable)
        assert box.placeholder == FilterBox.WAITING
        assert len(screen.table.shown_rows) == 2
        await until(pilot, lambda: described(footer_keys(app)) == MAIN_KEYS, "the table's keys again")


class ReadyApp(AuthApp):
    """Notes the table's rows when Textual says the first frame is drawn (its Ready event)."""

    rows_at_first_frame: int | None = None

    def on_ready(self) -> None:
        self.rows_at_first_frame = self.main.table.row_count


def three_entries(home) -> None:
    entries = {f"h{i}.example": {"BearerToken": f"t-{i}"} for i in range(3)}
    write_json(home / ".rattler/credentials.json", entries)


def count_shows(monkeypatch) -> list[int]:
    """A 1 for each inventory the table is handed (CredentialTable.show)."""
    shown: list[int] = []
    show = CredentialTable.show
    monkeypatch.setattr(CredentialTable, "show", lambda table, *a, **k: (shown.append(1), show(table, *a, **k))[1])
    return shown


async def test_the_first_frame_shows_the_rows(home, monkeypatch):
    """The screen waits a moment for the read at start (StoreReader.load_first), so its first
    frame has the rows instead of an empty table drawn once more when they come. The wait is
    made long here: a loaded machine must not decide the outcome."""
    three_entries(home)
    monkeypatch.setattr(store_reader, "FIRST_READ_PATIENCE", 120.0)
    shown = count_shows(monkeypatch)
    app = ReadyApp(make_env(home))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.rows_at_first_frame is not None, "the first frame")
        assert app.rows_at_first_frame == 3
        await until(pilot, lambda: app.main.audited, "the audit after the rows")
        await settle(pilot)
        assert shown == [1]  # shown once: the read was handed over, not told again by StoresRead


async def test_the_first_frame_shows_the_selected_row_in_the_pane(home, monkeypatch):
    """The pane is filled with the rows, so the first frame has it (not a frame, and a layout,
    after it): noted when the table first draws its rows."""
    three_entries(home)
    monkeypatch.setattr(store_reader, "FIRST_READ_PATIENCE", 120.0)
    pane_at_first_rows: list[str] = []
    render_lines = CredentialTable.render_lines

    def noting(table: CredentialTable, crop: Region) -> list[Strip]:
        if table.row_count and not pane_at_first_rows:
            pane_at_first_rows.append(str(table.screen.query_one("#detail", Static).render()))
        return render_lines(table, crop)

    monkeypatch.setattr(CredentialTable, "render_lines", noting)
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: bool(pane_at_first_rows), "the rows drawn")
        assert pane_at_first_rows[0].startswith("Key          h0.example")


async def test_the_audit_arriving_after_the_first_frame_lays_nothing_out(home, monkeypatch):
    """The audit follows the first frame: its badge is one line as wide as the summary whatever it
    says, so showing it changes no size and must not lay the screen out again (a whole layout
    and frame, just when a person's first key comes)."""
    three_entries(home)
    app = AuthApp(make_env(home))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.main.audited, "the audit after the rows")
        await settle(pilot)
        findings = app.main.findings
        assert findings, "the three entries in plaintext files are findings"
        layouts = layout_requests(monkeypatch)
        app.main.set_findings([])  # as an audit that found nothing would arrive
        badge = app.main.query_one("#badge", Static)
        assert "nothing to report" in str(badge.render())
        app.main.set_findings(findings)
        assert "press a for details" in str(badge.render())
        assert layouts == []


@pytest.mark.parametrize(("size", "sideways"), [((160, 40), False), ((80, 24), True)])
async def test_a_long_table_has_its_scrollbars_from_the_first_layout(home, monkeypatch, size, sideways):
    """Rows (and, at 80 columns, columns) that cannot fit on the screen: the scrollbars are
    declared before the first layout. Found by Textual after it, the table would be laid out and
    drawn again. (The rows must come with the first frame: the wait is made long.)"""
    monkeypatch.setattr(store_reader, "FIRST_READ_PATIENCE", 120.0)
    changes: list[tuple[str, bool]] = []

    def changed(axis: str, _before: bool, shown: bool) -> None:
        changes.append((axis, shown))

    for axis in ("vertical", "horizontal"):  # (a partial is not bound: Textual hands it old and new)
        monkeypatch.setattr(CredentialTable, f"watch_show_{axis}_scrollbar", partial(changed, axis), raising=False)
    app = AuthApp(make_env(many_rows_home(home, 100)))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.main.table
        assert (table.show_vertical_scrollbar, table.show_horizontal_scrollbar) == (True, sideways)
        assert changes == []


async def test_a_read_slower_than_the_wait_is_shown_when_done(home, monkeypatch):
    """Past the wait the first frame comes without the rows; the read is shown once it is done
    (by StoresRead, as any later read), once, and audited."""
    three_entries(home)
    monkeypatch.setattr(store_reader, "FIRST_READ_PATIENCE", 0.0)
    reading = store_reader.read_stores
    release = threading.Event()

    def slow_read(environment):
        release.wait(timeout=120)
        return reading(environment)

    monkeypatch.setattr(store_reader, "read_stores", slow_read)
    shown = count_shows(monkeypatch)
    app = ReadyApp(make_env(home))
    async with app.run_test(size=(160, 40)) as pilot:
        await until(pilot, lambda: app.rows_at_first_frame is not None, "the first frame")
        assert app.rows_at_first_frame == 0
        release.set()
        await until(pilot, lambda: app.main.table.row_count == 3, "the rows")
        await until(pilot, lambda: app.main.audited, "the audit after the rows")
        await settle(pilot)
        assert shown == [1]


# What the way to the first frame and the answer to `/` has no use for: dialogs, the command
# palette's provider, the browser a sign-in opens, the TOML reader (no config file here) and
# importlib.metadata (nothing on the way needs a package's version).
NOT_AT_START = (
    "importlib.metadata",
    "webbrowser",
    "tomllib",
    "pixi_auth_tui.ui.commands",
    "pixi_auth_tui.ui.dialogs.confirm",
    "pixi_auth_tui.ui.dialogs.help",
)
START_CHILD = """
import asyncio, dataclasses, json, sys
from pathlib import Path
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui.main import build_app

async def main():
    home = Path(sys.argv[1])
    app = build_app(Environment(home=home, env={"HOME": str(home), "DBUS_SESSION_BUS_ADDRESS": sys.argv[2]}), home)
    async with app.run_test(size=(160, 40)) as pilot:
        while not app.main.table.row_count:
            await pilot.pause(0.01)
        await pilot.press("slash")
        await pilot.pause()
        seen = [m for m in json.loads(sys.argv[3]) if m in sys.modules]
        ours = [(name, vars(module)) for name, module in list(sys.modules.items()) if name.startswith("pixi_auth_tui")]
        made = sorted(
            f"{name}.{value.__qualname__}"
            for name, values in ours
            for value in values.values()
            if isinstance(value, type) and value.__module__ == name and dataclasses.is_dataclass(value)
        )
        print(json.dumps([app.main.table.row_count, app.screen.focused.id, seen, made]))

asyncio.run(main())
"""


def test_the_start_imports_only_what_it_uses(home):
    """Checked in a fresh interpreter (pytest itself imports importlib.metadata). The modules it
    imports make no dataclass (see the package's docstring: their records are NamedTuples or
    plain classes)."""
    three_entries(home)
    argv = [sys.executable, "-c", START_CHILD, str(home), NO_BUS, json.dumps(NOT_AT_START)]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    rows, focused, seen, dataclasses_made = json.loads(run.stdout.splitlines()[-1])
    assert (rows, focused) == (3, "filter")
    assert seen == []
    assert dataclasses_made == []


class Extra(Button):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "press", "Extra key")]


class FooterApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Button("plain", id="plain")
        yield Extra("extra", id="extra")
        yield KeysLine()


async def test_the_keys_line_follows_the_keys_shown():
    app = FooterApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        first = footer_keys(app)
        assert described(first) == ["Quit", "palette"]
        app.query_one("#extra").focus()
        await until(pilot, lambda: described(footer_keys(app)) == ["Extra key", "Quit", "palette"], "extra key shown")
        app.query_one("#plain").focus()
        await until(pilot, lambda: described(footer_keys(app)) == ["Quit", "palette"], "extra key gone")


@pytest.mark.parametrize(("size", "classes"), [((160, 48), {"-wide", "-tall"}), ((90, 24), {"-narrow", "-short"})])
async def test_breakpoints_are_set_before_the_first_layout(home, monkeypatch, size, classes):
    """Textual sets them on the screen's first Resize, after its first frame; with that handler
    silenced, the main screen still has them from the start."""
    seen: list[set[str]] = []

    async def no_resize(screen: Screen[None], event: events.Resize) -> None:
        seen.append(set(screen.classes))

    monkeypatch.setattr(Screen, "_on_resize", no_resize)
    app = AuthApp(make_env(home))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert set(app.main.classes) & BREAKPOINTS == classes
        assert all(found & BREAKPOINTS == classes for found in seen)


def test_the_workspace_found_at_start_is_the_one_workspace_read_finds(tmp_path):
    """The start's own search, beside workspace_read.find_manifest: the same answer everywhere."""
    from pixi_auth_tui.system.manifest import NotAWorkspace, find_manifest
    from pixi_auth_tui.ui.main import workspace_manifest

    ws = tmp_path / "ws"
    (ws / "src" / "deep").mkdir(parents=True)
    (ws / "pixi.toml").write_text("[workspace]\nchannels = []\nplatforms = []\n")
    py = tmp_path / "py"
    (py / "pkg").mkdir(parents=True)
    (py / "pyproject.toml").write_text("[tool.pixi.workspace]\nchannels = []\nplatforms = []\n")
    plain = tmp_path / "plain"
    (plain / "sub").mkdir(parents=True)
    (plain / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "link").symlink_to(ws / "src", target_is_directory=True)
    places = [
        ws,
        ws / "src" / "deep",
        py / "pkg",
        plain / "sub",
        tmp_path / "link",
        tmp_path / "gone",
        ws / "pixi.toml",
    ]

    def reference(place):
        try:
            return find_manifest(place)
        except (NotAWorkspace, OSError):
            return None

    found = [workspace_manifest(place) for place in places]
    assert found == [reference(place) for place in places]
    assert found[:2] == [ws / "pixi.toml"] * 2 and found[2] == py / "pyproject.toml"
