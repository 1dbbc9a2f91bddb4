"""How engine data reads on screen: short, stable, never a secret."""

from __future__ import annotations

import time
from pathlib import Path

from pixi_auth_tui.core import expiry
from pixi_auth_tui.core.model import KINDS, expires_at, public_identity
from pixi_auth_tui.core.redact import plain
from pixi_auth_tui.core.words import plural  # noqa: F401 (re-exported for the UI)
from pixi_auth_tui.engine.inventory import Row


def display_path(location: str, home: Path) -> str:
    """`/home/me/.rattler/credentials.json` → `~/.rattler/credentials.json` (a path comes from
    the environment: shown with its control characters escaped)."""
    try:
        return plain("~/" + str(Path(location).relative_to(home)))
    except ValueError:
        return plain(location)


def tilde(text: str, home: Path) -> str:
    """Paths under the home folder, in any message, shortened to `~`."""
    return text.replace(f"{home}/", "~/")


def relative_expiry(ts: int | None, now: float) -> str:
    if ts is None:
        return ""
    delta = ts - now
    span = abs(delta)
    if span < 3600:
        amount = f"{int(span // 60)}m"
    elif span < 2 * 86400:
        amount = f"{int(span // 3600)}h"
    else:
        amount = f"{int(span // 86400)}d"
    return f"in {amount}" if delta >= 0 else f"expired {amount} ago"


def absolute_time(ts: float) -> str:
    return expiry.utc(ts) or f"not a date in years 1970–9999 ({ts:.0f})"


def status_text(row: Row) -> str:
    """One word, so the table keeps every column readable at 120 columns; the detail pane
    says which store shadows it and why an entry is ignored."""
    return row.status.value


def row_cells(row: Row, now: float) -> list[str]:
    """The table's cells, as plain text: keys and usernames come from files others wrote."""
    cred = row.entry.credential
    return [
        plain(row.key),
        KINDS[cred.kind].short,
        row.store.name,
        plain(status_text(row)),
        plain(public_identity(cred)),
        relative_expiry(expires_at(cred), now),
    ]


def filter_text(row: Row) -> str:
    """What the filter searches, lower-cased: key, kind, store and username (never a secret)."""
    cred = row.entry.credential
    spec = KINDS[cred.kind]
    parts = [row.key, cred.kind, spec.label, spec.short, row.store.name, row.store.id]
    if spec.identity:  # a username or access key id, never a masked secret
        parts.append(public_identity(cred))
    return " ".join(parts).lower()


KEY_NAMES = {"slash": "/", "question_mark": "?", "escape": "Esc", "enter": "Enter", "ctrl+s": "Ctrl+S"}


def key_name(key: str) -> str:
    """How a binding's key reads in help and the README: `slash` → `/`."""
    first = key.split(",")[0]
    return KEY_NAMES.get(first, first)


def expired(row: Row, now: float) -> bool:
    ts = expires_at(row.entry.credential)
    return ts is not None and ts <= now


def now() -> float:
    return time.time()
