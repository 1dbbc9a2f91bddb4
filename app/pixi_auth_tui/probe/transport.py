"""How probes reach many hosts cheaply: a connection pool per origin.

Measured by bench/probe_all.py (200 hosts over HTTPS): httpcore's pool looks at every
connection it holds whenever a request is queued or a connection released, so one pool for
200 hosts made test-all quadratic. Each origin gets httpx's own transport, made on first use.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpx


class PoolPerOrigin(httpx.AsyncBaseTransport):
    """A connection pool per origin (scheme, host, port), made on first use."""

    def __init__(self, make: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._make = make
        self._pools: dict[tuple[bytes, bytes, int | None], httpx.AsyncBaseTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = self._make()
        return await pool.handle_async_request(request)

    @property
    def origins(self) -> int:
        """Origins with a pool of their own."""
        return len(self._pools)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


def origin_transport(verify: ssl.SSLContext | bool, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """One origin's pool: httpx's own transport, verified with the run's SSLContext."""
    return httpx.AsyncHTTPTransport(verify=verify, limits=limits)
