"""The main screen's widgets: each owns its state and tells the screen by messages (ui/messages)."""

from __future__ import annotations

from typing import TypeVar

from textual.widget import Widget

W = TypeVar("W", bound=Widget)


def hidden(widget: W) -> W:
    """Start a widget hidden: cheaper than hiding it after mount, which restyles the screen."""
    widget.display = False
    return widget
