"""pixi's prefix.dev sign-in from CI, done for real (`check --test` on a runner).

The same sequence as rattler's `AuthChallengeMiddleware` with its `PrefixAuthAmbientFlow`
(rattler_networking 0.30: challenge_middleware.rs, trusted_publishing.rs):
1. the channel's URL, https on prefix.dev or a true subdomain only, is requested without a
   credential; pixi signs in only when the answer carries a `WWW-Authenticate: Bearer` challenge;
2. the CI's OIDC ID token for audience `prefix.dev` (ci.oidc, asked once per run);
3. `POST <the challenged URL's origin>/api/oidc/mint_token` with `{"token": <ID token>}`; a 2xx
   answer's body, whole (rattler reads it lossily as UTF-8), is the bearer token;
4. the request again with `Authorization: Bearer <minted>`, once.
Both tokens are secrets: registered with the redactor and handed to `on_secret` (the CLI masks
them on GitHub Actions) before anything else happens with them; they are sent only to the
challenged origin, never across a redirect. The verdict says how far the sign-in got.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pixi_auth_tui.ci.detect import MINT_PATH, is_prefix_dev_url
from pixi_auth_tui.ci.oidc import MAX_ANSWER_BYTES, IdTokenAnswer
from pixi_auth_tui.core.redact import REDACTOR

if TYPE_CHECKING:
    import httpx

# Outcomes, from the furthest the sign-in got: the first two are pixi signing in.
ACCEPTED = "accepted"  # minted, and the channel answered 2xx with the token
PUBLIC = "public"  # the channel answers without a credential: pixi never signs in, nor needs to
NO_CHALLENGE = "no-challenge"  # refused without a Bearer challenge: pixi does not sign in
NO_ID_TOKEN = "no-id-token"  # the CI gave no OIDC ID token
NOT_ASKED = "not-asked"  # the CI's token comes from its agent's command, not run here
MINT_REFUSED = "mint-refused"  # prefix.dev did not mint (not a trusted publisher, …)
MINT_UNUSABLE = "mint-unusable"  # minted, but no header can carry it: rattler drops it
REJECTED = "rejected"  # minted, and the channel still answered 401/403
UNVERIFIED = "unverified"  # network, TLS, timeout, 404, 5xx, a redirect: could not tell
SUCCEEDS = frozenset({ACCEPTED, PUBLIC})
FAILS = frozenset({NO_CHALLENGE, NO_ID_TOKEN, MINT_REFUSED, MINT_UNUSABLE, REJECTED})


@dataclass(frozen=True)
class SignInTest:
    outcome: str
    message: str
    id_token: bool | None = None  # the CI handed out an ID token (None: not asked)
    minted: bool | None = None  # prefix.dev minted a token (None: not asked)
    status: int | None = None  # the channel's answer to the last request

    def to_json(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "message": self.message,
            "id_token": self.id_token,
            "minted": self.minted,
            "status": self.status,
        }


# Quoted strings first (a comma or a scheme-like word inside one is no challenge), then each
# comma-separated piece whose first word has no `=` starts a challenge: its scheme.
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def challenge_schemes(values: list[str]) -> list[str]:
    """The auth schemes of every `WWW-Authenticate` header (RFC 7235), lower case."""
    schemes: list[str] = []
    for value in values:
        for piece in _QUOTED.sub('""', value).split(","):
            words = piece.split()
            if words and "=" not in words[0]:
                schemes.append(words[0].lower())
    return schemes


def header_problem(token: str) -> str | None:
    """Why `Bearer <token>` is no header value (reqwest's HeaderValue::from_str takes visible
    ASCII, space and tab): rattler then drops the token and pixi sees the first 401."""
    if not token:
        return "the mint endpoint answered an empty token"
    if any(not (c == "\t" or " " <= c <= "~") for c in token):
        return "the minted token holds a line break, a control or a non-ASCII character, which no header carries"
    return None


async def _bounded_body(response: httpx.Response) -> bytes:
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            break
    return body[: MAX_ANSWER_BYTES + 1]


MAX_REDIRECTS = 5


async def _replay(
    client: httpx.AsyncClient, url: str, minted: str, timeout: float
) -> tuple[httpx.Response, str | None]:
    """The request again with the minted token; redirects followed within the origin only (the
    token never leaves it; reqwest drops Authorization on a redirect to another host). Returns the
    last answer, and the other host a redirect pointed at, if any."""
    import asyncio

    import httpx

    current = httpx.URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        request = client.build_request("GET", current, headers={"Authorization": f"Bearer {minted}"})
        response = await asyncio.wait_for(client.send(request, stream=True), timeout)
        await response.aclose()
        if not response.is_redirect:
            return response, None
        target = current.join(response.headers.get("location", ""))
        if (target.scheme, target.host, target.port) != (current.scheme, current.host, current.port):
            return response, target.host
        current = target
    return response, None


async def sign_in(
    url: str,
    id_token: Callable[[], IdTokenAnswer],
    client: httpx.AsyncClient,
    timeout: float,
    on_secret: Callable[[str], None] | None = None,
) -> SignInTest:
    """Signs in to the channel at `url` as pixi would on this runner. `id_token` asks the CI
    (blocking; the caller shares one answer between hosts, as the job's permission is one)."""
    import asyncio

    import httpx

    from pixi_auth_tui.oauth.info import clean
    from pixi_auth_tui.probe.request import connection_failure

    if not is_prefix_dev_url(url):
        return SignInTest(UNVERIFIED, "pixi signs in only to https URLs on prefix.dev or its subdomains")
    host = httpx.URL(url).host
    try:
        # Redirects followed, as pixi's reqwest follows them below the middleware: the challenge
        # it reacts to is the last answer's (nothing secret travels on this request).
        first = await asyncio.wait_for(
            client.send(client.build_request("GET", url), stream=True, follow_redirects=True), timeout
        )
        await first.aclose()
    except (TimeoutError, httpx.HTTPError) as err:
        verdict, message = connection_failure(err, timeout)
        return SignInTest(UNVERIFIED, f"{verdict.value}: {message}")
    status = first.status_code
    if 200 <= status < 300:
        return SignInTest(PUBLIC, f"{host} answered HTTP {status} without a credential: pixi needs no sign-in")
    if "bearer" not in challenge_schemes(first.headers.get_list("www-authenticate")):
        return SignInTest(
            NO_CHALLENGE,
            f"{host} answered HTTP {status} without a `WWW-Authenticate: Bearer` challenge, "
            "so pixi does not sign in there",
            status=status,
        )
    answer = await asyncio.to_thread(id_token)
    if answer.token is None:
        return SignInTest(NOT_ASKED if answer.obtained is None else NO_ID_TOKEN, answer.message, answer.obtained)
    mint_url = httpx.URL(url).join(MINT_PATH)  # the origin of the URL pixi requested, not a redirect's
    try:
        minting = await asyncio.wait_for(
            client.send(client.build_request("POST", mint_url, json={"token": answer.token}), stream=True), timeout
        )
        try:
            body = await asyncio.wait_for(_bounded_body(minting), timeout)
        finally:
            await minting.aclose()
    except (TimeoutError, httpx.HTTPError) as err:
        verdict, message = connection_failure(err, timeout)
        return SignInTest(UNVERIFIED, f"the mint endpoint {mint_url}: {verdict.value}: {message}", True)
    if not 200 <= minting.status_code < 300:
        said = clean(body.decode("utf-8", "replace"), 160)
        return SignInTest(
            MINT_REFUSED,
            f"{mint_url} answered HTTP {minting.status_code}{f' ({said})' if said else ''}: prefix.dev did not "
            "mint a token — is this repository (or project) a trusted publisher of the channel?",
            True,
            False,
        )
    if len(body) > MAX_ANSWER_BYTES:
        return SignInTest(MINT_UNUSABLE, f"{mint_url} answered more than 64 KiB", True, False)
    minted = body.decode("utf-8", "replace")  # as rattler's String::from_utf8_lossy
    if minted:
        REDACTOR.add(minted)
        if on_secret is not None:
            on_secret(minted)
    problem = header_problem(minted)
    if problem:
        return SignInTest(MINT_UNUSABLE, f"{problem}: rattler drops it and pixi gets the 401", True, True)
    try:
        replay, away = await _replay(client, url, minted, timeout)
    except (TimeoutError, httpx.HTTPError) as err:
        verdict, message = connection_failure(err, timeout)
        return SignInTest(UNVERIFIED, f"minted a token, then {verdict.value}: {message}", True, True)
    if away is not None:
        said = f"minted a token; {host} redirected to {away}, another host, where pixi's client sends no token"
        return SignInTest(UNVERIFIED, said, True, True, replay.status_code)
    code = replay.status_code
    if 200 <= code < 300:
        return SignInTest(ACCEPTED, f"minted a prefix.dev token; {host} accepted it (HTTP {code})", True, True, code)
    if code in (401, 403):
        return SignInTest(
            REJECTED,
            f"minted a prefix.dev token, but {host} refused it (HTTP {code}): the trusted publisher may "
            "lack access to this channel",
            True,
            True,
            code,
        )
    return SignInTest(UNVERIFIED, f"minted a token; {host} answered HTTP {code}", True, True, code)


async def sign_in_all(
    urls: dict[str, str],
    id_token: Callable[[], IdTokenAnswer],
    env: dict[str, str],
    timeout: float,
    on_secret: Callable[[str], None] | None = None,
) -> dict[str, SignInTest]:
    """`sign_in` for each host's URL (host → URL), the CI asked once for all of them."""
    import asyncio
    import threading

    from pixi_auth_tui.probe.request import ProbeOptions, make_client

    lock = threading.Lock()
    answers: list[IdTokenAnswer] = []

    def once() -> IdTokenAnswer:
        with lock:
            if not answers:
                answers.append(id_token())
            return answers[0]

    async with make_client(ProbeOptions.within(timeout, env=env)) as client:
        results = await asyncio.gather(*(sign_in(url, once, client, timeout, on_secret) for url in urls.values()))
    return dict(zip(urls, results, strict=True))
