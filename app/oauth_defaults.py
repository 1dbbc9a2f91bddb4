"""rattler's OAuth defaults, in a module light enough for the CLI's parser to import."""

from __future__ import annotations

REFRESH_SKEW_SECONDS = 300  # rattler refreshes when the access token expires within this
DEFAULT_CLIENT_ID = "rattler"
DEFAULT_SCOPES = ("openid", "profile", "offline_access")
PREFIX_DEV_SCOPES = ("openid", "profile", "offline_access", "channel:read", "channel:upload")
FLOWS = ("device-code", "auth-code", "auto")
