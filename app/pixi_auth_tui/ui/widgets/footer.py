"""Textual's Footer, without the FooterKeys it keeps after replacing them.

Textual 8.2's Footer builds a FooterKey per binding, each `data_bind`ing the footer's `compact`,
and builds them all again whenever the focus changes (`/` and Esc in the main screen). Each
binding stores `(key, callback)` on the footer, and Textual drops the entries of closed keys
only when `compact` changes, which it never does here: every focus change kept ~10 dead
FooterKeys and all they rendered (~2,800 objects), without bound, for the full garbage
collections to walk. (Textual issue 6666, open.)

The same keys' render caches were also kept by `StylesCache.get_inner_outer`, a
`functools.lru_cache` of 1,024 entries keyed by the (per-widget) StylesCache: bounded, but
tens of thousands of dead objects once full. It is cleared with them (it holds two Styles per
pair of colours, made again at the next frame).
"""

from __future__ import annotations

from typing import Any

from textual._styles_cache import StylesCache
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    async def recompose(self) -> None:
        await super().recompose()
        # Textual keeps the watchers of an object in its "__watchers" attribute, by name.
        watchers: dict[str, list[tuple[Any, Any]]] = getattr(self, "__watchers", {})
        for entries in watchers.values():
            entries[:] = [(node, callback) for node, callback in entries if not (node._closing or node._closed)]
        StylesCache.get_inner_outer.cache_clear()
