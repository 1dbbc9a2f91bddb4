"""Storage keys: how rattler derives them from URLs and how `pixi auth login` normalises them."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def host_of(url: str) -> str | None:
    """The host rattler keys on (lower-cased as the `url` crate does), or None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    host = parts.hostname
    if not host:
        return None
    if ":" in host:  # IPv6: the url crate keeps the brackets in host_str()
        return f"[{host}]"
    return host


def candidate_keys(url: str) -> list[str]:
    """Every key rattler tries for `url`, in its order (see rattler's get_by_url_with_host)."""
    host = host_of(url)
    if host is None:
        return []
    keys = [host]
    scheme = urlsplit(url).scheme.lower()
    if scheme == "s3":
        # The URL itself, then shortened one path segment at a time, down to s3://bucket.
        current = url
        root = f"s3://{host}"
        while len(current) >= len(root):
            keys.append(current)
            if current == root:
                break
            current = current.rsplit("/", 1)[0]
        return keys
    if _is_ip(host):
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


@dataclass(frozen=True)
class Normalised:
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
    if not key or key != key.strip():
        return "empty or surrounded by spaces"
    if any(ord(c) < 32 or c == "\x7f" for c in key):
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
    if key.startswith("[") and key.endswith("]") and _is_ip(key):
        return None
    if ":" in key:
        return "contains a port: rattler keys are hosts without ports"
    if key != key.lower():
        return "has upper-case letters: hosts in URLs are lower-cased before lookup"
    host = key[2:] if key.startswith("*.") else key
    if "*" in host:
        return "a wildcard is only allowed as a leading '*.'"
    if _is_ip(host):
        return "a wildcard never matches an IP address" if key.startswith("*.") else None
    labels = host.split(".")
    if not all(_LABEL.match(label) for label in labels):
        return "not a valid host name"
    if key.startswith("*.") and len(labels) == 1:
        return f"matches every host under the top-level domain '.{host}'"
    return None
