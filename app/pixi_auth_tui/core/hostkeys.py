"""Storage keys: how rattler derives them from URLs and how `pixi auth login` normalises them."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote

if TYPE_CHECKING:
    from pixi_auth_tui.core.whatwg import URL

# Patterns compiled when first used (functools.cache): plain keys never need most of them.
_LABEL_TEXT = r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)"
# Every dot-separated label valid, an optional final dot (one regex, not one per label).
_HOST_LABELS = functools.cache(lambda: re.compile(rf"(?:{_LABEL_TEXT}\.)*{_LABEL_TEXT}\.?"))
_CONTROL = functools.cache(lambda: re.compile("[\x00-\x1f\x7f]"))
# ipaddress accepts an IPv4 address only as four dotted decimals, an IPv6 one only with a colon.
_IPV4_SHAPE = functools.cache(lambda: re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}"))


def _is_ip(host: str) -> bool:
    address = host.strip("[]")
    if ":" not in address and not _IPV4_SHAPE().fullmatch(address):
        return False  # a host name: skip ipaddress's two failed parses (and their exceptions)
    import ipaddress  # (only for a host shaped like an address)

    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def parse_url(url: str) -> URL | None:
    """`url` parsed by the WHATWG URL standard, as Rust's `url` crate parses it; None if invalid."""
    # (imported on the first parse: listing and auditing plain host keys never parse)
    from pixi_auth_tui.core.whatwg import URLError, parse

    try:
        return parse(url)
    except URLError:
        return None


def host_of(url: str) -> str | None:
    """The host rattler keys on: WHATWG-normalised (lower case, IDN as punycode, IPv4 shorthand
    and integer forms canonicalised, IPv6 compressed in brackets, percent-decoded); None if none."""
    parsed = parse_url(url)
    if parsed is None or not parsed.host:
        return None
    return parsed.host


def url_userinfo(url: str) -> tuple[str, str] | None:
    """Credentials in the URL itself (`https://user:pw@host/`), percent-decoded: rattler sends
    exactly these as HTTP Basic and consults no store. None when the URL carries none."""
    parsed = parse_url(url)
    if parsed is None or not (parsed.username or parsed.password):
        return None
    return unquote(parsed.username, errors="replace"), unquote(parsed.password, errors="replace")


def redact_userinfo(url: str) -> str:
    """`url` with the password of its own userinfo masked, for display."""
    scheme, sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:•••@{hostport}{slash}{tail}"


# A host WHATWG leaves as it is: lower-case ASCII letters, digits and hyphens, no punycode to
# validate, and a last label that is no number (which would make it an IPv4 address).
_ALREADY_NORMAL = functools.cache(lambda: re.compile(r"(?:[a-z0-9-]+\.)*[a-z0-9-]+\.?"))
_NUMERIC_LABEL = functools.cache(lambda: re.compile(r"[0-9]+|0x[0-9a-f]*"))
# A key that is already a normal, valid host name (or `*.` and one): lower-case labels of
# letters, digits and inner hyphens. With no `xn--`, a last label that is no number, and after
# `*.` at least two labels (`*.com` matches a whole top-level domain), it has no problem (the
# full check below agrees; tests/test_hostkeys.py compares the two).
_PLAIN_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_LAST_LABEL = rf"(?![0-9]+\.?\Z)(?!0x[0-9a-f]*\.?\Z){_PLAIN_LABEL}\.?"
_PLAIN_OK = re.compile(rf"(?!.*xn--)(?:\*\.(?:{_PLAIN_LABEL}\.)+|(?:{_PLAIN_LABEL}\.)*){_LAST_LABEL}")
# A match when `key` is such a host name: rattler can match it (never_matched is None), it has
# no problem (key_problem is None) and it is no s3:// key. One regex for the common key (a
# listing checks every key): callers look closer only at the others.
plain_host_key = _PLAIN_OK.fullmatch


def normalise_host(host: str) -> str | None:
    """What `host` becomes in a URL rattler looks up (e.g. `Bücher.de` → `xn--bcher-kva.de`)."""
    if _ALREADY_NORMAL().fullmatch(host) and "xn--" not in host:
        last = host.removesuffix(".").rsplit(".", 1)[-1]
        if not _NUMERIC_LABEL().fullmatch(last):
            return host  # the common case, without a parse (10,000 keys in an audit)
    if not host or any(c in host for c in "/?#@\\") or host != host.strip():
        return None
    parsed = parse_url(f"http://{host}/")
    if parsed is None or parsed.port or not parsed.host:
        return None
    return parsed.host


