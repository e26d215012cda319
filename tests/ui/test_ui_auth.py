"""The dashboard follows the API's tokens: open while none exists; otherwise a login with a token sets
an HttpOnly, SameSite=Strict session cookie, read tokens may look but not change, and a revoked token
or a forged cookie ends the session."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from ui_data import ENDPOINT, SCHEDULE, Demo, csrf_of

from modelwatch.service import tokens
from modelwatch.service.db import Database

pytestmark = pytest.mark.anyio


@pytest.fixture
def secrets(db: Database, demo: Demo) -> dict[str, str]:
    with db.session() as session:
        _, admin = tokens.create_token(session, "ops", "admin")
        _, read = tokens.create_token(session, "viewer", "read")
    return {"admin": admin, "read": read}


async def _login(client: httpx.AsyncClient, secret: str, next_path: str = "/ui/") -> httpx.Response:
    page = await client.get(f"/ui/login?next={next_path}")
    assert page.status_code == 200
    return await client.post(
        "/ui/login", data={"csrf_token": csrf_of(page.text), "token": secret, "next": next_path}
    )


async def test_without_tokens_the_pages_are_open(client: httpx.AsyncClient, demo: Demo) -> None:
    answer = await client.get("/ui/")
    assert answer.status_code == 200 and "open (no tokens)" in answer.text
    assert (await client.get("/ui/login", follow_redirects=False)).status_code == 303


async def test_pages_redirect_to_the_login_form_and_forms_are_refused(
    client: httpx.AsyncClient, secrets: dict[str, str], demo: Demo
) -> None:
    for path in ("/ui/", f"/ui/endpoints/{ENDPOINT}", f"/ui/executions/{demo.done_id}", "/ui/jobs"):
        answer = await client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/ui/login?next=/ui/")
    assert (await client.get(f"/ui/executions/{demo.done_id}/files/drift.json")).status_code == 303
    assert (await client.get("/ui/")).headers["location"] == "/ui/login?next=/ui/"
    token = csrf_of((await client.get("/ui/login")).text)
    answer = await client.post(f"/ui/schedules/{SCHEDULE}/delete", data={"csrf_token": token})
    assert answer.status_code == 401
    assert (
        await client.get(
            f"/api/v1/schedules/{SCHEDULE}", headers={"Authorization": f"Bearer {secrets['admin']}"}
        )
    ).status_code == 200


async def test_a_wrong_token_is_refused_at_login(client: httpx.AsyncClient, secrets: dict[str, str]) -> None:
    answer = await _login(client, "mw_not-a-token")
    assert answer.status_code == 401
    assert "That token is unknown or revoked." in answer.text
    assert "mw_session" not in answer.headers.get("set-cookie", "")


async def test_a_read_token_may_look_but_not_change(
    client: httpx.AsyncClient, secrets: dict[str, str], demo: Demo
) -> None:
    answer = await _login(client, secrets["read"], f"/ui/endpoints/{ENDPOINT}")
    assert answer.status_code == 303 and answer.headers["location"] == f"/ui/endpoints/{ENDPOINT}"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("mw_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert secrets["read"] not in cookie
    page = await client.get(f"/ui/endpoints/{ENDPOINT}")
    assert page.status_code == 200 and "viewer (read)" in page.text
    assert 'id="create-schedule"' not in page.text  # no forms that would be refused
    token = csrf_of(page.text)  # the log-out form
    answer = await client.post(f"/ui/schedules/{SCHEDULE}/stop", data={"csrf_token": token})
    assert answer.status_code == 403 and "changes need an admin token" in answer.text


async def test_an_admin_session_changes_and_ends(
    client: httpx.AsyncClient, secrets: dict[str, str], db: Database
) -> None:
    assert (await _login(client, secrets["admin"])).status_code == 303
    token = csrf_of((await client.get(f"/ui/schedules/{SCHEDULE}")).text)
    assert (
        await client.post(f"/ui/schedules/{SCHEDULE}/stop", data={"csrf_token": token})
    ).status_code == 303
    admin = {"Authorization": f"Bearer {secrets['admin']}"}
    assert (await client.get(f"/api/v1/schedules/{SCHEDULE}", headers=admin)).json()["status"] == "Stopped"
    out = await client.post("/ui/logout", data={"csrf_token": token})
    assert out.status_code == 303 and 'mw_session=""' in out.headers["set-cookie"]
    assert (await client.get("/ui/")).status_code == 303


async def test_revoking_the_token_ends_its_sessions(
    client: httpx.AsyncClient, secrets: dict[str, str], db: Database
) -> None:
    assert (await _login(client, secrets["admin"])).status_code == 303
    assert (await client.get("/ui/")).status_code == 200
    with db.session() as session:
        tokens.revoke_token(session, "ops")
    assert (await client.get("/ui/")).status_code == 303


async def test_a_forged_or_expired_cookie_is_not_a_session(
    client: httpx.AsyncClient, secrets: dict[str, str]
) -> None:
    assert (await _login(client, secrets["read"])).status_code == 303
    name, expires, session_id, signature = client.cookies["mw_session"].split(".")
    for forged in (
        f"ops.{expires}.{session_id}.{signature}",  # another token's name
        f"{name}.{int(expires) + 1}.{session_id}.{signature}",  # a later expiry
        f"{name}.{expires}.other-session.{signature}",  # another session's id
        f"{name}.{expires}.{session_id}.{'0' * 64}",
        f"{name}.1.{session_id}.{signature}",
        f"{name}.{expires}.{signature}",  # the old format
        "garbage",
    ):
        client.cookies.set("mw_session", forged, path="/ui")
        assert (await client.get("/ui/")).status_code == 303, forged


async def test_a_bearer_token_works_on_pages(client: httpx.AsyncClient, secrets: dict[str, str]) -> None:
    answer = await client.get("/ui/", headers={"Authorization": f"Bearer {secrets['read']}"})
    assert answer.status_code == 200
    assert (await client.get("/ui/", headers={"Authorization": "Bearer mw_wrong"})).status_code == 303


async def test_login_never_sends_the_browser_to_another_site(
    client: httpx.AsyncClient, secrets: dict[str, str]
) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/ui/../../x", "/\\evil.example"):
        answer = await _login(client, secrets["read"], target)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/ui/"), target
        assert not answer.headers["location"].startswith("//")
        client.cookies.clear()
    page = await client.get("/ui/login?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)</script>" not in page.text


async def test_logging_out_ends_the_session_on_the_server(
    client: httpx.AsyncClient, secrets: dict[str, str]
) -> None:
    """Probe item 7: before, the logged-out cookie stayed a session for 12 hours."""
    assert (await _login(client, secrets["admin"])).status_code == 303
    cookie = client.cookies["mw_session"]
    page = await client.get("/ui/")
    assert page.status_code == 200
    out = await client.post("/ui/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    client.cookies.set("mw_session", cookie, path="/ui")  # a copy of the cookie, replayed
    answer = await client.get("/ui/")
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/login?next=/ui/"
    token = csrf_of((await client.get("/ui/login")).text)
    refused = await client.post(f"/ui/schedules/{SCHEDULE}/stop", data={"csrf_token": token})
    assert refused.status_code == 401
    client.cookies.clear()
    assert (await _login(client, secrets["admin"])).status_code == 303  # a new session works
    assert (await client.get("/ui/")).status_code == 200


@pytest.mark.parametrize("peer", ["10.1.2.3", "192.168.0.7", "2001:db8::1"])
async def test_without_tokens_the_pages_answer_this_machine_only(app: FastAPI, demo: Demo, peer: str) -> None:
    """Probe item 1: the open dashboard is for loopback peers; anyone else gets 403, login page
    included (there is no token to log in with)."""
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as remote:
        for path in ("/ui/", f"/ui/endpoints/{ENDPOINT}", "/ui/login"):
            answer = await remote.get(path)
            assert answer.status_code == 403, path
            assert "loopback" in answer.text
        answer = await remote.post(f"/ui/schedules/{SCHEDULE}/stop", data={"csrf_token": "x"})
        assert answer.status_code == 403
    local = httpx.ASGITransport(app=app, client=("::1", 40000))
    async with httpx.AsyncClient(transport=local, base_url="http://testserver") as here:
        assert (await here.get("/ui/")).status_code == 200
