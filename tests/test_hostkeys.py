from hypothesis import given, settings
from hypothesis import strategies as st
from pixi_auth_tui.core.hostkeys import (
    candidate_keys,
    full_key_problem,
    key_problem,
    normalise_host,
    normalise_login_key,
    parse_url,
)


def test_candidate_keys_follow_rattler_order():
    assert candidate_keys("https://repo.prefix.dev/chan/noarch/repodata.json") == [
        "repo.prefix.dev",
        "*.repo.prefix.dev",
        "*.prefix.dev",
        "*.dev",
    ]
    # Ports are not part of the key; IP addresses get no wildcard lookup.
    assert candidate_keys("http://127.0.0.1:8080/x") == ["127.0.0.1"]
    assert candidate_keys("http://localhost:1/x") == ["localhost", "*.localhost"]
    assert candidate_keys("HTTPS://Repo.Prefix.DEV/x")[0] == "repo.prefix.dev"


def test_s3_keys_shorten_segment_by_segment():
    assert candidate_keys("s3://bucket/a/b") == ["bucket", "s3://bucket/a/b", "s3://bucket/a", "s3://bucket"]


def test_wildcard_covers_the_bare_domain():
    assert "*.prefix.dev" in candidate_keys("https://prefix.dev/")


def test_login_normalisation_is_a_suggestion():
    n = normalise_login_key("https://prefix.dev/channels/x")
    assert n.key == "*.prefix.dev" and n.changed and "URL" in n.reason
    assert normalise_login_key("repo.prefix.dev").changed is False
    assert normalise_login_key("prefix.dev").key == "*.prefix.dev"
    assert normalise_login_key("127.0.0.1").key == "127.0.0.1"


def test_key_problems():
    assert key_problem("repo.prefix.dev") is None
    assert key_problem("*.prefix.dev") is None
    assert key_problem("s3://bucket") is None
    assert "port" in key_problem("host:8080")
    assert "path" in key_problem("host/path")
    assert "URL" in key_problem("https://host")
    assert "top-level" in key_problem("*.com")
    assert key_problem("") is not None
    assert "upper-case" in key_problem("Prefix.dev")
    assert key_problem("a..b") is not None


@given(st.text(max_size=80))
def test_key_functions_never_crash(text):
    key_problem(text)
    normalise_login_key(text)
    candidate_keys(text)
    candidate_keys("https://" + text)


def test_hosts_are_normalised_as_the_whatwg_url_standard_says():
    # Each checked against py-rattler through a recording proxy (see test_differential.py).
    assert candidate_keys("http://BÜCHER.de/c")[0] == "xn--bcher-kva.de"
    assert candidate_keys("http://0x7f.1/c") == ["127.0.0.1"]
    assert candidate_keys("http://2130706433/c") == ["127.0.0.1"]
    assert candidate_keys("http://[0:0::1]/c") == ["[::1]"]
    assert candidate_keys("http://a%41b.test/c")[0] == "aab.test"
    assert candidate_keys("http://x.example.com./c") == [
        "x.example.com.",
        "*.x.example.com.",
        "*.example.com.",
        "*.com.",
        "*.",
    ]
    assert candidate_keys("http://exa mple.com/") == []


def test_url_userinfo_is_percent_decoded():
    from pixi_auth_tui.core.hostkeys import url_userinfo

    assert url_userinfo("http://u:p%40x@a.test/c") == ("u", "p@x")
    assert url_userinfo("http://u@a.test/c") == ("u", "")
    assert url_userinfo("http://:p@a.test/c") == ("", "p")
    assert url_userinfo("http://@a.test/c") is None
    assert url_userinfo("http://a.test/c") is None


def test_keys_rattler_can_never_match_say_what_rattler_sees():
    assert "xn--bcher-kva.de" in key_problem("bücher.de")
    assert "127.0.0.1" in key_problem("0x7f.1")
    assert "[::1]" in key_problem("[0:0::1]")
    assert key_problem("[::1]") is None and key_problem("example.com.") is None


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"(?:[a-z0-9x-]{1,6}\.){0,3}[a-z0-9x-]{1,6}\.?", fullmatch=True))
def test_the_fast_path_for_plain_hosts_agrees_with_the_whatwg_parser(host):
    parsed = parse_url(f"http://{host}/")
    expected = parsed.host if parsed is not None and not parsed.port else None
    assert normalise_host(host) == expected


@settings(max_examples=3000, deadline=None)
@given(
    st.sampled_from(["", "*.", "s3://", "[", "1.2.3.", "0x", "xn--"]),
    st.text("ab0x9._*:[]/\nAZé١ -", max_size=20) | st.from_regex(r"[a-z0-9.-]{1,70}", fullmatch=True),
)
def test_the_fast_path_for_plain_host_keys_agrees_with_the_full_check(prefix, text):
    key = prefix + text
    assert key_problem(key) == full_key_problem(key)
