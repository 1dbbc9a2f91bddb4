"""URLs parsed as the WHATWG URL standard parses them, for the parts rattler keys on.

rattler parses with Rust's `url` crate, which follows the WHATWG standard: the host is lower-
cased, international names become punycode, IPv4 short and integer forms become dotted quads,
IPv6 is compressed, and userinfo is percent-encoded. This module implements that parse for
absolute URLs (no base URL): scheme, userinfo, host, port and path. Query and fragment are split
off and not normalised (no key depends on them). Differential tests compare it with ada (a
WHATWG implementation, test dependency only) and with py-rattler.

Known difference: UTS #46's CheckBidi and CheckJoiners rules are not applied, so a name that
mixes right-to-left labels wrongly or holds a misplaced zero-width joiner is accepted here and
refused by rattler. Such names are not in use as package hosts.
"""

from __future__ import annotations

import enum
import re
from typing import NamedTuple
from urllib.parse import quote, unquote_to_bytes

SPECIAL_PORTS: dict[str, int | None] = {"ftp": 21, "file": None, "http": 80, "https": 443, "ws": 80, "wss": 443}

_ASCII_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SCHEME_CHARS = _ASCII_ALPHA | frozenset("0123456789+-.")
_C0_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
_FORBIDDEN_HOST = re.compile(r"[\x00\t\n\r #/:<>?@\[\\\]^|]")
_FORBIDDEN_DOMAIN = re.compile(r"[\x00-\x20#/:<>?@\[\\\]^|%\x7f]")
# A last label that may be an IPv4 number: digits, or 0x and hex digits (checked in full below).
_NUMBER_LIKE = re.compile(r"[0-9]|0[xX]")

# The percent-encode sets of the standard: what stays as it is (besides ASCII alphanumerics).
_C0_SAFE = "".join(chr(c) for c in range(0x20, 0x7F))
_PATH_SAFE = "".join(c for c in _C0_SAFE if c not in ' "#<>?^`{}')
_USERINFO_SAFE = "".join(c for c in _PATH_SAFE if c not in "/:;=@[\\]^|")


class HostKind(enum.Enum):
    DOMAIN = "domain"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    OPAQUE = "opaque"  # the host of a non-special URL (s3://bucket): kept as written, percent-encoded
    EMPTY = "empty"


class URL(NamedTuple):
    scheme: str  # lower case, without the colon
    username: str  # percent-encoded, as serialised
    password: str
    host: str  # as serialised: lower case, punycode, `[v6]`; "" for none
    host_kind: HostKind | None  # None: the URL has no host (`mailto:x`)
    port: int | None  # None for the scheme's default port or none
    rest: str  # what follows the host and port, as written

    @property
    def path(self) -> str:
        return _path(self.rest, self.special)  # (asked once or twice per URL: not kept)

    @property
    def special(self) -> bool:
        return self.scheme in SPECIAL_PORTS

    def without_query(self) -> str:
        """The URL as serialised, up to its path (what rattler shortens segment by segment)."""
        userinfo = ""
        if self.username or self.password:
            userinfo = self.username + (f":{self.password}" if self.password else "") + "@"
        port = f":{self.port}" if self.port is not None else ""
        authority = f"//{userinfo}{self.host}{port}" if self.host_kind is not None else ""
        return f"{self.scheme}:{authority}{self.path}"


class URLError(ValueError):
    pass


def _encode(text: str, safe: str) -> str:
    return quote(text, safe=safe, encoding="utf-8", errors="surrogatepass")


