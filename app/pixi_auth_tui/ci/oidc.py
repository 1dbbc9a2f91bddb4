"""Asking the CI for an OIDC ID token for prefix.dev, as pixi's ambient-id does (`check --test`
on a runner). The token is a live credential: it is registered with the redactor and handed to
`on_secret` (the CLI masks it on GitHub Actions) the moment it arrives, and it is only ever sent
to prefix.dev's mint endpoint (probe.ci_sign_in)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pixi_auth_tui.ci.detect import AUDIENCE, GITLAB_ID_TOKEN, CiContext
from pixi_auth_tui.core.redact import REDACTOR

MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class IdTokenAnswer:
    """What the CI said: `token` when it handed one out; `obtained` False when it refused, None
    when this tool cannot ask the way pixi would here."""

    obtained: bool | None
    message: str
    token: str | None = None

    def __repr__(self) -> str:  # never the token
        return f"IdTokenAnswer(obtained={self.obtained!r}, message={self.message!r})"


def _received(token: str, on_secret: Callable[[str], None] | None) -> None:
    REDACTOR.add(token)
    if on_secret is not None:
        on_secret(token)


def request_id_token(
    ci: CiContext, env: Mapping[str, str], timeout: float, on_secret: Callable[[str], None] | None = None
) -> IdTokenAnswer:
    if ci.provider == "gitlab":
        token = env.get(GITLAB_ID_TOKEN, "")
        if not token:
            return IdTokenAnswer(False, ci.detail)
        _received(token, on_secret)
        return IdTokenAnswer(True, f"{GITLAB_ID_TOKEN} is set", token)
    if ci.provider in ("buildkite", "circleci"):
        return _from_agent(ci, env, timeout, on_secret)
    if ci.provider != "github":
        return IdTokenAnswer(None, ci.detail)
    url, bearer = env.get("ACTIONS_ID_TOKEN_REQUEST_URL"), env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not url or not bearer:
        return IdTokenAnswer(False, ci.detail)
    REDACTOR.add(bearer)
    import httpx

    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False) as client,
            client.stream(
                "GET",
                # Added to the URL's own query (`?api-version=2.0`), as ambient-id's reqwest `.query` adds it.
                httpx.URL(url).copy_merge_params({"audience": AUDIENCE}),
                headers={"Authorization": f"Bearer {bearer}"},
            ) as response,
        ):
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    return IdTokenAnswer(False, "the id-token endpoint answered more than 64 KiB")
            status = response.status_code
    except httpx.HTTPError as err:
        return IdTokenAnswer(False, f"the id-token endpoint could not be reached: {type(err).__name__}")
    if not 200 <= status < 300:
        return IdTokenAnswer(False, f"the id-token endpoint answered HTTP {status}")
    try:
        value = json.loads(body).get("value")
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value:
        return IdTokenAnswer(False, "the id-token endpoint's answer holds no token (`value`)")
    _received(value, on_secret)
    return IdTokenAnswer(True, f"the job obtained an OIDC ID token for audience {AUDIENCE} from GitHub", value)


def _from_agent(
    ci: CiContext, env: Mapping[str, str], timeout: float, on_secret: Callable[[str], None] | None
) -> IdTokenAnswer:
    """Buildkite's and CircleCI's token, as ambient-id gets it: the agent's command (found on
    PATH, nothing secret on its argv), its stdout trimmed; a failure is final, as for pixi."""
    if not ci.command:
        return IdTokenAnswer(False, ci.detail)
    import subprocess

    from pixi_auth_tui.core.redact import redact, without_opaque_words

    shown = " ".join([ci.command[0].rsplit("/", 1)[-1], *ci.command[1:]])
    try:
        done = subprocess.run(
            list(ci.command), env=dict(env), capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return IdTokenAnswer(False, f"`{shown}` did not finish within {timeout:g}s")
    except OSError as err:
        return IdTokenAnswer(False, f"`{shown}` could not be run: {err.strerror or type(err).__name__}")
    token = done.stdout.decode("utf-8", "replace").strip()  # ambient-id: from_utf8_lossy, trimmed
    if token:
        _received(token, on_secret)
    if done.returncode != 0:
        said = without_opaque_words(redact(done.stderr.decode("utf-8", "replace"))).strip().splitlines()
        reason = f": {said[0][:160]}" if said else ""
        return IdTokenAnswer(False, f"`{shown}` exited with {done.returncode}{reason}")
    if not token:
        return IdTokenAnswer(False, f"`{shown}` printed no token")
    return IdTokenAnswer(True, f"`{shown}` handed out an OIDC ID token for audience {AUDIENCE}", token)
