"""The API behind a real uvicorn server on a loopback port: HTTP on the wire, raw paths included."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from modelwatch.api import create_app
from modelwatch.service.db import Database


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    http = uvicorn.Server(config)
    thread = threading.Thread(target=http.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not http.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    http.should_exit = True
    thread.join(10)


def _raw_get(url: str, target: str) -> tuple[int, bytes]:
    """GET ``target`` exactly as written (no client-side normalisation of dot segments)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_the_api_over_http(server: str) -> None:
    with httpx.Client(base_url=f"{server}/api/v1", timeout=10) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert client.post("/endpoints", json={"name": "churn"}).status_code == 201
        assert [e["name"] for e in client.get("/endpoints").json()["items"]] == ["churn"]
        schedule = {
            "name": "hourly",
            "schedule_expression": "cron(0 * ? * * *)",
            "definition": {"endpoint_input": {"endpoint_name": "churn"}},
        }
        assert client.post("/schedules", json=schedule).status_code == 201
        window = {"window_start": "2026-03-01T09:00:00Z", "window_end": "2026-03-01T10:00:00Z"}
        run = client.post("/schedules/hourly/executions", json=window)
        assert run.status_code == 201
        execution_id = run.json()["id"]
        assert client.get(f"/executions/{execution_id}").json()["files"] == {}

        def chunks() -> Iterator[bytes]:
            yield b'{"name": "x", "data_capture_config": {"pad": "'
            for _ in range(17):
                yield b"x" * 65536
            yield b'"}}'

        too_big = client.post("/endpoints", content=chunks(), headers={"Content-Type": "application/json"})
        assert too_big.status_code == 413
        assert too_big.json()["error"]["type"] == "RequestTooLarge"
    for target in (
        f"/api/v1/executions/{execution_id}/files/../../../../../../../../etc/passwd",
        f"/api/v1/executions/{execution_id}/files/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        f"/api/v1/executions/{execution_id}/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/api/v1/../../../../etc/passwd",
    ):
        status, body = _raw_get(server, target)
        assert status == 404, (target, body)
        assert b"root:" not in body
