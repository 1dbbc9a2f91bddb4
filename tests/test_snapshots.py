"""Layout regressions: the demo scenes compared against committed SVG snapshots.

Every scene is played to a settled screen before the picture is taken (see scenes.play), so
the result does not depend on how busy the machine is; nothing is retried.
Update after an intended change with: pytest tests/test_snapshots.py --snapshot-update
"""

import pytest
from pixi_auth_tui.ui.scenes import SCENES, play, scene_app


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_scene(scene, snap_compare, tmp_path):
    app = scene_app(scene, tmp_path / "demo-home")

    async def run_before(pilot):
        await play(pilot, scene)

    assert snap_compare(app, terminal_size=scene.size, run_before=run_before)
