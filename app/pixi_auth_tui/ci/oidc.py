"""Asking the CI for an OIDC ID token for prefix.dev, as pixi's ambient-id does, to prove the
job can sign in (`check --test` on a runner). The token is registered with the redactor the
moment it arrives and is never shown, stored or sent anywhere but back into nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pixi_auth_tui.ci.detect import AUDIENCE, CiContext
from pixi_auth_tui.core.redact import REDACTOR

MAX_ANSWER_BYTES = 64 * 1024


def try_id_token(ci: CiContext, env: Mapping[str, str], timeout: float) -> tuple[bool | None, str]:
    """(True, how) when the CI hands out a token for audience prefix.dev, (False, why) when it
    refuses, (None, why) when this CI's token cannot be asked for here (its agent's command)."""
    if ci.provider == "gitlab":
        token = env.get("PREFIX_DEV_ID_TOKEN", "")
        REDACTOR.add(token)
        return (True, "PREFIX_DEV_ID_TOKEN is set") if token else (False, ci.detail)
    if ci.provider != "github":
        return None, ci.detail
    url, bearer = env.get("ACTIONS_ID_TOKEN_REQUEST_URL"), env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not url or not bearer:
        return False, ci.detail
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
                    return False, "the id-token endpoint answered more than 64 KiB"
            status = response.status_code
    except httpx.HTTPError as err:
        return False, f"the id-token endpoint could not be reached: {type(err).__name__}"
    if not 200 <= status < 300:
        return False, f"the id-token endpoint answered HTTP {status}"
    try:
        value = json.loads(body).get("value")
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value:
        return False, "the id-token endpoint's answer holds no token (`value`)"
    REDACTOR.add(value)
    return True, f"the job obtained an OIDC ID token for audience {AUDIENCE} from GitHub"
