"""Find the Textual stylesheets, installed (pixi_auth_tui.styles) or in a source checkout (styles/)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def stylesheet(name: str) -> Path:
    try:
        installed = files("pixi_auth_tui.styles") / name
        if installed.is_file():
            return Path(str(installed))
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[3] / "styles" / name
