"""The capture proxy's HTTP/1.1 client: a keep-alive connection pool to one upstream origin.

A general client (aiohttp, httpx) spends ~300 µs of Python per request on features a reverse proxy does
not use (cookies, redirects, tracing, header objects, retries); this one sends the client's request as
it came and parses the response with httptools, llhttp in C, the parser uvicorn uses, for about a third
of that. What it does:

* ``UpstreamPool.request`` sends ``method target`` with the given headers plus ``Host`` and, for a
  streamed body without ``Content-Length``, ``Transfer-Encoding: chunked``; ``body`` is ``None``,
  ``bytes`` or an async iterator of chunks (streamed with write flow control, concurrently with
  reading the response, so an upstream may answer before it has read the whole request);
* it returns once the status and headers have arrived (1xx interim responses are skipped);
  ``UpstreamResponse.read`` yields the decoded body (``Content-Length``, chunked or until the upstream
  closes) with read flow control; ``release`` returns a fully read keep-alive connection to the pool,
  and closes any other;
* ``connect_timeout`` bounds connecting; ``read_timeout`` (``None``: no limit) bounds the wait for the
  response to start and for each body chunk;
* a failure to connect raises ``UpstreamUnreachable``; any other failure (reset, malformed response,
  read timeout) raises ``UpstreamFailed``; an exception from the request body iterator (e.g. the
  client left) is raised as is. A request whose reused keep-alive connection turns out closed before
  any response byte arrives is sent once more on a new connection when its body is not a stream.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

__all__ = [
    "UpstreamError",
    "UpstreamFailed",
    "UpstreamPool",
    "UpstreamResponse",
    "UpstreamURL",
    "UpstreamUnreachable",
]

RawHeaders = list[tuple[bytes, bytes]]
Body = bytes | AsyncIterator[bytes] | None

_HIGH_WATER = 256 * 1024  # bytes of response body buffered before the connection stops reading


class UpstreamError(Exception):
    """The upstream could not be reached or did not answer properly."""


class UpstreamUnreachable(UpstreamError):
    """No connection to the upstream (refused, unknown host, connect timeout)."""


class UpstreamFailed(UpstreamError):
    """The upstream connection failed after connecting (reset, malformed response, read timeout)."""


class _Stale(UpstreamFailed):
    """A reused keep-alive connection was closed before any response byte arrived."""


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: writes requests, parses responses (httptools callbacks below)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reused = False
        self._parser = httptools.HttpResponseParser(self)
        self._writable: asyncio.Future[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: RawHeaders = []
        self.started: asyncio.Future[None] = self._loop.create_future()
        self.complete = False
        self.keep_alive = False
        self.until_close = False  # the body ends when the upstream closes the connection
        self.head_only = False  # a HEAD request: the response has no body whatever its headers say
        self.error: BaseException | None = None
        self.seen = False  # any response byte arrived
        self._interim = False
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None

    # -- asyncio.Protocol ------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not subclasses

    def data_received(self, data: bytes) -> None:
        self.seen = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.fail(UpstreamFailed(f"malformed response: {error}"))

    def eof_received(self) -> bool | None:
        return None  # close the transport: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.complete:
            pass
        elif self.started.done() and self.until_close and exc is None:
            self._finish()
        elif not self.seen and self.reused:
            self.fail(_Stale("the upstream closed a kept-alive connection"))
        else:
            reason = f": {exc}" if exc is not None else ""
            self.fail(UpstreamFailed(f"the upstream closed the connection before the response ended{reason}"))
        self._wake_writer()

    def pause_writing(self) -> None:
        self._writable = self._loop.create_future()

    def resume_writing(self) -> None:
        self._wake_writer()

    # -- httptools callbacks ---------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # interim (100 Continue, 103 Early Hints): skip
            self._interim = True
            self.headers = []
            return
        self.status = status
        names = {name.lower() for name, _ in self.headers}
        self.until_close = b"content-length" not in names and b"transfer-encoding" not in names
        if not self.started.done():
            self.started.set_result(None)
        if self.head_only:
            self._finish()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake_reader()

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
        if not self.complete:
            self.keep_alive = self._parser.should_keep_alive()
            self._finish()

    # -- used by the pool and the response -------------------------------------------------------

    def _finish(self) -> None:
        self.complete = True
        self._wake_reader()

    def fail(self, error: BaseException) -> None:
        """End the exchange with ``error`` (raised to whoever waits on it) and close the connection."""
        if self.error is None and not self.complete:
            self.error = error
            if not self.started.done():
                self.started.set_exception(error)
                self.started.exception()  # retrieved here: the waiter may already be gone
            self._wake_reader()
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _wake_reader(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _wake_writer(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    def write(self, data: bytes) -> None:
        if self.closed or self.transport is None:
            raise UpstreamFailed("the upstream closed the connection while the request was being sent")
        self.transport.write(data)

    async def drain(self) -> None:
        if self._writable is not None:
            await self._writable
        if self.closed:
            raise UpstreamFailed("the upstream closed the connection while the request was being sent")

    async def read(self, timeout: float | None) -> bytes:
        """The next body chunk; ``b""`` once the body has ended."""
        while not self._chunks:
            if self.error is not None:
                raise self.error
            if self.complete:
                return b""
            self._waiter = self._loop.create_future()
            try:
                await (asyncio.wait_for(self._waiter, timeout) if timeout is not None else self._waiter)
            except TimeoutError:
                error = UpstreamFailed(f"no response data from the upstream within {timeout} s")
                self.fail(error)
                raise error from None
            finally:
                self._waiter = None
        chunk = self._chunks.popleft()
        self._buffered -= len(chunk)
        if self._paused and self._buffered <= _HIGH_WATER // 4 and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return chunk

    @property
    def drained(self) -> bool:
        """Whether the whole body has arrived and been read."""
        return self.complete and not self._chunks

    def next_exchange(self) -> None:
        """Ready for the next request on this kept-alive connection."""
        if self._paused and self.transport is not None:
            self.transport.resume_reading()
        self._reset()
        self.reused = True


class UpstreamResponse:
    """The status, headers and body of one upstream response (see the module docstring)."""

    __slots__ = ("_connection", "_pool", "_sender", "_timeout", "headers", "status")

    def __init__(
        self,
        pool: UpstreamPool,
        connection: _Connection,
        sender: asyncio.Task[None] | None,
        timeout: float | None,
    ) -> None:
        self._pool = pool
        self._connection = connection
        self._sender = sender
        self._timeout = timeout
        self.status = connection.status
        self.headers = connection.headers

    async def read(self) -> AsyncIterator[bytes]:
        """The body's chunks as they arrive (chunked encoding removed)."""
        while chunk := await self._connection.read(self._timeout):
            yield chunk

    @property
    def ended(self) -> bool:
        """Whether the body has been read to its end (the last chunk ``read`` gave was the last)."""
        return self._connection is not None and self._connection.drained

    def release(self) -> None:
        """Give the connection back for reuse if its exchange ended cleanly, else close it (idempotent)."""
        connection, self._connection = self._connection, None  # type: ignore[assignment]  # released for good
        if connection is None:
            return
        sender_done = self._sender is None or self._sender.done()
        if self._sender is not None and not sender_done:
            self._sender.cancel()
        self._pool._put_back(connection, reusable=sender_done)


