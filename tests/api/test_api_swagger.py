"""``/docs`` and ``/openapi.json`` follow the token rule, and Swagger UI comes from the package: every URL
of the page is local and answers (probe item 13: they answered without a token, and /docs loaded Swagger
UI from a CDN)."""

from __future__ import annotations

import re

import httpx
import pytest

from modelwatch.service import tokens
from modelwatch.service.db import Database

pytestmark = pytest.mark.anyio

ROOT = "http://testserver"


async def test_swagger_ui_is_served_from_the_package(client: httpx.AsyncClient) -> None:
    page = await client.get(f"{ROOT}/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text) + re.findall(
        r"""url: *["']([^"']+)["']""", page.text
    )
    assert len(urls) >= 4, urls  # the script, the stylesheet, the icon, the schema
    assert "://" not in page.text.replace("http://www.w3.org", "")  # nothing from another site
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        answer = await client.get(f"{ROOT}{url}")
        assert answer.status_code == 200, url
        assert len(answer.content) > 100, url
    script = await client.get(f"{ROOT}/docs/static/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in script.content
    assert (await client.get(f"{ROOT}/openapi.json")).json()["info"]["title"] == "modelwatch"


async def test_only_the_bundle_files_are_served(client: httpx.AsyncClient) -> None:
    for name in ("index.html", "..%2F..%2F__init__.py", "swagger-initializer.js"):
        assert (await client.get(f"{ROOT}/docs/static/{name}")).status_code == 404, name
    assert (await client.get(f"{ROOT}/redoc")).status_code == 404


async def test_docs_and_schema_need_a_token_when_tokens_exist(
    client: httpx.AsyncClient, db: Database
) -> None:
    with db.session() as session:
        _, read = tokens.create_token(session, "viewer", "read")
    for path in ("/docs", "/openapi.json"):
        refused = await client.get(f"{ROOT}{path}")
        assert refused.status_code == 401, path
        assert refused.json()["error"]["type"] == "Unauthorized"
        assert "paths" not in refused.text
        allowed = await client.get(f"{ROOT}{path}", headers={"Authorization": f"Bearer {read}"})
        assert allowed.status_code == 200, path
    # the library's files are public, like the dashboard's /ui/static
    assert (await client.get(f"{ROOT}/docs/static/swagger-ui.css")).status_code == 200
