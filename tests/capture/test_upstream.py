"""UpstreamPool: the proxy's HTTP/1.1 client, against a real uvicorn server and scripted raw servers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import pytest
from servers import CSV_ROW, ServerThread

from modelwatch.capture.upstream import (
    UpstreamFailed,
    UpstreamPool,
    UpstreamResponse,
    UpstreamUnreachable,
    UpstreamURL,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


async def read_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


async def scripted(handler: Handler) -> tuple[asyncio.Server, str]:
    """A raw TCP server on a free loopback port that runs ``handler`` for each connection."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def body_of(pool: UpstreamPool, method: str = "GET", target: str = "/", body: Any = None) -> bytes:
    return await body_of_response(await pool.request(method, target, [], body))


async def body_of_response(response: UpstreamResponse) -> bytes:
    try:
        return b"".join([chunk async for chunk in response.read()])
    finally:
        response.release()


def test_requests_reuse_one_kept_alive_connection(upstream: ServerThread) -> None:
    async def main() -> None:
        pool = UpstreamPool(upstream.url)
        seen = set()
        for _ in range(5):
            response = await pool.request(
                "POST", "/invocations", [(b"content-type", b"text/csv")], CSV_ROW.encode()
            )
            assert response.status == 200
            assert (b"content-type", b"text/csv; charset=utf-8") in response.headers
            assert b"".join([chunk async for chunk in response.read()]) == b"0\n"
            assert response.ended
            seen.add(id(response._connection))
            response.release()
            response.release()  # idempotent
        assert len(seen) == 1 and len(pool._idle) == 1
        await pool.close()
        with pytest.raises(UpstreamFailed, match="closed"):
            await pool.request("GET", "/ping", [])

    run(main())


def test_a_streamed_body_goes_chunked_and_a_chunked_response_is_decoded(upstream: ServerThread) -> None:
    payload = bytes(range(256)) * 4000  # ~1 MB, echoed back chunked in 64 KiB pieces

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 100_000):
            yield payload[start : start + 100_000]

    async def main() -> None:
        pool = UpstreamPool(upstream.url)
        assert await body_of(pool, "POST", "/echo", chunks()) == payload
        assert await body_of(pool, "POST", "/echo", payload) == payload  # bytes: Content-Length added
        await pool.close()

    run(main())


def test_host_header_and_raw_target(upstream: ServerThread) -> None:
    async def main() -> list[list[str]]:
        pool = UpstreamPool(upstream.url)
        response = await pool.request("GET", "/headers", [(b"x-a", b"1")])
        body = b"".join([chunk async for chunk in response.read()])
        response.release()
        await pool.close()
        return list(json.loads(body))

    headers = dict(map(tuple, run(main())))
    assert headers["host"] == f"127.0.0.1:{upstream.port}"
    assert headers["x-a"] == "1"


def test_a_body_until_close_interim_responses_and_head() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_head(reader)
        if head.startswith(b"HEAD"):
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")  # no body for HEAD
            await writer.drain()
            await asyncio.sleep(0.5)
            return
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nx-b: 2\r\n\r\nuntil ")
        await writer.drain()
        writer.write(b"close")

    async def main() -> None:
        server, url = await scripted(handler)
        pool = UpstreamPool(url)
        response = await pool.request("GET", "/", [])
        assert response.status == 200 and response.headers == [(b"x-b", b"2")]
        assert b"".join([chunk async for chunk in response.read()]) == b"until close"
        response.release()
        response = await pool.request("HEAD", "/", [])
        assert (response.status, [chunk async for chunk in response.read()]) == (200, [])
        response.release()
        assert pool._idle == []  # neither connection can be reused
        server.close()

    run(main())


def test_a_stale_kept_alive_connection_is_replaced_for_a_replayable_request() -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_head(reader)
        await reader.readexactly(2)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()  # then closes, though the response said keep-alive

    async def main() -> None:
        server, url = await scripted(handler)
        pool = UpstreamPool(url)
        assert await body_of(pool, "POST", "/", b"hi") == b"ok"
        await asyncio.sleep(0.05)
        assert await body_of(pool, "POST", "/", b"hi") == b"ok"
        assert connections == 2
        server.close()

    run(main())


def test_failures_are_typed_and_name_what_happened() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_head(reader)
        if b"/garbage" in head:
            writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        elif b"/cut" in head:
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly a part")
        elif b"/silent" in head:
            await asyncio.sleep(5)
        await writer.drain()

    async def main() -> None:
        server, url = await scripted(handler)
        pool = UpstreamPool(url, read_timeout=0.3)
        with pytest.raises(UpstreamFailed, match="malformed response"):
            await pool.request("GET", "/garbage", [])
        response = await pool.request("GET", "/cut", [])
        with pytest.raises(UpstreamFailed, match="closed the connection before the response ended"):
            await body_of_response(response)
        with pytest.raises(UpstreamFailed, match=r"no response from the upstream within 0.3 s"):
            await pool.request("GET", "/silent", [])
        server.close()
        await server.wait_closed()
        with pytest.raises(UpstreamUnreachable, match=r"cannot connect to 127\.0\.0\.1:"):
            await UpstreamPool(url).request("GET", "/", [])

    run(main())


def test_an_error_from_the_request_body_is_raised_as_is(upstream: ServerThread) -> None:
    class Gone(Exception):
        pass

    async def chunks() -> AsyncIterator[bytes]:
        yield b"part"
        await asyncio.sleep(0.05)
        raise Gone

    async def main() -> None:
        pool = UpstreamPool(upstream.url)
        with pytest.raises(Gone):
            await pool.request("POST", "/echo", [], chunks())
        assert pool._idle == []
        assert await body_of(pool, "POST", "/echo", b"next") == b"next"  # the pool goes on
        await pool.close()

    run(main())


def test_bad_upstream_url() -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        UpstreamPool("ftp://example.com")


@pytest.mark.parametrize(
    ("url", "host", "port", "host_header", "path"),
    [
        ("http://127.0.0.1:8080", "127.0.0.1", 8080, "127.0.0.1:8080", ""),
        ("http://model.local/", "model.local", 80, "model.local", ""),
        ("https://model.local:443/v1/", "model.local", 443, "model.local", "/v1"),
        ("http://[::1]:9000/a%20b", "::1", 9000, "[::1]:9000", "/a%20b"),
        ("http://bücher.example:81", "bücher.example", 81, "xn--bcher-kva.example:81", ""),
    ],
)
def test_upstream_url_splits_what_a_connection_needs(
    url: str, host: str, port: int, host_header: str, path: str
) -> None:
    parsed = UpstreamURL.parse(url)
    assert (parsed.host, parsed.port, parsed.host_header, parsed.path) == (host, port, host_header, path)


@pytest.mark.parametrize(
    "url", ["ftp://x/", "http://", "127.0.0.1:8080", "http://x:99999/", "http://x:port/"]
)
def test_upstream_url_refuses_what_is_not_an_http_url(url: str) -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        UpstreamURL.parse(url)
