"""Credential kinds, parsed and serialised exactly as rattler's `Authentication` enum.

rattler uses serde's externally tagged JSON: `{"Variant": payload}`. Field order
below is serde's declaration order, so `dumps_credential` is byte-for-byte what
rattler itself writes (compact, non-ASCII kept as UTF-8).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple, TypeGuard

from pixi_auth_tui.core.redact import REDACTOR

# The misspelling shown by pixi's docs; rattler rejects it (and the whole file).
MISSPELLED_BASIC = "BasicHttp"


# Every credential registers its secrets with the redactor when it is created, so no output
# of this process can carry them; and none shows a secret in repr/str (Textual builds worker
# descriptions, and Python tracebacks their messages, from repr). Each is immutable: a secret
# registered at creation is the one it keeps (assignment raises).


class _Secretive:
    """What every credential kind shares: value equality and hashing within its own kind
    (BearerToken("x") != CondaToken("x")), immutability, and a repr that shows no secret.
    Each kind's fields are its `__slots__`; its `__init__` takes them in rattler's order."""

    __slots__ = ()
    kind: ClassVar[str] = ""

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a {self.kind} cannot be changed (its secrets were registered when it was made)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a {self.kind} cannot be changed (its secrets were registered when it was made)")

    def __repr__(self) -> str:
        return f"<{self.kind} {public_identity(self)!r}>"  # type: ignore[arg-type]

    __str__ = __repr__


# (__init__ sets each slot through object.__setattr__: this class's own refuses every assignment)
_set = object.__setattr__


class BearerToken(_Secretive):
    """A token (rattler's `BearerToken`), sent as `Authorization: Bearer <token>`."""

    __slots__ = ("token",)
    token: str
    kind = "BearerToken"

    def __init__(self, token: str) -> None:
        _set(self, "token", token)
        REDACTOR.add(token)


class CondaToken(_Secretive):
    """A conda token (rattler's `CondaToken`), sent in the URL's path: `/t/<token>/`."""

    __slots__ = ("token",)
    token: str
    kind = "CondaToken"

    def __init__(self, token: str) -> None:
        _set(self, "token", token)
        REDACTOR.add(token, path_encoded(token))  # as typed, and as a URL carries it


class BasicHTTP(_Secretive):
    """A user name and password (rattler's `BasicHTTP`), sent as HTTP Basic authentication."""

    __slots__ = ("misspelled", "password", "username")
    username: str
    password: str
    # True when read from a `BasicHttp` entry: shown, but rattler cannot read it.
    misspelled: bool
    kind = "BasicHTTP"

    def __init__(self, username: str, password: str, misspelled: bool = False) -> None:
        _set(self, "username", username)
        _set(self, "password", password)
        _set(self, "misspelled", misspelled)
        REDACTOR.add_basic(username, password)


class S3Credentials(_Secretive):
    """Keys for s3:// channels (rattler's `S3Credentials`)."""

    __slots__ = ("access_key_id", "secret_access_key", "session_token")
    access_key_id: str
    secret_access_key: str
    session_token: str | None
    kind = "S3Credentials"

    def __init__(self, access_key_id: str, secret_access_key: str, session_token: str | None = None) -> None:
        _set(self, "access_key_id", access_key_id)
        _set(self, "secret_access_key", secret_access_key)
        _set(self, "session_token", session_token)
        REDACTOR.add(secret_access_key, session_token)


class OAuth(_Secretive):
    """An OAuth/OIDC access token and what refreshing it takes (rattler's `OAuth`)."""

    __slots__ = ("access_token", "client_id", "expires_at", "refresh_token", "revocation_endpoint", "token_endpoint")
    access_token: str
    refresh_token: str | None
    expires_at: int | None
    token_endpoint: str
    revocation_endpoint: str | None
    client_id: str
    kind = "OAuth"

    def __init__(
        self,
        access_token: str,
        refresh_token: str | None,
        expires_at: int | None,
        token_endpoint: str,
        revocation_endpoint: str | None,
        client_id: str,
    ) -> None:
        _set(self, "access_token", access_token)
        _set(self, "refresh_token", refresh_token)
        _set(self, "expires_at", expires_at)
        _set(self, "token_endpoint", token_endpoint)
        _set(self, "revocation_endpoint", revocation_endpoint)
        _set(self, "client_id", client_id)
        REDACTOR.add(access_token, refresh_token)


class Unrecognised(_Secretive):
    """Any JSON value rattler does not accept; kept untouched, never rewritten.

    Whatever strings it holds may be secrets (a bare-string entry, a misspelled variant):
    all are registered with the redactor, and none is ever shown.
    """

    __slots__ = ("raw", "reason")
    raw: Any
    reason: str
    kind = "Unrecognised"

    def __init__(self, raw: Any, reason: str) -> None:
        _set(self, "raw", raw)
        _set(self, "reason", reason)
        REDACTOR.add(*_strings_in(raw))


# Fields rattler's kinds hold that are not secret (names, endpoints): never treated as secrets.
_PUBLIC_FIELDS = frozenset({"username", "access_key_id", "token_endpoint", "revocation_endpoint", "client_id"})


def _strings_in(value: Any, depth: int = 0) -> list[str]:
    if isinstance(value, str):
        return [value]
    if depth > 64:
        return []
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in _PUBLIC_FIELDS for s in _strings_in(v, depth + 1)]
    if isinstance(value, list):
        return [s for v in value for s in _strings_in(v, depth + 1)]
    return []


