"""Fixed demo scenes of the real app, for the screenshots and the snapshot tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from pixi_auth_tui.engine.demo import demo_environment
from pixi_auth_tui.ui.app import AuthApp

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


async def settled_frame(pilot: Pilot[None], rounds: int = 20) -> None:
    """Settle until two frames in a row are the same. Under load, one settle can end a step
    too early: a screen just pushed mounts after it, or a table measures its columns on its
    next idle (the audit table was once pictured with its columns at their titles' width).
    Bounded; nothing is retried: the picture is taken once, of a screen that stopped changing."""
    await settle(pilot)
    previous = pilot.app.export_screenshot()
    for _ in range(rounds):
        await settle(pilot)
        current = pilot.app.export_screenshot()
        if current == previous:
            return
        previous = current


def stop_blinking(pilot: Pilot[None]) -> None:
    """A text cursor caught mid-blink is the one thing that differs between two runs."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False


async def play(pilot: Pilot[None], scene: Scene) -> None:
    """Bring the app to the scene, settled, whatever the load on the machine: every key is
    pressed on a screen that stopped changing, and the last frame is awaited the same way."""
    await settle(pilot)
    for key in scene.keys:
        stop_blinking(pilot)
        if isinstance(pilot.app.focused, Input):
            await settle(pilot)  # typing into a field: nothing else is on its way
        else:
            await settled_frame(pilot)
        await pilot.press(key)
    stop_blinking(pilot)
    await settled_frame(pilot)
