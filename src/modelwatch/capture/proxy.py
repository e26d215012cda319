"""Capture proxy: a streaming reverse proxy that records sampled exchanges with any HTTP model server.

``ProxyApp`` is an ASGI app that forwards every request to ``upstream`` and the response back:

* method, path and query string, status and body pass through unchanged; request and response
  bodies stream in both directions through a keep-alive connection pool
  (:mod:`modelwatch.capture.upstream`, a lean HTTP/1.1 client on httptools), and the response body is
  forwarded raw (still compressed if the upstream compressed it);
* headers pass through minus the hop-by-hop ones (``Connection`` and the headers it names,
  ``Keep-Alive``, ``Proxy-*``, ``TE``, ``Trailer``, ``Transfer-Encoding``, ``Upgrade``); ``Host``
  is set to the upstream's host, the client's goes to ``X-Forwarded-Host``, and
  ``X-Forwarded-For`` / ``X-Forwarded-Proto`` are added;
* ``Expect: 100-continue`` is answered by the proxy's own server, not forwarded;
* there is a connect timeout but no read timeout by default, so long streams and slow models are
  fine;
* an unreachable upstream (connection refused, DNS failure, connect timeout) answers ``502`` with
  ``{"error": "upstream http://... unreachable: ..."}``; any other upstream failure before the
  response starts answers ``502`` with ``{"error": "upstream http://... failed: ..."}``; a failure
  mid-response closes the client connection. No record is written in any of these cases;
* capture works as in ``CaptureMiddleware`` (the same ``Exchange``): sampled first, bodies copied
  as they stream, recorded once the response completes, never affecting the response.

``serve_proxy`` runs it with uvicorn (``Server``/``Date`` headers come from the upstream, not
uvicorn); SIGINT/SIGTERM shut down gracefully: in-flight requests finish, then the connection pool
and the capture writer are closed, so nothing captured is lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
from collections.abc import AsyncIterator, Collection, Iterable, Iterator
from typing import Any

import anyio.to_thread
import uvicorn
from starlette.types import Message, Receive, Scope, Send

from modelwatch.capture.config import DataCaptureConfig
from modelwatch.capture.middleware import DEFAULT_METHODS, Exchange, RequestFilter
from modelwatch.capture.upstream import (
    Body,
    UpstreamError,
    UpstreamPool,
    UpstreamResponse,
    UpstreamUnreachable,
    UpstreamURL,
)
from modelwatch.capture.writer import CaptureWriter
from modelwatch.errors import ConfigurationError

__all__ = [
    "HOP_BY_HOP_HEADERS",
    "GracefulServer",
    "ProxyApp",
    "build_proxy_server",
    "end_to_end_headers",
    "parse_listen",
    "serve_proxy",
]

log = logging.getLogger(__name__)

#: Headers that describe one connection, not the message; never forwarded (RFC 9110 §7.6.1).
HOP_BY_HOP_HEADERS = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)

RawHeaders = list[tuple[bytes, bytes]]


class _ClientGone(Exception):
    """The client disconnected while its request body was being forwarded."""


def end_to_end_headers(headers: Iterable[tuple[bytes, bytes]], drop: Collection[bytes] = ()) -> RawHeaders:
    """``headers`` lower-cased, without hop-by-hop headers, those named by ``Connection``, and ``drop``."""
    pairs = [(key.lower(), value) for key, value in headers]
    named = {
        token.strip().lower() for key, value in pairs if key == b"connection" for token in value.split(b",")
    }
    return [(k, v) for k, v in pairs if k not in HOP_BY_HOP_HEADERS and k not in named and k not in drop]


def _has_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(key.lower() in (b"content-length", b"transfer-encoding") for key, _ in headers)


def _json_response(status: int, payload: dict[str, str]) -> tuple[Message, Message]:
    body = json.dumps(payload).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }
    return start, {"type": "http.response.body", "body": body, "more_body": False}


class ProxyApp:
    """ASGI reverse proxy to ``upstream`` (``http://host:port[/prefix]``) with data capture.

    ``writer`` may be None (a plain proxy). With ``own_writer`` (default) the proxy starts the
    writer on lifespan startup or the first request and closes it on lifespan shutdown.
    ``paths``/``methods`` select the requests that may be captured, as in ``CaptureMiddleware``.
    """

    def __init__(
        self,
        upstream: str,
        writer: CaptureWriter | None = None,
        *,
        paths: Collection[str] | None = None,
        methods: Collection[str] = DEFAULT_METHODS,
        connect_timeout: float = 5.0,
        read_timeout: float | None = None,
        max_keepalive_connections: int = 64,
        own_writer: bool = True,
        close_timeout: float = 10.0,
    ) -> None:
        try:
            url = UpstreamURL.parse(upstream)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
        self.upstream = str(url)
        self._base_path = url.path
        self.writer = writer
        self.filter = RequestFilter(paths, methods)
        self.own_writer = own_writer and writer is not None
        self.close_timeout = close_timeout
        self._pool = UpstreamPool(
            url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_idle=max_keepalive_connections,
        )
        self._started = False
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start an owned writer (idempotent)."""
        if self.own_writer and self.writer is not None and not self._started:
            self._started = True
            self.writer.start()

    def close_writer(self) -> None:
        """Close an owned, started writer, draining its queue (idempotent; blocks)."""
        if self.own_writer and self.writer is not None and self._started and not self._closed:
            self._closed = True
            self.writer.close(timeout=self.close_timeout)

    async def aclose(self) -> None:
        """Close the connection pool, then an owned writer in a worker thread (idempotent)."""
        await self._pool.close()
        await anyio.to_thread.run_sync(self.close_writer)

    # -- ASGI ------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._forward(scope, receive, send)
        else:  # websockets are not proxied
            await receive()
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _exchange_for(self, scope: Scope) -> Exchange | None:
        writer = self.writer
        if writer is None or self._closed or not self.filter.matches(scope):
            return None
        if not writer.config.enable_capture:
            return None
        self.start()
        try:
            if not writer.sample():
                return None
        except Exception:
            log.exception("data capture sampling failed; the request is forwarded without capture")
            return None
        return Exchange(writer, scope["headers"], writer.config.max_payload_bytes)

    def _target(self, scope: Scope) -> str:
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        return self._base_path + raw_path + ("?" + query if query else "")

    def _request_headers(self, scope: Scope) -> RawHeaders:
        incoming: RawHeaders = list(scope["headers"])
        headers = end_to_end_headers(incoming, drop=(b"host", b"expect"))
        client_host = scope["client"][0] if scope.get("client") else None
        forwarded_for = [v for k, v in headers if k == b"x-forwarded-for"]
        headers = [(k, v) for k, v in headers if k not in (b"x-forwarded-for", b"x-forwarded-proto")]
        if client_host:
            forwarded_for.append(client_host.encode("latin-1"))
        if forwarded_for:
            headers.append((b"x-forwarded-for", b", ".join(forwarded_for)))
        headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")))
        host = [v for k, v in incoming if k.lower() == b"host"]
        if host and not any(k == b"x-forwarded-host" for k, _ in headers):
            headers.append((b"x-forwarded-host", host[0]))
        return headers

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = self._exchange_for(scope)
        try:
            body = await _request_body(receive, exchange) if _has_body(scope["headers"]) else None
            response = await self._pool.request(
                scope["method"], self._target(scope), self._request_headers(scope), body
            )
        except _ClientGone:
            return
        except UpstreamUnreachable as exc:
            await self._fail(send, exchange, {"error": f"upstream {self.upstream} unreachable: {exc}"})
            return
        except UpstreamError as exc:
            await self._fail(send, exchange, {"error": f"upstream {self.upstream} failed: {exc}"})
            return
        try:
            await self._relay(response, send, exchange)
        finally:
            response.release()

    async def _relay(self, response: UpstreamResponse, send: Send, exchange: Exchange | None) -> None:
        start: Message = {
            "type": "http.response.start",
            "status": response.status,
            "headers": end_to_end_headers(response.headers),
        }
        try:
            await _send(send, start, exchange)
            async for chunk in response.read():
                last = response.ended  # the last chunk goes out with more_body=False: one send less
                await _send(
                    send, {"type": "http.response.body", "body": chunk, "more_body": not last}, exchange
                )
                if last:
                    return
            await _send(send, {"type": "http.response.body", "body": b"", "more_body": False}, exchange)
        except (UpstreamError, OSError) as exc:  # the upstream died, or the client left
            if exchange is not None:
                exchange.abort()
            log.warning("proxied response from %s interrupted: %s", self.upstream, exc)

    async def _fail(self, send: Send, exchange: Exchange | None, payload: dict[str, str]) -> None:
        if exchange is not None:
            exchange.abort()
        log.warning("%s", payload["error"])
        for message in _json_response(502, payload):
            await send(message)


async def _send(send: Send, message: Message, exchange: Exchange | None) -> None:
    if exchange is None:
        await send(message)
        return
    exchange.observe_send(message)
    await send(message)
    exchange.finish()


async def _request_body(receive: Receive, exchange: Exchange | None) -> Body:
    """The client's request body, copied into ``exchange``: the bytes when its first message holds
    all of it (the usual case), else a stream of its chunks as they arrive."""
    message = await _receive_body(receive, exchange)
    if not message.get("more_body", False):
        return bytes(message.get("body", b""))
    return _rest_of_body(message.get("body", b""), receive, exchange)


async def _rest_of_body(first: bytes, receive: Receive, exchange: Exchange | None) -> AsyncIterator[bytes]:
    if first:
        yield first
    while True:
        message = await _receive_body(receive, exchange)
        chunk: bytes = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _receive_body(receive: Receive, exchange: Exchange | None) -> Message:
    message = await receive()
    if exchange is not None:
        exchange.observe_receive(message)
    if message["type"] == "http.disconnect":
        raise _ClientGone
    return message


class GracefulServer(uvicorn.Server):
    """A uvicorn server that returns normally after a graceful SIGINT/SIGTERM shutdown.

    Plain uvicorn re-raises the signal once it has shut down, which kills the process before the
    caller can report anything; this one restores the previous handlers and returns instead.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def parse_listen(listen: str) -> tuple[str, int]:
    """``"host:port"``, ``":port"`` or ``"port"`` → ``(host, port)``; the host defaults to 127.0.0.1."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigurationError(f"The listen address must look like 'host:port'. Got {listen!r}.")
    return host, int(port)


def build_proxy_server(
    endpoint: str,
    variant: str,
    upstream: str,
    listen: str,
    config: DataCaptureConfig,
    *,
    paths: Collection[str] | None = None,
    connect_timeout: float = 5.0,
    read_timeout: float | None = None,
    log_level: str = "warning",
    **uvicorn_options: Any,
) -> tuple[uvicorn.Server, ProxyApp]:
    """A uvicorn server (not yet running) for a capturing proxy, and its app.

    Builds the ``CaptureWriter`` (writing in a sink process) at once, so an unwritable destination
    raises ``StorageError`` here.
    """
    host, port = parse_listen(listen)
    writer = CaptureWriter(config, endpoint=endpoint, variant=variant, process=True)
    app = ProxyApp(
        upstream,
        writer,
        paths=paths,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    server_config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_level=log_level,
        server_header=False,  # the upstream's Server and Date headers pass through
        date_header=False,
        **uvicorn_options,
    )
    return GracefulServer(server_config), app


def serve_proxy(
    endpoint: str,
    variant: str,
    upstream: str,
    listen: str,
    config: DataCaptureConfig,
    *,
    paths: Collection[str] | None = None,
    connect_timeout: float = 5.0,
    read_timeout: float | None = None,
    log_level: str = "warning",
    **uvicorn_options: Any,
) -> dict[str, Any]:
    """Run a capturing proxy until SIGINT/SIGTERM, then shut down gracefully.

    Returns the writer's final counters (``CaptureCounters.snapshot()``) once everything captured
    has been written. ``uvicorn_options`` go to ``uvicorn.Config`` (e.g. ``timeout_keep_alive``).
    """
    server, app = build_proxy_server(
        endpoint,
        variant,
        upstream,
        listen,
        config,
        paths=paths,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        log_level=log_level,
        **uvicorn_options,
    )
    try:
        server.run()
    finally:
        app.close_writer()  # in case the lifespan shutdown did not run
    assert app.writer is not None
    return dict(app.writer.counters.snapshot())
