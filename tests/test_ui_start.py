"""What the cold start's shortcuts must keep: the keys line's keys (drawn with the first frame,
following the focus) and the filter box answering `/` and Escape."""

from typing import ClassVar

import pytest
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.keys_line import KeysLine, ShownKey
from pixi_auth_tui.ui.widgets.credential_table import CredentialTable
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Button, Input

from tests.conftest import make_env, until
from tests.test_ui import settle, write_json

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
        assert not box.display and isinstance(screen.focused, CredentialTable)
        assert described(footer_keys(app)) == MAIN_KEYS
        # At rest nothing redraws itself on a timer (a hidden progress bar animated 15 times a second).
        assert [w for w in screen.walk_children() if w.auto_refresh] == []

        await pilot.press("slash")
        await settle(pilot)
        assert box.display and screen.focused is box
        # Typing goes to the box: Textual shows only the keys it does not take.
        await until(pilot, lambda: described(footer_keys(app)) == ["Filter", "palette"], "the box's keys")

        await pilot.press(*"b.ex")
        await pilot.pause()
        assert [r.key for r in screen.table.shown_rows] == ["b.example"]
        await pilot.press("escape")
        await settle(pilot)
        assert not box.display and box.value == "" and isinstance(screen.focused, CredentialTable)
        assert len(screen.table.shown_rows) == 2
        await until(pilot, lambda: described(footer_keys(app)) == MAIN_KEYS, "the table's keys again")


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
