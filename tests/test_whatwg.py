"""Our WHATWG URL parse (core/whatwg.py) against rattler itself and against ada.

py-rattler is the oracle: through a recording proxy it shows the host rattler really sends a
request to (or that it refuses the URL). ada, a WHATWG implementation (test dependency only),
checks many generated URLs; it accepts malformed punycode labels (`xn--abc`) that rattler
refuses, so those are compared with rattler only."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.whatwg import URLError, parse

from tests.oracle import Case, run_oracle

HOSTS = [
    "Example.COM",
    "xn--abc.de",  # ada: accepted; rattler: "could not parse url"
    "xn--a.example",
    "xn--",
    "xn--bcher-kva.de",
    "💩.la",
    "faß.de",
    "Bücher.de",
    "ｅｘａｍｐｌｅ.com",
    "example\u3002org",
    "a%41.com",
    "a%00b.com",
    "x_y.example",
    "-x-.example",
    "h.example.",
    "0x7f.1",
    "127.1",
    "2130706433",
    "0300.0250.0.1",
    "1.2.3.256",
    "1.2.3.4.5",
    "example.09",
    "foo.1a",
    "example.0x",
    "[0:0:0:0:0:0:0:1]",
    "[1:0:0:2:0:0:0:3]",
    "[::ffff:1.2.3.4]",
    "[::1%25eth0]",
]


def rattler_hosts(tmp_path) -> dict[str, str | None]:
    """Each host → the host rattler sent the request to, or None when rattler refused the URL."""
    cases = []
    for number, host in enumerate(HOSTS):
        home = tmp_path / f"h{number}"
        home.mkdir()
        cases.append(Case(home, f"http://{host}/c{number}/", label=host))
    seen: dict[str, str | None] = {}
    for number, (case, outcome) in enumerate(zip(cases, run_oracle(cases), strict=True)):
        sent = {r.url.split(f"/c{number}/")[0] for r in outcome.requests if f"/c{number}/" in r.url}
        assert len(sent) <= 1, sent
        if not sent:
            assert "could not parse url" in outcome.result, (case.label, outcome.result)
        seen[case.label] = sent.pop().removeprefix("http://") if sent else None
    return seen


@pytest.mark.rattler
def test_hosts_are_what_rattler_sends_to(tmp_path):
    expected = rattler_hosts(tmp_path)
    ours = {}
    for host in HOSTS:
        try:
            ours[host] = parse(f"http://{host}/").host
        except URLError:
            ours[host] = None
    assert ours == expected


def ada_view(url: str):
    from ada_url import URL

    try:
        parsed = URL(url)
    except ValueError:
        return None
    return (parsed.protocol[:-1], parsed.username, parsed.password, parsed.hostname, parsed.port, parsed.pathname)


def our_view(url: str):
    try:
        parsed = parse(url)
    except URLError:
        return None
    port = "" if parsed.port is None else str(parsed.port)
    return (parsed.scheme, parsed.username, parsed.password, parsed.host, port, parsed.path)


LABEL = st.text("abcXYZ019-_%ßü💩。．é", min_size=0, max_size=6)
HOST = st.lists(LABEL, min_size=1, max_size=4).map(".".join) | st.sampled_from(
    ["127.1", "0x7f.0.0.1", "1.2.3.4.", "[::1]", "[1::2:0:0:3]", "[::ffff:1.2.3.4]", "4294967295", "4294967296"]
)
USERINFO = st.sampled_from(["", "u@", "u:p@", "a@b@", "u:p:q@", "ü:ö@", ":p@", "u:@", "@"])
PORT = st.sampled_from(["", ":", ":80", ":443", ":0080", ":65535", ":65536", ":8x"])
PATH = st.sampled_from(["", "/", "/a/b", "/a/../b", "/./x/%2e%2E/y", "/a b/^`{}", "\\x\\y", "/x?q#f", "?q", "#f"])
SCHEME = st.sampled_from(["http://", "https://", "HTTP://", "s3://", "oci://", "http:", "https:////", "ftp://"])


@settings(max_examples=1500, deadline=None)
@given(SCHEME, USERINFO, HOST, PORT, PATH)
def test_generated_urls_parse_as_ada_parses_them(scheme, userinfo, host, port, path):
    url = f"{scheme}{userinfo}{host}{port}{path}"
    if any(label.lower().startswith("xn--") for label in host.replace("。", ".").replace("．", ".").split(".")):
        return  # ada and rattler differ there: see test_hosts_are_what_rattler_sends_to
    theirs = ada_view(url)
    ours = our_view(url)
    assert ours == theirs, url


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_or_fails_cleanly(text):
    for url in (text, "http://" + text, "s3://" + text):
        with contextlib.suppress(URLError):
            parse(url)
