"""CaptureMiddleware: every sampled request recorded exactly once, right fields, and never in the way."""

from __future__ import annotations

import asyncio
import base64
import math
import os
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from servers import (
    CSV_ROW,
    ENDPOINT,
    VARIANT,
    ServerThread,
    build_model_app,
    mixed_request,
    read_records,
    records_by_id,
    send_all,
)

from modelwatch.capture.config import CaptureMode, DataCaptureConfig
from modelwatch.capture.middleware import CaptureMiddleware, Exchange, RequestFilter, header_value
from modelwatch.capture.writer import CaptureWriter
from modelwatch.errors import ConfigurationError, StorageError


def expected_data(body: bytes, encoding: str) -> str:
    return base64.b64encode(body).decode() if encoding == "BASE64" else body.decode()


def test_every_request_is_captured_exactly_once_with_its_fields(tmp_path: Path) -> None:
    app = build_model_app()
    app.add_middleware(
        CaptureMiddleware,
        endpoint=ENDPOINT,
        config=DataCaptureConfig(destination_uri=str(tmp_path), flush_seconds=0.2),
        paths=("/invocations",),
    )
    count = 2000
    sent = [mixed_request(i) for i in range(count)]
    with ServerThread(app) as server:
        responses = asyncio.run(send_all(server.url, [("/invocations", b, h) for b, _, h in sent]))
        not_captured = httpx.get(f"{server.url}/ping"), httpx.post(f"{server.url}/echo", content=b"x")
    assert all(r.status_code == 200 for r in (*responses, *not_captured))

    grouped = records_by_id(tmp_path)
    assert sorted(grouped) == sorted(f"req-{i}" for i in range(count))
    encodings = {"text/csv": "CSV", "application/json": "JSON", "application/octet-stream": "BASE64"}
    for i, ((body, content_type, headers), response) in enumerate(zip(sent, responses, strict=True)):
        [(path, record)] = grouped[f"req-{i}"]
        encoding = encodings[content_type]
        assert record["captureData"]["endpointInput"] == {
            "observedContentType": content_type,
            "mode": "INPUT",
            "data": expected_data(body, encoding),
            "encoding": encoding,
        }
        output = record["captureData"]["endpointOutput"]
        assert output["observedContentType"] == response.headers["content-type"]
        assert output["mode"] == "OUTPUT"
        assert output["data"] == expected_data(response.content, output["encoding"])
        assert output["encoding"] == encoding
        metadata = record["eventMetadata"]
        assert metadata.get("customAttributes") == headers.get("X-Amzn-SageMaker-Custom-Attributes")
        assert record["eventVersion"] == "0"
        assert "truncated" not in metadata
        hour_folder = path.relative_to(tmp_path).parts
        assert hour_folder[:2] == (ENDPOINT, VARIANT)
        assert "-".join(hour_folder[2:5]) + "T" + hour_folder[5] == metadata["inferenceTime"][:13]
    csv_output = grouped["req-0"][0][1]["captureData"]["endpointOutput"]
    assert csv_output["observedContentType"] == "text/csv; charset=utf-8"
    assert csv_output["data"] in ("0\n", "1\n", "2\n")


def asgi_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://model")


def run_in_process(
    writer: CaptureWriter, requests: list[tuple[str, bytes, dict[str, str]]], **middleware: Any
) -> list[httpx.Response]:
    """Serve ``requests`` in process through the middleware with a caller-owned ``writer``."""
    app = build_model_app()
    app.add_middleware(CaptureMiddleware, writer=writer, **middleware)

    async def go() -> list[httpx.Response]:
        async with asgi_client(app) as client:
            return [
                await client.post(path, content=body, headers=headers) for path, body, headers in requests
            ]

    return asyncio.run(go())


def test_sampling_captures_the_configured_fraction(tmp_path: Path) -> None:
    count, percentage = 3000, 20.0
    config = DataCaptureConfig(destination_uri=str(tmp_path), sampling_percentage=percentage)
    requests = [
        ("/invocations", CSV_ROW.encode(), {"Content-Type": "text/csv", "X-Inference-Id": str(i)})
        for i in range(count)
    ]
    with CaptureWriter(config, endpoint=ENDPOINT) as writer:
        responses = run_in_process(writer, requests)
    assert all(r.status_code == 200 for r in responses)
    captured = len(read_records(tmp_path))
    sigma = math.sqrt(count * 0.2 * 0.8)
    assert abs(captured - count * 0.2) <= 5 * sigma
    counters = writer.counters.snapshot()
    assert counters["captured"] == captured
    assert counters["captured"] + counters["sampled_out"] == count


