"""How engine data reads on screen: short, stable, never a secret."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from pixi_auth_tui.inventory import Row, Status
from pixi_auth_tui.model import KIND_LABELS, expires_at, public_identity
from pixi_auth_tui.redact import plain

SHORT_KIND = {
    "BearerToken": "bearer",
    "CondaToken": "conda token",
    "BasicHTTP": "user+password",
    "S3Credentials": "S3 keys",
    "OAuth": "OAuth",
    "Unrecognised": "unreadable",
    "NotRead": "not read",
}


def display_path(location: str, home: Path) -> str:
    """`/home/me/.rattler/credentials.json` → `~/.rattler/credentials.json`."""
    try:
        return "~/" + str(Path(location).relative_to(home))
    except ValueError:
        return location


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


def absolute_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def status_text(row: Row) -> str:
    if row.status is Status.ACTIVE:
        return "active"
    if row.status is Status.SHADOWED:
        return row.reason  # "shadowed by keychain"
    return "ignored"


def row_cells(row: Row, now: float) -> list[str]:
    """The table's cells, as plain text: keys and usernames come from files others wrote."""
    cred = row.entry.credential
    return [
        plain(row.key),
        SHORT_KIND[cred.kind],
        row.store.name,
        plain(status_text(row)),
        plain(public_identity(cred)),
        relative_expiry(expires_at(cred), now),
    ]


def filter_text(row: Row) -> str:
    """What the filter searches, lower-cased: key, kind, store and username (never a secret)."""
    cred = row.entry.credential
    parts = [row.key, cred.kind, KIND_LABELS[cred.kind], SHORT_KIND[cred.kind], row.store.name, row.store.id]
    if cred.kind in ("BasicHTTP", "S3Credentials"):
        parts.append(public_identity(cred))
    return " ".join(parts).lower()


def now() -> float:
    return time.time()
