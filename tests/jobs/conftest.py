"""A real modelwatch server on loopback (uvicorn in a thread, a job runner attached) for the job tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from modelwatch.server import create_app
from modelwatch.service.db import Database, open_database
from modelwatch.service.runner import Runner


@pytest.fixture
def db(data_dir: Path) -> Iterator[Database]:
    data_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(f"sqlite:///{data_dir / 'modelwatch.db'}")
    yield database
    database.dispose()


@pytest.fixture
def server(db: Database) -> Iterator[str]:
    """The server's URL; executions run in a real job runner."""
    runner = Runner(db, poll_seconds=0.05)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        create_app(db, scheduler_runner=runner), host="127.0.0.1", port=port, log_level="warning"
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
