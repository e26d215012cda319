"""The schedule forms call the same service functions as the API: what they do shows in the API, and
what the service refuses is shown beside the field it is about. Every form needs its CSRF token."""

from __future__ import annotations

import html as html_text
import re

import httpx
import pytest
from fastapi import FastAPI
from ui_data import ENDPOINT, SCHEDULE, Demo, csrf_of

from modelwatch.service.baselines import finish_baseline_job, start_baseline_job
from modelwatch.service.db import Database
from modelwatch.service.schemas import BaselineJobSpec, JobStatus

pytestmark = pytest.mark.anyio

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _token(client: httpx.AsyncClient, path: str = f"/ui/endpoints/{ENDPOINT}") -> str:
    answer = await client.get(path)
    assert answer.status_code == 200
    return csrf_of(answer.text)


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'<span class="field-error" data-field="{field}">([^<]*)</span>', html)
    assert found, f"no inline error for {field}"
    return html_text.unescape(found.group(1))


def _create_form(demo: Demo, token: str, **fields: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "name": "churn-hourly",
        "monitoring_type": "DataQuality",
        "schedule_expression": "30 * * * *",
        "baseline_statistics_uri": str(demo.baseline_statistics),
        "baseline_constraints_uri": str(demo.baseline_constraints),
        "variant_name": "Canary",
        "start_time_offset": "-PT2H",
        "end_time_offset": "-PT1H",
        "environment": "THRESHOLD=0.2\n",
    }
    return {**form, **fields}


async def test_a_schedule_created_in_the_form_is_in_the_api(client: httpx.AsyncClient, demo: Demo) -> None:
    token = await _token(client)
    answer = await client.post(f"/ui/endpoints/{ENDPOINT}/schedules", data=_create_form(demo, token))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/ui/schedules/churn-hourly?notice=created"
    view = (await client.get("/api/v1/schedules/churn-hourly")).json()
    assert view["schedule_expression"] == "30 * * * *"
    assert view["status"] == "Scheduled" and view["endpoint_name"] == ENDPOINT
    source = view["definition"]["endpoint_input"]
    assert (source["variant_name"], source["start_time_offset"], source["end_time_offset"]) == (
        "Canary",
        "-PT2H",
        "-PT1H",
    )
    assert view["definition"]["environment"] == {"THRESHOLD": "0.2"}
    assert view["definition"]["baseline_constraints_uri"] == str(demo.baseline_constraints)
    page = await client.get(answer.headers["location"])
    assert "Schedule created." in page.text


async def test_the_baseline_can_come_from_a_baselining_job(
    client: httpx.AsyncClient, db: Database, demo: Demo
) -> None:
    with db.session() as session:
        start_baseline_job(session, BaselineJobSpec(name="nightly", dataset_uri="/data/train.csv"))
        finish_baseline_job(
            session,
            "nightly",
            JobStatus.COMPLETED,
            statistics_uri=str(demo.baseline_statistics),
            constraints_uri=str(demo.baseline_constraints),
        )
    jobs = (await client.get("/ui/jobs")).text
    assert "<td>nightly</td>" in jobs and '<span class="badge ok">Completed</span>' in jobs
    token = await _token(client)
    assert '<option value="nightly">nightly</option>' in (await client.get(f"/ui/endpoints/{ENDPOINT}")).text
    form = _create_form(
        demo, token, baseline_job="nightly", baseline_statistics_uri="", baseline_constraints_uri=""
    )
    answer = await client.post(f"/ui/endpoints/{ENDPOINT}/schedules", data=form)
    assert answer.status_code == 303, answer.text
    view = (await client.get("/api/v1/schedules/churn-hourly")).json()
    assert view["definition"]["baseline_statistics_uri"] == str(demo.baseline_statistics)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"schedule_expression": "every hour"}, "schedule_expression", "not a valid schedule expression"),
        ({"name": "no spaces allowed"}, "name", "String should match pattern"),
        ({"start_time_offset": "PT1Y"}, "start_time_offset", "'PT1Y' is not a valid duration"),
        ({"max_runtime_seconds": "soon"}, "max_runtime_seconds", "a whole number of seconds"),
        ({"environment": "no equals sign"}, "environment", "line 1: write KEY=VALUE"),
        (
            {"baseline_statistics_uri": "/nowhere/statistics.json"},
            "baseline_statistics_uri",
            "does not exist",
        ),
        ({"variant_name": "Shadow"}, "variant_name", "has no variant 'Shadow'"),
        ({"data_analysis_start_time": "-PT1H"}, "data_analysis_start_time", "only allowed when"),
    ],
)
async def test_invalid_fields_are_shown_inline_and_the_form_keeps_its_values(
    client: httpx.AsyncClient, demo: Demo, fields: dict[str, str], field: str, words: str
) -> None:
    token = await _token(client)
    form = _create_form(demo, token, **fields)
    answer = await client.post(f"/ui/endpoints/{ENDPOINT}/schedules", data=form)
    assert answer.status_code == 422
    assert words in _field_error(answer.text, field)
    assert 'aria-invalid="true"' in answer.text
    assert '<details class="card" id="new-schedule" open>' in answer.text
    for key in ("name", "schedule_expression", "start_time_offset"):
        assert f'name="{key}" value="{form[key]}"' in answer.text
    assert (await client.get("/api/v1/schedules/churn-hourly")).status_code == 404


async def test_a_taken_name_is_shown_beside_the_name(client: httpx.AsyncClient, demo: Demo) -> None:
    token = await _token(client)
    answer = await client.post(
        f"/ui/endpoints/{ENDPOINT}/schedules", data=_create_form(demo, token, name=SCHEDULE)
    )
    assert answer.status_code == 422
    assert "already exists" in _field_error(answer.text, "name")


