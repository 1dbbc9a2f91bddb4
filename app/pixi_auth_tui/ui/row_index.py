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
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import compress, repeat
from operator import contains
from typing import NamedTuple, overload

from pixi_auth_tui.core.model import KINDS, expires_at, public_identity
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.engine.inventory import Row
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


class Rows(Sequence[Row]):
    """The rows at `positions` of an order, looked up when asked (a list of them would be a big
    container the garbage collector walks at every collection while it lives).

    `sequence` maps a position of the order to a row of `rows` (None: the rows' own order)."""

    __slots__ = ("_positions", "_rows", "_sequence")

    def __init__(self, rows: list[Row], sequence: Sequence[int] | None, positions: Sequence[int]) -> None:
        self._rows, self._sequence, self._positions = rows, sequence, positions

    def __len__(self) -> int:
        return len(self._positions)

    @overload
    def __getitem__(self, at: int) -> Row: ...
    @overload
    def __getitem__(self, at: slice) -> list[Row]: ...
    def __getitem__(self, at: int | slice) -> Row | list[Row]:
        if isinstance(at, slice):
            return list(self._lookup(self._positions[at]))
        position = self._positions[at]
        return self._rows[position if self._sequence is None else self._sequence[position]]

    def __iter__(self) -> Iterator[Row]:
        return self._lookup(self._positions)

    def _lookup(self, positions: Iterable[int]) -> Iterator[Row]:
        if self._sequence is not None:
            positions = map(self._sequence.__getitem__, positions)
        return map(self._rows.__getitem__, positions)

    def __eq__(self, other: object) -> bool:
        """Equal to any list, tuple or `Rows` of the same rows (as a list of them would be)."""
        if not isinstance(other, Rows | list | tuple):
            return NotImplemented
        return len(self) == len(other) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # equal to lists, so unhashable as they are


class Level(NamedTuple):
    """The rows matching `needle`: their filter texts and their positions in the order.

    Texts and positions are tuples of strings and integers, which the garbage collector stops
    tracking at its first look (it never walks them again); `rows` looks the rows up."""

    needle: str
    words: frozenset[str]
    texts: Sequence[str]
    positions: Sequence[int]
    rows: Rows


class Order:
    """One display order of every row, and the matches of the needles typed over it.

    `texts` are the filter texts in this order; `sequence` maps each position to its row in
    `rows` (None: the rows' own order, pixi's lookup order)."""

    def __init__(self, texts: Sequence[str], rows: list[Row], sequence: Sequence[int] | None = None) -> None:
        self.rows, self.sequence = rows, sequence
        positions = range(len(texts))
        self.levels = [Level("", frozenset(), texts, positions, Rows(rows, sequence, positions))]

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
        texts, positions, rows = top.texts, top.positions, top.rows
        for word in sorted(words - top.words):  # sorted: the same work in every process
            keep = bytes(map(contains, texts, repeat(word)))  # bytes: no container to track
            if 0 not in keep:
                continue  # every row still matches: the same texts and positions, no new copies
            texts = tuple(compress(texts, keep))
            positions = tuple(compress(positions, keep))
            rows = Rows(self.rows, self.sequence, positions)
        level = Level(needle, words, texts, positions, rows)
        levels.append(level)
        if len(levels) > MAX_LEVELS:
            del levels[1]
        return level


class RowIndex:
    """Every row of one inventory, with its filter text and display orders."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self.texts = tuple(present.filter_text(r) for r in rows)  # untracked after one look, as above
        self._orders: dict[tuple[int | None, bool], Order] = {(None, False): Order(self.texts, rows)}

    def order(self, column: int | None, reverse: bool, key: Callable[[int], SortKey]) -> Order:
        """Rows in lookup order (`column` None) or sorted by a column (stable, as `sorted`)."""
        if column is None:
            return self._orders[(None, False)]
        found = self._orders.get((column, reverse))
        if found is None:
            cell = key(column)
            keys = [cell(r) for r in self.rows]
            # Tuples of strings and integers: after one look the collector no longer tracks them
            # (lists of 100,000 would be walked at every full collection).
            sequence = tuple(sorted(range(len(self.rows)), key=keys.__getitem__, reverse=reverse))
            found = Order(tuple(map(self.texts.__getitem__, sequence)), self.rows, sequence)
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
