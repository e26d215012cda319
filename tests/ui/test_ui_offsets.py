"""The dashboard's schedule forms refuse offsets that leave no analysis window, as the API does: the error
shows beside the offset field and nothing is stored."""

from __future__ import annotations

import re

import httpx
import pytest
from ui_data import ENDPOINT, SCHEDULE, Demo, csrf_of

pytestmark = pytest.mark.anyio

NO_WINDOW = [
    ("-PT1H", "-PT2H", "start_time_offset"),
    ("-PT0H", "-PT0H", "start_time_offset"),
    ("-P9999999D", "", "start_time_offset"),
    ("", "-PT1H", "end_time_offset"),
]


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<span class="field-error" data-field="{field}">([^<]*)</span>', html)
    assert found, f"no inline error for {field}"
    return found.group(1)


@pytest.mark.parametrize(("start", "end", "field"), NO_WINDOW)
async def test_the_create_form_refuses_offsets_without_a_window(
    client: httpx.AsyncClient, demo: Demo, start: str, end: str, field: str
) -> None:
    page = await client.get(f"/ui/endpoints/{ENDPOINT}")
    form = {
        "csrf_token": csrf_of(page.text),
        "name": "churn-hourly",
        "monitoring_type": "DataQuality",
        "schedule_expression": "cron(0 * ? * * *)",
        "baseline_statistics_uri": str(demo.baseline_statistics),
        "baseline_constraints_uri": str(demo.baseline_constraints),
        "start_time_offset": start,
        "end_time_offset": end,
    }
    answer = await client.post(f"/ui/endpoints/{ENDPOINT}/schedules", data=form)
    assert answer.status_code == 422, answer.status_code
    assert _field_error(answer.text, field)
    assert (await client.get("/api/v1/schedules/churn-hourly")).status_code == 404


@pytest.mark.parametrize(("start", "end", "field"), NO_WINDOW)
async def test_the_edit_form_refuses_offsets_without_a_window(
    client: httpx.AsyncClient, demo: Demo, start: str, end: str, field: str
) -> None:
    page = (await client.get(f"/ui/schedules/{SCHEDULE}")).text
    form = dict(
        re.findall(
            r'<input type="[a-z]+" name="([a-z_]+)" value="([^"]*)"', page.split('id="edit-schedule"')[1]
        )
    )
    form.update(csrf_token=csrf_of(page), start_time_offset=start, end_time_offset=end)
    before = (await client.get(f"/api/v1/schedules/{SCHEDULE}")).json()
    answer = await client.post(f"/ui/schedules/{SCHEDULE}/edit", data=form)
    assert answer.status_code == 422, answer.status_code
    assert _field_error(answer.text, field)
    assert (await client.get(f"/api/v1/schedules/{SCHEDULE}")).json() == before
