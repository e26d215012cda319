"""Bearer tokens: open without tokens; with one, 401 without a valid token, 403 for read tokens on
writes; health is always open; the secrets are never stored."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa

from modelwatch.service import tokens
from modelwatch.service.db import Database
from modelwatch.service.models import Token

pytestmark = pytest.mark.anyio


@pytest.fixture
def secrets(db: Database) -> dict[str, str]:
    """An admin, a read and a revoked token: their secrets by scope."""
    with db.session() as session:
        _, admin = tokens.create_token(session, "ops", "admin")
        _, read = tokens.create_token(session, "dashboard", "read")
        _, revoked = tokens.create_token(session, "old", "admin")
        tokens.revoke_token(session, "old")
    return {"admin": admin, "read": read, "revoked": revoked}


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def test_without_tokens_the_api_is_open(client: httpx.AsyncClient) -> None:
    assert (await client.post("/endpoints", json={"name": "churn"})).status_code == 201
    assert (await client.get("/endpoints")).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer mw_wrong"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "mw_wrong"},
        "revoked",
    ],
)
async def test_missing_or_bad_tokens_are_401(
    client: httpx.AsyncClient, secrets: dict[str, str], headers: dict[str, str] | str
) -> None:
    sent = _bearer(secrets[headers]) if isinstance(headers, str) else headers
    for method, path in (("GET", "/endpoints"), ("POST", "/endpoints"), ("GET", "/executions/1")):
        answer = await client.request(method, path, headers=sent, json={"name": "x"})
        assert answer.status_code == 401, (method, path, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["error"]["type"] == "Unauthorized"


async def test_read_tokens_read_and_admin_tokens_write(
    client: httpx.AsyncClient, secrets: dict[str, str]
) -> None:
    read, admin = _bearer(secrets["read"]), _bearer(secrets["admin"])
    refused = await client.post("/endpoints", json={"name": "churn"}, headers=read)
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "type": "Forbidden",
        "message": "token 'dashboard' has scope read; POST needs an admin token",
    }
    assert (await client.post("/endpoints", json={"name": "churn"}, headers=admin)).status_code == 201
    assert (await client.get("/endpoints/churn", headers=read)).status_code == 200
    assert (await client.delete("/endpoints/churn", headers=read)).status_code == 403
    assert (await client.get("/endpoints", headers=admin)).json()["items"][0]["name"] == "churn"
    assert (await client.delete("/endpoints/churn", headers=admin)).status_code == 204


async def test_health_needs_no_token(client: httpx.AsyncClient, secrets: dict[str, str]) -> None:
    assert (await client.get("/health")).status_code == 200


async def test_secrets_are_stored_as_digests_only(
    client: httpx.AsyncClient, db: Database, secrets: dict[str, str]
) -> None:
    assert (await client.get("/endpoints", headers=_bearer(secrets["read"]))).status_code == 200
    with db.session() as session:
        rows = session.execute(sa.select(Token)).scalars().all()
        stored = " ".join(f"{r.name} {r.digest} {r.scope}" for r in rows)
        used = {r.name: r.last_used_at for r in rows}
    assert all(
        secret not in stored and secret.removeprefix("mw_") not in stored for secret in secrets.values()
    )
    assert used["dashboard"] is not None and used["ops"] is None
