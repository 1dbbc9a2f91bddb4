"""Layout regressions: the demo scenes compared against committed SVG snapshots.

Update after an intended change with: pytest tests/test_snapshots.py --snapshot-update
"""

import pytest
from pixi_auth_tui.ui.scenes import SCENES, scene_app


async def wait_for_stores(pilot):
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_scene(scene, snap_compare, tmp_path):
    app = scene_app(scene, tmp_path / "demo-home")
    assert snap_compare(app, press=scene.keys, terminal_size=scene.size, run_before=wait_for_stores)
