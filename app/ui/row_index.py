"""What the credential table filters and sorts, kept so a keystroke over 100,000 rows fits a frame.

- The filter text of every row is built once per load (in the loading thread, not on the
  event loop).
- Each display order (pixi's lookup order, or sorted by one column) is built once and kept
  until the rows change; filtering keeps that order, so a sorted view is never sorted again
  while someone types.
- The matches of every needle typed so far are kept on a stack: a longer needle narrows the
  matches of its longest typed prefix, and backspace returns exactly the earlier matches.

No Textual here: this is plain data, testable and usable from a worker thread.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from itertools import compress, repeat
from operator import contains

from pixi_auth_tui.inventory import Row
from pixi_auth_tui.model import KINDS, expires_at, public_identity
from pixi_auth_tui.redact import plain
from pixi_auth_tui.ui import present

LAST_TEST = 6  # the Last test column: its cells change as tests finish
MAX_LEVELS = 64  # needles kept per order; older ones are narrowed again from a shorter prefix

SortKey = Callable[[Row], str]


def column_key(column: int, now: float, verdict: Callable[[Row], str]) -> SortKey:
    """The sort key of one column: that cell's text, lower-cased (`present.row_cells`, one cell
    at a time so sorting 100,000 rows does not render six cells per row)."""
    keys: list[SortKey] = [
        lambda r: plain(r.key).lower(),
        lambda r: KINDS[r.entry.credential.kind].short.lower(),
        lambda r: r.store.name.lower(),
        lambda r: plain(present.status_text(r)).lower(),
        lambda r: plain(public_identity(r.entry.credential)).lower(),
        lambda r: present.relative_expiry(expires_at(r.entry.credential), now).lower(),
        verdict,
    ]
    return keys[column]


@dataclass
class Level:
    """The rows matching `needle`, in the order's sequence, with their positions in it."""

    needle: str
    words: frozenset[str]
    texts: list[str]
    rows: list[Row]
    positions: list[int]


class Order:
    """One display order of every row, and the matches of the needles typed over it."""

    def __init__(self, texts: list[str], rows: list[Row]) -> None:
        self.levels = [Level("", frozenset(), texts, rows, list(range(len(rows))))]

    def matching(self, needle: str) -> Level:
        """Rows whose filter text holds every word of `needle` (already lower-cased)."""
        levels = self.levels
        while len(levels) > 1 and not needle.startswith(levels[-1].needle):
            levels.pop()  # backspace, or a different needle: back to a prefix typed before
        top = levels[-1]
        if top.needle == needle:
            return top
        # Every word of `top` is in every text of `top`; a longer needle only adds words or
        # extends the last one, so its matches are among `top`'s.
        words = frozenset(needle.split())
        texts, rows, positions = top.texts, top.rows, top.positions
        for word in words - top.words:
            keep = list(map(contains, texts, repeat(word)))
            texts = list(compress(texts, keep))
            rows = list(compress(rows, keep))
            positions = list(compress(positions, keep))
        level = Level(needle, words, texts, rows, positions)
        levels.append(level)
        if len(levels) > MAX_LEVELS:
            del levels[1]
        return level


class RowIndex:
    """Every row of one inventory, with its filter text and display orders."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self.texts = [present.filter_text(r) for r in rows]
        self._orders: dict[tuple[int | None, bool], Order] = {(None, False): Order(self.texts, rows)}

    def order(self, column: int | None, reverse: bool, key: Callable[[int], SortKey]) -> Order:
        """Rows in lookup order (`column` None) or sorted by a column (stable, as `sorted`)."""
        if column is None:
            return self._orders[(None, False)]
        found = self._orders.get((column, reverse))
        if found is None:
            cell = key(column)
            keys = [cell(r) for r in self.rows]
            sequence = sorted(range(len(self.rows)), key=keys.__getitem__, reverse=reverse)
            found = Order([self.texts[i] for i in sequence], [self.rows[i] for i in sequence])
            self._orders[(column, reverse)] = found
        return found

    def forget(self, column: int) -> None:
        """Drop the orders by `column` (its cells changed: a test finished)."""
        for known in [k for k in self._orders if k[0] == column]:
            del self._orders[known]


def position_in(level: Level, position: int) -> int | None:
    """Where the row at `position` of the order is among `level`'s matches, if it is."""
    at = bisect_left(level.positions, position)
    return at if at < len(level.positions) and level.positions[at] == position else None