class NotRead(_Secretive):
    """A keychain item listed by name whose secret was not read: on macOS a read may
    show a permission prompt, so secrets are read on demand only (Store.read_secret)."""

    __slots__ = ()
    kind = "NotRead"

    def __repr__(self) -> str:
        return "NotRead()"

    __str__ = __repr__


Credential = BearerToken | CondaToken | BasicHTTP | S3Credentials | OAuth | Unrecognised | NotRead


# -- one home per kind ----------------------------------------------------------------------


class FieldSpec(NamedTuple):
    """A value a person types: the credential's attribute, the form's field id and the CLI's name."""

    name: str
    label: str
    secret: bool = False
    optional: bool = False

    @property
    def prompt(self) -> str:
        """The label where a value is asked for (the form, `set`'s prompt)."""
        return f"{self.label} (optional)" if self.optional else self.label


class KindSpec(NamedTuple):
    """Everything kind-specific, in one place: rattler's serde shape, names, typed fields,
    secrets, how a request carries it, and what it can do (expire, refresh, be checked)."""

    name: str  # rattler's variant name
    # rattler's serde shape: () a newtype string (`{"BearerToken": "…"}`), else the struct's
    # (field, type) in declaration order (`?` an Option); None: not one of rattler's variants.
    serde: tuple[tuple[str, str], ...] | None
    label: str  # for people
    short: str  # for table cells
    cli: str | None  # `set --kind` value; None: not created by this tool
    cls: type
    fields: tuple[FieldSpec, ...]  # what the form and `set` ask for (empty: read-only here)
    secrets: tuple[str, ...]  # every attribute holding a secret (masked in every output)
    secret: str | None  # the one shown masked, revealed or copied on request
    identity: str | None  # shown instead of the masked secret (username, access key id)
    sends: str  # how a request carries it: bearer | basic | conda-path | sigv4 | none
    note: str = ""  # said beside the request `resolve` prints
    placeholder: str = "(unreadable)"  # shown for it when it has neither identity nor secret
    human: bool = False  # the secret is chosen by a person (a password): masked without any tail
    # When it stops working, as far as is known offline: "recorded" (its own `expires_at`, which
    # rattler refreshes by), "jwt" (the token's `exp` claim, as `pixi auth status` decodes), "".
    expiry: str = ""
    # Signed in, refreshed through its token endpoint and revoked on sign-out (OAuth).
    refreshable: bool = False
    # Sent to an endpoint the person names, never to the key's host (S3: `s3://bucket` keys).
    endpoint_named: bool = False
    service: str = ""  # the service that issues it, whose account API can check it
    login_option: str = ""  # how `pixi auth login` stores it

    @property
    def editable(self) -> bool:
        return bool(self.fields)


