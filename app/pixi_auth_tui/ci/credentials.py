"""A CI job's secrets, read from its environment and checked as rattler reads them.

Two sources, both environment variables (never argv):
- `PIXI_AUTH_TUI_CREDENTIALS`: one JSON document in rattler's credentials.json format
  (`{"*.prefix.dev": {"BearerToken": "pfx_…"}, …}`): one CI secret for many hosts;
- per credential, variables named `PIXI_AUTH_TUI_<NAME>_<FIELD>` (NAME is any label of yours,
  as uv's `UV_INDEX_<NAME>_USERNAME`): `_HOST` (the key, as `set` takes it: `*.prefix.dev`,
  `pypi.example.com`, `s3://bucket`; required, never guessed from NAME) and exactly one
  credential: `_TOKEN` (bearer), `_CONDA_TOKEN`, `_USERNAME` + `_PASSWORD`, or
  `_S3_ACCESS_KEY_ID` + `_S3_SECRET_ACCESS_KEY` (+ `_S3_SESSION_TOKEN`).
A key given twice is refused rather than one silently dropped.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pixi_auth_tui.core.model import Credential, all_secrets, authorise, credential_to_json
from pixi_auth_tui.core.rattler_json import SerdeError, authentication_problem, read_credential, write_problem
from pixi_auth_tui.core.redact import spellings
from pixi_auth_tui.core.validation import build_credential, key_refusal

DOCUMENT_VARIABLE = "PIXI_AUTH_TUI_CREDENTIALS"
PREFIX = "PIXI_AUTH_TUI_"
# Suffix → (kind, field); the longest suffix wins (`_CONDA_TOKEN` before `_TOKEN`).
FIELDS: dict[str, tuple[str, str]] = {
    "_S3_SECRET_ACCESS_KEY": ("S3Credentials", "secret_access_key"),
    "_S3_SESSION_TOKEN": ("S3Credentials", "session_token"),
    "_S3_ACCESS_KEY_ID": ("S3Credentials", "access_key_id"),
    "_CONDA_TOKEN": ("CondaToken", "token"),
    "_USERNAME": ("BasicHTTP", "username"),
    "_PASSWORD": ("BasicHTTP", "password"),
    "_TOKEN": ("BearerToken", "token"),
    "_HOST": ("", "key"),
}
_SUFFIXES = sorted(FIELDS, key=len, reverse=True)
# Our other variables, which are not credentials.
_NOT_CREDENTIALS = frozenset({DOCUMENT_VARIABLE, "PIXI_AUTH_TUI_CONFIG"})
_NAME = re.compile(r"[A-Za-z0-9_]+")


class CiInputError(ValueError):
    """The job's credentials cannot be used as given (one line, never quoting a secret)."""


@dataclass
class CiCredentials:
    entries: dict[str, Credential] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # key → the variable(s) it came from
    warnings: list[str] = field(default_factory=list)


def _split(name: str) -> tuple[str, str] | None:
    """`PIXI_AUTH_TUI_<NAME>_<FIELD>` → (NAME, suffix), or None for other variables."""
    if not name.startswith(PREFIX) or name in _NOT_CREDENTIALS:
        return None
    rest = name[len(PREFIX) :]
    for suffix in _SUFFIXES:
        if rest.endswith(suffix) and len(rest) > len(suffix):
            label = rest[: -len(suffix)]
            if _NAME.fullmatch(label):
                return label, suffix
    return None


def secret_values(env: Mapping[str, str]) -> list[str]:
    """Every value that may be a secret, found before anything is checked, so that the masks go
    out before any message can: each credential field but the non-secret ones, and for the
    document every string in it — or, when it is not even JSON, each of its longer lines."""
    values: list[str] = []
    for name, value in env.items():
        parts = _split(name)
        if parts is not None and parts[1] not in ("_HOST", "_USERNAME", "_S3_ACCESS_KEY_ID") and value:
            values.append(value)
    document = env.get(DOCUMENT_VARIABLE)
    if document:
        try:
            from pixi_auth_tui.core.rattler_json import parse_json, plain

            values += _strings(plain(parse_json(document)))
        except SerdeError:
            values += [line.strip() for line in document.splitlines() if len(line.strip()) >= 8]
    return values


# Fields of rattler's kinds that name, never authenticate: not masked (a user name masked in a
# CI log would hide every mention of it).
_PUBLIC = frozenset({"username", "access_key_id", "token_endpoint", "revocation_endpoint", "client_id"})


