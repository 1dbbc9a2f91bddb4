"""Which CI this process runs on, and whether pixi can sign in to prefix.dev with its OIDC identity.

pixi (since 0.71.1) layers rattler's `AuthChallengeMiddleware` after its credential lookup for
conda requests (not for PyPI requests: pixi's uv middlewares carry only the credential lookup).
The rules, from rattler's `trusted_publishing.rs` / `challenge_middleware.rs` and the
`ambient-id` crate (0.0.11) it asks for the identity:
- only a request that carries no `Authorization` header (no stored credential matched; a conda
  token in the path does not count) and is answered with a `WWW-Authenticate: Bearer` challenge;
- only `https` URLs on `prefix.dev` or a true subdomain (`*.prefix.dev`; no lookalikes, no
  trailing dot);
- the OIDC ID token is asked for audience `prefix.dev` through ambient-id **0.0.11** (the version
  pixi 0.77's and rattler's Cargo.lock pin). Its detectors, in order; the first one whose variable
  is exactly `true` decides, and its failure is final (no later detector is tried):
  GitHub Actions (`GITHUB_ACTIONS`: `ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`, present only with
  `permissions: id-token: write`), GitLab CI (`GITLAB_CI`: the `PREFIX_DEV_ID_TOKEN` variable from
  an `id_tokens:` block with `aud: prefix.dev`), Buildkite (`BUILDKITE`: runs
  `buildkite-agent oidc request-token --audience prefix.dev`), CircleCI (`CIRCLECI`: runs
  `circleci run oidc get --root-issuer --claims {"aud":"prefix.dev"}`); an agent's trimmed stdout is
  the token. Google Cloud is NOT among them: ambient-id added a GCP detector (first in its order,
  `GOOGLE_SERVICE_ACCOUNT_NAME` or a Google VM) after 0.0.11, in no release pixi uses;
- the token is exchanged with `POST https://<the challenged host>/api/oidc/mint_token`
  (`{"token": …}`); the answer's body is the bearer token, sent on one replay of the request.
A failure anywhere is only logged: pixi then sees the original 401/403.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

AUDIENCE = "prefix.dev"
MINT_PATH = "/api/oidc/mint_token"
GITLAB_ID_TOKEN = "PREFIX_DEV_ID_TOKEN"  # ambient-id: the audience upper-cased, non-alphanumerics `_`


# The agents' commands ambient-id 0.0.11 runs (found on PATH, as std::process::Command finds them).
BUILDKITE_COMMAND = ("buildkite-agent", "oidc", "request-token", "--audience", AUDIENCE)
CIRCLECI_COMMAND = ("circleci", "run", "oidc", "get", "--root-issuer", "--claims", '{"aud":"prefix.dev"}')


class CiContext(NamedTuple):
    """The runner as pixi's prefix.dev sign-in sees it."""

    provider: str | None  # github, gitlab, buildkite, circleci, gcp, ci (another, CI=true), None
    name: str  # for people: "GitHub Actions"
    # Whether the job can get an OIDC ID token for prefix.dev: "yes", "no", "unknown" (an agent's
    # command, found on PATH, decides when it runs: `check --test` runs it), or "none" (pixi knows
    # no OIDC identity here).
    oidc: str
    detail: str  # one sentence: what pixi will do, or what is missing and the fix
    command: tuple[str, ...] = ()  # the agent's command pixi runs (Buildkite, CircleCI), resolved on PATH

    @property
    def on_ci(self) -> bool:
        return self.provider is not None

    @property
    def can_sign_in(self) -> bool:
        return self.oidc in ("yes", "unknown")


def _is_true(env: Mapping[str, str], name: str) -> bool:
    return env.get(name) == "true"  # exactly "true", as ambient-id compares


def _agent(provider: str, name: str, command: tuple[str, ...], env: Mapping[str, str], hint: str) -> CiContext:
    shown = " ".join(command)
    found = shutil.which(command[0], path=env.get("PATH") or None)
    if found is None:
        return CiContext(
            provider,
            name,
            "no",
            f"pixi asks `{shown}` for an OIDC ID token, but there is no `{command[0]}` on PATH here, so pixi "
            f"cannot sign in to prefix.dev{hint}",
        )
    return CiContext(
        provider,
        name,
        "unknown",
        f"pixi runs `{shown}` ({found}) and exchanges the token it prints for a prefix.dev token; whether the "
        "agent hands one out shows when it runs (`check --test` runs it)",
        (found, *command[1:]),
    )


def detect_ci(env: Mapping[str, str]) -> CiContext:
    """pixi's view of this runner: ambient-id 0.0.11's detectors in their order (module docstring)."""
    if _is_true(env, "GITHUB_ACTIONS"):
        missing = [n for n in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN") if not env.get(n)]
        if missing:
            return CiContext(
                "github",
                "GitHub Actions",
                "no",
                "this job lacks `id-token: write` (no " + " or ".join(missing) + "): add `permissions: "
                "id-token: write` to the job so pixi can sign in to prefix.dev with the workflow's identity",
            )
        return CiContext(
            "github",
            "GitHub Actions",
            "yes",
            "the job has `id-token: write`: pixi mints a prefix.dev token from the workflow's OIDC identity "
            "(the workspace must be registered as a trusted publisher on prefix.dev)",
        )
    if _is_true(env, "GITLAB_CI"):
        if not env.get(GITLAB_ID_TOKEN):
            return CiContext(
                "gitlab",
                "GitLab CI",
                "no",
                f"no {GITLAB_ID_TOKEN}: add `id_tokens: {{{GITLAB_ID_TOKEN}: {{aud: prefix.dev}}}}` to the job "
                "so pixi can sign in to prefix.dev with the pipeline's identity",
            )
        return CiContext(
            "gitlab",
            "GitLab CI",
            "yes",
            f"{GITLAB_ID_TOKEN} is set: pixi exchanges it for a prefix.dev token",
        )
    if _is_true(env, "BUILDKITE"):
        hint = " (with the Docker plugin: mount the agent binary and propagate the environment)"
        return _agent("buildkite", "Buildkite", BUILDKITE_COMMAND, env, hint)
    if _is_true(env, "CIRCLECI"):
        return _agent("circleci", "CircleCI", CIRCLECI_COMMAND, env, " (it comes with CircleCI's machine images)")
    if env.get("GOOGLE_SERVICE_ACCOUNT_NAME"):
        return CiContext(
            "gcp",
            "Google Cloud",
            "no",
            "pixi 0.77 does not sign in to prefix.dev on Google Cloud (its ambient-id 0.0.11 has no Google "
            "detector; a later ambient-id adds one): store a credential, e.g. with `ci setup`",
        )
    if env.get("CI", "").lower() in ("true", "1", "yes"):
        return CiContext(
            "ci",
            "CI",
            "none",
            "this CI has no OIDC identity pixi knows (GitHub Actions, GitLab CI, Buildkite, CircleCI): "
            "prefix.dev needs a stored credential",
        )
    return CiContext(None, "", "none", "")


def is_prefix_dev_url(url: str) -> bool:
    """Whether pixi's CI sign-in may answer a challenge from `url`: https on prefix.dev or a
    true subdomain, compared as rattler does (a trailing dot fails closed)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme.lower() == "https" and (host == "prefix.dev" or host.endswith(".prefix.dev"))
