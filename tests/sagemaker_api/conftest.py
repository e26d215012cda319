"""A real ``modelwatch server`` app on loopback (uvicorn in a thread, a job runner attached) and boto3
clients pointed at it: what SageMaker's own clients see."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import uvicorn
from botocore.config import Config

from modelwatch.server import create_app
from modelwatch.service.db import Database, open_database
from modelwatch.service.runner import Runner

REGION = "eu-west-1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def db(data_dir: Any) -> Iterator[Database]:
    data_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(f"sqlite:///{data_dir / 'modelwatch.db'}")
    yield database
    database.dispose()


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    """The server's URL; executions and processing jobs started through it run in a real job runner."""
    runner = Runner(db)
    port = _free_port()
    config = uvicorn.Config(
        create_app(db, scheduler_runner=runner),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
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
    runner.shutdown(timeout=10)


ClientFactory = Callable[..., Any]


@pytest.fixture
def sagemaker_client(server: str) -> ClientFactory:
    """``sagemaker_client(key=..., secret=..., region=..., path=..., service=...)``: a boto3 client of the
    server (no retries, so an error is seen at once)."""

    def make(
        *,
        key: str = "AKIAEXAMPLEEXAMPLE00",
        secret: str = "secret",
        token: str | None = None,
        region: str = REGION,
        path: str = "",
        service: str = "sagemaker",
    ) -> Any:
        return boto3.client(
            service,
            endpoint_url=server + path,
            region_name=region,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    return make
