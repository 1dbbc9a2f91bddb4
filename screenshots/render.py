"""Render the real app on demo data into screenshots/*.svg (secrets masked, as on screen).

python screenshots/render.py
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pixi_auth_tui.ui.scenes import SCENES, Scene, play, scene_app

OUT = Path(__file__).resolve().parent


async def render(scene: Scene, root: Path) -> Path:
    app = scene_app(scene, root / scene.name)
    async with app.run_test(size=scene.size) as pilot:
        await play(pilot, scene)
        path = OUT / f"{scene.name}.svg"
        path.write_text(app.export_screenshot(title=f"pixi-auth-tui — {scene.title}"))
    return path


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="pixi-auth-tui-screens-"))
    try:
        for scene in SCENES:
            print(await render(scene, root))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
