"""No raw control character reaches the terminal, whatever widget shows it.

Outside text (keys, user names, URLs from the state file, server answers, a paste) can hold
escape sequences: `\\x1b]52;…` sets the clipboard, `\\x1b[2J` clears the screen, a bidi
override reorders what follows. Two layers keep them out:

- `PlainInput` (every input field of the app): an Input shows its value through a highlighter
  that draws each control character as a visible one-cell picture (`␛`, `␇`, `�`) while the
  value itself stays exactly what was pre-filled or typed — a credential saved unchanged is
  not altered. (Textual's Input renders its value as Rich text and passes ESC through.)
- `ControlFilter`, installed by the App as a line filter (Textual's public `get_line_filters`):
  the last gate before the driver. Any control character still in a drawn line — from a
  widget that forgot `plain()` — is removed; each has zero width, so the layout is unchanged.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rich.highlighter import Highlighter
from rich.segment import Segment
from rich.text import Text
from textual.color import Color
from textual.filter import LineFilter
from textual.widgets import Input

# The categories `plain` escapes (control, format such as bidi overrides, surrogates, line and
# paragraph separators): invisible, or able to move the cursor, recolour or reorder a terminal.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_REPLACEMENT = "\ufffd"  # one cell, visibly "something unprintable stood here"


def _picture(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode's control pictures: ␀ … ␟ (one cell each)
    if code == 0x7F:
        return "\u2421"  # ␡
    return _REPLACEMENT


def is_control(ch: str) -> bool:
    return unicodedata.category(ch) in _CONTROL_CATEGORIES


def pictured(text: str) -> str:
    """`text` with each control character replaced by one visible character: the same length,
    so a cursor position in the value is the same position on screen."""
    if text.isprintable():
        return text
    return "".join(_picture(ch) if is_control(ch) else ch for ch in text)


class ControlPictures(Highlighter):
    """A highlighter that draws control characters as pictures (see `pictured`)."""

    def __call__(self, text: str | Text) -> Text:
        if isinstance(text, str):
            text = Text(text)
        shown = pictured(text.plain)
        if shown == text.plain:
            return text
        result = text.copy()
        result.plain = shown  # same length: the spans (selection, cursor) stay where they were
        return result

    def highlight(self, text: Text) -> None:
        """(Nothing to colour: `__call__` does the work.)"""


class PlainInput(Input):
    """An Input whose outside text is shown with control characters visible, never raw."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("highlighter", ControlPictures())
        super().__init__(*args, **kwargs)


def _without_controls(text: str) -> str:
    return "".join(ch for ch in text if not is_control(ch))


class ControlFilter(LineFilter):
    """Removes every control character from the text of a drawn line (never from the
    terminal's own control segments, which Textual adds after this)."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if all(segment.text.isprintable() or segment.control for segment in segments):
            return segments
        return [
            segment
            if segment.control or segment.text.isprintable()
            else Segment(_without_controls(segment.text), segment.style, segment.control)
            for segment in segments
        ]
