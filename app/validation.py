"""Checks on what a person types, shared by the CLI and the forms."""

from __future__ import annotations

import unicodedata

MAX_SECRET_CHARS = 1024 * 1024  # 1 MiB of token is already absurd; more is a paste accident


def secret_problem(value: str) -> str | None:
    """Why `value` cannot be stored as a secret, or None."""
    if not value or not value.strip():
        return "is empty"
    if value != value.strip():
        return "has leading or trailing spaces (a paste accident?)"
    if len(value) > MAX_SECRET_CHARS:
        return f"is longer than {MAX_SECRET_CHARS:,} characters"
    for ch in value:
        if ch in "\r\n":
            return "contains a line break"
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return f"contains the control character U+{ord(ch):04X}"
    return None


def username_problem(value: str) -> str | None:
    if not value or not value.strip():
        return "is empty"
    if ":" in value:
        return "contains ':' (HTTP basic auth cannot carry it in a username)"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        return "contains control characters"
    return None
