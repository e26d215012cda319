"""api and ui are siblings (issue 18): ``modelwatch.api.create_app`` builds the API alone, and
``modelwatch.server.create_app`` (what ``modelwatch server`` serves) installs the dashboard beside it."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from modelwatch import api, server
from modelwatch.service.db import Database

pytestmark = pytest.mark.anyio


async def _status(app: FastAPI, path: str) -> int:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))  # open mode: loopback only
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        return (await http.get(path)).status_code


async def test_the_api_alone_serves_no_dashboard(db: Database) -> None:
    app = api.create_app(db)
    assert await _status(app, "/api/v1/endpoints") == 200
    assert await _status(app, "/ui/") == 404


async def test_the_server_app_serves_the_api_and_the_dashboard(db: Database) -> None:
    app = server.create_app(db)
    assert await _status(app, "/api/v1/endpoints") == 200
    assert await _status(app, "/metrics") == 200
    assert await _status(app, "/ui/") == 200