_TOKEN = FieldSpec("token", "Token", secret=True)
KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec(
            name="BearerToken", serde=(), label="Bearer token", short="bearer", cli="bearer", cls=BearerToken,
            fields=(_TOKEN,), secrets=("token",), secret="token", identity=None, sends="bearer",
            expiry="jwt", service="prefix.dev", login_option="--token",
        ),
        KindSpec(
            name="CondaToken", serde=(), label="Conda token", short="conda", cli="conda", cls=CondaToken,
            fields=(_TOKEN,), secrets=("token",), secret="token", identity=None, sends="conda-path",
            note="token in the URL path", expiry="jwt", service="anaconda.org", login_option="--conda-token",
        ),
        KindSpec(
            name="BasicHTTP", serde=(("username", "str"), ("password", "str")),
            label="Username + password", short="user+pass", cli="basic", cls=BasicHTTP,
            fields=(FieldSpec("username", "Username"), FieldSpec("password", "Password", secret=True)),
            secrets=("password",), secret="password", identity="username", sends="basic", human=True,
            login_option="--username/--password",
        ),
        KindSpec(
            name="S3Credentials",
            serde=(("access_key_id", "str"), ("secret_access_key", "str"), ("session_token", "str?")),
            label="S3 keys", short="S3 keys", cli="s3", cls=S3Credentials,
            fields=(
                FieldSpec("access_key_id", "Access key ID"),
                FieldSpec("secret_access_key", "Secret access key", secret=True),
                FieldSpec("session_token", "Session token", secret=True, optional=True),
            ),
            secrets=("secret_access_key", "session_token"), secret="secret_access_key", identity="access_key_id",
            sends="sigv4", note="AWS SigV4-signed S3 request", endpoint_named=True,
            login_option="--s3-access-key-id/--s3-secret-access-key",
        ),
        KindSpec(
            name="OAuth",
            serde=(
                ("access_token", "str"), ("refresh_token", "str?"), ("expires_at", "i64?"), ("token_endpoint", "str"),
                ("revocation_endpoint", "str?"), ("client_id", "str"),
            ),
            label="OAuth", short="OAuth", cli=None, cls=OAuth,
            fields=(), secrets=("access_token", "refresh_token"), secret="access_token", identity=None,
            sends="bearer", note="OAuth access token; refreshed through the token endpoint when expired",
            expiry="recorded", refreshable=True, login_option="--oauth",
        ),
        KindSpec(
            name="Unrecognised", serde=None, label="Unrecognised", short="unreadable", cli=None, cls=Unrecognised,
            fields=(), secrets=(), secret=None, identity=None, sends="none",
            note="unreadable credential: rattler would fail",
        ),
        KindSpec(
            name="NotRead", serde=None, label="Not read yet", short="not read", cli=None, cls=NotRead,
            fields=(), secrets=(), secret=None, identity=None, sends="none", placeholder="(secret not read)",
            note="keychain item whose secret is read on demand only (macOS may prompt)",
        ),
    )
}  # fmt: skip
KIND_LABELS = {name: spec.label for name, spec in KINDS.items()}
# The kinds a person can create or edit with this tool (OAuth is made by `pixi auth login --oauth`).
EDITABLE_KINDS = tuple(name for name, spec in KINDS.items() if spec.editable)


def field_value(cred: Credential, name: str) -> str:
    """A field of the kind's spec, as text ('' for an unset optional one)."""
    return str(getattr(cred, name) or "")


def is_oauth(cred: Credential) -> TypeGuard[OAuth]:
    """The one test for OAuth-only features (refresh, sign-out, revocation, expiry countdown)."""
    return KINDS[cred.kind].refreshable


def credential_from_fields(kind: str, values: dict[str, str]) -> Credential:
    """The credential of an editable kind from its typed fields (already checked)."""
    spec = KINDS[kind]
    return spec.cls(**{f.name: (values.get(f.name) or None) if f.optional else values[f.name] for f in spec.fields})


class Authorisation(NamedTuple):
    """How a request carries a credential, as rattler sends it."""

    url: str
    headers: dict[str, str]
    basic: tuple[str, str] | None = None  # HTTP basic: (username, password)
    sigv4: tuple[str, str, str | None] | None = None  # signed with (access key id, secret, session token)
    note: str = ""


# What the `url` crate percent-encodes in a path (checked against py-rattler): controls, DEL,
# non-ASCII (as UTF-8) and these; `%` stays as it is, and `\\` separates segments like `/`.
_PATH_ESCAPED = frozenset(' "<>`#?{}')
# A token of visible ASCII but these (and `\\`) is carried in the path as it is.
_PATH_AS_IS = re.compile(r"[!$-;=@-\[\]-_a-z|~]*")


