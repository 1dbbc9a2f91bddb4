"""Checks on what a person types, shared by the CLI and the forms: one check and one wording,
so `set` refuses exactly what the form refuses, with the same sentence."""

from __future__ import annotations

import unicodedata

from pixi_auth_tui.core.hostkeys import in_domain, key_problem
from pixi_auth_tui.core.model import KINDS, Credential, credential_from_fields

MAX_SECRET_CHARS = 1024 * 1024  # 1 MiB of token is already absurd; more is a paste accident
# Every character Python's str.splitlines (and so many a library) treats as a line end.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def line_break_in(value: str) -> str | None:
    """The first line break in `value`, as `U+2028`, or None."""
    found = next((ch for ch in value if ch in LINE_BREAKS), None)
    return None if found is None else f"U+{ord(found):04X}"


def secret_problem(value: str) -> str | None:
    """Why `value` cannot be stored as a secret, or None."""
    if not value or not value.strip():
        return "is empty"
    if value != value.strip():
        return "has leading or trailing spaces (a paste accident?)"
    if len(value) > MAX_SECRET_CHARS:
        return f"is longer than {MAX_SECRET_CHARS:,} characters"
    line_break = line_break_in(value)
    if line_break:
        return f"contains a line break ({line_break}); a secret is one line"
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return f"contains the control character U+{ord(ch):04X}"
    return None


def username_problem(value: str) -> str | None:
    if not value or not value.strip():
        return "is empty"
    if value != value.strip():
        return "has leading or trailing spaces (a paste accident?)"
    if ":" in value:
        return "contains ':' (HTTP basic auth cannot carry it in a username)"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        return "contains control characters"
    return None


# -- the typed fields of every editable kind (the form and `set` alike) ---------------------

FIELDS_BY_KIND = {name: tuple(f.name for f in spec.fields) for name, spec in KINDS.items() if spec.editable}
SECRET_FIELDS = {f.name for spec in KINDS.values() for f in spec.fields if f.secret}


def build_credential(
    kind: str, values: dict[str, str], previous: Credential | None = None
) -> tuple[Credential | None, dict[str, str]]:
    """Turn typed fields into a credential, or say per field what is wrong (the sentence a
    person sees: "Access key ID contains spaces").

    With `previous` (editing), an empty secret field keeps the previous value.
    """
    spec = KINDS.get(kind)
    if spec is None or not spec.editable:
        return None, {"kind": "choose a kind"}
    same_kind = previous is not None and previous.kind == kind
    errors: dict[str, str] = {}
    fields: dict[str, str] = {}
    for field in spec.fields:
        value = values.get(field.name, "")
        if field.secret and value == "" and same_kind:
            value = getattr(previous, field.name) or ""
        fields[field.name] = value
        if field.optional and value == "":
            continue
        if field.secret:
            problem = secret_problem(value)
        elif field.name == "username":
            problem = username_problem(value)
        else:
            problem = identifier_problem(value)
        if problem:
            errors[field.name] = f"{field.label} {problem}"
    if errors:
        return None, errors
    return credential_from_fields(kind, fields), {}


def identifier_problem(value: str) -> str | None:
    if not value or not value.strip():
        return "is empty"
    if value != value.strip() or any(ch.isspace() for ch in value):
        return "contains spaces"
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        return "contains control characters"
    return None


def key_refusal(key: str) -> str | None:
    """Why `key` cannot be stored, as the form and `set` both say it."""
    problem = key_problem(key)
    return f"Invalid key: {problem}" if problem else None


def host_kind_warning(key: str, kind: str) -> str | None:
    """Servers whose credential kind is known (KindSpec.service): say so when the choice differs."""
    host = key.lstrip("*.").lower()
    for spec in KINDS.values():
        if spec.service and in_domain(host, spec.service) and kind != spec.name:
            return f"{spec.service} expects a {spec.label} (what `pixi auth login {spec.login_option}` stores)"
    return None
