"""Who may talk to the server (docs/security.md): without tokens only this machine (checked on every
request, by the peer's address); ``Host`` must name this server (DNS rebinding); a browser's change on
behalf of another site is refused, with or without tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from modelwatch.errors import ConfigurationError
from modelwatch.server import build_server, create_app, listen_host_names
from modelwatch.service import tokens
from modelwatch.service.db import Database
from modelwatch.settings import get_settings

pytestmark = pytest.mark.anyio

REMOTE = ("10.1.2.3", 40000)
GROUND_TRUTH = (
    b'{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "e1"}, '
    b'"eventVersion": "0"}\n'
)


def _client(
    app: FastAPI, peer: tuple[str, int] = ("127.0.0.1", 40000), host: str = "testserver"
) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=peer), base_url=f"http://{host}")


@pytest.fixture
async def remote(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app, REMOTE) as http:
        yield http


@pytest.fixture
def allowed_hosts(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set ``MODELWATCH_ALLOWED_HOSTS`` with ``monkeypatch.setenv``; the settings are read afresh."""
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


async def test_without_tokens_only_this_machine_is_served(
    app: FastAPI, remote: httpx.AsyncClient, schedule: str
) -> None:
    for method, path in (
        ("GET", "/api/v1/endpoints"),
        ("POST", "/api/v1/endpoints"),
        ("POST", f"/api/v1/schedules/{schedule}/stop"),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
    ):
        answer = await remote.request(method, path, json={"name": "other"})
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"]["type"] == "Forbidden"
        assert "loopback" in answer.json()["error"]["message"]
    for peer in (("127.0.0.1", 1), ("127.8.9.10", 1), ("::1", 1)):
        async with _client(app, peer) as local:
            assert (await local.get("/api/v1/endpoints")).status_code == 200, peer


async def test_revoking_the_last_token_of_a_server_on_all_addresses_does_not_open_it(
    database_url: str, db: Database
) -> None:
    """Probe item 1: after `modelwatch tokens revoke only` on a server started with --host 0.0.0.0, an
    unauthenticated POST /api/v1/endpoints from another address answered 201 and /ui/ 200."""
    with db.session() as session:
        _, secret = tokens.create_token(session, "only", "admin")
    server = build_server("0.0.0.0", 0, database_url=database_url, scheduler=False)
    try:
        app = server.http.config.app
        async with _client(app, REMOTE, host="localhost") as remote:
            admin = {"Authorization": f"Bearer {secret}"}
            assert (await remote.get("/api/v1/endpoints", headers=admin)).status_code == 200
            assert (await remote.get("/api/v1/endpoints")).status_code == 401
            with db.session() as session:
                tokens.revoke_token(session, "only")
            created = await remote.post("/api/v1/endpoints", json={"name": "churn"})
            assert created.status_code == 403, created.text
            assert (await remote.get("/ui/")).status_code == 403
            assert (await remote.get("/metrics")).status_code == 403
        async with _client(app, host="localhost") as local:  # this machine still may
            assert (await local.post("/api/v1/endpoints", json={"name": "churn"})).status_code == 201
    finally:
        server.db.dispose()


def test_the_server_refuses_to_listen_beyond_loopback_without_a_token(database_url: str) -> None:
    with pytest.raises(ConfigurationError, match=r"refusing to listen on 0\.0\.0\.0"):
        build_server("0.0.0.0", 0, database_url=database_url, scheduler=False)


def test_the_listening_address_names_an_allowed_host() -> None:
    assert listen_host_names("0.0.0.0") == ()
    assert listen_host_names("::") == ()
    assert listen_host_names("10.0.0.5") == ("10.0.0.5",)
    assert listen_host_names("monitor.example.com") == ("monitor.example.com",)


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8000", "127.0.0.1:8000", "127.1.2.3", "[::1]:8000", "LOCALHOST", "testserver"],
)
async def test_loopback_and_given_host_names_are_served(app: FastAPI, host: str) -> None:
    async with _client(app) as http:
        answer = await http.get("/api/v1/endpoints", headers={"Host": host})
        assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8000", "10.0.0.5", "testserver.evil"])