def path_unchanged(token: str) -> bool:
    """`path_encoded(token) == token`, without the Python loop over its characters."""
    return _PATH_AS_IS.fullmatch(token) is not None


def path_encoded(token: str) -> str:
    """`token` as rattler puts it in a URL path (`Url::set_path`)."""
    # Nearly every token is carried as it is (every CondaToken made asks): told by one match.
    return token if path_unchanged(token) else path_encoded_by_character(token)


def path_encoded_by_character(token: str) -> str:
    """`path_encoded`, one character at a time."""
    out = []
    for ch in token:
        if ch == "\\":
            out.append("/")
        elif ch in _PATH_ESCAPED or not " " <= ch <= "~":
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
        else:
            out.append(ch)
    return "".join(out)


def insert_conda_token(url: str, token: str) -> str:
    """`https://host/chan/...` → `https://host/t/<token>/chan/...` (the token already encoded)."""
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}/t/{token}/{path}"


def authorise(cred: Credential, url: str, reveal: Callable[[str], str] = str) -> Authorisation:
    """The one description of a credential on a request: `test` sends it (reveal = as is),
    `resolve` prints it (reveal = mask)."""
    spec = KINDS[cred.kind]
    secret = reveal(secret_of(cred) or "")
    if spec.sends == "bearer":
        return Authorisation(url, {"Authorization": f"Bearer {secret}"}, note=spec.note)
    if spec.sends == "conda-path":
        # Encoded first, then masked: what is shown is the tail of what is sent.
        return Authorisation(insert_conda_token(url, reveal(path_encoded(secret_of(cred) or ""))), {}, note=spec.note)
    if spec.sends == "basic" and spec.identity:
        return Authorisation(url, {}, basic=(field_value(cred, spec.identity), secret), note=spec.note)
    if spec.sends == "sigv4" and spec.identity:
        # SigV4 signs with the key id, the secret key and S3's other secret, the session token.
        others = [name for name in spec.secrets if name != spec.secret]
        token = field_value(cred, others[0]) if others else ""
        keys = (field_value(cred, spec.identity), secret, reveal(token) if token else None)
        return Authorisation(url, {}, sigv4=keys, note=spec.note)
    return Authorisation(url, {}, note=spec.note)


HEADER_FAILS = "the token holds a control character no HTTP header may carry: rattler fails this request"


def send_problem(cred: Credential) -> str | None:
    """Why rattler cannot put this credential on a request (None: it can); `resolve` says it
    and `test` sends nothing.

    A header value may hold tab, visible ASCII and bytes >= 0x80 (UTF-8), nothing else: py-rattler
    fails with "failed to parse header value" on any other control character. A conda token is
    percent-encoded into the path (`path_encoded`), so it always goes out.
    """
    if KINDS[cred.kind].sends != "bearer":
        return None
    return HEADER_FAILS if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in secret_of(cred) or "") else None


class CredentialParseError(ValueError):
    pass


def _require_str(obj: dict[str, Any], field: str, variant: str) -> str:
    value = obj.get(field)
    if not isinstance(value, str):
        raise CredentialParseError(f"{variant}.{field} must be a string")
    return value


def _optional(obj: dict[str, Any], field: str, variant: str, typ: type) -> Any:
    # serde treats a missing Option field as None.
    value = obj.get(field)
    if value is not None and (not isinstance(value, typ) or isinstance(value, bool)):
        raise CredentialParseError(f"{variant}.{field} must be {typ.__name__} or null")
    if typ is int and value is not None and not -(2**63) <= value < 2**63:
        raise CredentialParseError(f"{variant}.{field} is out of the i64 range")
    return value


def _as_object(obj: Any, variant: str) -> dict[str, Any]:
    # serde ignores unknown fields in these structs (no deny_unknown_fields); so do we.
    if not isinstance(obj, dict):
        raise CredentialParseError(f"{variant} must hold an object")
    return obj


def parse_credential(value: Any) -> Credential:
    """Parse one decoded JSON value. Never raises: bad shapes become `Unrecognised`."""
    try:
        return _parse_strict(value)
    except CredentialParseError as err:
        return Unrecognised(raw=value, reason=str(err))


