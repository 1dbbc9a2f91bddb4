"""netrc as uv reads it, shown as a read-only store of uv's chain beside rattler's reading.

The same file can be ignored whole by rattler (a quoted value with a space, a `#` comment) and
still serve PyPI indexes through uv, whose parser (pixi_auth_tui.pypi.uv_netrc) reads it, uses
its `default` entry and falls back to `~/.netrc` when `$NETRC` names a missing file. uv asks it
at step 3 of its chain: after rattler's layer and the URL's own credentials.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pixi_auth_tui.core.model import BasicHTTP, Credential, field_value
from pixi_auth_tui.pypi import uv_netrc, uv_store
from pixi_auth_tui.pypi.keyring_entries import url_username
from pixi_auth_tui.stores.base import Entry, Snapshot, Store, StoreError, StoreState

STORE_ID = "netrc-uv"
POSITION = "uv asks netrc after rattler's stores and the URL's own credentials"


class UvNetrcStore(Store):
    """netrc as uv 0.11.15 reads it (see the module's docstring); edited by hand, as rattler's."""

    chain: ClassVar[str] = "pypi"
    writable = False

    def __init__(self, index_urls: list[str], env: dict[str, str], home: Path) -> None:
        self.id = STORE_ID
        self.name = "netrc (uv)"
        self.index_urls = list(index_urls)  # the workspace's, as written (no password)
        self.env = dict(env)
        self.home = home
        found, _note = uv_netrc.netrc_file(self.env, home)
        self.path = found
        self.location = str(found) if found is not None else "$NETRC or ~/.netrc"
        self._machines: set[str] = set()

    def load(self) -> Snapshot:
        netrc = uv_netrc.load(self.env, self.home)
        self.path = netrc.path
        self.location = str(netrc.path) if netrc.path is not None else "$NETRC or ~/.netrc"
        if netrc.path is None:
            return Snapshot(self.id, StoreState.MISSING, "no netrc file for uv ($NETRC, else ~/.netrc)")
        if netrc.error is not None:
            return Snapshot(self.id, StoreState.MALFORMED, f"uv ignores this netrc: {netrc.error}")
        entries = [Entry(name, BasicHTTP(e.login, e.password), self.id) for name, e in netrc.entries.items()]
        self._machines = set(netrc.entries)
        message = f"{len(entries)} entries as uv reads them; {POSITION}"
        return Snapshot(self.id, StoreState.OK, message + (f" ({netrc.note})" if netrc.note else ""), entries)

    def _indexes_on(self, host: str) -> list[tuple[str, str | None]]:
        """The workspace's index URLs on `host` (any host for `default`) and the user each names."""
        found = []
        for url in self.index_urls:
            parsed = uv_store.parse_url(url)
            if parsed is not None and (host == uv_netrc.DEFAULT or parsed.host == host):
                found.append((parsed.href, url_username(url)))
        return found

    def chain_verdict(self, entry: Entry) -> tuple[str, str, str | None] | None:
        login = field_value(entry.credential, "username")
        indexes = self._indexes_on(entry.key)
        if entry.key == uv_netrc.DEFAULT:  # only for hosts without a machine entry of their own
            indexes = [(u, user) for u, user in indexes if _host(u) not in self._machines]
        used = [u for u, user in indexes if user is None or user == login]
        others = [user for _u, user in indexes if user is not None and user != login]
        what = (
            "any index host without its own machine entry (rattler never uses `default`)"
            if entry.key == uv_netrc.DEFAULT
            else f"indexes on {entry.key}"
        )
        if used:
            return ("active", f"uv sends it for {', '.join(used)} when nothing before it has one ({POSITION})", None)
        if others:
            return (
                "ignored",
                f"the index URL names the user {others[0]!r}: uv takes a netrc entry only for that login",
                None,
            )
        return ("active", f"uv sends it for PyPI {what} ({POSITION})", None)

    def anonymous_url(self, entry: Entry) -> str | None:
        """An index on this machine that names no user: rattler's layer is asked first there."""
        if entry.key == uv_netrc.DEFAULT:
            return None  # rattler never uses `default`; a host's own key is judged per index by `resolve`
        found = [u for u, user in self._indexes_on(entry.key) if user is None]
        if found:
            return found[0]
        return f"https://{entry.key}/" if not self.index_urls else None

    def test_url(self, entry: Entry) -> str:
        """The URL a test of `entry` asks: the workspace's index uv sends it to, else the host."""
        indexes = self._indexes_on(entry.key)
        if entry.key == uv_netrc.DEFAULT:
            indexes = [(u, user) for u, user in indexes if _host(u) not in self._machines]
        login = field_value(entry.credential, "username")
        found = next((u for u, user in indexes if user is None or user == login), None)
        if found is not None or entry.key == uv_netrc.DEFAULT:
            return found or ""
        return f"https://{entry.key}/"

    def set(self, key: str, credential: Credential, *, expect: str | None = None, was: str | None = None) -> bool:
        raise StoreError("netrc is read-only here (as it is for rattler and uv): edit it by hand")

    def remove(
        self, key: str, *, expect: str | None = None, item_ref: str | None = None, was: str | None = None
    ) -> None:
        raise StoreError("netrc is read-only here (as it is for rattler and uv): edit it by hand")


def _host(url: str) -> str:
    parsed = uv_store.parse_url(url)
    return parsed.host if parsed is not None else ""
