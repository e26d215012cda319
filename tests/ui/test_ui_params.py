"""Numbers in dashboard paths, query parameters and the session cookie are read as ASCII digits only:
"²" or "١" (which ``str.isdigit`` accepts) and overlong numbers are a 404 page or the default, never a
500, whether or not the viewer is logged in."""

from __future__ import annotations

import re

import httpx
import pytest
from ui_data import ENDPOINT, SCHEDULE, Demo, csrf_of

from modelwatch.service import tokens
from modelwatch.service.db import Database
from modelwatch.ui.errors import PageError
from modelwatch.ui.routes.common import execution_id, int_param, whole_number

pytestmark = pytest.mark.anyio

ODD_NUMBERS = ["%C2%B2", "%D9%A1", "%EF%BC%91", "1" * 5000, "-" + "9" * 40, "%C2%B9%C2%B2", "1e3", " 7 "]
"""superscript two, Arabic-Indic one, fullwidth one, 5,000 digits, a huge negative, "¹²", 1e3, spaces."""


def _paths(odd: str) -> list[str]:
    return [
        f"/ui/executions/{odd}",
        f"/ui/executions/{odd}/report",
        f"/ui/executions/{odd}/files/statistics.json",
        f"/ui/?page={odd}",
        f"/ui/?per_page={odd}",
        f"/ui/schedules/{SCHEDULE}/metrics?days={odd}",
        f"/ui/endpoints/{ENDPOINT}?page={odd}",
        f"/ui/jobs?page={odd}",
    ]


@pytest.mark.parametrize("odd", ODD_NUMBERS)
async def test_odd_numbers_in_paths_and_queries_are_never_a_500(
    client: httpx.AsyncClient, demo: Demo, odd: str
) -> None:
    for path in _paths(odd):
        answer = await client.get(path)
        assert answer.status_code in (200, 404), (path, answer.status_code)
        if path.startswith("/ui/executions/") and odd.strip() != "7":
            assert answer.status_code == 404, path


@pytest.mark.parametrize("odd", ODD_NUMBERS)
async def test_odd_numbers_are_never_a_500_for_a_viewer_not_logged_in(
    client: httpx.AsyncClient, db: Database, demo: Demo, odd: str
) -> None:
    with db.session() as session:
        tokens.create_token(session, "ops", "admin")
    for path in _paths(odd):
        answer = await client.get(path)
        assert answer.status_code in (303, 307, 401, 404), (path, answer.status_code)


@pytest.mark.parametrize("expires", [b"\xb2", b"\xb9\xb2", b"1" * 5000])
async def test_a_cookie_with_odd_digits_is_no_session_and_no_500(
    client: httpx.AsyncClient, db: Database, demo: Demo, expires: bytes
) -> None:
    with db.session() as session:
        tokens.create_token(session, "ops", "admin")
    cookie = b"mw_session=ops." + expires + b".abc.def"
    answer = await client.get("/ui/", headers={"cookie": cookie})
    assert answer.status_code in (303, 307, 401), answer.status_code


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("7", 7),
        (" 12 ", 12),
        ("-3", -3),
        ("²", None),
        ("١", None),
        ("１", None),
        ("", None),
        ("1" * 19, None),
    ],
)
def test_whole_number(text: str, value: int | None) -> None:
    assert whole_number(text) == value


def test_execution_ids_and_int_params() -> None:
    assert execution_id("42") == 42
    for text in ("²", "0", str(2**31), "1" * 5000):
        with pytest.raises(PageError) as caught:
            execution_id(text)
        assert caught.value.status == 404
    assert int_param("²", 5, 1, 10) == 5
    assert int_param("99", 5, 1, 10) == 10


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01T00:00", "0001-01-01T01:00", "window_start"),
        ("0001-01-01T00:00+01:00", "2026-02-01T11:30", "window_start"),  # before year 1 once in UTC
        ("2026-02-01T10:00", "9999-12-31T23:30-01:00", "window_end"),  # after year 9999 once in UTC
        ("2026-02-30T10:00", "2026-03-01T11:30", "window_start"),
    ],
)
async def test_run_now_at_impossible_dates_is_a_422_form(
    client: httpx.AsyncClient, demo: Demo, start: str, end: str, field: str
) -> None:
    page = await client.get(f"/ui/schedules/{SCHEDULE}")
    form = {"csrf_token": csrf_of(page.text), "window_start": start, "window_end": end}
    answer = await client.post(f"/ui/schedules/{SCHEDULE}/run", data=form)
    assert answer.status_code == 422, answer.status_code
    assert re.search(rf'<span class="field-error" data-field="{field}">[^<]+</span>', answer.text)
