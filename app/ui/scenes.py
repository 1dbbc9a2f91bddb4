"""Fixed demo scenes of the real app, for the screenshots and the snapshot tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pixi_auth_tui.demo import demo_environment
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
    Scene("main", "Every credential in pixi's lookup order", (150, 34), ("down", "down")),
    Scene("add-form", "Adding a credential", (100, 40), ("n", *"prefix.dev")),
    Scene("detail", "Detail of a shadowed entry, secret masked", (150, 34), ("down",) * 6),
    Scene("error-state", "A malformed credentials file, shown and left untouched", (100, 30), (), True),
    Scene("audit", "Audit: what is wrong, and one-key fixes", (120, 32), ("a", "down", "down", "down")),
)


def scene_app(scene: Scene, home: Path) -> AuthApp:
    """The real app on fresh demo stores under `home` (which must not exist yet)."""
    environment = demo_environment(home, now=FIXED_NOW)
    if scene.broken_credentials_file:
        (home / ".rattler" / "credentials.json").write_text('{"files.example.org": {"BasicHTTP": ')
    return AuthApp(environment, clock=lambda: FIXED_NOW)