def _parse_strict(value: Any) -> Credential:
    if isinstance(value, str):
        # The string itself is not shown: a bare token pasted as an entry is the common case.
        raise CredentialParseError(f"a bare string ({len(value)} characters) is not a credential rattler knows")
    if not isinstance(value, dict) or len(value) != 1:
        raise CredentialParseError("expected an object with exactly one variant name")
    ((variant, payload),) = value.items()
    misspelled = variant == MISSPELLED_BASIC  # read, and flagged: rattler rejects it
    spec = KINDS.get("BasicHTTP" if misspelled else variant)
    if spec is None or spec.serde is None:
        raise CredentialParseError(f"unknown variant {variant!r}")
    if not spec.serde:
        if not isinstance(payload, str):
            raise CredentialParseError(f"{variant} must hold a string")
        return spec.cls(payload)
    obj = _as_object(payload, variant)
    values: dict[str, Any] = {
        name: _require_str(obj, name, variant)
        if typ == "str"
        else _optional(obj, name, variant, int if typ == "i64?" else str)
        for name, typ in spec.serde
    }
    return spec.cls(**values, misspelled=True) if misspelled else spec.cls(**values)


def credential_to_json(cred: Credential) -> Any:
    """The JSON value rattler writes for `cred` (dict order = serde field order). Always in
    rattler's spelling: writing repairs a misspelled entry."""
    if isinstance(cred, NotRead):
        raise ValueError("the secret of this item was never read")
    if isinstance(cred, Unrecognised):
        return cred.raw
    spec = KINDS[cred.kind]
    if not spec.serde:
        return {spec.name: secret_of(cred)}
    return {spec.name: {name: getattr(cred, name) for name, _typ in spec.serde}}


def compact_json(value: Any) -> str:
    """serde_json's compact form: no spaces, UTF-8 kept, same escapes for controls."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps_credential(cred: Credential) -> str:
    return compact_json(credential_to_json(cred))


MISSPELLED_PROBLEM = f"spelled `{MISSPELLED_BASIC}`; rattler only accepts `BasicHTTP`"


def is_misspelled(cred: Credential) -> bool:
    """Read from an entry in the spelling pixi's docs show, which rattler rejects."""
    return isinstance(cred, BasicHTTP) and cred.misspelled


def respelled(cred: Credential) -> Credential:
    """The same credential in rattler's own spelling (what a repair writes)."""
    return BasicHTTP(cred.username, cred.password) if isinstance(cred, BasicHTTP) else cred


def reading_problem(cred: Credential) -> str | None:
    """Why rattler cannot read this entry, for people (None: it can)."""
    if is_misspelled(cred):
        return MISSPELLED_PROBLEM
    if isinstance(cred, Unrecognised):
        return cred.reason
    return None


# Kinds rattler reads whatever they hold (only a BasicHTTP can be misspelled; an Unrecognised or
# a NotRead is never read): answered without a call (100,000 entries in a large file).
_ALWAYS_READ = frozenset({BearerToken, CondaToken, S3Credentials, OAuth})


def rattler_accepts(cred: Credential) -> bool:
    return type(cred) in _ALWAYS_READ or reading_problem(cred) is None


def is_readable(cred: Credential) -> bool:
    """False for a keychain item listed by name whose secret was not read yet (NotRead)."""
    return not isinstance(cred, NotRead)


def secret_of(cred: Credential) -> str | None:
    """The value that must never be shown unmasked."""
    # (the common kinds without the KINDS lookup; exact types, as KINDS is keyed by `kind`)
    if type(cred) is BearerToken or type(cred) is CondaToken:
        return cred.token
    if type(cred) is BasicHTTP:
        return cred.password
    name = KINDS[cred.kind].secret
    return getattr(cred, name) if name else None


def all_secrets(cred: Credential) -> list[str]:
    """Every secret string a credential holds (for leak checks and masking)."""
    return [value for name in KINDS[cred.kind].secrets if (value := getattr(cred, name))]


