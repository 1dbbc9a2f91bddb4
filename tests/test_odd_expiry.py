"""Odd expiry values (issue 23, item 6): a JWT `exp` in milliseconds, 1e400, NaN, negative,
an OAuth `expires_at` of 10**18 (rattler accepts any i64). Every reading goes through
`core.expiry`; the UI starts and shows every such row, the CLI prints them, and a crash of
the UI is a non-zero exit."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from pixi_auth_tui.cli.main import main
from pixi_auth_tui.core import expiry
from pixi_auth_tui.core.model import BearerToken, OAuth, expires_at
from pixi_auth_tui.oauth import info
from pixi_auth_tui.ui.app import AuthApp

from tests.conftest import make_env
from tests.test_ui import screen_text, settle

NOW = 1_800_000_000


def jwt(exp: str) -> str:
    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    claims = '{"sub": "s", "exp": ' + exp + "}"
    return f"{part('{}')}.{part(claims)}.c2lnbmF0dXJl"


def oauth(expires: int) -> dict[str, object]:
    return {
        "OAuth": {
            "access_token": f"odd-access-token-{expires}",
            "refresh_token": None,
            "expires_at": expires,
            "token_endpoint": "https://auth.example/token",
            "revocation_endpoint": None,
            "client_id": "rattler",
        }
    }


ODD = {
    "a-ms.example": {"BearerToken": jwt("1800000000000")},
    "b-inf.example": {"BearerToken": jwt("1e400")},
    "c-nan.example": {"BearerToken": jwt("NaN")},
    "d-neg.example": {"BearerToken": jwt("-5")},
    "e-negbig.example": {"BearerToken": jwt("-1e300")},
    "f-huge.example": oauth(10**18),
    "g-neg.example": oauth(-(2**63)),
    "h-max.example": oauth(2**63 - 1),
}


def write_entries(home: Path, entries: dict[str, object]) -> None:
    path = home / ".rattler" / "credentials.json"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(json.dumps(entries))
    path.chmod(0o600)


def test_one_reading_of_expiry_in_range_or_unknown():
    assert expiry.unix_time(1_800_000_000) == 1_800_000_000
    assert expiry.unix_time(1_800_000_000_000, jwt=True) == 1_800_000_000  # milliseconds
    for odd in (float("inf"), float("-inf"), float("nan"), -5, 10**18, 2**63, -(2**63), "1", [1], {}, True, None):
        assert expiry.unix_time(odd) is None and expiry.unix_time(odd, jwt=True) is None
    assert expires_at(BearerToken(jwt("1e400"))) is None
    assert expires_at(OAuth("t" * 12, None, 10**18, "https://a/t", None, "c")) is None


@pytest.mark.parametrize("key", sorted(ODD))
def test_token_details_and_countdown_never_raise(key):
    from pixi_auth_tui.core.model import parse_credential

    cred = parse_credential(json.loads(json.dumps(ODD[key]), parse_constant=float))
    details = info.token_details(cred, NOW)
    assert details is not None
    assert details.expires_at is None or 0 <= details.expires_at <= expiry.LATEST_TIME
    info.countdown(details.expires_at, NOW)


async def test_the_ui_starts_and_shows_every_odd_expiry_row(home):
    write_entries(home, ODD)
    app = AuthApp(make_env(home), clock=lambda: NOW)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        assert app.is_running and len(app.main.table.shown_rows) == len(ODD)
        for _ in ODD:  # each row selected: its detail pane (countdown, absolute time) is drawn
            await pilot.press("down")
            await settle(pilot)
            assert app.is_running
        text = screen_text(app)
        assert "h-max.example" in text
        details = app.main.detail.text().plain
        assert "after the year 9999" in details, details
    assert app.return_code in (None, 0) and app.crash_report is None


def test_the_cli_reads_odd_expiries_in_every_output(home):
    write_entries(home, ODD)
    for args in (["list"], ["list", "--json"], ["audit"], ["resolve", "https://f-huge.example/x"]):
        out, err = io.StringIO(), io.StringIO()
        code = main(args, out=out, err=err, stdin=io.StringIO(""))
        assert code in (0, 5), (args, code, err.getvalue())
        assert "internal error" not in err.getvalue()


def test_a_crash_of_the_ui_exits_non_zero(home, monkeypatch):
    from pixi_auth_tui.ui import main as ui_main

    class Crashing:
        return_code = 1

        def run(self) -> None:
            return None

    monkeypatch.setattr(ui_main, "build_app", lambda environment, cwd, config=None: Crashing())
    assert ui_main.run_tui(make_env(home)) == 1
