"""Textual's Footer, rebuilt only when the keys it shows change.

Textual (checked on 8.2) rebuilds the Footer — every key widget anew — whenever its screen
publishes `bindings_updated`: on each focus change and screen activation, even when the keys
shown stay the same. Here a rebuild happens only when what it would show differs (as when the
filter box takes the focus, and with it the keys typed into it).

Textual issue 6666 (open; checked on 8.2): each key the Footer builds registers a watcher of
the Footer's `compact` on the Footer, and the Footer drops the watchers of keys it has replaced
only when `compact` changes, which it never does here, so every rebuild kept the old keys and
all they rendered. After a rebuild that replaced keys, `mutate_reactive` runs the `compact`
watchers once with the same value, which is when Textual drops the closed keys' entries. Only
on the Textual versions known to have the issue (asked when first needed: the version comes from
importlib.metadata, whose import nothing else on the way to the first frame needs).
"""

from __future__ import annotations

import functools
from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


def has_issue_6666(textual_version: str) -> bool:
    """Textual versions whose Footer keeps the watchers of the keys it replaced (all of 8.x)."""
    major = int(textual_version.split(".", 1)[0])
    return major < 9


@functools.cache
def issue_6666() -> bool:
    """Whether the installed Textual has issue 6666."""
    from importlib.metadata import version

    return has_issue_6666(version("textual"))


class KeysFooter(Footer):
    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(compact=compact, id=id)
        self.shown: Hashable | None = None  # what the last compose showed (None: nothing yet)
        self.rebuilding = False  # a rebuild is on its way: it will read the bindings of its time

    def shown_keys(self) -> Hashable:
        """Everything `Footer.compose` reads to build its keys, in its order."""
        app = self.app
        active = self.screen.active_bindings
        keys = tuple(
            (
                binding.key,
                binding.action,
                binding.description,
                binding.group,
                binding.tooltip,
                app.get_key_display(binding),
                enabled,
                tooltip,
            )
            for (_, binding, enabled, tooltip) in active.values()
            if binding.show
        )
        palette = None
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            entry = active.get(app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                binding = entry.binding
                palette = (binding.key, binding.action, binding.description, binding.tooltip, entry.enabled)
                palette += (app.get_key_display(binding),)
        return (keys, palette, self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    def compose(self) -> ComposeResult:
        self.rebuilding = False
        keys = self.shown_keys()
        built = list(super().compose())  # nothing until the screen said its bindings are ready
        self.shown = keys if built else None
        yield from built

    def bindings_changed(self, screen: Screen) -> None:
        # As Footer.bindings_changed, but no rebuild when the keys shown would be the same, nor
        # a second one while one is on its way.
        mine = self.is_attached and screen is self.screen
        if mine and (self.rebuilding or (self.shown is not None and self.shown_keys() == self.shown)):
            return
        super().bindings_changed(screen)
        self.rebuilding = mine and screen.app.app_focus  # (Footer rebuilds only then)

    async def recompose(self) -> None:
        replaced = self.shown is not None  # keys were shown: their watchers are what 6666 keeps
        await super().recompose()
        if replaced and issue_6666():
            self.mutate_reactive(Footer.compact)
