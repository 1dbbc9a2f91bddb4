"""Testing an entry of uv's own stores (credentials.toml, netrc as uv reads it) the way uv sends
it: the workspace's index that entry serves (or the URL given) asked with the credential and
without, judged like every other connection test. Shared by `test --store uv|netrc-uv` and the
UI's `t`."""

from __future__ import annotations

from pixi_auth_tui.core.hostkeys import host_of
from pixi_auth_tui.probe.request import ProbeOptions, probe
from pixi_auth_tui.probe.state import ProbeResult
from pixi_auth_tui.stores.base import Entry


async def check_uv_entry(entry: Entry, url: str, options: ProbeOptions) -> ProbeResult:
    """`entry`'s credential sent to `url` as uv sends it (HTTP basic, or a bearer token for a
    `scheme = "bearer"` entry), and the same request without it.

    Raises ValueError when `url` has no host; ProbeSetupError as `probe` does."""
    host = host_of(url)
    if host is None:
        raise ValueError(f"{url} is not a URL with a host")
    return await probe(host, entry.credential, url, options)
