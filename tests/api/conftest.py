"""Fixtures of the API tests: a migrated database (SQLite, then PostgreSQL), the app over it, an
in-process client, and a few rows to act on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from api_data import T0, schedule_spec
from fastapi import FastAPI

from modelwatch.server import create_app
from modelwatch.service import endpoints, schedules
from modelwatch.service.db import Database, open_database
from modelwatch.service.schemas import EndpointSpec, ScheduleSpec

BASE = "http://testserver/api/v1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
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
def schedule(db: Database) -> str:
    """Endpoint ``churn`` with the hourly schedule ``hourly`` (created at T0); returns the schedule's name."""
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="churn"))
        schedules.create_schedule(session, ScheduleSpec.model_validate(schedule_spec()), now=T0)
    return "hourly"