def mask(secret: str | None, human: bool = False) -> str:
    """`pfx_abcdef…Xq7f` → `pfx_…Xq7f`: enough to recognise a token, never enough to use it.

    A human-chosen secret (a password, `human=True`) shows no part at all: its last
    characters narrow down a guess, and people reuse passwords.
    """
    if not secret:
        return "(empty)"
    if human or len(secret) < 12:
        return "•" * 6
    prefix = secret.split("_", 1)[0] + "_" if "_" in secret[:6] else ""
    return f"{prefix}…{secret[-4:]}"


def masked_secret(cred: Credential) -> str:
    """How the detail pane (and `resolve`) shows the secret while it is hidden."""
    return mask(secret_of(cred), human=KINDS[cred.kind].human)


def mask_for(cred: Credential) -> Callable[[str], str]:
    """The masking `resolve` applies to this credential's secret (no tail of a password)."""
    human = KINDS[cred.kind].human
    return lambda secret: mask(secret, human=human)


def public_identity(cred: Credential) -> str:
    """What a table shows for a credential: username or masked secret."""
    # (the common kinds first, without the KINDS lookup: 100,000 rows in a listing)
    if type(cred) is BearerToken or type(cred) is CondaToken:
        return mask(cred.token)
    if type(cred) is BasicHTTP:
        return str(cred.username)
    spec = KINDS[cred.kind]
    if spec.identity:
        return str(getattr(cred, spec.identity))
    if spec.secret is None:
        return spec.placeholder
    return mask(secret_of(cred))


def jwt_claims(token: str) -> dict[str, Any] | None:
    """Decode (without verifying) a JWT's payload, as `pixi auth status` does for expiry."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return claims if isinstance(claims, dict) else None


def expires_at(cred: Credential) -> int | None:
    """Unix time the credential stops working, when it can be known offline.

    Read through `core.expiry.unix_time`: a JWT `exp` in milliseconds is read as such; anything
    not a finite time in years 1970–9999 (a string, NaN, 10**30) counts as unknown.
    """
    if (type(cred) is BearerToken or type(cred) is CondaToken) and cred.token.count(".") != 2:
        return None  # not a JWT (not three dot-separated parts): nothing to read, and the common case
    if type(cred) is BasicHTTP:
        return None
    from pixi_auth_tui.core import expiry  # (only a JWT or an OAuth entry gets here)

    kind_expiry = KINDS[cred.kind].expiry
    if kind_expiry == "recorded" and isinstance(cred, OAuth):
        return expiry.unix_time(cred.expires_at)
    if kind_expiry == "jwt":
        claims = jwt_claims(secret_of(cred) or "")
        return expiry.unix_time(claims.get("exp"), jwt=True) if claims else None
    return None


# -- what rattler does with an OAuth entry before sending it (rattler's oauth_refresh) -------------

# rattler refreshes an access token that expires within this many seconds.
REFRESH_SKEW_SECONDS = 300


def oauth_expired(cred: Credential, now: float) -> bool:
    """rattler's `is_expired`: `expires_at <= now` (never without a recorded expiry)."""
    return is_oauth(cred) and cred.expires_at is not None and cred.expires_at <= int(now)


def oauth_sends_nothing(cred: Credential, now: float) -> str | None:
    """Why rattler sends no credential at all for this entry (None: it sends one).

    An expired OAuth entry without a refresh token cannot be refreshed, and rattler does not
    attach an expired token; nor does it fall back to a wildcard or a later store: the lookup
    already matched this key (tests/test_differential.py, with py-rattler)."""
    if oauth_expired(cred, now) and is_oauth(cred) and not cred.refresh_token:
        return (
            "the OAuth access token has expired and there is no refresh token, so rattler sends no credential "
            "for this key's hosts (and does not fall back to a wildcard or a later store); sign in again"
        )
    return None


def oauth_refresh_first(cred: Credential, now: float) -> str | None:
    """What rattler does first with an OAuth entry due for refresh (None: sent as it is)."""
    if not is_oauth(cred) or cred.expires_at is None or not cred.refresh_token:
        return None
    if oauth_expired(cred, now):
        return (
            "the access token has expired: rattler refreshes it through the token endpoint first, and if the "
            "provider refuses, sends no credential (no fallback to a wildcard or a later store); refresh it now "
            "to know"
        )
    if cred.expires_at - int(now) < REFRESH_SKEW_SECONDS:
        return "the access token expires within 300 s: rattler refreshes it first (the old one is sent if that fails)"
    return None
