"""The main screen's layout classes, worked out before its first frame.

Textual sets a screen's breakpoint classes when it gets its first Resize, which comes after the
first frame: that frame was drawn in the layout of no breakpoint, then restyled and drawn again.
`layout_classes` gives the same classes from the same sizes, so the Resize then changes nothing."""

from __future__ import annotations

from pixi_auth_tui.system.preferences import DETAIL_PLACES

Breakpoints = list[tuple[int, str]]


def breakpoint_class(size: int, breakpoints: Breakpoints) -> str | None:
    """The class of the widest breakpoint `size` reaches, as Textual picks it."""
    reached = [(at, name) for at, name in breakpoints if size >= at]
    return max(reached)[1] if reached else None


def layout_classes(
    size: tuple[int, int], horizontal: Breakpoints, vertical: Breakpoints, detail_place: str
) -> dict[str, bool]:
    """Every breakpoint class (on for the size reached) and the detail pane's place (`p`)."""
    width, height = size
    classes = dict.fromkeys((name for _, name in [*horizontal, *vertical]), False)
    for name in (breakpoint_class(width, horizontal), breakpoint_class(height, vertical)):
        if name is not None:
            classes[name] = True
    for place in DETAIL_PLACES[1:]:
        classes[f"-detail-{place}"] = detail_place == place
    return classes