@dataclass(frozen=True)
class UpstreamURL:
    """An ``http://`` or ``https://`` upstream URL, split into what a connection needs."""

    scheme: str
    host: str  # as the socket takes it: an IPv6 address without brackets
    port: int
    host_header: str  # what the Host header carries: [v6] in brackets, the port only when not the default
    path: str  # the raw path, without a trailing slash

    @classmethod
    def parse(cls, url: str) -> UpstreamURL:
        """Raises ValueError when ``url`` is not an http(s) URL with a host and a valid port."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
            raise ValueError(f"The upstream must be an http:// or https:// URL. Got {url!r}.")
        default = 443 if parts.scheme == "https" else 80
        host = parts.hostname
        shown = f"[{host}]" if ":" in host else host.encode("idna").decode("ascii")
        return cls(
            scheme=parts.scheme,
            host=host,
            port=port or default,
            host_header=shown if port in (None, default) else f"{shown}:{port}",
            path=parts.path.rstrip("/"),
        )

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host_header}{self.path}"


class UpstreamPool:
    """Keep-alive HTTP/1.1 connections to ``upstream``'s origin (see the module docstring)."""

    def __init__(
        self,
        upstream: str | UpstreamURL,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float | None = None,
        max_idle: int = 64,
    ) -> None:
        url = upstream if isinstance(upstream, UpstreamURL) else UpstreamURL.parse(upstream)
        self._host = url.host
        self._port = url.port
        self._ssl: ssl.SSLContext | None = ssl.create_default_context() if url.scheme == "https" else None
        self._host_header = url.host_header.encode("ascii")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_idle = max_idle
        self._idle: list[_Connection] = []
        self._closed = False

    async def request(
        self, method: str, target: str, headers: RawHeaders, body: Body = None
    ) -> UpstreamResponse:
        """Send one request; return once the response's status and headers have arrived."""
        replayable = not (body is not None and not isinstance(body, bytes | bytearray))
        while True:
            connection = await self._connection()
            try:
                return await self._exchange(connection, method, target, headers, body)
            except _Stale:
                if not replayable:
                    raise
                connection.close()  # and once more on a fresh or other idle connection

    async def close(self) -> None:
        """Close every idle connection; later requests are refused."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    async def _connection(self) -> _Connection:
        if self._closed:
            raise UpstreamFailed("the upstream connection pool is closed")
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                connection.next_exchange()
                return connection
        loop = asyncio.get_running_loop()
        address = f"{self._host}:{self._port}"
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(loop),
                    self._host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._host if self._ssl is not None else None,
                ),
                self.connect_timeout,
            )
        except TimeoutError:
            raise UpstreamUnreachable(
                f"cannot connect to {address} within {self.connect_timeout} s"
            ) from None
        except OSError as error:
            raise UpstreamUnreachable(f"cannot connect to {address}: {error}") from error
        return protocol

    async def _exchange(
        self, connection: _Connection, method: str, target: str, headers: RawHeaders, body: Body
    ) -> UpstreamResponse:
        connection.head_only = method == "HEAD"
        lines = [f"{method} {target} HTTP/1.1\r\n".encode("latin-1"), b"host: " + self._host_header + b"\r\n"]
        has_length = False
        for name, value in headers:
            has_length = has_length or name == b"content-length"
            lines.append(name + b": " + value + b"\r\n")
        sender: asyncio.Task[None] | None = None
        if body is None or isinstance(body, bytes | bytearray):
            if body is not None and not has_length:
                lines.append(b"content-length: %d\r\n" % len(body))
            lines.append(b"\r\n")
            if body:
                lines.append(body)
            connection.write(b"".join(lines))
        else:
            chunked = not has_length
            if chunked:
                lines.append(b"transfer-encoding: chunked\r\n")
            lines.append(b"\r\n")
            connection.write(b"".join(lines))
            sender = asyncio.ensure_future(_send_body(connection, body, chunked))
            sender.add_done_callback(lambda task: _sent(connection, task))
        try:
            if self.read_timeout is None:
                await connection.started
            else:
                await asyncio.wait_for(asyncio.shield(connection.started), self.read_timeout)
        except TimeoutError:
            error = UpstreamFailed(f"no response from the upstream within {self.read_timeout} s")
            connection.fail(error)
            raise error from None
        except BaseException:
            if sender is not None:
                sender.cancel()
            connection.close()
            raise
        return UpstreamResponse(self, connection, sender, self.read_timeout)

    def _put_back(self, connection: _Connection, *, reusable: bool) -> None:
        if (
            reusable
            and connection.complete
            and connection.keep_alive
            and not connection.head_only
            and not connection.closed
            and not self._closed
            and len(self._idle) < self.max_idle
        ):
            self._idle.append(connection)
        else:
            connection.close()


async def _send_body(connection: _Connection, body: AsyncIterator[bytes], chunked: bool) -> None:
    async for chunk in body:
        if not chunk:
            continue
        connection.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
        await connection.drain()
    if chunked:
        connection.write(b"0\r\n\r\n")


def _sent(connection: _Connection, task: asyncio.Task[Any]) -> None:
    """A failed request body (the client left, the upstream closed) ends the exchange with its error."""
    if not task.cancelled() and task.exception() is not None:
        connection.fail(task.exception())  # type: ignore[arg-type]  # not None: checked just above