def test_only_selected_methods_and_paths_are_captured(tmp_path: Path) -> None:
    config = DataCaptureConfig(destination_uri=str(tmp_path))
    app = FastAPI()

    @app.api_route("/invocations", methods=["GET", "POST", "PUT", "PATCH"])
    async def anything() -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/other")
    async def other() -> dict[str, str]:
        return {"ok": "yes"}

    async def go() -> None:
        async with asgi_client(app) as client:
            for method in ("GET", "POST", "PUT", "PATCH"):
                response = await client.request(method, "/invocations", headers={"X-Inference-Id": method})
                assert response.status_code == 200
            assert (await client.post("/other", headers={"X-Inference-Id": "other"})).status_code == 200

    with CaptureWriter(config, endpoint=ENDPOINT) as writer:
        app.add_middleware(CaptureMiddleware, writer=writer, paths=("/invocations",))
        asyncio.run(go())
    assert sorted(records_by_id(tmp_path)) == ["POST", "PUT"]


def test_payloads_past_the_limit_are_truncated_but_served_whole(tmp_path: Path) -> None:
    config = DataCaptureConfig(destination_uri=str(tmp_path), max_payload_bytes=1000)
    body = os.urandom(5000)
    with CaptureWriter(config, endpoint=ENDPOINT) as writer:
        [response] = run_in_process(
            writer,
            [("/invocations", body, {"Content-Type": "application/octet-stream", "X-Inference-Id": "big"})],
        )
    assert response.content == body
    [(_, record)] = read_records(tmp_path)
    for side in ("endpointInput", "endpointOutput"):
        assert base64.b64decode(record["captureData"][side]["data"]) == body[:1000]
    assert record["eventMetadata"]["truncated"] is True
    assert writer.counters.snapshot()["truncated"] == 1


def test_input_only_mode_and_missing_content_type(tmp_path: Path) -> None:
    config = DataCaptureConfig(destination_uri=str(tmp_path), capture_modes=frozenset({CaptureMode.INPUT}))
    with CaptureWriter(config, endpoint=ENDPOINT) as writer:
        [response] = run_in_process(writer, [("/invocations", b"\xff\xfe raw", {})])
    assert response.status_code == 200
    [(_, record)] = read_records(tmp_path)
    assert record["captureData"] == {
        "endpointInput": {
            "mode": "INPUT",
            "data": base64.b64encode(b"\xff\xfe raw").decode(),
            "encoding": "BASE64",
        }
    }


