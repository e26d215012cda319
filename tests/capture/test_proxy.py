"""ProxyApp / serve_proxy: transparent, streaming, captures each exchange once, 502 when upstream is down."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servers import (
    CSV_ROW,
    ENDPOINT,
    ServerThread,
    free_port,
    mixed_request,
    read_records,
    records_by_id,
    send_all,
    wait_until_up,
)

from modelwatch.capture.config import DataCaptureConfig
from modelwatch.capture.proxy import (
    ProxyApp,
    build_proxy_server,
    end_to_end_headers,
    parse_listen,
)
from modelwatch.capture.writer import CaptureWriter
from modelwatch.errors import ConfigurationError

SERVERS = Path(__file__).with_name("servers.py")


def start_proxy(upstream_url: str, config: DataCaptureConfig, **options: object) -> ServerThread:
    server, _ = build_proxy_server(
        ENDPOINT, "AllTraffic", upstream_url, f"127.0.0.1:{free_port()}", config, **options
    )
    return ServerThread.of(server).start()


def test_responses_are_identical_to_direct_calls_and_captured_once(
    tmp_path: Path, upstream: ServerThread
) -> None:
    config = DataCaptureConfig(destination_uri=str(tmp_path), flush_seconds=0.2)
    cases: list[tuple[str, str, bytes, dict[str, str]]] = [
        ("POST", "/invocations", CSV_ROW.encode(), {"Content-Type": "text/csv", "X-Inference-Id": "csv"}),
        (
            "POST",
            "/invocations?x=1&y=a%20b",
            b'{"instances": [[6.7, 3.0, 5.2, 2.3]]}',
            {"Content-Type": "application/json", "X-Inference-Id": "json"},
        ),
        (
            "POST",
            "/invocations",
            b"\x00\x01\xff binary",
            {"Content-Type": "image/png", "X-Inference-Id": "png"},
        ),
        ("POST", "/invocations", b"no type at all", {"X-Inference-Id": "untyped"}),
        (
            "POST",
            "/invocations",
            b"1,2,\xff\xfe\n",
            {"Content-Type": "text/csv", "X-Inference-Id": "not-utf8"},
        ),
        ("POST", "/invocations", b"", {"Content-Type": "text/csv", "X-Inference-Id": "empty"}),
        ("POST", "/nowhere", b"x", {"X-Inference-Id": "404"}),
        ("GET", "/ping", b"", {}),
        ("GET", "/nowhere", b"", {}),
    ]
    proxy = start_proxy(upstream.url, config, paths=("/invocations",))
    try:
        for method, path, body, headers in cases:
            direct = httpx.request(method, upstream.url + path, content=body, headers=headers)
            proxied = httpx.request(method, proxy.url + path, content=body, headers=headers)
            assert (proxied.status_code, proxied.content) == (direct.status_code, direct.content), path
            assert proxied.headers.get("content-type") == direct.headers.get("content-type")
            assert proxied.headers.get("server") == "uvicorn"  # the upstream's, once
            assert len(proxied.headers.get_list("date")) == 1
        load = [("/invocations", body, headers) for body, _, headers in map(mixed_request, range(600))]
        responses = asyncio.run(send_all(proxy.url, load))
        assert all(response.status_code == 200 for response in responses)
    finally:
        proxy.stop()

    grouped = records_by_id(tmp_path)
    expected = {"csv", "json", "png", "untyped", "not-utf8", "empty"} | {f"req-{i}" for i in range(600)}
    assert set(grouped) == expected
    assert all(len(found) == 1 for found in grouped.values())
    untyped = grouped["untyped"][0][1]["captureData"]["endpointInput"]
    assert untyped == {
        "mode": "INPUT",
        "data": base64.b64encode(b"no type at all").decode(),
        "encoding": "BASE64",
    }
    not_utf8 = grouped["not-utf8"][0][1]["captureData"]
    assert not_utf8["endpointInput"]["encoding"] == "BASE64"
    assert base64.b64decode(not_utf8["endpointInput"]["data"]) == b"1,2,\xff\xfe\n"
    assert json.loads(not_utf8["endpointOutput"]["data"])["error"].startswith("cannot parse")
    assert grouped["json"][0][1]["captureData"]["endpointOutput"]["encoding"] == "JSON"


def test_headers_host_and_hop_by_hop(upstream: ServerThread, tmp_path: Path) -> None:
    proxy = start_proxy(upstream.url, DataCaptureConfig(destination_uri=str(tmp_path)))
    try:
        headers = {"Connection": "keep-alive, x-hop", "X-Hop": "1", "X-Keep": "2", "Keep-Alive": "timeout=5"}
        response = httpx.get(f"{proxy.url}/headers", headers=headers)
    finally:
        proxy.stop()
    seen = dict(response.json())
    assert seen["host"] == f"127.0.0.1:{upstream.port}"
    assert seen["x-forwarded-host"] == f"127.0.0.1:{proxy.port}"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-keep"] == "2"
    assert "x-hop" not in seen
    assert "keep-alive" not in seen
    assert end_to_end_headers([(b"TE", b"trailers"), (b"X-A", b"1")]) == [(b"x-a", b"1")]


def test_a_10_mb_body_streams_through_and_its_capture_is_truncated(
    upstream: ServerThread, tmp_path: Path
) -> None:
    limit = 1024 * 1024
    config = DataCaptureConfig(destination_uri=str(tmp_path), max_payload_bytes=limit)
    body = os.urandom(10 * 1024 * 1024)

    def chunks() -> Iterator[bytes]:  # sent chunked, without Content-Length
        for start in range(0, len(body), 256 * 1024):
            yield body[start : start + 256 * 1024]

    proxy = start_proxy(upstream.url, config)
    try:
        sized = httpx.post(f"{proxy.url}/echo", content=body, headers={"X-Inference-Id": "sized"}, timeout=60)
        chunked = httpx.post(
            f"{proxy.url}/echo", content=chunks(), headers={"X-Inference-Id": "chunked"}, timeout=60
        )
    finally:
        proxy.stop()
    assert sized.status_code == chunked.status_code == 200
    assert sized.content == body
    assert chunked.content == body
    grouped = records_by_id(tmp_path)
    for inference_id in ("sized", "chunked"):
        [(_, record)] = grouped[inference_id]
        assert record["eventMetadata"]["truncated"] is True
        for side in ("endpointInput", "endpointOutput"):
            assert base64.b64decode(record["captureData"][side]["data"]) == body[:limit]


def test_an_unreachable_upstream_answers_502_and_records_nothing(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    writer = CaptureWriter(DataCaptureConfig(destination_uri=str(tmp_path)), endpoint=ENDPOINT)
    with ServerThread(ProxyApp(dead, writer), lifespan="on") as proxy:
        response = httpx.post(
            f"{proxy.url}/invocations", content=CSV_ROW, headers={"Content-Type": "text/csv"}
        )
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"].startswith(f"upstream {dead} unreachable: ")
    assert list(tmp_path.rglob("*.jsonl")) == []
    assert writer.counters.snapshot()["captured"] == 0


def test_a_plain_proxy_without_writer(upstream: ServerThread) -> None:
    with ServerThread(ProxyApp(upstream.url + "/"), lifespan="on") as proxy:
        response = httpx.post(
            f"{proxy.url}/invocations", content=CSV_ROW, headers={"Content-Type": "text/csv"}
        )
    assert response.status_code == 200


def test_serve_proxy_shuts_down_gracefully_on_sigterm(tmp_path: Path, upstream: ServerThread) -> None:
    port = free_port()
    counters_file = tmp_path / "counters.json"
    destination = tmp_path / "capture"
    command = [
        sys.executable,
        str(SERVERS),
        "--mode",
        "proxy",
        "--port",
        str(port),
        "--upstream",
        upstream.url,
    ]
    command += ["--destination", str(destination), "--counters-file", str(counters_file)]
    process = subprocess.Popen(command)
    try:
        wait_until_up(f"http://127.0.0.1:{port}")
        load = [("/invocations", body, headers) for body, _, headers in map(mixed_request, range(300))]
        responses = asyncio.run(send_all(f"http://127.0.0.1:{port}", load))
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    assert all(response.status_code == 200 for response in responses)
    assert len(read_records(destination)) == 300
    counters = json.loads(counters_file.read_text())
    assert counters["captured"] == 300
    assert counters["dropped"] == 0


def test_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="upstream"):
        ProxyApp("ftp://example.com")
    with pytest.raises(ConfigurationError, match="listen"):
        parse_listen("localhost")
    assert parse_listen("0.0.0.0:8080") == ("0.0.0.0", 8080)
    assert parse_listen(":9000") == ("127.0.0.1", 9000)
    assert parse_listen("[::1]:9000") == ("::1", 9000)
