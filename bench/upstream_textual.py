"""Minimal reproductions of the two Textual defects issue 24 asks us to report upstream, each
with public API only, printing what it finds on the installed Textual.

1. `textual.cache.LRUCache` keeps its entries in a ring of `[prev, next, key, value]` lists, so
   `clear()` (and dropping the cache) hands every entry to the cyclic collector instead of
   freeing it by reference counting. A widget's render caches are cleared on every refresh of
   its content, so each refresh leaves that much work for the next full collection.
2. Textual issue 6666 (open upstream): each key the Footer builds binds its `compact` to the
   Footer's, and the Footer drops those bindings only when `compact` changes, so every rebuild
   of the keys (each focus change between widgets with different bindings) keeps the replaced
   keys alive. (The app no longer uses Footer: its keys are one widget, ui/keys_line.py.)
3. `Screen.focused` is a reactive that repaints: every focus change sends the whole screen to the
   terminal, not only the widgets whose look changed. Shown on a real pty (bench/pty_term.py):
   the bytes a Tab between two buttons sends, beside the bytes of the whole screen.

The report texts are in bench/RESULTS.md ("Upstream reports"); this machine cannot reach
GitHub, so they are kept there, ready to file, with this script as their repro.

    python bench/upstream_textual.py
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.widgets import Button, Footer, Input, Static

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: bench/ is a package
from bench.pty_term import Terminal

FOCUS_CHILD = "--child-focus"


def lru_cache_cycles(entries: int = 1000) -> int:
    """Objects the cyclic collector frees after `LRUCache.clear()`: 0 if clearing freed them."""
    cache: LRUCache[int, list[int]] = LRUCache(entries)
    for number in range(entries):
        cache[number] = [number]
    gc.collect()
    cache.clear()
    return gc.collect()


class TwoBindings(App[None]):
    """Tab moves the focus between an Input and a Button, whose bindings differ: each move
    rebuilds the Footer's keys."""

    BINDINGS: ClassVar[list[BindingType]] = [("ctrl+q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Input()
        yield Button("OK")
        yield Footer()


async def footer_keys_kept(rounds: int = 10) -> int:
    """Footer keys still alive but no longer in the DOM after `rounds` focus changes."""
    app = TwoBindings()
    async with app.run_test() as pilot:
        footer = app.query_one(Footer)
        await pilot.pause()
        key_type = type(footer.children[0])
        for _ in range(rounds):
            await pilot.press("tab")
            await pilot.pause()
        gc.collect()
        return sum(1 for o in gc.get_objects() if isinstance(o, key_type) and o.parent is None)


class FocusOnly(App[None]):
    """Forty lines of text and two buttons: Tab moves the focus from one button to the other,
    the only change on screen."""

    def compose(self) -> ComposeResult:
        for number in range(40):
            yield Static(f"line {number}: " + "some text " * 10)
        yield Button("One")
        yield Button("Two")


def focus_change_bytes() -> tuple[int, int]:
    """(bytes the terminal received for the whole screen, bytes for one Tab), on a real pty."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    term = Terminal([sys.executable, __file__, FOCUS_CHILD], env, Path(tempfile.gettempdir()), (120, 50))
    try:
        term.wait_for(b"line 39")
        term.drain(0.5)
        _at, since = term.press(b"\t")
        term.drain(0.5)
        whole = term.frames[0][1]  # the first frame: every line of the screen
        return whole, len(term.output) - since
    finally:
        term.close()


def main() -> None:
    print(f"Textual {version('textual')}")
    cycles = lru_cache_cycles()
    print(f"1. LRUCache(1000) filled and cleared: {cycles} objects left for the cyclic collector (expected 0)")
    kept = asyncio.run(footer_keys_kept())
    print(f"2. Footer after 10 focus changes: {kept} replaced keys still alive (expected 0; issue 6666)")
    whole, tab = focus_change_bytes()
    print(
        f"3. Tab between two buttons under 40 lines of text: {tab} bytes sent; the whole screen is {whole}"
        " (expected: the two buttons' rows only)"
    )


if __name__ == "__main__":
    if FOCUS_CHILD in sys.argv:
        FocusOnly().run()
    else:
        main()
