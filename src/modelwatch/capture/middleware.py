"""Capture middleware: records sampled request/response pairs of an ASGI model server.

``CaptureMiddleware`` is a pure ASGI middleware (no ``BaseHTTPMiddleware``), so bodies stream
through it untouched::

    app = FastAPI()
    app.add_middleware(CaptureMiddleware, endpoint="churn", config=DataCaptureConfig("capture/"))

For each HTTP request whose method (``POST``/``PUT`` by default) and path (``paths``; ``None`` =
any) select it, the writer makes one sampling decision first, so an unsampled request costs one
random draw. A sampled request gets an ``Exchange``, which the app is given as its ``receive`` and
``send``: the request body chunks are kept as the app reads them and the response body chunks as they
go out to the client (references, not copies), and once the app has returned,
``CaptureWriter.capture`` queues the record (it never blocks).

What is recorded:

* each side keeps at most ``max_payload_bytes + 1`` bytes; the writer sees a payload longer than
  its limit, truncates it to the limit and counts it as truncated;
* content types come from the request's and the response's ``Content-Type`` headers (``None``
  when absent, so the payload is captured base64-encoded);
* the inference id from ``X-Amzn-SageMaker-Inference-Id`` (else ``X-Inference-Id``), custom
  attributes from ``X-Amzn-SageMaker-Custom-Attributes``, the inference time is the request's
  arrival (UTC);
* nothing is recorded when the client disconnects before the response is complete, when the app
  raises before it is complete, or when it never completes (a response that went out complete is
  recorded even if the app raises afterwards, e.g. in a background task); the request body is what
  the app read of it.

Capture never changes the response: a failing ``capture`` call is logged and swallowed.

A writer built from ``config`` writes in a sink process (``CaptureWriter(..., process=True)``, see
:mod:`modelwatch.capture.sink`), so building and writing records does not take the server's GIL; pass
``writer=CaptureWriter(config, endpoint=...)`` for a writer thread in the server's own process.

Writer lifecycle: a writer built from ``config`` (or one passed with ``own_writer=True``) is started
on the ASGI lifespan ``startup`` (or lazily on the first sampled request if the server runs no
lifespan) and closed on lifespan ``shutdown``, after the server has finished its in-flight requests,
so a graceful shutdown loses nothing. A writer passed with ``writer=`` is the caller's to start and
close unless ``own_writer=True``.

``Exchange`` and ``RequestFilter`` are shared with the reverse proxy
(``modelwatch.capture.proxy``).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Collection, Iterable

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelwatch.capture.config import DataCaptureConfig
from modelwatch.capture.writer import CaptureWriter
from modelwatch.errors import ConfigurationError

__all__ = [
    "CUSTOM_ATTRIBUTES_HEADER",
    "DEFAULT_METHODS",
    "INFERENCE_ID_HEADERS",
    "CaptureMiddleware",
    "Exchange",
    "RequestFilter",
    "header_value",
]

log = logging.getLogger(__name__)

#: Request headers that carry the caller's inference id, in order of preference.
INFERENCE_ID_HEADERS = (b"x-amzn-sagemaker-inference-id", b"x-inference-id")
#: Request header that carries the caller's custom attributes.
CUSTOM_ATTRIBUTES_HEADER = b"x-amzn-sagemaker-custom-attributes"
#: HTTP methods captured by default: the ones that carry an inference payload.
DEFAULT_METHODS = frozenset({"POST", "PUT"})

Headers = Iterable[tuple[bytes, bytes]]
_WANTED = frozenset({b"content-type", *INFERENCE_ID_HEADERS, CUSTOM_ATTRIBUTES_HEADER})


def _first_values(headers: Headers, names: Collection[bytes]) -> dict[bytes, str]:
    """The first value of each header among ``names`` (lower-case) present, decoded as latin-1: one pass."""
    found: dict[bytes, str] = {}
    for key, value in headers:
        lowered = key.lower()
        if lowered in names and lowered not in found:
            found[lowered] = value.decode("latin-1")
    return found


def header_value(headers: Headers, *names: bytes) -> str | None:
    """The first value of the first header among ``names`` (lower-case) present, decoded as latin-1."""
    found = _first_values(headers, names)
    return next((found[name] for name in names if name in found), None)


class RequestFilter:
    """Which requests are candidates for capture: HTTP, one of ``methods``, one of ``paths`` (or any)."""

    def __init__(self, paths: Collection[str] | None = None, methods: Collection[str] = DEFAULT_METHODS):
        self.paths = frozenset(paths) if paths is not None else None
        self.methods = frozenset(method.upper() for method in methods)

    def matches(self, scope: Scope) -> bool:
        """True when ``scope`` is an HTTP request this filter selects."""
        return (
            scope["type"] == "http"
            and scope["method"] in self.methods
            and (self.paths is None or scope["path"] in self.paths)
        )


class Exchange:
    """One sampled request/response pair being observed, recorded once when the response completes.

    Feed it every message the app receives (``observe_receive``) and every message it sends
    (``observe_send``, before forwarding); call ``finish`` after forwarding each sent message.
    Each body keeps ``max_payload_bytes + 1`` bytes at most, so the writer can tell a payload that
    went past its limit. A disconnect or ``abort()`` before the response completes cancels it.
    """

    __slots__ = (
        "_recorded",
        "_request",
        "_request_room",
        "_response",
        "_response_room",
        "aborted",
        "custom_attributes",
        "inference_id",
        "inference_time",
        "request_complete",
        "request_content_type",
        "response_complete",
        "response_content_type",
        "writer",
    )

    def __init__(self, writer: CaptureWriter, request_headers: Headers, max_payload_bytes: int) -> None:
        self.writer = writer
        self.inference_time = time.time()  # epoch seconds: the request's arrival
        found = _first_values(request_headers, _WANTED)
        self.request_content_type = found.get(b"content-type")
        self.inference_id = found.get(INFERENCE_ID_HEADERS[0], found.get(INFERENCE_ID_HEADERS[1]))
        self.custom_attributes = found.get(CUSTOM_ATTRIBUTES_HEADER)
        self.response_content_type: str | None = None
        self.response_complete = False
        self.request_complete = False
        self.aborted = False
        self._recorded = False
        # each body: its chunks (not copied) up to max_payload_bytes + 1 bytes, and the room left
        self._request: list[bytes] = []
        self._request_room = max_payload_bytes + 1
        self._response: list[bytes] = []
        self._response_room = max_payload_bytes + 1

    def observe_receive(self, message: Message) -> None:
        """Copy a request body chunk; a disconnect before the response completes aborts."""
        kind = message["type"]
        if kind == "http.request":
            body = message.get("body", b"")
            room = self._request_room
            if body and room > 0:
                piece = body if len(body) <= room else body[:room]
                self._request.append(piece)
                self._request_room = room - len(piece)
            self.request_complete = not message.get("more_body", False)
        elif kind == "http.disconnect" and not self.response_complete:
            self.aborted = True

    def observe_send(self, message: Message) -> None:
        """Note the response content type and copy a response body chunk."""
        kind = message["type"]
        if kind == "http.response.start":
            for key, value in message.get("headers", ()):
                if key.lower() == b"content-type":
                    self.response_content_type = value.decode("latin-1")
                    break
        elif kind == "http.response.body":
            body = message.get("body", b"")
            room = self._response_room
            if body and room > 0:
                piece = body if len(body) <= room else body[:room]
                self._response.append(piece)
                self._response_room = room - len(piece)
            if not message.get("more_body", False):
                self.response_complete = True

    def abort(self) -> None:
        """Give up on this exchange: nothing will be recorded."""
        self.aborted = True

    def finish(self) -> bool:
        """Queue the record if the response is complete and nothing aborted it; never raises.

        Returns True when the writer accepted the record. Calling it again does nothing.
        """
        if self._recorded or self.aborted or not self.response_complete:
            return False
        self._recorded = True
        try:
            return self.writer.capture(
                request_body=b"".join(self._request),  # one chunk: that chunk, not a copy
                request_content_type=self.request_content_type,
                response_body=b"".join(self._response),
                response_content_type=self.response_content_type,
                inference_id=self.inference_id,
                custom_attributes=self.custom_attributes,
                inference_time=self.inference_time,
            )
        except Exception:  # capture must never affect the response
            log.exception("data capture failed; the response was not affected")
            return False


class _Tee(Exchange):
    """An exchange that is also the app's ``receive`` and ``send``: it observes each message on its way.

    ``send`` is a plain function returning the server's own ``send`` awaitable (no coroutine of its
    own per message); the record is queued by ``finish`` once the app has returned."""

    __slots__ = ("_drained", "_receive", "_send")

    def __init__(
        self, writer: CaptureWriter, headers: Headers, max_payload_bytes: int, receive: Receive, send: Send
    ) -> None:
        super().__init__(writer, headers, max_payload_bytes)
        self._receive = receive
        self._send = send
        self._drained: deque[Message] = deque()

    async def receive(self) -> Message:
        if self._drained:
            return self._drained.popleft()
        message = await self._receive()
        self.observe_receive(message)
        return message

    def send(self, message: Message) -> Awaitable[None]:
        if message["type"] == "http.response.start" and not (self.request_complete or self.aborted):
            return self._read_rest_then_send(message)
        self.observe_send(message)
        return self._send(message)

    async def _read_rest_then_send(self, message: Message) -> None:
        """The app answers without having read the whole request body (it may not need it): read the
        rest now, while the server still delivers it, so the capture holds the request; the app gets
        the same messages if it asks for them later."""
        while not self.request_complete and not self.aborted:
            message_in = await self._receive()
            self.observe_receive(message_in)
            self._drained.append(message_in)
            if message_in["type"] != "http.request":
                break
        self.observe_send(message)
        await self._send(message)


class CaptureMiddleware:
    """Pure ASGI middleware that captures sampled inference requests (see the module docstring).

    Give either ``config`` (the middleware builds, starts and closes its own ``CaptureWriter`` for
    ``endpoint``/``variant``, writing in a sink process; it raises ``StorageError`` at once if the
    destination is not writable)
    or ``writer`` (an existing writer, started and closed by the caller unless ``own_writer=True``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        endpoint: str | None = None,
        variant: str = "AllTraffic",
        config: DataCaptureConfig | None = None,
        writer: CaptureWriter | None = None,
        paths: Collection[str] | None = None,
        methods: Collection[str] = DEFAULT_METHODS,
        own_writer: bool | None = None,
        close_timeout: float = 10.0,
    ) -> None:
        if (config is None) == (writer is None):
            raise ConfigurationError("CaptureMiddleware needs exactly one of 'config' or 'writer'.")
        if writer is None:
            if not endpoint:
                raise ConfigurationError("CaptureMiddleware needs 'endpoint' when it is given a 'config'.")
            assert config is not None
            writer = CaptureWriter(config, endpoint=endpoint, variant=variant, process=True)
            own_writer = True if own_writer is None else own_writer
        self.app = app
        self.writer = writer
        self.config: DataCaptureConfig = config if config is not None else writer.config
        self.filter = RequestFilter(paths, methods)
        self.own_writer = bool(own_writer)
        self.close_timeout = close_timeout
        self._started = False
        self._closed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        exchange = self._exchange_for(scope, receive, send)
        if exchange is None:
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, exchange.receive, exchange.send)
        finally:  # recorded when the response went out complete, even if the app raised after it
            exchange.finish()

    def _exchange_for(self, scope: Scope, receive: Receive, send: Send) -> _Tee | None:
        """A new exchange when this request is selected and sampled, else None."""
        if self._closed or not self.config.enable_capture or not self.filter.matches(scope):
            return None
        if not self._started:
            self.start()
        try:
            if not self.writer.sample():
                return None
        except Exception:
            log.exception("data capture sampling failed; the request is served without capture")
            return None
        return _Tee(self.writer, scope["headers"], self.config.max_payload_bytes, receive, send)

    def start(self) -> None:
        """Start an owned writer (idempotent); a caller's writer is left alone."""
        if self.own_writer and not self._started:
            self._started = True
            self.writer.start()

    def close(self) -> None:
        """Close an owned writer, draining its queue (idempotent; blocks up to ``close_timeout``)."""
        if self.own_writer and self._started and not self._closed:
            self._closed = True
            self.writer.close(timeout=self.close_timeout)

    async def aclose(self) -> None:
        """``close`` in a worker thread, so the event loop keeps running while the queue drains."""
        await anyio.to_thread.run_sync(self.close)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def lifespan_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.start()
            return message

        async def lifespan_send(message: Message) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                await self.aclose()
            await send(message)

        await self.app(scope, lifespan_receive, lifespan_send)
