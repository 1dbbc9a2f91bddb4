"""Every answer from an OAuth provider, bounded in size and in time.

A provider is a server someone else runs: it may answer 150 MiB of discovery document, JSON
nested thousands of levels deep, `NaN`, or one byte every few seconds (httpx's timeouts are
per read, so such a drip never times out). Each request of an OAuth client made by
`oauth.flow.make_client` therefore has, through httpx's public event hooks and httpcore's
`trace` extension:
- a deadline for the WHOLE request (connect, headers and body): when it passes, the
  connection's socket is shut down, which ends any read that is waiting;
- a size limit on the body, checked as it arrives (and no compression, so the limit is the
  size of what is read);
- a check that a JSON body is no deeper than any provider's answer needs and holds no
  `NaN`/`Infinity` (which are not JSON): what fails is refused as one line, before Authlib
  or our own code parses it.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from pixi_auth_tui.oauth.info import OAuthFailure

# rattler's refresh request has a total timeout of 30 s (reqwest's `timeout`); so has each of ours.
TOTAL_SECONDS = 30.0
MAX_ANSWER_BYTES = 1024 * 1024  # a discovery document or token answer is a few KiB
MAX_JSON_DEPTH = 32  # OIDC metadata and token answers are 2–3 levels deep
_STATE = "pixi_auth_tui.deadline"  # our key in the request's extensions (httpcore ignores it)


class _Deadline:
    """One request's deadline: shuts the request's sockets down when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.passed = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's `trace` extension: keep each new connection's socket, to end it on time."""
        if event.endswith(("connect_tcp.complete", "start_tls.complete")):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                with self._lock:
                    self._sockets.append(sock)
                    late = self.passed
                if late:
                    self._expire()

    def _expire(self) -> None:
        with self._lock:
            self.passed = True
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed: the request ended meanwhile
                sock.shutdown(socket.SHUT_RDWR)  # wakes a read that is waiting, in any thread

    def check(self) -> None:
        if self.passed or time.monotonic() >= self.ends:
            raise httpx.ReadTimeout(self.message())

    def message(self) -> str:
        return f"no complete answer within {self.seconds:g} s"

    def done(self) -> None:
        self._timer.cancel()


def deadline_message(err: BaseException) -> str | None:
    """For a transport error of a request whose deadline passed: the deadline, in words."""
    try:
        request = err.request if isinstance(err, httpx.RequestError) else None
    except RuntimeError:  # httpx raises when the error carries no request
        request = None
    state = request.extensions.get(_STATE) if request is not None else None
    return state.message() if isinstance(state, _Deadline) and state.passed else None


class _BoundedStream(httpx.SyncByteStream):
    """The body as it arrives: refused past the size limit or the deadline; JSON checked at the end."""

    def __init__(self, inner: httpx.SyncByteStream, deadline: _Deadline, max_bytes: int, what: str) -> None:
        self._inner = inner
        self._deadline = deadline
        self._max = max_bytes
        self._what = what

    def __iter__(self) -> Iterator[bytes]:
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in self._inner:
                total += len(chunk)
                if total > self._max:
                    raise OAuthFailure("provider", f"the {self._what} sent more than {self._max // 1024:,} KiB")
                self._deadline.check()
                chunks.append(chunk)
        except httpx.HTTPError as err:
            message = deadline_message(err) if self._deadline.passed else None
            if message:
                raise httpx.ReadTimeout(message) from err
            raise
        body = b"".join(chunks)
        problem = json_problem(body)
        if problem:
            raise OAuthFailure("provider", f"the {self._what} answered {problem}")
        yield body

    def close(self) -> None:
        self._deadline.done()
        self._inner.close()


def json_problem(body: bytes) -> str | None:
    """Why a JSON body cannot be taken (None: it is not JSON, or it is sane JSON)."""

    def constant(name: str) -> Any:
        raise _NotJson(f"{name}, which is not JSON")

    try:
        value = json.loads(body, parse_constant=constant)
    except _NotJson as err:
        return str(err)
    except RecursionError:
        return "JSON nested too deeply"
    except (ValueError, UnicodeDecodeError):
        return None  # not JSON at all: the caller says what it expected
    depth = _depth(value)
    if depth > MAX_JSON_DEPTH:
        return f"JSON nested {depth} levels deep (at most {MAX_JSON_DEPTH} are read)"
    return None


class _NotJson(ValueError):
    pass


def _depth(value: Any) -> int:
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            todo.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            todo.extend((v, level + 1) for v in item)
        elif isinstance(item, float) and not math.isfinite(item):
            return MAX_JSON_DEPTH + 1  # 1e400: read by Python as infinity
    return deepest


class Bounds:
    """The event hooks that bound each request of one client (`what` names the provider)."""

    def __init__(
        self, total_seconds: float | None = None, max_bytes: int | None = None, what: str = "provider"
    ) -> None:
        self.total_seconds = TOTAL_SECONDS if total_seconds is None else total_seconds
        self.max_bytes = MAX_ANSWER_BYTES if max_bytes is None else max_bytes
        self.what = what

    def hooks(self) -> dict[str, list[Any]]:
        return {"request": [self.on_request], "response": [self.on_response]}

    def timeout(self) -> httpx.Timeout:
        # No single step may outlast the whole request's deadline either.
        return httpx.Timeout(self.total_seconds)

    def on_request(self, request: httpx.Request) -> None:
        deadline = _Deadline(self.total_seconds)
        request.extensions[_STATE] = deadline
        request.extensions["trace"] = deadline.trace
        # The size limit is on what is read: a compressed answer could grow a thousandfold.
        request.headers["Accept-Encoding"] = "identity"

    def on_response(self, response: httpx.Response) -> None:
        deadline = response.request.extensions.get(_STATE)
        if not isinstance(deadline, _Deadline):
            return
        what = self.what
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        length = response.headers.get("Content-Length", "")
        problem = None
        if encoding not in ("", "identity"):
            problem = f"the {what} sent a compressed answer ({encoding[:20]}) that was not asked for"
        elif length.isdigit() and int(length) > self.max_bytes:
            problem = f"the {what} announced {int(length):,} bytes; at most {self.max_bytes:,} are read"
        if problem:
            deadline.done()
            response.close()
            raise OAuthFailure("provider", problem)
        stream = response.stream
        if isinstance(stream, httpx.SyncByteStream):
            response.stream = _BoundedStream(stream, deadline, self.max_bytes, what)
