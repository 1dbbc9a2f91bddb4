"""JSON exactly as rattler reads it: serde_json into `BTreeMap<String, Authentication>`.

Python's `json` accepts more than serde_json does, and keeps less. The differences that
matter, each checked against py-rattler (tests/test_differential.py):
- `NaN`/`Infinity` are not JSON; a BOM is not whitespace (Python agrees on both only partly);
- a lone surrogate escape (`"\\ud800"`) fails every string serde must decode — keys, variant
  names, field names and values — but not inside a field serde ignores;
- numbers are checked only where a type wants one: `expires_at` is an `i64`, so `5.0`, `1e2`,
  `-0` and anything beyond the i64 range fail, while `1e400` in an unknown field is fine;
- a repeated top-level key keeps the last value (every occurrence must still parse); a
  repeated *field* of a credential is an error; unknown fields are ignored;
- a struct may be written as an array of its fields in order (`{"BasicHTTP": ["u", "p"]}`).

`parse_json` keeps objects as `Pairs` (duplicates and order kept) and numbers as `Number`
(the literal as written), so nothing is lost when a file we cannot use is written back.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, NamedTuple

from pixi_auth_tui.core.model import (
    KINDS,
    MISSPELLED_BASIC,
    BasicHTTP,
    BearerToken,
    CondaToken,
    Credential,
    Unrecognised,
    dumps_credential,
    is_readable,
    parse_credential,
    rattler_accepts,
    reading_problem,
)

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
# rattler's variants, and the struct ones' (field, type) in serde's declaration order (`?` marks
# an Option): from the kinds' one home, model.KINDS.
VARIANTS = tuple(name for name, spec in KINDS.items() if spec.serde is not None)
STRUCT_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {name: spec.serde for name, spec in KINDS.items() if spec.serde}
# Compiled when first used (functools.cache): only text that is not ASCII needs it.
_SURROGATE = functools.cache(lambda: re.compile("[\ud800-\udfff]"))


class SerdeError(ValueError):
    """What serde_json would fail with (worded for a person, not serde's exact text)."""


class Pairs(list):  # type: ignore[type-arg]
    """A JSON object as written: its (key, value) pairs in order, duplicates kept."""


class Number(NamedTuple):
    """A JSON number literal as written; `is_int` when it has no fraction or exponent."""

    text: str
    is_int: bool


def _no_constants(name: str) -> Any:
    raise SerdeError(f"{name} is not valid JSON")


def parse_json(text: str) -> Any:
    """Parse JSON text with serde_json's syntax rules; raise SerdeError where it would fail."""
    try:
        doc = json.loads(
            text,
            object_pairs_hook=Pairs,
            parse_int=lambda s: Number(s, True),
            parse_float=lambda s: Number(s, False),
            parse_constant=_no_constants,
        )
    except json.JSONDecodeError as err:
        raise SerdeError(f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from err
    except RecursionError as err:
        # serde_json skips a field it ignores at any depth, so rattler may still read this file.
        raise SerdeError("JSON nested too deeply for this tool to read (about 1,000 levels)") from err
    return doc


def has_lone_surrogate(text: str) -> bool:
    # isascii() is a fast C scan, and most keys and tokens are ASCII.
    return not text.isascii() and _SURROGATE().search(text) is not None


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Number):
        return f"the number {value.text}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Pairs | dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _string_problem(value: Any, where: str) -> str | None:
    if not isinstance(value, str):
        return f"{where} must be a string, not {type_name(value)}"
    if has_lone_surrogate(value):
        return f"{where} contains a lone surrogate escape (U+D800–U+DFFF), which serde_json rejects"
    return None


def _i64_problem(value: Any, where: str) -> str | None:
    if not isinstance(value, Number):
        return f"{where} must be an integer, not {type_name(value)}"
    # serde_json reads `-0` and anything with a fraction or exponent as a float.
    if not value.is_int or value.text == "-0":
        return f"{where} must be an integer (i64), not the floating-point number {value.text}"
    digits = len(value.text.lstrip("-"))
    if digits > 19:  # before int(): thousands of digits are slow to convert, and refused past 4,300
        return f"{where} is out of the i64 range: a number with {digits:,} digits"
    if not I64_MIN <= int(value.text) <= I64_MAX:
        return f"{where} is out of the i64 range: {value.text}"
    return None


def _field_problem(value: Any, kind: str, where: str) -> str | None:
    if kind.endswith("?") and value is None:
        return None
    return _i64_problem(value, where) if kind.startswith("i64") else _string_problem(value, where)


def _struct_problem(variant: str, payload: Any) -> str | None:
    fields = STRUCT_FIELDS[variant]
    if isinstance(payload, list) and not isinstance(payload, Pairs):
        if variant == "OAuth":
            # rattler accepts a 7-element array here whose field order we could not pin down.
            return "an OAuth credential written as an array is not something this tool can read"
        if len(payload) < len(fields):
            return f"{variant} as an array needs {len(fields)} elements, found {len(payload)}"
        if len(payload) > len(fields):
            return f"{variant} as an array has {len(payload) - len(fields)} element(s) too many"
        for (name, kind), value in zip(fields, payload, strict=True):
            problem = _field_problem(value, kind, f"{variant}.{name}")
            if problem:
                return problem
        return None
    if not isinstance(payload, Pairs):
        return f"{variant} must hold an object, not {type_name(payload)}"
    kinds = dict(fields)
    seen: set[str] = set()
    for name, value in payload:
        if has_lone_surrogate(name):
            return f"a field name in {variant} contains a lone surrogate escape"
        if name not in kinds:
            continue  # serde ignores unknown fields, without looking inside them
        if name in seen:
            return f"duplicate field `{name}` in {variant}"
        seen.add(name)
        problem = _field_problem(value, kinds[name], f"{variant}.{name}")
        if problem:
            return problem
    missing = [name for name, kind in fields if not kind.endswith("?") and name not in seen]
    return f"{variant} is missing the field `{missing[0]}`" if missing else None


def authentication_problem(value: Any) -> str | None:
    """Why serde would fail to read `value` as rattler's `Authentication`, or None."""
    if isinstance(value, str):
        if has_lone_surrogate(value):
            return "the variant name contains a lone surrogate escape"
        if value in VARIANTS:
            return f"{value!r} alone has no payload (a unit variant)"
        # A bare string is often a pasted token: say what it is, never what it says.
        return f"a bare string ({len(value)} characters, not shown) where rattler expects an object with one variant"
    if not isinstance(value, Pairs):
        return f"expected an object with exactly one variant name, not {type_name(value)}"
    if len(value) != 1:
        return f"expected an object with exactly one variant name, found {len(value)} keys"
    ((variant, payload),) = value
    if has_lone_surrogate(variant):
        return "the variant name contains a lone surrogate escape"
    if variant not in VARIANTS:
        return f"unknown variant {variant!r}"
    if variant not in STRUCT_FIELDS:  # a newtype string (BearerToken, CondaToken)
        return _string_problem(payload, variant)
    return _struct_problem(variant, payload)


def canonical(value: Any) -> Any:
    """A value rattler accepts as the plain dict form rattler itself would write back."""
    ((variant, payload),) = value
    if variant not in STRUCT_FIELDS:
        return {variant: payload}
    fields = STRUCT_FIELDS[variant]
    if isinstance(payload, Pairs):
        given = {name: v for name, v in payload if name in dict(fields)}
    else:
        given = {name: v for (name, _kind), v in zip(fields, payload, strict=True)}
    out = {}
    for name, _kind in fields:
        v = given.get(name)
        out[name] = int(v.text) if isinstance(v, Number) else v
    return {variant: out}


def _common_credential(value: Any) -> Any:
    """The credential for the shapes nearly every file holds (a token; a user and password),
    or None for anything else. Where it answers, it answers as the full check below would
    (tests/test_rattler_json_fast.py compares the two on generated values)."""
    if type(value) is not Pairs or len(value) != 1:
        return None
    ((variant, payload),) = value
    if type(payload) is str:
        if has_lone_surrogate(payload):
            return None
        if variant == "BearerToken":
            return BearerToken(payload)
        if variant == "CondaToken":
            return CondaToken(payload)
        return None
    if variant != "BasicHTTP" or type(payload) is not Pairs or len(payload) != 2:
        return None
    (first, a), (second, b) = payload
    if type(a) is not str or type(b) is not str or has_lone_surrogate(a) or has_lone_surrogate(b):
        return None
    if first == "username" and second == "password":
        return BasicHTTP(a, b)
    if first == "password" and second == "username":
        return BasicHTTP(b, a)
    return None


def read_credentials(values: list[Any]) -> list[Any]:
    """`read_credential` of each value, in order (a whole file). Each credential is built by its
    own class, whose `__post_init__` is the one place that hands its secrets to the redactor."""
    return list(map(read_credential, values))


def loads_credential(text: str) -> Credential:
    """A keychain secret, read as rattler reads it (serde_json)."""
    try:
        value = parse_json(text)
    except SerdeError as err:
        return Unrecognised(raw=text, reason=f"not JSON: {err}")
    return read_credential(value)


def loads_keychain_secret(data: bytes | None) -> Credential:
    """A keychain item's secret bytes, read as rattler reads them: text first (the keyring
    crate refuses bytes that are not UTF-8, and rattler then skips the item), then JSON."""
    try:
        text = (data or b"").decode("utf-8")
    except UnicodeDecodeError:
        return Unrecognised(raw=(data or b"").decode("utf-8", errors="replace"), reason="the secret is not UTF-8 text")
    return loads_credential(text)


def read_credential(value: Any) -> Any:
    """The credential rattler reads from `value`, or `Unrecognised` with serde's reason."""
    common = _common_credential(value)
    return common if common is not None else read_credential_strictly(value)


def read_credential_strictly(value: Any) -> Any:
    """`read_credential` through the full serde check, for any shape."""
    problem = authentication_problem(value)
    if problem is None:
        return parse_credential(canonical(value))
    if isinstance(value, Pairs) and len(value) == 1 and value[0][0] == MISSPELLED_BASIC:
        return parse_credential(plain(value))  # shown as BasicHTTP with the misspelling flagged
    return Unrecognised(raw=plain(value), reason=problem)


def plain(value: Any) -> Any:
    """Python values for display: objects as dicts (last wins), numbers as int/float."""
    if isinstance(value, Pairs):
        return {k: plain(v) for k, v in value}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, Number):
        try:
            return int(value.text) if value.is_int else float(value.text)
        except ValueError:
            return value.text
    return value


