"""Fixtures of the client CLI tests: a real uvicorn server on a free loopback port, in a thread.

``server`` serves ``create_app(open_database())`` (SQLite under ``data_dir``), sets ``MODELWATCH_URL``
to it and yields a :class:`Served`; ``server_with_scheduler`` also runs a scheduler and a job runner,
so baselining jobs and executions really run. ``cli`` invokes ``modelwatch`` with a ``CliRunner``.
"""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from cli_helpers import Cli, Served, free_port
from typer.testing import CliRunner, Result

from modelwatch.cli import app
from modelwatch.cli_client import common as cli_common
from modelwatch.server import create_app
from modelwatch.service.db import Database, open_database
from modelwatch.service.runner import Runner
from modelwatch.service.scheduler import Scheduler


def _serve(db: Database, *, scheduled: bool) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(db), host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    http = uvicorn.Server(config)
    thread = threading.Thread(target=http.run, name="api", daemon=True)
    thread.start()
    runner = Runner(db, capacity=2, poll_seconds=0.05) if scheduled else None
    loop = Scheduler(db, runner, interval=0.2) if runner is not None else None
    loop_thread = threading.Thread(target=loop.run_forever, daemon=True) if loop is not None else None
    if loop_thread is not None:
        loop_thread.start()
    deadline = time.monotonic() + 30
    while not http.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        http.should_exit = True
        thread.join(10)
        if loop is not None and runner is not None and loop_thread is not None:
            loop.stop()
            loop_thread.join(10)
            runner.shutdown(timeout=10)


@pytest.fixture
def database(data_dir: Path) -> Iterator[Database]:
    db = open_database()
    yield db
    db.dispose()


def _served(database: Database, monkeypatch: pytest.MonkeyPatch, scheduled: bool) -> Iterator[Served]:
    monkeypatch.delenv("MODELWATCH_TOKEN", raising=False)
    for url in _serve(database, scheduled=scheduled):
        monkeypatch.setenv("MODELWATCH_URL", url)
        yield Served(url, database)


@pytest.fixture
def server(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    yield from _served(database, monkeypatch, scheduled=False)


@pytest.fixture
def server_with_scheduler(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setattr(cli_common, "POLL_SECONDS", 0.1)
    yield from _served(database, monkeypatch, scheduled=True)


@pytest.fixture
def cli() -> Cli:
    """``cli("endpoints list --json", *more_args, code=0)``: runs ``modelwatch`` (the first argument split
    as a shell would) and checks the exit code."""
    runner = CliRunner()

    def invoke(command: str, *args: str, code: int | None = 0) -> Result:
        result = runner.invoke(app, [*shlex.split(command), *args])
        if code is not None:
            assert result.exit_code == code, (
                result.exit_code,
                result.stdout,
                result.stderr,
                result.exception,
            )
        return result

    return invoke
