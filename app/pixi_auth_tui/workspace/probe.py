"""`check --test`: every host asked now, with the credential pixi sends and without any."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pixi_auth_tui.core.urlmask import mask_url
from pixi_auth_tui.probe.state import ProbeState, Verdict
from pixi_auth_tui.system.manifest import strip_userinfo
from pixi_auth_tui.workspace.model import AnonymousResult, CheckReport, HostCheck

PROBE_CONCURRENCY = 16  # hosts asked at once by --test (two requests each, three with a credential)
# Files whose body says nothing about a credential, and can be large: only status and headers are read.
FILE_SUFFIXES = (".json", ".conda", ".tar.bz2", ".whl", ".tar.gz", ".zip")

if TYPE_CHECKING:
    import httpx


def headers_only_for_files(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """`client`, except that a GET of a file (repodata, a package) returns once the headers are in.

    The connection test reads whole bodies; a private channel's repodata.json can be tens of MB,
    and the verdict only needs the status. The unread responses are closed with the client.
    """
    send = client.send

    async def send_headers_only(request: httpx.Request, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith(FILE_SUFFIXES):
            stream = True
        return await send(request, stream=stream, **kwargs)

    client.send = send_headers_only  # type: ignore[method-assign]
    return client


def anonymous_state_path(state: ProbeState) -> Path:
    return state.path.parent / "anonymous.json"


def load_anonymous(state: ProbeState) -> dict[str, AnonymousResult]:
    try:
        data = json.loads(anonymous_state_path(state).read_text(encoding="utf-8"))
        return {str(host): AnonymousResult(**value) for host, value in data.items()}
    except (OSError, ValueError, TypeError):
        return {}


def save_anonymous(state: ProbeState, results: dict[str, AnonymousResult]) -> None:
    from pixi_auth_tui.system.safeio import replace_private_file

    data = {host: result.to_json() for host, result in results.items()}
    replace_private_file(anonymous_state_path(state), json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))


# -- testing now --------------------------------------------------------------------------------

PLAIN_HTTP_TOKEN = (
    "not tested: the URL holds a credential of its own (/t/…, user:password@ or ?token=) and is plain http; "
    "it is sent only when plain http is allowed (--allow-http)"
)


def own_credential_refusal(url: str, allow_http: bool) -> str | None:
    """Why a URL that carries its own credential (a conda token in the path, a password, a signed
    query) is not requested: plain http without --allow-http, the rule for every credential."""
    if allow_http or url[:5].lower() != "http:" or not mask_url(url)[1]:
        return None
    return PLAIN_HTTP_TOKEN


@dataclass
class ProbePlan:
    allow_http: bool = False
    timeout: float = 15.0
    hosts: frozenset[str] | None = None  # only these hosts (None: every host)


async def probe_hosts(
    report: CheckReport,
    state: ProbeState,
    plan: ProbePlan,
    on_result: Callable[[HostCheck], None] | None = None,
) -> dict[str, AnonymousResult]:
    """Test every host: with the credential pixi sends (the connection test, results kept where
    `test` keeps them) and without any (kept beside them), so a host that needs a credential and
    has none is found. Returns every anonymous result known, old and new."""
    import asyncio

    import httpx

    from pixi_auth_tui.probe.request import ProbeOptions, connection_failure, make_client, probe
    from pixi_auth_tui.probe.sequence import keep_result, ready_rows

    anonymous = load_anonymous(state)
    base = ProbeOptions.within(
        plan.timeout,
        allow_http=plan.allow_http,
        env=dict(report.inventory.env),
        generic_whoami=False,
    )
    limit = asyncio.Semaphore(PROBE_CONCURRENCY)
    async with headers_only_for_files(make_client(base)) as client:

        async def one(check: HostCheck) -> None:
            async with limit:
                await probe_host(check)
            if on_result is not None:
                on_result(check)

        async def ask_anonymously(url: str | None) -> AnonymousResult:
            now = base.clock()
            if url is None:
                return AnonymousResult("", None, "no URL to test (an s3:// bucket needs s3-options)", now)
            if unsent := own_credential_refusal(url, plan.allow_http):
                return AnonymousResult(mask_url(url)[0], None, unsent, now)
            shown, _ = mask_url(url)
            try:
                # Truly anonymous: without the URL's own user:password@ too. Only the status is
                # wanted: the body (repodata can be tens of MB) is never read.
                request = client.build_request("GET", strip_userinfo(url)[0])
                response = await asyncio.wait_for(client.send(request, stream=True), plan.timeout)
                await response.aclose()
                return AnonymousResult(shown, response.status_code, "", now)
            except (TimeoutError, httpx.HTTPError) as err:
                verdict, message = connection_failure(err, plan.timeout)
                return AnonymousResult(shown, None, f"{verdict.value}: {message}", now)

        async def probe_host(check: HostCheck) -> None:
            url = check.probe_url()
            anonymous[check.host] = await ask_anonymously(url)
            if len(check.indexes) > 1:
                # uv resolves each index on its own, and one index of a host may be public, another not
                for index in check.indexes:
                    anonymous[index.anonymous_key] = await ask_anonymously(index.probe_url())
            row = sent.get(id(check))
            if row is not None and url is not None:
                options = base
                if check.s3_option is not None:
                    options = ProbeOptions(**{**base.__dict__, "s3_region": check.s3_option.region})
                result = await probe(row.key, row.entry.credential, url, options, client)
                # A token written into the manifest's URL is no secret of the credential's: mask it too.
                result.url = mask_url(result.url)[0]
                result.final_url = mask_url(result.final_url)[0] if result.final_url else None
                if result.verdict not in (Verdict.INSECURE, Verdict.NEEDS_URL):  # no news: keep the last
                    keep_result(state, row, result)
                # (never a URL holding a secret of its own: the state file is no place for it)
                if (
                    row.key not in state.urls
                    and (row.key.startswith(("*.", "s3://")) or check.is_s3)
                    and not mask_url(url)[1]
                ):
                    state.urls[row.key] = url  # a concrete URL for `t` in the main screen

        # Known public hosts (pypi.org, conda-forge …) need no test, and their repodata is huge.
        chosen = [h for h in report.hosts if (plan.hosts is None or h.host in plan.hosts) and not h.known_public]
        # Each credential as `test` sends it: its secret read, an OAuth entry refreshed first.
        with_rows = [h for h in chosen if h.row is not None]
        ready, _notes = await asyncio.to_thread(ready_rows, report.inventory, [h.row for h in with_rows if h.row])
        sent = {id(check): row for check, row in zip(with_rows, ready, strict=True)}
        await asyncio.gather(*(one(check) for check in chosen))
    state.save()
    save_anonymous(state, anonymous)
    return anonymous