def parse(text: str) -> URL:
    """`text` parsed as an absolute URL; URLError when the standard says failure."""
    text = text.strip(_C0_CONTROL_OR_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    colon = text.find(":")
    scheme = text[:colon]
    if colon < 1 or scheme[0] not in _ASCII_ALPHA or not set(scheme) <= _SCHEME_CHARS:
        raise URLError("no scheme")
    scheme = scheme.lower()
    rest = text[colon + 1 :]
    special = scheme in SPECIAL_PORTS
    separators = "/\\" if special else "/"
    if special and scheme != "file":
        rest = rest.lstrip("/\\")  # `http:example.com` and `http:////example.com` name that host
    elif rest[:2] in ("//", "\\\\", "/\\", "\\/") if special else rest.startswith("//"):
        rest = rest[2:]
    else:
        return URL(scheme, "", "", "", None, None, rest)
    end = len(rest)
    for stop in (*separators, "?", "#"):
        found = rest.find(stop)
        if found != -1:
            end = min(end, found)
    authority, after = rest[:end], rest[end:]
    username = password = ""
    at = authority.rfind("@")
    if at != -1:
        userinfo, authority = authority[:at], authority[at + 1 :]
        user, _, secret = userinfo.partition(":")
        username, password = _encode(user, _USERINFO_SAFE), _encode(secret, _USERINFO_SAFE)
        if not authority:
            raise URLError("credentials without a host")
    hostname, port_text = _split_port(authority)
    if scheme == "file" and (at != -1 or port_text is not None):
        raise URLError("a file URL has no credentials or port")
    if not hostname:
        if special and scheme != "file":
            raise URLError("no host")
        if port_text is not None or at != -1:
            raise URLError("a port or credentials without a host")
        return URL(scheme, "", "", "", HostKind.EMPTY, None, after)
    host, kind = parse_host(hostname, special)
    if scheme == "file" and host == "localhost":
        host, kind = "", HostKind.EMPTY
    return URL(scheme, username, password, host, kind, _port(port_text, scheme), after)


def _split_port(authority: str) -> tuple[str, str | None]:
    """(host, port text or None): the first colon outside brackets starts the port."""
    inside = False
    for index, char in enumerate(authority):
        if char == "[":
            inside = True
        elif char == "]":
            inside = False
        elif char == ":" and not inside:
            return authority[:index], authority[index + 1 :]
    return authority, None


def _port(text: str | None, scheme: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise URLError("the port is not a number")
    port = int(text)
    if port > 65535:
        raise URLError("the port is out of range")
    return None if port == SPECIAL_PORTS.get(scheme, -1) else port


def _path(text: str, special: bool) -> str:
    """The path as serialised (query and fragment cut off): segments percent-encoded, dot
    segments resolved, `\\` a separator in special URLs."""
    for stop in "?#":
        text = text.split(stop, 1)[0]
    if special:
        text = text.replace("\\", "/")
    if not text:
        return "/" if special else ""
    segments: list[str] = []
    parts = text.split("/")
    if parts[0] == "":
        parts = parts[1:]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        lowered = part.lower()
        if lowered in ("..", ".%2e", "%2e.", "%2e%2e"):
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif lowered in (".", "%2e"):
            if last:
                segments.append("")
        else:
            segments.append(_encode(part, _PATH_SAFE))
    return "/" + "/".join(segments)


def parse_host(text: str, special: bool = True) -> tuple[str, HostKind]:
    """A host as the standard's host parser serialises it, and its kind."""
    if text.startswith("["):
        if not text.endswith("]"):
            raise URLError("an unclosed IPv6 address")
        return f"[{_ipv6(text[1:-1])}]", HostKind.IPV6
    if not special:
        if _FORBIDDEN_HOST.search(text):
            raise URLError("a character not allowed in a host")
        return _encode(text, _C0_SAFE), HostKind.OPAQUE
    domain = unquote_to_bytes(text).decode("utf-8", "replace") if "%" in text else text
    ascii_domain = domain_to_ascii(domain)
    if _FORBIDDEN_DOMAIN.search(ascii_domain):
        raise URLError("a character not allowed in a host name")
    if _ends_in_a_number(ascii_domain):
        return _ipv4(ascii_domain), HostKind.IPV4
    return ascii_domain, HostKind.DOMAIN


def domain_to_ascii(domain: str) -> str:
    """UTS #46 ToASCII with the standard's options (no STD3 rules, no hyphen or DNS-length
    checks, non-transitional): lower case and punycode."""
    if domain.isascii() and not any(label[:4].lower() == "xn--" for label in domain.split(".")):
        return domain.lower()  # the standard's shortcut: nothing to map or encode
    import idna  # (imported for international names only)

    try:
        mapped = idna.uts46_remap(domain, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError) as err:
        raise URLError(f"not a valid international name: {err}") from None
    labels = []
    for label in mapped.split("."):
        if label.startswith("xn--"):
            _check_punycode(label)
            labels.append(label)
        elif label.isascii():
            labels.append(label)
        else:
            labels.append("xn--" + label.encode("punycode").decode("ascii"))
    result = ".".join(labels)
    if not result:
        raise URLError("an empty host")
    return result


def _check_punycode(label: str) -> None:
    """An `xn--` label must decode, and decode to what UTS #46 would keep as it is."""
    import idna

    try:
        decoded = label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        raise URLError(f"{label}: not valid punycode") from None
    if not decoded or decoded.isascii():
        raise URLError(f"{label}: punycode of plain ASCII")
    try:
        remapped = idna.uts46_remap(decoded, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError):
        raise URLError(f"{label}: decodes to characters not allowed in a host name") from None
    if remapped != decoded or "." in decoded:
        raise URLError(f"{label}: decodes to a name that is not in normal form")


def _ends_in_a_number(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if not _NUMBER_LIKE.match(last):
        return False
    if last.isascii() and last.isdigit():
        return True
    try:
        _ipv4_number(last)
    except URLError:
        return False
    return True


def _ipv4_number(part: str) -> int:
    if not part:
        raise URLError("an empty IPv4 part")
    base, digits = 10, part
    if part[:2] in ("0x", "0X"):
        base, digits = 16, part[2:]
    elif len(part) > 1 and part[0] == "0":
        base, digits = 8, part[1:]
    if not digits:
        return 0
    allowed = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}[base]
    if any(char not in allowed for char in digits):
        raise URLError("not an IPv4 number")
    return int(digits, base)


def _ipv4(domain: str) -> str:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise URLError("an IPv4 address with more than four parts")
    numbers = [_ipv4_number(part) for part in parts]
    if any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise URLError("an IPv4 address out of range")
    address = numbers[-1] + sum(number * 256 ** (3 - index) for index, number in enumerate(numbers[:-1]))
    return ".".join(str(address >> shift & 0xFF) for shift in (24, 16, 8, 0))


def _ipv6(text: str) -> str:
    # Python's parser also takes a zone (`%eth0`) and IPv4 parts with leading zeros in old
    # releases; the standard takes neither.
    if not text or any(char not in "0123456789abcdefABCDEF:." for char in text):
        raise URLError("not an IPv6 address")
    import ipaddress  # (for IPv6 hosts only)

    try:
        address = ipaddress.IPv6Address(text)
    except ValueError:
        raise URLError("not an IPv6 address") from None
    return address.compressed