def _dump_str(text: str) -> str:
    # serde_json's escapes are Python's with ensure_ascii=False; a lone surrogate (only ever
    # kept from a file we did not understand) goes back out as the escape it came in as.
    dumped = json.dumps(text, ensure_ascii=False)
    return _SURROGATE().sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


class _NotSimple(Exception):
    pass


def _simple(value: Any) -> Any:
    """`value` as plain Python that json.dumps writes identically, or _NotSimple."""
    if isinstance(value, Pairs):
        out = {k: _simple(v) for k, v in value}
        if len(out) != len(value):
            raise _NotSimple  # repeated keys must be written back as they were
        return out
    if isinstance(value, dict):
        return {k: _simple(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_simple(v) for v in value]
    if isinstance(value, Number):
        if value.is_int and value.text != "-0" and len(value.text) < 300 and str(int(value.text)) == value.text:
            return int(value.text)
        raise _NotSimple
    if isinstance(value, float):
        raise _NotSimple
    return value


def dumps(value: Any) -> str:
    """Compact JSON as serde_json writes it; `Pairs` and `Number` are written back as read."""
    try:
        text = json.dumps(_simple(value), ensure_ascii=False, separators=(",", ":"))
    except _NotSimple:
        return _dumps_slow(value)
    return _SURROGATE().sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _dumps_slow(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Number):
        return value.text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, str):
        return _dump_str(value)
    if isinstance(value, Pairs):
        return "{" + ",".join(f"{_dump_str(k)}:{_dumps_slow(v)}" for k, v in value) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_dump_str(k)}:{_dumps_slow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dumps_slow(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_problem(cred: Credential, key: str | None = None) -> str | None:
    """Why rattler could not read `cred` (stored under `key`) once we write it, or None.

    Every write checks this first: the value is serialised as we would write it and read
    back by the serde-faithful reader below, so each field must have rattler's type
    (`String`, `Option<i64>` for `expires_at`: no float, no bool, nothing past the i64 range)
    and no string may hold a lone surrogate. One bad entry would make rattler refuse the whole
    file, and with it every credential in it.
    """
    if key is not None and has_lone_surrogate(key):
        return "the key contains a lone surrogate (\\ud800–\\udfff), which rattler cannot read"
    if not is_readable(cred):
        return "the secret of this item was never read"
    if not rattler_accepts(cred):
        return reading_problem(cred) or "not a credential rattler can read"
    try:
        text = dumps_credential(cred)
        problem = authentication_problem(parse_json(text))
    except (SerdeError, TypeError, ValueError) as err:  # a value json cannot even write
        return f"it cannot be written as rattler's JSON ({type(err).__name__})"
    return f"rattler could not read it: {problem}" if problem else None
