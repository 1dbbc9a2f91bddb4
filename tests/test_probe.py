"""Test connection against real servers on 127.0.0.1 (HTTP, HTTPS with a trustme CA, moto S3)."""

import asyncio
import os
import ssl
import sys
import time

import httpx
import pytest
import trustme
from pixi_auth_tui.core.model import BasicHTTP, BearerToken, CondaToken, OAuth, S3Credentials, Unrecognised
from pixi_auth_tui.probe import request as request_module
from pixi_auth_tui.probe.request import (
    Identity,
    ProbeJob,
    ProbeOptions,
    make_client,
    prefix_dev_login,
    probe,
    probe_many,
)
from pixi_auth_tui.probe.state import ProbeResult, ProbeState, Verdict

from tests.servers import ScriptedServer, moto_s3_user, start_scripted_server


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture
def https_server(ca):
    state = ScriptedServer()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = start_scripted_server(state, context)
    yield state
    server.shutdown()


@pytest.fixture
def ca_file(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def opts(**kw):
    kw.setdefault("env", {})
    kw.setdefault("allow_http", True)
    return ProbeOptions(**kw)


async def test_https_verdicts(https_server, ca_file):
    o = opts(env={"SSL_CERT_FILE": ca_file}, allow_http=False)
    base = https_server.base
    good, bad = BearerToken("good-token"), BearerToken("bad-token")
    r = await probe("127.0.0.1", good, f"{base}/private/x", o)
    assert r.verdict is Verdict.ACCEPTED and r.status == 200 and r.anonymous_status == 401
    assert r.tls and r.tls.startswith("verified") and r.latency_ms is not None
    assert (await probe("127.0.0.1", bad, f"{base}/private/x", o)).verdict is Verdict.REJECTED
    assert (await probe("127.0.0.1", good, f"{base}/public", o)).verdict is Verdict.PUBLIC
    assert (await probe("127.0.0.1", good, f"{base}/missing", o)).verdict is Verdict.NOT_FOUND
    assert (await probe("127.0.0.1", good, f"{base}/broken", o)).verdict is Verdict.SERVER_ERROR


async def test_untrusted_certificate_is_a_tls_error(https_server):
    r = await probe("127.0.0.1", BearerToken("good-token"), f"{https_server.base}/private", opts(allow_http=False))
    assert r.verdict is Verdict.TLS_ERROR
    assert https_server.seen == []  # nothing was sent over the untrusted connection


async def test_requests_ca_bundle_is_honoured(https_server, ca_file):
    o = opts(env={"REQUESTS_CA_BUNDLE": ca_file}, allow_http=False)
    assert (
        await probe("127.0.0.1", BearerToken("good-token"), f"{https_server.base}/p", o)
    ).verdict is Verdict.ACCEPTED


async def test_each_kind_is_sent_like_rattler(http_server):
    base = http_server.base
    r = await probe("127.0.0.1", BasicHTTP("user", "pass"), f"{base}/private", opts())
    assert r.verdict is Verdict.ACCEPTED
    r = await probe("127.0.0.1", CondaToken("conda-good"), f"{base}/private/noarch/repodata.json", opts())
    assert r.verdict is Verdict.ACCEPTED
    assert any(s.path == "/t/conda-good/private/noarch/repodata.json" for s in http_server.seen)
    assert "conda-good" not in r.final_url and "/t/" in r.final_url  # masked in the report
    assert (await probe("127.0.0.1", CondaToken("conda-bad"), f"{base}/private", opts())).verdict is Verdict.REJECTED


async def test_plain_http_needs_confirmation(http_server):
    r = await probe("127.0.0.1", BearerToken("good-token"), f"{http_server.base}/private", opts(allow_http=False))
    assert r.verdict is Verdict.INSECURE and http_server.seen == []


async def test_timeout(http_server):
    r = await probe(
        "127.0.0.1", BearerToken("good-token"), f"{http_server.base}/slow", opts(total_timeout=0.5, connect_timeout=0.5)
    )
    assert r.verdict is Verdict.TIMEOUT and "0.5" in r.message


async def test_a_request_cancelled_inside_the_http_stack_is_a_timeout_not_a_crash():
    # httpx's own read timeout (anyio) can leave a stray cancellation on the request's task when
    # it fires together with the probe's overall timeout; that race cannot be forced with a real
    # server, so a transport that cancels its own task stands in for it.
    async def cancel_own_task(request: httpx.Request) -> httpx.Response:
        task = asyncio.current_task()
        assert task is not None
        task.cancel()
        await asyncio.sleep(0)
        return httpx.Response(200)

    async with httpx.AsyncClient(transport=httpx.MockTransport(cancel_own_task)) as client:
        r = await probe("127.0.0.1", BearerToken("good-token"), "http://127.0.0.1:9/x", opts(), client=client)
    assert r.verdict is Verdict.TIMEOUT


async def test_no_server_is_a_network_error():
    r = await probe("127.0.0.1", BearerToken("t"), "http://127.0.0.1:9/x", opts())
    assert r.verdict is Verdict.NETWORK_ERROR


async def test_redirect_to_another_origin_never_carries_the_credential(http_server):
    other = ScriptedServer()
    other_server = start_scripted_server(other)
    try:
        http_server.redirect_to = f"{other.base}/private/elsewhere"
        for cred in (BearerToken("good-token"), BasicHTTP("user", "pass"), CondaToken("conda-good")):
            r = await probe("127.0.0.1", cred, f"{http_server.base}/away", opts())
            assert r.verdict is Verdict.REDIRECTED_AWAY and other.base in r.message
        assert other.seen == []  # the other host received nothing at all
        # same-origin redirects are followed, with the credential
        r = await probe("127.0.0.1", BearerToken("good-token"), f"{http_server.base}/hop", opts())
        assert r.verdict is Verdict.ACCEPTED and r.final_url.endswith("/private/after-hop")
    finally:
        other_server.shutdown()


@pytest.fixture
def account_apis(ca, ca_file, monkeypatch):
    """prefix.dev's and anaconda.org's account APIs as a scripted server over real TLS (the test
    CA in SSL_CERT_FILE), reached under their own names through a CONNECT proxy (HTTPS_PROXY) that
    tunnels only those two hosts to 127.0.0.1. Yields the server's state and the probe's env."""
    from tests.servers import start_tunnel_proxy

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("prefix.dev", "api.anaconda.org").configure_cert(context)
    state = ScriptedServer()
    server = start_scripted_server(state, tls_context=context)
    _asked, proxy = start_tunnel_proxy({"prefix.dev:443": state.port, "api.anaconda.org:443": state.port})
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    yield state, {"SSL_CERT_FILE": ca_file}
    for stopping in (server, proxy):
        stopping.shutdown()
        stopping.server_close()


async def test_who_am_i(http_server, account_apis):
    _apis, env = account_apis
    o = opts(env=env)
    async with make_client(o) as client:
        assert await prefix_dev_login(client, "good-token", o) == Identity("graph-user", True, "prefix.dev")
        assert await prefix_dev_login(client, "bad-token", o) == Identity(None, False, "prefix.dev")
    # a quetz-like server: /api/me on the same origin
    r = await probe("127.0.0.1", BearerToken("good-token"), f"{http_server.base}/private", opts())
    assert r.user == "quetz-user" and "quetz-user" in r.message


async def test_oauth_expired_and_unreadable():
    now = time.time()
    expired = OAuth("a", None, int(now) - 10, "https://t", None, "rattler")
    r = await probe("x.example", expired, "https://x.example/", opts())
    assert r.verdict is Verdict.EXPIRED and "no refresh token" in r.message
    assert (await probe("x.example", Unrecognised({}, "bad"), "https://x", opts())).verdict is Verdict.UNSUPPORTED
    assert (await probe("*.x.example", BearerToken("t"), None, opts())).verdict is Verdict.NEEDS_URL


@pytest.fixture(scope="module")
def moto_s3():
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "4"  # then every request must be signed
    pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    key_id, secret_key, s3 = moto_s3_user(endpoint, "ci")
    s3.create_bucket(Bucket="channel")
    yield endpoint, key_id, secret_key
    server.stop()
    os.environ.pop("INITIAL_NO_AUTH_ACTION_COUNT", None)


async def test_s3_keys_signed_with_sigv4(moto_s3):
    endpoint, key_id, secret = moto_s3
    url = f"{endpoint}/channel?list-type=2&max-keys=1"
    r = await probe("s3://channel", S3Credentials(key_id, secret), url, opts())
    assert r.verdict is Verdict.ACCEPTED, r
    r = await probe("s3://channel", S3Credentials(key_id, "wrong-secret"), url, opts())
    assert r.verdict is Verdict.REJECTED


async def test_s3_without_the_s3_extra_says_how_to_get_it_and_sends_nothing(http_server, monkeypatch):
    """botocore is the `s3` extra: without it an S3 test is one clear line, and no request goes out."""
    monkeypatch.setitem(sys.modules, "botocore", None)  # Python's own way of making an import fail
    monkeypatch.delitem(sys.modules, "botocore.auth", raising=False)
    before = len(http_server.seen)
    r = await probe("s3://channel", S3Credentials("AKIDEXAMPLE", "s3cr3t-key-value"), f"{http_server.base}/c", opts())
    assert r.verdict is Verdict.UNSUPPORTED
    assert "pixi-auth-tui[s3]" in r.message and "botocore" in r.message
    assert len(http_server.seen) == before


async def test_probe_many_reports_each_as_it_finishes(http_server):
    jobs = [
        ProbeJob("127.0.0.1", BearerToken("good-token" if i % 2 == 0 else "bad"), f"{http_server.base}/p{i}", str(i))
        for i in range(10)
    ]
    seen = []
    results = await probe_many(jobs, opts(), concurrency=3, on_result=lambda job, res: seen.append(job.ref))
    assert sorted(seen, key=int) == [str(i) for i in range(10)]
    assert [r.verdict for r in results] == [Verdict.ACCEPTED, Verdict.REJECTED] * 5


def test_state_file_remembers_urls_and_results_never_secrets(tmp_path):
    state = ProbeState(tmp_path / "state" / "state.json")
    state.urls["*.example"] = "https://repo.example/chan"
    state.results["credentials:a"] = ProbeResult("a", "https://a/t/c…1234/x", Verdict.ACCEPTED, "ok", 200)
    state.save()
    again = ProbeState(tmp_path / "state" / "state.json")
    assert again.urls == state.urls and again.results["credentials:a"].verdict is Verdict.ACCEPTED
    (tmp_path / "state" / "state.json").write_text("{broken")
    assert ProbeState(tmp_path / "state" / "state.json").results == {}  # a bad state file is no crash


async def test_proxies_from_the_environment_are_used(http_server, monkeypatch):
    # The proxy is our scripted server itself: it sees the absolute URL in the request line.
    monkeypatch.setenv("HTTP_PROXY", http_server.base)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    r = await probe("repo.invalid", BearerToken("good-token"), "http://repo.invalid/private", opts())
    assert r.verdict is Verdict.ACCEPTED
    assert any(s.path.startswith("http://repo.invalid/") for s in http_server.seen)


@pytest.fixture
def via_proxy(http_server, account_apis, monkeypatch):
    """Real service host names (repo.prefix.dev, conda.anaconda.org) reach the local server,
    which acts as the proxy for http://; their account APIs (https://prefix.dev,
    https://api.anaconda.org) are the TLS stand-in behind the CONNECT proxy."""
    monkeypatch.setenv("HTTP_PROXY", http_server.base)
    _apis, env = account_apis
    return opts(env=env)


async def test_prefix_dev_graphql_decides_where_the_url_cannot(http_server, account_apis, via_proxy):
    apis, _env = account_apis
    # repo.prefix.dev's front page is public: only `pixi auth login`'s own check can judge.
    good = await probe("repo.prefix.dev", BearerToken("good-token"), "http://repo.prefix.dev/public", via_proxy)
    assert good.verdict is Verdict.ACCEPTED and good.user == "graph-user"
    assert "prefix.dev accepted the token" in good.message and "public" in good.message
    bad = await probe("repo.prefix.dev", BearerToken("revoked-token"), "http://repo.prefix.dev/public", via_proxy)
    assert bad.verdict is Verdict.REJECTED and bad.user is None
    assert "prefix.dev says this token is not valid" in bad.message
    graphql = [s for s in apis.seen if s.path.endswith("/api/graphql")]
    assert {s.authorization for s in graphql} == {"Bearer good-token", "Bearer revoked-token"}


async def test_anaconda_account_api_decides_for_conda_tokens(http_server, account_apis, via_proxy):
    apis, _env = account_apis
    url = "http://conda.anaconda.org/public"
    good = await probe("conda.anaconda.org", CondaToken("conda-good"), url, via_proxy)
    assert good.verdict is Verdict.ACCEPTED and good.user == "anaconda-user"
    bad = await probe("conda.anaconda.org", CondaToken("conda-bad"), url, via_proxy)
    assert bad.verdict is Verdict.REJECTED and "anaconda.org says this token is not valid" in bad.message
    # the token went into the channel path and to the account API, nowhere else
    assert any(s.path.startswith("http://conda.anaconda.org/t/conda-good/public") for s in http_server.seen)
    assert not any(s.path.endswith("/user") for s in http_server.seen)
    assert {s.authorization for s in apis.seen if s.path.endswith("/user")} == {
        "token conda-good",
        "token conda-bad",
    }


async def test_a_generic_api_me_names_the_user_but_never_judges(http_server):
    # /api/me is a guess at quetz's API: a public URL stays "public" whatever it says.
    r = await probe("127.0.0.1", BearerToken("good-token"), f"{http_server.base}/public", opts())
    assert r.verdict is Verdict.PUBLIC and r.user is None


async def test_a_url_the_key_does_not_cover_gets_nothing(http_server):
    r = await probe("repo.example.com", BearerToken("good-token"), f"{http_server.base}/private", opts())
    assert r.verdict is Verdict.NEEDS_URL and "not covered" in r.message
    assert http_server.seen == []
    # a wildcard covers its subdomains only
    r = await probe("*.localhost", BearerToken("good-token"), f"http://localhost:{http_server.port}/private", opts())
    assert r.verdict is Verdict.ACCEPTED


def test_httpx_client_does_not_follow_redirects_itself():
    assert make_client(opts()).follow_redirects is False
    assert isinstance(httpx.Timeout(1.0), httpx.Timeout)


async def test_a_stray_cancellation_while_closing_the_client_is_not_a_crash(monkeypatch):
    # Closing the client after a hostile redirect once met a cancellation left by httpx's stack
    # (anyio) on our task; that race cannot be forced with a real server, so a transport whose
    # close raises it stands in for it. The result is the verdict, not a CancelledError.
    class CancelledOnClose(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(302, headers={"location": "https://elsewhere.example/x"})

        async def aclose(self) -> None:
            raise asyncio.CancelledError

    monkeypatch.setattr(request_module, "make_client", lambda options: httpx.AsyncClient(transport=CancelledOnClose()))
    r = await probe("127.0.0.1", BearerToken("good-token"), "http://127.0.0.1:9/x", opts())
    assert r.verdict is Verdict.REDIRECTED_AWAY
