"""How probes reach many hosts cheaply: a connection pool per origin, over asyncio's own streams.

Measured by bench/probe_all.py (200 hosts over HTTPS): httpcore's pool looks at every
connection it holds whenever a request is queued or a connection released, so one pool for
200 hosts made test-all quadratic; and httpcore's default network backend (anyio) runs TLS
through a memory BIO in Python, where asyncio's transport does the same work with less
Python in between. What goes on the wire is httpx's/httpcore's HTTP/1.1 either way; only
the socket and TLS plumbing below it changes. TLS is verified with the caller's SSLContext.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpcore
import httpx
from httpcore import (
    AsyncNetworkBackend,
    AsyncNetworkStream,
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)

READ_CHUNK = 64 * 1024
HAPPY_EYEBALLS_DELAY = 0.3  # seconds before the next address of a host is tried alongside


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

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


def origin_transport(verify: ssl.SSLContext | bool, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (its request/response mapping and errors), its pool on asyncio streams."""
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits)
    # httpx takes no network backend; the pool it made is replaced by the same one with ours.
    ssl_context = transport._pool._ssl_context
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=AsyncioBackend(),
    )
    return transport


@contextlib.contextmanager
def _mapped(errors: dict[type[BaseException], type[Exception]]) -> Iterator[None]:
    """httpcore's exceptions for the OS's, as httpcore's own backends raise them."""
    try:
        yield
    except Exception as exc:
        for cause, mapped in errors.items():
            if isinstance(exc, cause):
                raise mapped(exc) from exc
        raise


class AsyncioStream(AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped({TimeoutError: ReadTimeout, OSError: ReadError}):
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        with _mapped({TimeoutError: WriteTimeout, OSError: WriteError}):
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()

    async def aclose(self) -> None:
        if self._writer.get_extra_info("ssl_object") is not None:
            # As httpcore's own backend does, no wait for the server's close_notify: asyncio
            # would wait for it up to 30 s, and a server that ignores ours stalls the run.
            self._writer.transport.abort()
            return
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> AsyncNetworkStream:
        try:
            with _mapped({TimeoutError: ConnectTimeout, ssl.SSLError: ConnectError, OSError: ConnectError}):
                async with asyncio.timeout(timeout):
                    await self._writer.start_tls(
                        ssl_context, server_hostname=server_hostname, ssl_handshake_timeout=timeout
                    )
        except Exception:
            await self.aclose()
            raise
        return self  # the writer now speaks TLS; the reader reads the decrypted stream

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        if info == "is_readable":
            from httpcore._utils import is_socket_readable

            return is_socket_readable(self._writer.get_extra_info("socket"))
        return None


class AsyncioBackend(AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        with _mapped({TimeoutError: ConnectTimeout, OSError: ConnectError}):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                    limit=READ_CHUNK,
                    # A host with a dead IPv6 route still answers over IPv4 at once (as anyio,
                    # and hyper under rattler with its 300 ms, race the addresses).
                    happy_eyeballs_delay=HAPPY_EYEBALLS_DELAY,
                )
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> AsyncNetworkStream:
        with _mapped({TimeoutError: ConnectTimeout, OSError: ConnectError}):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
