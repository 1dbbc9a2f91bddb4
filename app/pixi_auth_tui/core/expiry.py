"""The one reading of expiry values that come from outside: a JWT's `exp`, an OAuth entry's
`expires_at`, a provider's `expires_in` and `interval`.

Issuers and files hold anything: `exp` in milliseconds, `1e400` (read as infinity), `NaN`,
negative times, an `expires_at` of 10**18 (rattler stores any i64). Every module that shows,
compares or computes with such a value reads it here, so none of them meets a value that a
date format, `int()` or a sleep cannot take.
"""

from __future__ import annotations

import math
import time

# Times beyond year 9999 cannot be shown (or even converted on every platform).
LATEST_TIME = 253_402_300_799
# An `exp` this large is milliseconds (a common issuer mistake): seconds would be year 5138+.
MILLISECONDS_FROM = 100_000_000_000
# The longest lifetime or wait a provider may announce that is still taken as a number of
# seconds (ten years); anything longer, negative or not a number is not read.
LONGEST_SECONDS = 10 * 366 * 86_400


def _number(value: object) -> float | int | None:
    """A finite JSON number (never a bool, a string or a container)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def unix_time(value: object, *, jwt: bool = False) -> int | None:
    """A Unix time in years 1970–9999, as an int; None for anything else.

    `jwt=True`: a JWT `exp`, where a value from MILLISECONDS_FROM on is read as milliseconds.
    """
    number = _number(value)
    if number is None:
        return None
    if jwt and number >= MILLISECONDS_FROM:
        number = number / 1000
    if not 0 <= number <= LATEST_TIME:
        return None
    return int(number)


def seconds(value: object, *, least: int = 0) -> int | None:
    """A duration a provider announces (`expires_in`, `interval`), as whole seconds from `least`
    to ten years; None for anything else (Infinity, [1], {}, "5", a negative or absurd number)."""
    number = _number(value)
    if number is None or not least <= number <= LONGEST_SECONDS:
        return None
    return int(number)


def unshowable(value: int) -> str:
    """What to say about a stored time that `unix_time` does not read (rattler compares it as a
    plain i64: a time before 1970 is long past, one after 9999 never comes)."""
    if value < 0:
        return f"{value} is before 1970: long expired (rattler refreshes before use)"
    return f"{value} is after the year 9999: never expires (rattler never refreshes it)"


def utc(value: object, fmt: str = "%Y-%m-%d %H:%M UTC") -> str | None:
    """`value` (a Unix time) formatted in UTC; None when `unix_time` does not read it."""
    when = unix_time(value)
    return None if when is None else time.strftime(fmt, time.gmtime(when))
