"""The one masking of secrets written into URLs: `user:password@`, conda's `/t/<token>` and
credential-like query parameters (`?token=…`, `&sig=…`).

It works on the text as written, with no URL parser: a URL that a parser refuses (a password
holding `/`, `#` or `?`, a malformed IPv6 host) is exactly the one a person pasted wrong, and
its secret must not be shown in the message saying so. It is applied by the exit gate
(`redact`), so every output and every file we write is masked; callers that build a message
before it reaches the gate (the workspace check) call it directly too.
"""

from __future__ import annotations

import functools
import re

MASK = "•••"
# What the redactor (core/redact.py) puts where a known secret stood. It is hidden first and
# URLs masked after, so a URL may hold it: it is part of the URL, not its end.
HIDDEN = "<hidden>"  # ASCII: safe on any terminal encoding, and not markup
# The patterns are compiled when first used (functools.cache): most outputs hold no URL.
# A URL as it stands in free text: a scheme, then everything up to white space or a quote, but
# not the punctuation of the sentence after it.
_URL = functools.cache(
    lambda: re.compile(
        r"""[A-Za-z][A-Za-z0-9+.\-]*://(?:<hidden>|[^\s"'`<>])*?(?=[.,;:!?)\]]*(?:[\s"'`>]|<(?!hidden>)|$))"""
    )
)
# conda's token in the path, with or without the slash after it (find-links end there).
_CONDA_TOKEN = functools.cache(lambda: re.compile(r"/t/[^/?#]+"))
# A query or fragment parameter whose name says it carries a credential: `token`, `access_token`,
# `X-Amz-Signature`, `api-key`, `client_secret`, `sig` … (whole words: `max-keys` is no key;
# a device flow's `user_code` is what the person types, no secret).
_CREDENTIAL_PARAMETER = functools.cache(
    lambda: re.compile(
        r"([?&;#](?!user[_-]?code=)(?:[^=&#;]*[_.\-])?"
        r"(?:token|password|passwd|pwd|secret|key|apikey|sig|signature|credential|credentials|auth|authorization"
        r"|session|sessionid|code)=)[^&#;]*",
        re.IGNORECASE,
    )
)


def _mask_one(url: str) -> str:
    start = url.index("://") + 3
    rest = url[start:]
    at = rest.rfind("@")
    # userinfo runs to the LAST `@`: a password may hold `/`, `?` or `#` unencoded. Without a
    # `:` (no password) and with a `/` before that `@`, the `@` is in the path (`repo@v1.0`).
    if at >= 0 and (":" in rest[:at] or "/" not in rest[:at]):
        rest = f"{MASK}@{rest[at + 1 :]}"
    path = rest.find("/")
    if path >= 0:
        rest = rest[:path] + _CONDA_TOKEN().sub(f"/t/{MASK}", rest[path:])
    if "=" in rest:
        rest = _CREDENTIAL_PARAMETER().sub(rf"\g<1>{MASK}", rest)
    return url[:start] + rest


def mask_urls(text: str) -> str:
    """`text` with the secrets of every URL in it masked (a single URL, or a message)."""
    if "://" not in text:
        return text
    return _URL().sub(lambda match: _mask_one(match.group()), text)


def mask_url(url: str) -> tuple[str, bool]:
    """A URL fit to print or store, and whether it held a secret."""
    masked = mask_urls(url)
    return masked, masked != url


def secret_beyond_user_name(url: str) -> bool:
    """Whether `url` holds a secret other than a bare user name: `https://user@host/…` names a
    user (Google Artifact Registry's `oauth2accesstoken@`, the `user@` uv needs to ask the
    keyring), where `user:password@`, `/t/<token>` and credential parameters are secrets. The
    user name is still masked when shown (it may be a token used as one)."""
    scheme, sep, rest = url.partition("://")
    at = rest.rfind("@")
    if sep and at > 0 and ":" not in rest[:at] and "/" not in rest[:at]:
        url = f"{scheme}://{rest[at + 1 :]}"
    return mask_url(url)[1]
