"""Python keyring entries for PyPI indexes: which (service, user name) pairs uv asks about.

uv 0.11.15 (crates/uv-auth: middleware.rs, keyring.rs) asks the `keyring` executable only
when pixi's `keyring-provider` is "subprocess" and the index URL carries a user name; it asks
`keyring get SERVICE USER` for SERVICE = the index URL (user name and password removed, as
the `url` crate writes it), then `host[:port]`, then — for a URL that is not https —
`scheme://host[:port]`. Keyring cannot list its entries, so these pairs are what we look up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from pixi_auth_tui.core.hostkeys import parse_url
from pixi_auth_tui.core.whatwg import URL

KEYRING_APPLICATION = "Python keyring library"  # the attribute Python keyring adds to its Secret Service items
CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")


@dataclass(frozen=True)
class KeyringQuery:
    """One `keyring get SERVICE USER` uv may run, and the index URL it runs it for."""

    service: str
    username: str
    index_url: str  # as the workspace writes it, without any password


def _host_port(parsed: URL) -> str:
    return parsed.host + (f":{parsed.port}" if parsed.port is not None else "")


def _serialised(parsed: URL, username: str = "", password: str = "") -> str:
    """The URL as the `url` crate writes it, with the given user info (none: what uv asks for)."""
    query = parsed.rest.split("#", 1)[0].partition("?")
    userinfo = (username + (f":{password}" if password else "") + "@") if username or password else ""
    tail = f"?{query[2]}" if query[1] else ""
    return f"{parsed.scheme}://{userinfo}{_host_port(parsed)}{parsed.path}{tail}"


def keyring_services(url: str) -> list[str]:
    """The services uv asks keyring about for `url`, in uv's order (empty: not a URL with a host)."""
    parsed = parse_url(url)
    if parsed is None or not parsed.host or parsed.scheme not in ("http", "https"):
        return []
    host = _host_port(parsed)  # with the port when it is not the scheme's default, as uv formats it
    services = [_serialised(parsed), host]
    if parsed.scheme != "https":
        services.append(f"{parsed.scheme}://{host}")
    return list(dict.fromkeys(services))


def url_username(url: str) -> str | None:
    """The user name written into `url` (percent-decoded, as uv reads it), or None."""
    parsed = parse_url(url)
    if parsed is None or not parsed.username:
        return None
    return unquote(parsed.username, errors="replace")


def user_at_advice(url: str, username: str) -> str:
    """How to make uv ask keyring for `url`: its user name before the host. Said in words, not as
    a URL with `user@` in it (every output masks a URL's user info: it may be a token)."""
    return f"put `{username}@` before the host in the index URL {without_userinfo(url)}"


def queries_for(index_urls: list[str]) -> list[KeyringQuery]:
    """Every (service, user) uv may ask keyring about for these index URLs, first seen first."""
    found: dict[tuple[str, str], KeyringQuery] = {}
    for url in index_urls:
        user = url_username(url)
        if not user:
            continue  # uv skips keyring for a URL without a user name
        shown = without_password(url)
        for service in keyring_services(url):
            found.setdefault((service, user), KeyringQuery(service, user, shown))
    return list(found.values())


def without_password(url: str) -> str:
    parsed = parse_url(url)
    if parsed is None or not parsed.password or not parsed.host:
        return url
    return _serialised(parsed, parsed.username)


def without_userinfo(url: str) -> str:
    """`url` without `user[:password]@`."""
    parsed = parse_url(url)
    if parsed is None or not (parsed.username or parsed.password) or not parsed.host:
        return url
    return _serialised(parsed)


def service_problem(service: str) -> str | None:
    """Why `service` is not a name uv could ask keyring about, or None.

    uv asks for an index URL, a `host[:port]`, or `scheme://host[:port]`; anything else is
    an entry uv never reads."""
    if not service or service != service.strip():
        return "a keyring service must not be empty or start or end with a space"
    if CONTROL.search(service):
        return "a keyring service must not hold control characters or line breaks"
    if "://" in service:
        services = keyring_services(service)
        if not services:
            return f"{service!r} is not an http(s) URL"
        parsed = parse_url(service)
        if parsed is not None and (parsed.username or parsed.password):
            return "write the service without a user name or password: uv asks keyring without them"
        if services[0] != service and not (services[0] == service + "/" and service.count("/") == 2):
            return f"uv asks keyring for {services[0]!r}, the URL as it normalises it"
        return None
    services = keyring_services(f"https://{service}/")
    if not services or services[1] != service:
        return f"{service!r} is neither an index URL nor a host[:port] as uv asks keyring (lower case, no path)"
    return None


def services_note(service: str) -> str:
    """Which requests a service answers for, in words."""
    if "://" not in service:
        return f"uv asks for {service} after the index URL itself: any index on this host"
    parsed = parse_url(service)
    if parsed is not None and parsed.path == "/" and not service.endswith("/"):
        return f"uv asks for {service} last, for plain-http indexes on this host"
    return f"uv asks for {service} first, for this index URL exactly"


@dataclass(frozen=True)
class IndexKeyring:
    """What keyring gives uv for one index URL: the user uv asks with and the entry that answers."""

    index_url: str  # without user name or password
    username: str | None  # None: uv skips keyring for this index
    service: str | None = None  # the service whose entry answers (None: no stored entry does)
    origin: str = ""  # who supplies it ("Python keyring", "keyring plugin" …)
    reason: str = ""  # the row's reason (the position in uv's chain, or why it is skipped)
    other_users: tuple[str, ...] = ()  # user names stored for its services that uv does not ask with


def index_keyring(index_url: str, rows: list[tuple[str, str | None, str, str, str]]) -> IndexKeyring:
    """For `index_url` (as the workspace writes it), the keyring entry uv would get, from the
    keyring store's rows as (service, user, status, origin, reason): the first of uv's services,
    in uv's order, with an entry for the URL's user that uv does not ignore."""
    user = url_username(index_url)
    shown = without_userinfo(without_password(index_url))
    services = keyring_services(index_url)
    others = tuple(dict.fromkeys(u for s, u, *_rest in rows if s in services and u and u != user))
    if not user:
        return IndexKeyring(shown, None, other_users=others)
    for service in services:
        for row_service, row_user, status, origin, reason in rows:
            if (row_service, row_user) == (service, user) and status != "ignored":
                return IndexKeyring(shown, user, service, origin, reason, others)
    return IndexKeyring(shown, user, other_users=others)
