"""Fixtures of the dashboard tests: a migrated SQLite database under a fresh data folder, the app over
it, an in-process client (httpx over ASGI), and demo-like data (``ui_data.build``)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from ui_data import Demo, build

from modelwatch.server import create_app
from modelwatch.service.db import Database, open_database

BASE = "http://testserver"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at the latest schema, migrated once; tests start from copies of it."""
    path = tmp_path_factory.mktemp("template") / "modelwatch.db"
    open_database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def db(data_dir: Path, migrated_file: Path) -> Iterator[Database]:
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_file, data_dir / "modelwatch.db")
    database = open_database(f"sqlite:///{data_dir / 'modelwatch.db'}")
    yield database
    database.dispose()


@pytest.fixture
def app(db: Database) -> FastAPI:
    return create_app(db, allowed_hosts=["testserver"])  # the test clients' host name


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as http:
        yield http


@pytest.fixture
def demo(db: Database, data_dir: Path) -> Demo:
    return build(db, data_dir / "files")