def _strings(value: object) -> list[str]:
    """Every string value (never a key: hosts, variant and field names) but the public fields'."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in _PUBLIC for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def mask_spellings(secret: str, credential: Credential | None = None) -> list[str]:
    """The secret and each spelling a log line may show it in: percent-encoded, JSON-escaped,
    and as the credential goes on a request (a conda token in the URL path, HTTP basic's base64
    of `user:password`): `authorise`, the one description of that."""
    found = {secret, *spellings(secret)}
    if credential is not None:
        plan = authorise(credential, "https://host.invalid/channel/")
        if plan.basic is not None and plan.basic[1] == secret:
            pair = f"{plan.basic[0]}:{plan.basic[1]}".encode("utf-8", "surrogatepass")
            found.add(base64.b64encode(pair).decode("ascii"))
        if "/t/" in plan.url:
            found.add(plan.url.split("/t/", 1)[1].rsplit("/channel/", 1)[0])
    return sorted(s for s in found if s)


def read_ci_credentials(env: Mapping[str, str]) -> CiCredentials:
    """Every credential the job's variables hold; raises CiInputError for anything rattler (or
    `set`) would refuse, so that nothing half-usable is written."""
    out = CiCredentials()
    document = env.get(DOCUMENT_VARIABLE)
    if document:
        _read_document(document, out)
    groups: dict[str, dict[str, str]] = {}
    for name in sorted(env):
        parts = _split(name)
        if parts is not None:
            groups.setdefault(parts[0], {})[parts[1]] = env[name]
    for label, fields in groups.items():
        _read_group(label, fields, out)
    return out


def _add(out: CiCredentials, key: str, credential: Credential, source: str) -> None:
    refusal = key_refusal(key)
    if refusal:
        raise CiInputError(f"{source}: {refusal}")
    if key in out.entries:
        raise CiInputError(f"{key} is given twice ({out.sources[key]} and {source}); keep one")
    problem = write_problem(credential, key)
    if problem:
        raise CiInputError(f"{source}: {key}: {problem}")
    out.entries[key] = credential
    out.sources[key] = source


def _read_document(document: str, out: CiCredentials) -> None:
    from pixi_auth_tui.core.rattler_json import Pairs, parse_json, type_name

    try:
        doc = parse_json(document)
    except SerdeError as err:
        raise CiInputError(f"{DOCUMENT_VARIABLE} is not JSON rattler can read: {err}") from None
    if not isinstance(doc, Pairs):
        raise CiInputError(f"{DOCUMENT_VARIABLE} must be a JSON object of host → credential, not {type_name(doc)}")
    seen: set[str] = set()
    for key, value in doc:
        if key in seen:
            raise CiInputError(f"{DOCUMENT_VARIABLE} names {key} twice (rattler would keep only the last); keep one")
        seen.add(key)
        problem = authentication_problem(value)
        if problem:
            # rattler refuses a whole file for one bad entry: refuse here, before it is written.
            raise CiInputError(f"{DOCUMENT_VARIABLE}: the entry for {key} is not a rattler credential: {problem}")
        _add(out, key, read_credential(value), DOCUMENT_VARIABLE)


def _read_group(label: str, fields: dict[str, str], out: CiCredentials) -> None:
    names = {suffix: f"{PREFIX}{label}{suffix}" for suffix in fields}
    key = fields.get("_HOST", "").strip()
    kinds = {FIELDS[s][0] for s in fields if s != "_HOST"}
    if not kinds:
        raise CiInputError(f"{names['_HOST']} names a host but no credential variable goes with it")
    if not key:
        shown = ", ".join(sorted(names.values()))
        raise CiInputError(f"{shown}: set {PREFIX}{label}_HOST to the key this credential is for (e.g. *.prefix.dev)")
    if len(kinds) > 1:
        shown = ", ".join(sorted(n for s, n in names.items() if s != "_HOST"))
        raise CiInputError(f"{shown}: more than one kind of credential for {key}; keep one")
    (kind,) = kinds
    values = {FIELDS[s][1]: v for s, v in fields.items() if s != "_HOST"}
    credential, errors = build_credential(kind, values)
    if credential is None:
        first = next(iter(errors.values()))
        raise CiInputError(f"{PREFIX}{label}_*: {first}")
    _add(out, key, credential, f"{PREFIX}{label}_*")


def document_of(credentials: CiCredentials) -> dict[str, object]:
    """The credentials.json rattler reads: key → its Authentication JSON."""
    return {key: credential_to_json(cred) for key, cred in credentials.entries.items()}


def secrets_of(credentials: CiCredentials) -> list[tuple[str, Credential]]:
    return [(secret, cred) for cred in credentials.entries.values() for secret in all_secrets(cred)]