async def test_edit_start_stop_and_delete_show_in_the_api(client: httpx.AsyncClient, demo: Demo) -> None:
    token = await _token(client, f"/ui/schedules/{SCHEDULE}")
    page = (await client.get(f"/ui/schedules/{SCHEDULE}")).text
    form = dict(
        re.findall(
            r'<input type="[a-z]+" name="([a-z_]+)" value="([^"]*)"', page.split('id="edit-schedule"')[1]
        )
    )
    form.update(csrf_token=token, schedule_expression="15 */2 * * *", max_runtime_seconds="600")
    answer = await client.post(f"/ui/schedules/{SCHEDULE}/edit", data=form)
    assert answer.status_code == 303, answer.text
    view = (await client.get(f"/api/v1/schedules/{SCHEDULE}")).json()
    assert view["schedule_expression"] == "15 */2 * * *"
    assert view["definition"]["max_runtime_seconds"] == 600
    assert view["definition"]["baseline_statistics_uri"] == str(demo.baseline_statistics)  # kept

    bad = await client.post(f"/ui/schedules/{SCHEDULE}/edit", data={**form, "end_time_offset": "soon"})
    assert bad.status_code == 422
    assert _field_error(bad.text, "end_time_offset")
    assert (await client.get(f"/api/v1/schedules/{SCHEDULE}")).json()["schedule_expression"] == "15 */2 * * *"

    stopped = await client.post(f"/ui/schedules/{SCHEDULE}/stop", data={"csrf_token": token})
    assert stopped.status_code == 303
    assert (await client.get(f"/api/v1/schedules/{SCHEDULE}")).json()["status"] == "Stopped"
    started = await client.post(f"/ui/schedules/{SCHEDULE}/start", data={"csrf_token": token})
    assert started.status_code == 303
    assert (await client.get(f"/api/v1/schedules/{SCHEDULE}")).json()["status"] == "Scheduled"
    deleted = await client.post(f"/ui/schedules/{SCHEDULE}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"/ui/endpoints/{ENDPOINT}?notice=deleted%3A{SCHEDULE}"
    assert (await client.get(f"/api/v1/schedules/{SCHEDULE}")).status_code == 404
    assert f"Schedule {SCHEDULE} deleted." in (await client.get(deleted.headers["location"])).text
    gone = await client.post(f"/ui/schedules/{SCHEDULE}/stop", data={"csrf_token": token})
    assert gone.status_code == 404


async def test_run_now_creates_an_execution_over_the_window(client: httpx.AsyncClient, demo: Demo) -> None:
    token = await _token(client, f"/ui/schedules/{SCHEDULE}")
    window = {"csrf_token": token, "window_start": "2026-02-01T10:00", "window_end": "2026-02-01T11:30"}
    answer = await client.post(f"/ui/schedules/{SCHEDULE}/run", data=window)
    assert answer.status_code == 303, answer.text
    found = (await client.get(f"/api/v1/executions?schedule_name={SCHEDULE}&max_results=100")).json()["items"]
    runs = [e for e in found if e["window_start"] == "2026-02-01T10:00:00Z"]
    assert (
        len(runs) == 1 and runs[0]["window_end"] == "2026-02-01T11:30:00Z" and runs[0]["status"] == "Pending"
    )

    backwards = {**window, "window_start": "2026-02-01T12:00"}
    answer = await client.post(f"/ui/schedules/{SCHEDULE}/run", data=backwards)
    assert answer.status_code == 422
    assert "must be after window_start" in _field_error(answer.text, "window_end")
    answer = await client.post(f"/ui/schedules/{SCHEDULE}/run", data={**window, "window_start": "yesterday"})
    assert answer.status_code == 422
    assert _field_error(answer.text, "window_start")


async def test_stopping_an_execution_from_its_page(client: httpx.AsyncClient, demo: Demo) -> None:
    token = await _token(client, f"/ui/executions/{demo.running_id}")
    answer = await client.post(f"/ui/executions/{demo.running_id}/stop", data={"csrf_token": token})
    assert answer.status_code == 303
    assert (await client.get(f"/api/v1/executions/{demo.running_id}")).json()["status"] == "Stopping"


async def test_forms_without_the_csrf_token_are_refused(
    client: httpx.AsyncClient, app: FastAPI, demo: Demo
) -> None:
    token = await _token(client)
    targets = [
        (f"/ui/endpoints/{ENDPOINT}/schedules", _create_form(demo, token)),
        (f"/ui/schedules/{SCHEDULE}/stop", {}),
        (f"/ui/schedules/{SCHEDULE}/delete", {}),
        (f"/ui/executions/{demo.running_id}/stop", {}),
    ]
    for path, form in targets:
        for sent in ({k: v for k, v in form.items() if k != "csrf_token"}, {**form, "csrf_token": "x" * 43}):
            answer = await client.post(path, data=sent)
            assert answer.status_code == 403, (path, answer.text)
            assert "CSRF" in answer.text
    # a request from another site carries no cookie at all (SameSite=Strict)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as stranger:
        answer = await stranger.post(f"/ui/schedules/{SCHEDULE}/delete", data={"csrf_token": token})
        assert answer.status_code == 403
    assert (await client.get(f"/api/v1/schedules/{SCHEDULE}")).json()["status"] == "Scheduled"
    assert (
        await client.post(
            f"/ui/schedules/{SCHEDULE}/stop", content=b"{}", headers={"Content-Type": "application/json"}
        )
    ).status_code == 415


async def test_the_csrf_cookie_is_http_only_and_same_site_strict(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    client.cookies.clear()
    answer = await client.get("/ui/")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("mw_csrf=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Path=/ui" in cookie
