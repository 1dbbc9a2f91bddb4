"""The Status view (issue 25, item 4, in the UI): `s` and the command palette open it; it shows
what `pixi-auth-tui status` says, from the same engine function, at 120x40 and 80x24; Enter goes
to the credential on the main screen."""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path

import pytest
from pixi_auth_tui.cli.main import main
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.ui.main_screen import MainScreen
from pixi_auth_tui.ui.status_screen import StatusScreen

from tests.conftest import make_env
from tests.test_ui import screen_text, settle

EXPIRED_KEY = "expired.example"
HOSTILE_USER = "ci\x1b[31m[b]user[/b]"


def jwt(exp: int) -> str:
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'exp': exp})}.c2lnbmF0dXJl"


@pytest.fixture
def stores(home: Path) -> Path:
    folder = home / ".rattler"
    folder.mkdir()
    (folder / "credentials.json").write_text(
        json.dumps(
            {
                EXPIRED_KEY: {"BearerToken": jwt(int(time.time()) - 7200)},
                "valid.example": {"BasicHTTP": {"username": HOSTILE_USER, "password": "pw-0123456789"}},
            }
        )
    )
    return home


async def go_to_row(pilot, screen: StatusScreen, host: str) -> None:
    """The cursor to `host`'s row, with the keys a person presses."""
    await pilot.press("home", *["down"] * next(i for i, s in enumerate(screen.statuses) if s.host == host))
    await settle(pilot)


async def wait_status(pilot) -> StatusScreen:
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, StatusScreen)
    if screen.running is not None:
        await screen.running.wait()
    await settle(pilot)
    return screen


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_status_view_says_what_the_cli_says(stores: Path, size: tuple[int, int]) -> None:
    out = io.StringIO()
    main(["status", "--json"], out=out, err=io.StringIO())
    cli = [(h["host"], h["state"]) for h in json.loads(out.getvalue())["hosts"]]
    app = AuthApp(make_env(stores))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("s")
        screen = await wait_status(pilot)
        assert [(s.host, s.state) for s in screen.statuses] == cli
        shown = screen_text(app)
        assert EXPIRED_KEY in shown and "expired" in shown and "\x1b" not in shown
        # Enter goes to the credential on the main screen.
        await go_to_row(pilot, screen, EXPIRED_KEY)
        assert "the token has expired" in screen_text(app)
        # Outside text (a user name) is shown escaped, never as markup or a terminal escape.
        await go_to_row(pilot, screen, "valid.example")
        shown = screen_text(app)
        assert "ci\\x1b[31m[b]user[/b]" in shown and "\x1b" not in shown
        await go_to_row(pilot, screen, EXPIRED_KEY)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        selected = app.main.table.selected_row()
        assert selected is not None and selected.key == EXPIRED_KEY


async def test_status_view_from_the_command_palette(stores: Path) -> None:
    app = AuthApp(make_env(stores))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"status")
        await settle(pilot)
        assert "(key s)" in screen_text(app)
        await pilot.press("enter")
        screen = await wait_status(pilot)
        assert {s.host for s in screen.statuses} >= {EXPIRED_KEY, "valid.example"}
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