def candidate_keys(url: str) -> list[str]:
    """Every key rattler tries for `url`, in its order (see rattler's get_by_url_with_host)."""
    parsed = parse_url(url)
    if parsed is None or not parsed.host:
        return []
    host = parsed.host
    keys = [host]
    if parsed.scheme == "s3":
        # The URL itself, then shortened one path segment at a time, down to s3://bucket.
        current = parsed.without_query()
        root = f"s3://{host}"
        while len(current) >= len(root):
            keys.append(current)
            if current == root:
                break
            current = current.rsplit("/", 1)[0]
        return keys
    from pixi_auth_tui.core.whatwg import HostKind  # (loaded by the parse above)

    if parsed.host_kind not in (HostKind.DOMAIN, HostKind.OPAQUE):
        return keys  # `Url::domain()` is None for IP addresses: no wildcard lookup.
    domain = host
    while True:
        keys.append(f"*.{domain}")
        if "." not in domain:
            break
        domain = domain.split(".", 1)[1]
    return keys


def in_domain(host: str, domain: str) -> bool:
    """`host` is `domain` or one of its subdomains (e.g. repo.prefix.dev in prefix.dev)."""
    return host == domain or host.endswith(f".{domain}")


class Normalised(NamedTuple):
    """The key `pixi auth login` would store a text under, whether it differs, and why."""

    key: str
    changed: bool
    reason: str


def normalise_login_key(text: str) -> Normalised:
    """What `pixi auth login TEXT` would store under: URL → host; `a.b` → `*.a.b`.

    Offered as a suggestion only: we never rewrite a key without the user's consent.
    """
    raw = text.strip()
    key = raw
    reasons: list[str] = []
    if "://" in raw and not raw.lower().startswith("s3://"):
        host = host_of(raw)
        if host:
            key = host
            reasons.append("a URL is reduced to its host")
    if key.count(".") == 1 and not key.startswith("*.") and not _is_ip(key):
        key = f"*.{key}"
        reasons.append("a host with one dot covers its subdomains")
    return Normalised(key=key, changed=key != raw, reason="; ".join(reasons))


def key_problem(key: str) -> str | None:
    """Why rattler could never match `key`, or None when it can."""
    if _PLAIN_OK.fullmatch(key):  # the common case, in one regex (10,000 keys in an audit)
        return None
    return full_key_problem(key)


def never_matched(key: str) -> str | None:
    """Why rattler can never match `key` (None when some URL reaches it).

    Unlike `key_problem`, which also warns of keys that match too much (`*.com`), this says
    only what is certain: no URL's host (or `s3://` prefix) is ever this key. A host key must be
    a host as WHATWG writes it; `*.rest` is tried for hosts under a domain `rest` (not an IP
    address), and `*.` for hosts with a final dot (`foo.`), as rattler's domain walk reaches it."""
    if _PLAIN_OK.fullmatch(key):
        return None
    if key.lower().startswith("s3://"):
        return full_key_problem(key)
    host = key[2:] if key.startswith("*.") else key
    if key.startswith("*.") and host == "":
        return None
    normal = normalise_host(host) if host and "*" not in host else None
    if (
        normal is not None
        and normal == host
        and not (key.startswith("*.") and (normal.startswith("[") or _is_ip(normal)))
    ):
        return None
    return full_key_problem(key) or "is no host name as a URL spells it"


def full_key_problem(key: str) -> str | None:
    """`key_problem` without its fast path."""
    if not key or key != key.strip():
        return "empty or surrounded by spaces"
    if _CONTROL().search(key):
        return "contains control characters"
    if key.lower().startswith("s3://"):
        rest = key[5:]
        if not rest or rest.startswith("/"):
            return "an s3:// key needs a bucket name"
        if key.endswith("/"):
            return "an s3:// key must not end with '/'"
        return None
    if "://" in key:
        return "a URL, not a host: rattler looks keys up by host only"
    if "/" in key:
        return "contains a path: rattler keys are hosts only"
    host = key[2:] if key.startswith("*.") else key
    if key == "*.":
        return "matches every host written with a final dot (`example.org.`)"
    if ":" in host and not host.startswith("["):
        return "contains a port: rattler keys are hosts without ports"
    if "*" in host:
        return "a wildcard is only allowed as a leading '*.'"
    normal = normalise_host(host)
    if normal is None:
        return "not a valid host name"
    if normal.startswith("[") or _is_ip(normal):
        if key.startswith("*."):
            return "a wildcard never matches an IP address"
        return None if normal == host else f"rattler sees this address as {normal}; store it under that key"
    if normal != host:
        if host != host.lower() and normal == host.lower():
            return "has upper-case letters: hosts in URLs are lower-cased before lookup"
        return f"rattler sees this host as {normal} (WHATWG URL rules); store it under that key"
    if not _HOST_LABELS().fullmatch(host):
        return "not a valid host name"
    if key.startswith("*.") and "." not in host.removesuffix("."):
        return f"matches every host under the top-level domain '.{host}'"
    return None
