"""Text from outside is text, and nothing crashes the UI or leaks from it: hostile keys and
usernames, a forced crash, and a bounded random walk through the whole app (Pilot only:
keys, pastes and resizes, so it survives any restructuring of the screens)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from pathlib import Path

import pytest
from pixi_auth_tui.engine.demo import demo_environment
from pixi_auth_tui.engine.inventory import Inventory
from pixi_auth_tui.ui import present
from pixi_auth_tui.ui.app import AuthApp
from textual import events

from tests.conftest import make_env, until
from tests.test_ui import screen_text, settle

HOSTILE_KEYS = [
    "[/]",
    "[@click=app.quit]click me[/]",
    "[bold red]loud",
    "esc\x1b[2Jclear.example",
    "bidi\u202etxt.example",
    "zero\u200bwidth.example",
    "c1\x9bcsi.example",
]
SECRET = "pfx_hostile-secret-0123456789abcdef"


def hostile_home(home: Path) -> Path:
    path = home / ".rattler" / "credentials.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    entries: dict[str, object] = {key: {"BearerToken": f"{SECRET}-{i}"} for i, key in enumerate(HOSTILE_KEYS)}
    entries["user.example"] = {"BasicHTTP": {"username": "[@click=app.quit]u\x1b[31m", "password": "pw-hostile-1"}}
    path.write_text(json.dumps(entries))
    path.chmod(0o600)
    return home


async def test_hostile_keys_and_filter_text_are_shown_escaped_never_as_markup(home):
    app = AuthApp(make_env(hostile_home(home)))
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        assert app.is_running and len(app.main.table.shown_rows) == len(HOSTILE_KEYS) + 1
        text = screen_text(app)
        assert "[@click=app.quit]click me[/]" in text and "[bold red]loud" in text
        assert "esc\\x1b[2Jclear.example" in text and "bidi\\u202etxt.example" in text
        assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
        # Each row: reveal, copy, test (notifications quote the key), and the detail pane.
        for _ in range(len(app.main.table.shown_rows)):
            await pilot.press("down", "t")
            await settle(pilot)
        # The filter: typed markup is a search string (it used to crash with MarkupError).
        await pilot.press("slash", *"[/]", "x")
        await settle(pilot)
        assert "No entry matches “[/]x”" in screen_text(app)
        await pilot.press("backspace")
        await settle(pilot)
        assert [r.key for r in app.main.table.shown_rows] == ["[/]", "[@click=app.quit]click me[/]"]
        await pilot.press("escape", "a")
        await settle(pilot)
        assert "[@click=app.quit]click me[/]" in screen_text(app)  # the audit names the key as typed
    assert app.return_code in (None, 0)


async def test_a_crash_in_the_ui_shows_one_message_no_locals_no_secret(home, monkeypatch, capsys):
    hostile_home(home)

    def explode(row, now):
        token = row.entry.credential.token  # a local that holds the secret
        raise RuntimeError(f"forced failure for {token}")

    monkeypatch.setattr(present, "row_cells", explode)
    app = AuthApp(make_env(home))
    with pytest.raises(Exception, match="forced failure"):  # Pilot re-raises what crashed the app
        async with app.run_test(size=(120, 40)):
            # Only the app may draw the rows here: a Pilot pause draws the screen from the test's own
            # task, so the failure could be raised there instead of in the app (return code None).
            give_up = time.monotonic() + 180
            while app.return_code is None and time.monotonic() < give_up:
                await asyncio.sleep(0.01)
    assert app.return_code == 1
    report = app.crash_report
    assert report is not None and report.stat().st_mode & 0o777 == 0o600
    text = report.read_text()
    assert "forced failure for <hidden>" in text and "explode" in text and SECRET not in text
    shown = "".join(str(r) for r in app._exit_renderables) + "".join(capsys.readouterr())
    assert SECRET not in shown


async def test_the_file_watcher_never_builds_a_repr_of_the_inventory(home, monkeypatch):
    def no_repr(self: Inventory) -> str:
        raise AssertionError("repr(Inventory) was built")

    monkeypatch.setattr(Inventory, "__repr__", no_repr)
    from pixi_auth_tui.ui.widgets import store_reader

    checked: list[object] = []
    real_changed_files = store_reader.changed_files
    monkeypatch.setattr(store_reader, "changed_files", lambda *args: checked.append(1) or real_changed_files(*args))
    app = AuthApp(make_env(hostile_home(home)))
    app.watch_seconds = 0.05
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: len(checked) >= 3, "three checks of the files")
        await settle(pilot)
        assert app.is_running


async def test_a_pasted_secret_with_a_line_break_is_refused_not_cut_to_its_first_line(home):
    app = AuthApp(make_env(hostile_home(home)))
    async with app.run_test(size=(120, 50)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        token = app.screen.query_one("#token")
        token.focus()
        await pilot.pause()
        for text in ("front-part\u2028back-part", "front-part\x85back", "front\x1cback", "a\r\nb"):
            app.post_message(events.Paste(text))
            await pilot.pause()
            assert token.value == ""
        app.post_message(events.Paste("whole-token-123456\n"))  # one trailing line end: copied with the line
        await pilot.pause()
        assert token.value == "whole-token-123456"


# -- the random walk --------------------------------------------------------------------------

KEYS = [
    *"nemdvcotTarusfz/?",
    "escape",
    "enter",
    "tab",
    "shift+tab",
    "up",
    "down",
    "left",
    "right",
    "pageup",
    "pagedown",
    "home",
    "end",
    "backspace",
    "space",
    "ctrl+s",
    "ctrl+p",
    "[",
    "]",
    "@",
]
PASTES = [
    "[/]",
    "[@click=app.quit]x[/]",
    "\x1b[31mred\x1b[0m",
    "\u202eevil",
    "line\u2028break",
    "token\x85next",
    "tab\there",
    "emoji 🔑 名前",
    "[b]" * 200,
    "x" * 20_000,
]
SIZES = [(200, 50), (80, 24), (40, 12), (20, 6), (120, 40)]
# CI walks a short, fixed path (a few seconds); set more steps and another seed to explore.
STEPS = int(os.environ.get("PIXI_AUTH_TUI_WALK_STEPS", "60"))
SEED = int(os.environ.get("PIXI_AUTH_TUI_WALK_SEED", "15"))


async def test_a_bounded_random_walk_with_a_hostile_alphabet_ends_without_an_exception(home):
    env = demo_environment(home / "demo")
    hostile_home(env.home)  # the demo's stores plus hostile keys: demo mode sends nothing anywhere
    app = AuthApp(env)
    rng = random.Random(SEED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for _step in range(STEPS):
            roll = rng.random()
            if roll < 0.08:
                app.post_message(events.Paste(rng.choice(PASTES)))
                await pilot.pause()
            elif roll < 0.12:
                await pilot.resize_terminal(*rng.choice(SIZES))
            else:
                await pilot.press(rng.choice(KEYS))
            assert app.is_running, "a key closed the app"
        await settle(pilot)
    assert app.return_code in (None, 0) and app.crash_report is None
