"""The Footer (ui/widgets/footer.py: Textual's, without the dead keys it keeps), rebuilt only
when the keys it shows change.

Textual (checked on 8.2) rebuilds the Footer — every FooterKey widget anew — whenever its
screen publishes `bindings_updated`: on each focus change and screen activation, even when the
keys shown stay the same. The main screen built it three times at start (empty in the first
frame, then twice more, ~8 ms each, just when the first key press waits). Here the keys are
there in the first frame, and a rebuild happens only when what it would show differs (as when
the filter box takes the focus, and with it the keys typed into it).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import cast

from textual.app import ComposeResult
from textual.reactive import Reactive
from textual.screen import Screen

from pixi_auth_tui.ui.widgets.footer import Footer


class KeysFooter(Footer):
    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(compact=compact, id=id)
        self._shown: Hashable | None = None  # what the last compose showed (None: nothing yet)
        # Compose the keys in the first frame: the screen's bindings are known at mount.
        self.set_reactive(cast("Reactive[bool]", Footer._bindings_ready), True)

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
        self._shown = self.shown_keys()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        # As Footer.bindings_changed, but the rebuild is skipped when the keys are the same.
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if self.is_attached and self.shown_keys() != self._shown:
            await self.recompose()
