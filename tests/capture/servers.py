"""Real servers for the capture tests and the capture benchmark.

* ``build_model_app``: a FastAPI app serving a scikit-learn ``LogisticRegression`` trained on iris:
  ``POST /invocations`` takes CSV rows (``text/csv``) or ``{"instances": [[...], ...]}``
  (``application/json``) and answers CSV / JSON predictions; any other content type (or none) is
  echoed back as is. ``POST /echo`` streams the request body back (no Content-Length);
  ``GET /ping`` answers ``ok``; ``GET /headers`` answers the request headers as JSON.
* ``ServerThread``: a uvicorn server in a background thread on a free loopback port; ``stop()``
  shuts it down gracefully (lifespan shutdown included).
* ``mixed_request`` / ``send_all``: a mixed CSV / JSON / binary load with distinct inference ids.
* ``read_records`` / ``records_by_id``: every record of the capture files under a folder.
* Run as a script (``python tests/capture/servers.py --mode plain|middleware|proxy ...``) it serves
  one of three set-ups in its own process; SIGTERM stops it gracefully and, with
  ``--counters-file``, the writer's final counters are written there as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import socket
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from starlette.types import Receive, Scope, Send

from modelwatch.capture.config import DataCaptureConfig
from modelwatch.capture.middleware import CaptureMiddleware
from modelwatch.capture.proxy import GracefulServer, serve_proxy
from modelwatch.capture.writer import CaptureWriter

ENDPOINT = "churn"
VARIANT = "AllTraffic"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@functools.cache
def model() -> LogisticRegression:
    """A LogisticRegression fitted on iris (cached per process)."""
    data = load_iris()
    return LogisticRegression(max_iter=1000).fit(data.data, data.target)


def _csv_rows(body: bytes) -> np.ndarray:
    lines = [line for line in body.decode("utf-8").splitlines() if line.strip()]
    return np.array([[float(value) for value in line.split(",")] for line in lines])


class StreamingEcho:
    """Raw ASGI endpoint: reads the whole request body, then streams it back in 64 KiB chunks.

    (It reads first, like a model server does: httpx, and so the proxy, sends the whole request
    before it reads the response.)
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = [(b"content-type", b"application/octet-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        step = 64 * 1024
        for start in range(0, len(body), step):
            await send(
                {"type": "http.response.body", "body": bytes(body[start : start + step]), "more_body": True}
            )
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def build_model_app() -> FastAPI:
    """The iris model server (see the module docstring)."""
    app = FastAPI()
    estimator = model()

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        body = await request.body()
        content_type = request.headers.get("content-type")
        media = (content_type or "").split(";")[0].strip().lower()
        try:
            if media == "text/csv":
                predictions = estimator.predict(_csv_rows(body))
                return PlainTextResponse("".join(f"{int(p)}\n" for p in predictions), media_type="text/csv")
            if media == "application/json":
                rows = np.array(json.loads(body)["instances"], dtype=float)
                return JSONResponse({"predictions": [int(p) for p in estimator.predict(rows)]})
        except (ValueError, KeyError, TypeError) as error:  # UnicodeDecodeError is a ValueError
            return JSONResponse({"error": f"cannot parse the request: {error}"}, status_code=400)
        return Response(body, media_type=content_type or "application/octet-stream")

    app.add_route("/echo", StreamingEcho(), methods=["POST"])

    @app.get("/ping")
    async def ping() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/headers")
    async def headers(request: Request) -> JSONResponse:
        return JSONResponse([[key, value] for key, value in request.headers.items()])

    return app


class ServerThread:
    """A uvicorn server for ``app`` in a daemon thread on ``127.0.0.1:<free port>``."""

    def __init__(self, app: Any, **options: Any) -> None:
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
        self._setup(uvicorn.Server(config))

    @classmethod
    def of(cls, server: uvicorn.Server) -> ServerThread:
        """A thread for an already configured uvicorn ``server``."""
        thread = cls.__new__(cls)
        thread._setup(server)
        return thread

    def _setup(self, server: uvicorn.Server) -> None:
        self.server = server
        self.port = server.config.port
        self.url = f"http://{server.config.host}:{self.port}"
        self._thread = threading.Thread(target=server.run, daemon=True)

    def start(self) -> ServerThread:
        """Start the server and wait until it accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Graceful shutdown: in-flight requests finish, then the lifespan shutdown runs."""
        self.server.should_exit = True
        self._thread.join(60)
        if self._thread.is_alive():
            raise RuntimeError(f"uvicorn on {self.url} did not stop")

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_until_up(url: str, timeout: float = 60.0) -> None:
    """Wait until ``GET {url}/ping`` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ping", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


CSV_ROW = "5.1,3.5,1.4,0.2\n"
Record = dict[str, Any]


def read_records(root: Path) -> list[tuple[Path, Record]]:
    """Every record of every capture file under ``root`` (each line must parse)."""
    found: list[tuple[Path, Record]] = []
    for path in sorted(root.rglob("*.jsonl")):
        text = path.read_text(encoding="utf-8")
        assert text == "" or text.endswith("\n"), f"{path} does not end with a newline"
        found.extend((path, json.loads(line)) for line in text.splitlines())
    return found


def records_by_id(root: Path) -> dict[str, list[tuple[Path, Record]]]:
    """Records under ``root`` grouped by ``eventMetadata.inferenceId``."""
    grouped: dict[str, list[tuple[Path, Record]]] = defaultdict(list)
    for path, record in read_records(root):
        grouped[record["eventMetadata"].get("inferenceId", "")].append((path, record))
    return grouped


def mixed_request(i: int) -> tuple[bytes, str, dict[str, str]]:
    """Request ``i`` of a mixed load: (body, content type, headers); CSV, JSON or binary by turn."""
    kind = i % 3
    if kind == 0:
        body, content_type = (
            f"{4.5 + (i % 30) / 10:.1f},3.0,{1 + (i % 50) / 10:.1f},0.2\n".encode(),
            "text/csv",
        )
    elif kind == 1:
        body, content_type = (
            json.dumps({"instances": [[6.7, 3.0, 5.2, 2.3], [5.0, 3.4, 1.5, 0.2]]}).encode(),
            ("application/json"),
        )
    else:
        body, content_type = os.urandom(16 + i % 64), "application/octet-stream"
    id_header = "X-Amzn-SageMaker-Inference-Id" if i % 2 else "X-Inference-Id"
    headers = {"Content-Type": content_type, id_header: f"req-{i}"}
    if i % 5 == 0:
        headers["X-Amzn-SageMaker-Custom-Attributes"] = f"trace={i}"
    return body, content_type, headers


async def send_all(
    url: str, requests: list[tuple[str, bytes, dict[str, str]]], concurrency: int = 16
) -> list[httpx.Response]:
    """POST ``(path, body, headers)`` requests with ``concurrency`` in flight; the responses in order."""
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:

        async def one(path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
            async with limit:
                return await client.post(path, content=body, headers=headers)

        return await asyncio.gather(*(one(*request) for request in requests))


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("plain", "middleware", "proxy"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--destination", help="capture destination (middleware, proxy)")
    parser.add_argument("--upstream", help="upstream URL (proxy)")
    parser.add_argument("--sampling", type=float, default=100.0)
    parser.add_argument("--flush-seconds", type=float, default=1.0)
    parser.add_argument("--queue-size", type=int, default=10_000)
    parser.add_argument("--counters-file", type=Path)
    parser.add_argument(
        "--writer", choices=("process", "thread"), default="process", help="the middleware's writer"
    )
    args = parser.parse_args()

    counters: dict[str, Any] | None = None
    if args.mode == "plain":
        uvicorn.run(build_model_app(), host="127.0.0.1", port=args.port, log_level="warning")
    else:
        config = DataCaptureConfig(
            destination_uri=args.destination,
            sampling_percentage=args.sampling,
            flush_seconds=args.flush_seconds,
            queue_size=args.queue_size,
        )
        if args.mode == "middleware":
            writer = CaptureWriter(
                config, endpoint=ENDPOINT, variant=VARIANT, process=args.writer == "process"
            )
            app = build_model_app()
            app.add_middleware(CaptureMiddleware, writer=writer, own_writer=True, paths=("/invocations",))
            server = GracefulServer(
                uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning")
            )
            server.run()  # returns after a graceful SIGTERM shutdown (plain uvicorn re-raises the signal)
            counters = writer.counters.snapshot()
        else:
            counters = serve_proxy(ENDPOINT, VARIANT, args.upstream, f"127.0.0.1:{args.port}", config)
    if args.counters_file is not None:
        args.counters_file.write_text(json.dumps(counters))


if __name__ == "__main__":
    _main()