async def test_another_host_name_is_refused(app: FastAPI, host: str) -> None:
    """Probe item 3 (DNS rebinding): `Host: attacker.example` answered 200 with the listing."""
    async with _client(app) as http:
        for path in ("/api/v1/endpoints", "/ui/", "/api/v1/health", "/docs"):
            answer = await http.get(path, headers={"Host": host})
            assert answer.status_code == 400, (path, answer.text)
            error = answer.json()["error"]
            assert error["type"] == "InvalidHost" and "MODELWATCH_ALLOWED_HOSTS" in error["message"]
            assert "endpoints" not in answer.text


async def test_allowed_hosts_come_from_the_setting(db: Database, allowed_hosts: pytest.MonkeyPatch) -> None:
    allowed_hosts.setenv("MODELWATCH_ALLOWED_HOSTS", "monitor.example.com, other.example")
    async with _client(create_app(db)) as http:
        for host in ("monitor.example.com", "Monitor.Example.com:443", "other.example", "localhost"):
            assert (await http.get("/api/v1/endpoints", headers={"Host": host})).status_code == 200, host
        assert (await http.get("/api/v1/endpoints", headers={"Host": "testserver"})).status_code == 400
    allowed_hosts.setenv("MODELWATCH_ALLOWED_HOSTS", "*")
    get_settings.cache_clear()
    async with _client(create_app(db)) as http:
        assert (await http.get("/api/v1/endpoints", headers={"Host": "anything.example"})).status_code == 200


CROSS_SITE = [
    {"Origin": "http://evil.example"},
    {"Origin": "http://testserver.evil.example"},
    {"Origin": "http://testserver:8080"},  # another origin on this host
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
]


@pytest.mark.parametrize("headers", CROSS_SITE)
async def test_changes_from_another_site_are_refused(
    client: httpx.AsyncClient, schedule: str, headers: dict[str, str]
) -> None:
    """Probe item 3: in open mode, `POST /schedules/s1/stop` with `Origin: http://evil.example` and
    text/plain answered 200, and a ground-truth upload 201."""
    stop = await client.post(
        f"/schedules/{schedule}/stop", content=b"", headers={**headers, "Content-Type": "text/plain"}
    )
    assert stop.status_code == 403, stop.text
    assert stop.json()["error"]["type"] == "CrossSiteRequest"
    upload = await client.post(
        "/endpoints/churn/ground-truth",
        content=GROUND_TRUTH,
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert upload.status_code == 403, upload.text
    assert (await client.get(f"/schedules/{schedule}")).json()["status"] == "Scheduled"
    assert (await client.get(f"/schedules/{schedule}", headers=headers)).status_code == 200  # reads are


@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://testserver"}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}],
)
async def test_changes_from_this_site_or_no_browser_are_served(
    client: httpx.AsyncClient, schedule: str, headers: dict[str, str]
) -> None:
    assert (await client.post(f"/schedules/{schedule}/stop", headers=headers)).status_code == 200
    upload = await client.post("/endpoints/churn/ground-truth", content=GROUND_TRUTH, headers=headers)
    assert upload.status_code == 201, upload.text


async def test_changes_from_another_site_are_refused_with_a_token_too(
    client: httpx.AsyncClient, db: Database, schedule: str
) -> None:
    with db.session() as session:
        _, secret = tokens.create_token(session, "ops", "admin")
    admin = {"Authorization": f"Bearer {secret}"}
    refused = await client.post(
        f"/schedules/{schedule}/stop", headers={**admin, "Origin": "http://evil.example"}
    )
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "CrossSiteRequest"
    assert (await client.post(f"/schedules/{schedule}/stop", headers=admin)).status_code == 200


async def test_a_proxy_that_rewrites_host_may_send_an_allowed_origin(
    db: Database, allowed_hosts: pytest.MonkeyPatch
) -> None:
    allowed_hosts.setenv("MODELWATCH_ALLOWED_HOSTS", "monitor.example.com")
    async with _client(create_app(db), host="127.0.0.1:8000") as http:
        answer = await http.post(
            "/api/v1/endpoints", json={"name": "churn"}, headers={"Origin": "https://monitor.example.com"}
        )
        assert answer.status_code == 201, answer.text