def test_capture_failures_never_affect_the_response(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = DataCaptureConfig(destination_uri=str(tmp_path))

    def broken(**_: Any) -> bool:
        raise RuntimeError("disk on fire")

    with CaptureWriter(config, endpoint=ENDPOINT) as writer:
        writer.capture = broken  # type: ignore[method-assign]
        [response] = run_in_process(
            writer, [("/invocations", CSV_ROW.encode(), {"Content-Type": "text/csv"})]
        )
    assert response.status_code == 200
    assert response.text in ("0\n", "1\n", "2\n")
    assert "data capture failed" in caplog.text
    assert read_records(tmp_path) == []


def test_an_app_error_records_nothing(tmp_path: Path) -> None:
    app = FastAPI()

    @app.post("/invocations")
    async def fail() -> None:
        raise RuntimeError("model crashed")

    with CaptureWriter(DataCaptureConfig(destination_uri=str(tmp_path)), endpoint=ENDPOINT) as writer:
        app.add_middleware(CaptureMiddleware, writer=writer)

        async def go() -> int:
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:
                return (await client.post("/invocations", content=b"1,2")).status_code

        assert asyncio.run(go()) == 500
    assert read_records(tmp_path) == []


def test_the_request_is_captured_when_the_app_answers_before_reading_it_or_raises_after(
    tmp_path: Path,
) -> None:
    seen: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        # answers first: the middleware reads the body for the capture, the app still gets it after
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]}
        )
        await send({"type": "http.response.body", "body": b"ok\n"})
        seen.append((await receive())["body"])
        if scope["path"] == "/raises-after":  # the response went out complete: it is recorded
            raise RuntimeError("background task failed")

    async def go(writer: CaptureWriter) -> list[int]:
        transport = httpx.ASGITransport(
            app=CaptureMiddleware(app, writer=writer, paths=None), raise_app_exceptions=False
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:
            return [
                (
                    await client.post(
                        path, content=body, headers={"X-Inference-Id": path, "Content-Type": "text/csv"}
                    )
                ).status_code
                for path, body in (("/answers-first", b"1,2\n"), ("/raises-after", b"3,4\n"))
            ]

    with CaptureWriter(DataCaptureConfig(destination_uri=str(tmp_path)), endpoint=ENDPOINT) as writer:
        assert asyncio.run(go(writer)) == [200, 200]
    assert seen == [b"1,2\n", b"3,4\n"]
    records = {key: [record for _, record in found] for key, found in records_by_id(tmp_path).items()}
    assert {
        key: [r["captureData"]["endpointInput"]["data"] for r in found] for key, found in records.items()
    } == {
        "/answers-first": ["1,2\n"],
        "/raises-after": ["3,4\n"],
    }
    assert {r["captureData"]["endpointOutput"]["data"] for [r] in records.values()} == {"ok\n"}


def test_disk_guard_pauses_capture_but_not_the_endpoint(tmp_path: Path) -> None:
    config = DataCaptureConfig(destination_uri=str(tmp_path), disk_usage_limit=0.0001)
    writer = CaptureWriter(config, endpoint=ENDPOINT)
    app = build_model_app()
    app.add_middleware(CaptureMiddleware, writer=writer, own_writer=True)
    requests = [("/invocations", CSV_ROW.encode(), {"Content-Type": "text/csv"})] * 20
    with ServerThread(app) as server:
        responses = asyncio.run(send_all(server.url, requests))
    assert [(r.status_code, r.text) for r in responses] == [(200, responses[0].text)] * 20
    assert list(tmp_path.rglob("*.jsonl")) == []
    counters = writer.counters.snapshot()
    assert counters["paused"] == 20
    assert counters["captured"] == 0


def test_a_client_that_leaves_mid_body_is_not_recorded(tmp_path: Path) -> None:
    writer = CaptureWriter(DataCaptureConfig(destination_uri=str(tmp_path)), endpoint=ENDPOINT)
    app = build_model_app()
    app.add_middleware(CaptureMiddleware, writer=writer, own_writer=True)
    with ServerThread(app) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(
                b"POST /invocations HTTP/1.1\r\nHost: model\r\nContent-Type: text/csv\r\n"
                b"X-Inference-Id: gone\r\nContent-Length: 100000\r\n\r\n5.1,3.5,"
            )
        response = httpx.post(
            f"{server.url}/invocations",
            content=CSV_ROW,
            headers={"Content-Type": "text/csv", "X-Inference-Id": "ok"},
        )
        assert response.status_code == 200
    assert sorted(records_by_id(tmp_path)) == ["ok"]


def test_configuration_errors(tmp_path: Path) -> None:
    app = FastAPI()
    config = DataCaptureConfig(destination_uri=str(tmp_path))
    with pytest.raises(ConfigurationError, match="exactly one"):
        CaptureMiddleware(app, endpoint=ENDPOINT)
    with pytest.raises(ConfigurationError, match="exactly one"):
        CaptureMiddleware(
            app, endpoint=ENDPOINT, config=config, writer=CaptureWriter(config, endpoint=ENDPOINT)
        )
    with pytest.raises(ConfigurationError, match="endpoint"):
        CaptureMiddleware(app, config=config)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError):
        CaptureMiddleware(
            app, endpoint=ENDPOINT, config=DataCaptureConfig(destination_uri=str(blocker / "x"))
        )


def test_helpers() -> None:
    headers = [(b"X-Inference-Id", b"b"), (b"x-amzn-sagemaker-inference-id", b"a"), (b"x-inference-id", b"c")]
    assert header_value(headers, b"x-amzn-sagemaker-inference-id", b"x-inference-id") == "a"
    assert header_value(headers, b"x-inference-id") == "b"
    assert header_value(headers, b"content-type") is None
    scope = {"type": "http", "method": "POST", "path": "/invocations"}
    assert RequestFilter().matches(scope)
    assert not RequestFilter(paths=("/predict",)).matches(scope)
    assert not RequestFilter(methods=("put",)).matches(scope)
    assert not RequestFilter().matches({"type": "websocket", "path": "/invocations"})


def test_exchange_keeps_one_byte_past_the_limit_and_records_once(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    class Recorder:
        def capture(self, **kwargs: Any) -> bool:
            calls.append(kwargs)
            return True

    exchange = Exchange(Recorder(), [(b"content-type", b"text/csv")], max_payload_bytes=4)  # type: ignore[arg-type]
    exchange.observe_receive({"type": "http.request", "body": b"abc", "more_body": True})
    exchange.observe_receive({"type": "http.request", "body": b"defgh", "more_body": False})
    exchange.observe_send({"type": "http.response.start", "status": 200, "headers": []})
    assert not exchange.finish()  # the response is not complete yet
    exchange.observe_send({"type": "http.response.body", "body": b"xy", "more_body": False})
    assert exchange.finish()
    assert not exchange.finish()
    [call] = calls
    assert call["request_body"] == b"abcde"
    assert call["response_body"] == b"xy"
    assert call["request_content_type"] == "text/csv"
    assert call["response_content_type"] is None
