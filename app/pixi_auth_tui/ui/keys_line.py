"""A screen's keys on one line: what Textual's Footer shows, drawn by one widget.

Textual's Footer is a container of one widget per key, composed only after the screen first
publishes its bindings, and recomposed after the next refresh each time it does: a dialog's
keys reached the terminal two frames after the dialog itself (the rebuild, then the new keys'
layout). This line reads the screen's active bindings when it is drawn, so the keys are in the
screen's first frame; it redraws itself when the screen publishes its bindings
(`bindings_updated_signal`) and the keys it would show differ from those it shows.

It shows what Footer shows, in Footer's order and look: one key per action (the first bound),
as the app displays it (`App.get_key_display`, which follows the keymap), disabled keys dimmed,
the command palette's key at the right edge; `compact` as Footer's `compact`. A click on a key
presses it (`App.simulate_key`, as Footer's keys do); a disabled key rings the bell.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


class ShownKey(NamedTuple):
    key: str  # what a click presses
    display: str  # how the app shows the key (the keymap's key, "^s" for ctrl+s)
    description: str
    enabled: bool
    palette: bool = False  # the command palette's key, at the right edge


class KeySpan(NamedTuple):
    start: int  # first cell of the key on the line
    end: int  # one past its last cell
    key: ShownKey


class KeysLine(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "keys-line--key",
        "keys-line--description",
        "keys-line--hover",
        "keys-line--edge",
    }
    # Footer's own colours (the theme's footer variables), for a line that looks like it.
    DEFAULT_CSS = """
    KeysLine {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .keys-line--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keys-line--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keys-line--hover {
            background: $block-hover-background;
        }
        & > .keys-line--edge {
            color: $foreground 20%;
        }
    }
    """

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.compact = compact
        self.show_command_palette = show_command_palette
        self.shown: tuple[ShownKey, ...] = ()  # the keys of the last drawing
        self.spans: tuple[KeySpan, ...] = ()  # where each key of the last drawing is on the line
        self.hovered: ShownKey | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen and self.keys() != self.shown:
            self.refresh()

    def keys(self) -> tuple[ShownKey, ...]:
        """The keys Footer would show for the screen's active bindings, in its order."""
        app = self.app
        active = self.screen.active_bindings
        keys: list[ShownKey] = []
        actions: set[str] = set()
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in actions:  # Footer shows an action's first key
                actions.add(binding.action)
                keys.append(ShownKey(binding.key, app.get_key_display(binding), binding.description, enabled))
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            entry = active.get(app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                binding = entry.binding
                shown = ShownKey(binding.key, app.get_key_display(binding), binding.description, entry.enabled, True)
                keys.append(shown)
        return tuple(keys)

    def _pieces(self, key: ShownKey) -> list[tuple[str, str]]:
        """(text, component class) of one key, with Footer's padding and margin. (Footer draws the
        command palette's key compact whether or not it is compact itself.)"""
        if self.compact or key.palette:
            return [(key.display, "keys-line--key"), (f" {key.description}", "keys-line--description"), (" ", "")]
        return [(f" {key.display} ", "keys-line--key"), (f"{key.description} ", "keys-line--description")]

    def render(self) -> Text:
        keys = self.keys()
        base = self.rich_style
        styles: dict[str, Style | None] = {
            name: self.get_component_rich_style(name) for name in ("keys-line--key", "keys-line--description")
        }
        styles[""] = None  # a margin: the line's own style, as the padding after the keys
        hover = Style(bgcolor=self.get_component_rich_style("keys-line--hover").bgcolor)  # the key keeps its colours
        dim = Style(dim=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[KeySpan] = []

        def add(key: ShownKey) -> None:
            start = line.cell_len
            for text, name in self._pieces(key):
                style = styles[name]
                if style is not None and key == self.hovered and key.enabled:
                    style += hover
                if style is not None and not key.enabled:
                    style += dim
                line.append(text, style)
            spans.append(KeySpan(start, line.cell_len, key))

        width = self.size.width
        palette = [key for key in keys if key.palette]
        for key in keys:
            if not key.palette:
                add(key)
        if palette:
            edge = "▏"
            right = sum(cell_len(text) for text, _ in self._pieces(palette[0])) + cell_len(edge)
            line.truncate(max(0, width - right), overflow="crop", pad=True)
            line.append(edge, self.get_component_rich_style("keys-line--edge"))
            add(palette[0])
        line.truncate(width, overflow="crop", pad=True)
        line.stylize_before(base)
        self.shown = keys
        self.spans = tuple(span for span in spans if span.start < width)
        return line

    def key_at(self, x: int) -> ShownKey | None:
        return next((span.key for span in self.spans if span.start <= x < span.end), None)

    def hover(self, key: ShownKey | None) -> None:
        if key != self.hovered:
            self.hovered = key
            self.styles.pointer = "default" if key is None else "pointer"  # as over Footer's keys
            self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.hover(self.key_at(event.x))

    def on_leave(self, _event: events.Leave) -> None:
        self.hover(None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
