"""Render the Workspace view into screenshots/workspace.svg, on a generated workspace and stores.

python screenshots/render_workspace.py

Nothing is contacted: the verdicts come from remembered test results written beside the stores
(as an earlier `check --test` would have left them), so the picture is the same on every run.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pixi_auth_tui.probe.state import EXPLANATION, ProbeResult, ProbeState, Verdict, result_key
from pixi_auth_tui.stores.memory import MemoryKeychainStore
from pixi_auth_tui.system.paths import Environment
from pixi_auth_tui.ui.app import AuthApp
from pixi_auth_tui.workspace.model import AnonymousResult
from pixi_auth_tui.workspace.probe import save_anonymous

OUT = Path(__file__).resolve().parent
NOW = 1_800_000_000.0
MANIFEST = """[workspace]
name = "analysis"
channels = ["conda-forge", "https://repo.prefix.dev/my-team", "https://files.example.org/conda/internal"]
platforms = ["linux-64"]

[workspace.s3-options.team-bucket]
endpoint-url = "https://s3.eu-central-1.amazonaws.com"
region = "eu-central-1"
force-path-style = false

[pypi-options]
index-url = "https://pypi.example.org/simple"

[pypi-dependencies]
analysis-tools = "*"

[feature.gpu]
channels = ["s3://team-bucket/channel"]

[environments]
gpu = ["gpu"]
"""
MIRRORS = '[mirrors]\n"https://conda.anaconda.org/conda-forge" = ["https://mirror.example.net/conda-forge"]\n'


def write_sample(home: Path) -> tuple[Path, Environment]:
    ws = home / "src" / "analysis"
    (ws / ".pixi").mkdir(parents=True)
    (ws / "pixi.toml").write_text(MANIFEST)
    (ws / ".pixi" / "config.toml").write_text(MIRRORS)
    (home / ".rattler").mkdir(mode=0o700)
    (home / ".rattler" / "credentials.json").write_text(
        json.dumps(
            {
                "*.prefix.dev": {"BearerToken": "pfx_demo0000000000000000000000Xq7f"},
                "files.example.org": {"BasicHTTP": {"username": "alice", "password": "demo-password-1"}},
                "conda.anaconda.org": {"CondaToken": "xy-72b9demo000000000000000000c0de"},
                "s3://team-bucket": {
                    "S3Credentials": {
                        "access_key_id": "AKIADEMO000000000000",
                        "secret_access_key": "demo/secret/key/0000000000000000000000",
                        "session_token": None,
                    }
                },
            },
            separators=(",", ":"),
            sort_keys=True,
        )
    )
    env = {"HOME": str(home), "XDG_STATE_HOME": str(home / ".local" / "state"), "PIXI_NO_CONFIG": "1"}
    environment = Environment(home=home, env=env, keychain=MemoryKeychainStore([]), label="workspace demo")
    state = ProbeState.default(env)
    tested = {
        "*.prefix.dev": (Verdict.ACCEPTED, "https://repo.prefix.dev/my-team/noarch/repodata.json", 200),
        "files.example.org": (Verdict.REJECTED, "https://files.example.org/conda/internal/noarch/repodata.json", 401),
        "s3://team-bucket": (Verdict.ACCEPTED, "https://team-bucket.s3.eu-central-1.amazonaws.com/channel/", 200),
    }
    for key, (verdict, url, status) in tested.items():
        message = EXPLANATION[verdict]
        state.results[result_key("credentials", key)] = ProbeResult(key, url, verdict, message, status, 401, 80.0)
        state.results[result_key("credentials", key)].tested_at = NOW - 3600
    state.save()
    save_anonymous(
        state,
        {
            "pypi.example.org": AnonymousResult("https://pypi.example.org/simple/", 401, "", NOW - 3600),
            "mirror.example.net": AnonymousResult(
                "https://mirror.example.net/conda-forge/noarch/repodata.json", 200, "", NOW - 3600
            ),
        },
    )
    return ws / "pixi.toml", environment


async def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="pixi-auth-tui-screens-"))
    try:
        manifest, environment = write_sample(root / "home")
        app = AuthApp(environment, clock=lambda: NOW)
        app.workspace_paths = [manifest]
        async with app.run_test(size=(120, 34)) as pilot:
            for _ in range(3):  # the app's load, then the view's check
                await pilot.pause()
                await app.workers.wait_for_complete()
            await pilot.pause()
            path = OUT / "workspace.svg"
            path.write_text(app.export_screenshot(title="pixi-auth-tui — Workspace: hosts, credentials, verdicts"))
            print(path)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
