"""Fixed demo scenes of the real app, for the screenshots and the snapshot tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pixi_auth_tui.demo import demo_environment
from pixi_auth_tui.ui.app import AuthApp
from textual.pilot import Pilot
from textual.widgets import Input

# A fixed "now", so expiry texts and generated tokens are the same on every run.
FIXED_NOW = 1_800_000_000.0


@dataclass(frozen=True)
class Scene:
    name: str
    title: str
    size: tuple[int, int]
    keys: tuple[str, ...] = ()
    broken_credentials_file: bool = False


SCENES = (
    Scene("main", "Every credential in pixi's lookup order", (120, 36), ("down", "down")),
    Scene("narrow", "The same at 80×24", (80, 24), ("down", "down")),
    Scene("detail", "Detail of a shadowed entry beside the table, secret masked", (160, 34), ("down",) * 6),
    Scene("add-form", "Adding a credential", (100, 40), ("n", *"prefix.dev")),
    Scene("rotate-form", "Rotating a username + password: focus on the first field", (100, 34), ("down",) * 7 + ("e",)),
    Scene("error-state", "A malformed credentials file, shown and left untouched", (100, 30), (), True),
    Scene("audit", "Audit: what is wrong, and one-key fixes", (120, 32), ("a", "down", "down", "down")),
)


def scene_app(scene: Scene, home: Path) -> AuthApp:
    """The real app on fresh demo stores under `home` (which must not exist yet)."""
    environment = demo_environment(home, now=FIXED_NOW)
    if scene.broken_credentials_file:
        (home / ".rattler" / "credentials.json").write_text('{"files.example.org": {"BasicHTTP": ')
    return AuthApp(environment, clock=lambda: FIXED_NOW)


async def settle(pilot: Pilot[None]) -> None:
    """Wait until nothing is left to happen: messages handled, workers done, animations over."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def play(pilot: Pilot[None], scene: Scene) -> None:
    """Bring the app to the scene, settled, whatever the load on the machine: every key is
    followed by a settle, and text cursors stop blinking (a blink caught mid-cycle is the
    only thing that would differ between two runs)."""
    await settle(pilot)
    for key in scene.keys:
        await pilot.press(key)
        await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await settle(pilot)
