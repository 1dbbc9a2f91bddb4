"""When the UI runs full garbage collections: while nobody types, with a bound.

A full (generation 2) collection walks every object the collector tracks that was not frozen
after loading (Textual's widgets, caches and what they rendered): 5–15 ms, 30 ms on a busy
machine. Python starts one on its own whenever enough objects have survived the young
collections, which during typing means on top of a keystroke's redraw: those were the worst
keystrokes of the filter. Here the automatic full collections are turned off while the UI
runs, and this runs them instead:

- when no key or mouse event came for `IDLE` seconds and a full collection is due (as many
  young collections as Python's own threshold would have waited for), and
- whatever the input, once `BOUND` times that many young collections went by without one, so
  cyclic garbage cannot pile up without limit while someone types for a long time.

Young collections (generations 0 and 1) run as before. No Textual here: the app calls `busy`
on input, `tick` from a timer, and `stop` when it ends (the previous thresholds come back).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

IDLE = 0.3  # seconds without input before a due full collection runs
CHECK = 0.1  # how often the app calls `tick`
BOUND = 10  # a full collection runs at the latest after BOUND × Python's own gen-2 threshold
NEVER = 1 << 30  # a gen-2 threshold Python never reaches: no automatic full collection
PYTHON_GEN2_THRESHOLD = 10  # CPython's default (gc.get_threshold()[2])


@dataclass
class IdleCollection:
    clock: Callable[[], float] = time.monotonic
    last_input: float = field(default=0.0)
    collections: list[tuple[float, float, bool]] = field(default_factory=list)  # (at, took, idle?)
    _saved: tuple[int, int, int] | None = None

    @property
    def due(self) -> int:
        """Young (generation 1) collections after which Python would collect everything."""
        saved = self._saved or gc.get_threshold()
        return saved[2]

    def start(self) -> None:
        if self._saved is None:
            saved = gc.get_threshold()
            # another app in this process that never stopped its own left NEVER behind
            self._saved = saved if saved[2] < NEVER else (saved[0], saved[1], PYTHON_GEN2_THRESHOLD)
            gc.set_threshold(self._saved[0], self._saved[1], NEVER)
        self.last_input = self.clock()

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def busy(self) -> None:
        """A key or mouse event came."""
        self.last_input = self.clock()

    def tick(self) -> bool:
        """Run a full collection if one is due and nobody types, or if the bound is reached.
        True when it ran one."""
        if self._saved is None or not gc.isenabled():  # stopped, or paused while the stores load
            return False
        pending = gc.get_count()[2]  # generation-1 collections since the last full one
        now = self.clock()
        idle = now - self.last_input >= IDLE
        if pending >= BOUND * self.due or (idle and pending >= self.due):
            start = time.perf_counter()
            gc.collect()
            self.collections.append((now, time.perf_counter() - start, idle))
            del self.collections[:-32]  # the last few, for the bench
            return True
        return False
