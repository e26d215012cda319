"""Every route's happy path, on SQLite and PostgreSQL, through the app in process."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from api_data import T0, schedule_spec
from fastapi import FastAPI

from modelwatch import __version__
from modelwatch.api import create_app
from modelwatch.io.storage import join_uri, write_text
from modelwatch.service import executions, schedules
from modelwatch.service.baselines import finish_baseline_job
from modelwatch.service.db import Database
from modelwatch.service.metrics import record_metrics
from modelwatch.service.schemas import ExecutionStatus, JobStatus

pytestmark = pytest.mark.anyio


def _run_now(db: Database, count: int, schedule: str = "hourly") -> list[int]:
    """``count`` executions of ``schedule``, one a minute from T0."""
    ids = []
    with db.session() as session:
        for i in range(count):
            moment = T0 + timedelta(minutes=i)
            view = schedules.run_now(
                session, schedule, window_start=moment - timedelta(hours=1), window_end=moment, now=moment
            )
            ids.append(view.id)
    return ids


async def test_health_answers_the_version(client: httpx.AsyncClient) -> None:
    answer = await client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "version": __version__}


async def test_endpoint_lifecycle(client: httpx.AsyncClient, data_dir: Path) -> None:
    created = await client.post("/endpoints", json={"name": "churn", "variants": ["A", "B"]})
    assert created.status_code == 201, created.text
    assert created.json()["capture_uri"] == str(data_dir / "storage" / "capture")
    assert (await client.post("/endpoints", json={"name": "fraud"})).status_code == 201
    described = await client.get("/endpoints/churn")
    assert described.json()["variants"] == ["A", "B"]
    listed = (await client.get("/endpoints")).json()
    assert [e["name"] for e in listed["items"]] == ["churn", "fraud"] and listed["next_token"] is None
    filtered = (await client.get("/endpoints", params={"name_contains": "rau"})).json()
    assert [e["name"] for e in filtered["items"]] == ["fraud"]
    deleted = await client.delete("/endpoints/churn")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await client.get("/endpoints/churn")).status_code == 404


async def test_deleting_an_endpoint_with_schedules_is_a_conflict_naming_them(
    client: httpx.AsyncClient, schedule: str
) -> None:
    refused = await client.delete("/endpoints/churn")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["type"] == "ConflictError" and "hourly" in error["message"]
    assert (await client.delete(f"/schedules/{schedule}")).status_code == 204
    assert (await client.delete("/endpoints/churn")).status_code == 204


async def test_schedule_run_now_and_stop(client: httpx.AsyncClient) -> None:
    assert (await client.post("/endpoints", json={"name": "churn"})).status_code == 201
    created = await client.post("/schedules", json=schedule_spec())
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["status"] == "Scheduled" and view["endpoint_name"] == "churn"
    assert view["definition"]["max_runtime_seconds"] == 3600
    assert view["last_execution_status"] is None

    run = await client.post(
        "/schedules/hourly/executions",
        json={"window_start": "2026-03-01T09:00:00", "window_end": "2026-03-01T10:00:00+00:00"},
    )
    assert run.status_code == 201, run.text
    execution = run.json()
    assert execution["status"] == "Pending"
    assert (execution["window_start"], execution["window_end"]) == (
        "2026-03-01T09:00:00Z",
        "2026-03-01T10:00:00Z",
    )
    assert (await client.get("/schedules/hourly")).json()["last_execution_status"] == "Pending"

    listed = (await client.get("/executions", params={"schedule_name": "hourly"})).json()
    assert [e["id"] for e in listed["items"]] == [execution["id"]]
    detail = (await client.get(f"/executions/{execution['id']}")).json()
    assert detail["files"] == {} and detail["log"] is None
    assert detail["output_uri"] == execution["output_uri"]

    stopped = await client.post(f"/executions/{execution['id']}/stop")
    assert stopped.status_code == 200 and stopped.json()["status"] == "Stopped"

    patched = await client.patch("/schedules/hourly", json={"schedule_expression": "cron(0 0/2 ? * * *)"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["schedule_expression"] == "cron(0 0/2 ? * * *)"
    assert (await client.post("/schedules/hourly/stop")).json()["status"] == "Stopped"
    assert (await client.post("/schedules/hourly/start")).json()["status"] == "Scheduled"
    assert (await client.delete("/schedules/hourly")).status_code == 204
    assert (await client.get("/schedules/hourly")).status_code == 404
    kept = await client.get(f"/executions/{execution['id']}")
    assert kept.status_code == 200 and kept.json()["schedule_name"] == "hourly"


async def test_schedule_listing_filters_sorts_and_pages(client: httpx.AsyncClient, db: Database) -> None:
    for name in ("churn", "fraud"):
        assert (await client.post("/endpoints", json={"name": name})).status_code == 201
    for name, endpoint in (("a-hourly", "churn"), ("b-hourly", "fraud"), ("c-daily", "churn")):
        answer = await client.post("/schedules", json=schedule_spec(name, endpoint))
        assert answer.status_code == 201, answer.text
    await client.post("/schedules/b-hourly/stop")

    async def names(**params: object) -> list[str]:
        answer = await client.get("/schedules", params=params)
        assert answer.status_code == 200, answer.text
        return [s["name"] for s in answer.json()["items"]]

    assert await names(sort_by="Name", sort_order="Ascending") == ["a-hourly", "b-hourly", "c-daily"]
    assert await names(sort_by="Name", sort_order="Descending") == ["c-daily", "b-hourly", "a-hourly"]
    assert await names(endpoint_name="churn", sort_by="Name", sort_order="Ascending") == [
        "a-hourly",
        "c-daily",
    ]
    assert await names(status="Stopped") == ["b-hourly"]
    assert await names(name_contains="hourly", sort_by="Name", sort_order="Ascending") == [
        "a-hourly",
        "b-hourly",
    ]
    assert await names(monitoring_type="ModelQuality") == []
    first = (await client.get("/schedules", params={"max_results": 2, "sort_by": "Name"})).json()
    second = (
        await client.get(
            "/schedules", params={"max_results": 2, "sort_by": "Name", "next_token": first["next_token"]}
        )
    ).json()
    assert [s["name"] for s in first["items"] + second["items"]] == ["c-daily", "b-hourly", "a-hourly"]
    assert second["next_token"] is None


async def test_executions_page_and_filter(client: httpx.AsyncClient, db: Database, schedule: str) -> None:
    ids = _run_now(db, 25)
    seen, token = [], None
    while True:
        params: dict[str, object] = {"sort_by": "ScheduledTime", "sort_order": "Ascending", "max_results": 10}
        if token:
            params["next_token"] = token
        page = (await client.get("/executions", params=params)).json()
        seen.extend(item["id"] for item in page["items"])
        token = page["next_token"]
        if token is None:
            break
    assert seen == ids
    default = (await client.get("/executions")).json()
    assert len(default["items"]) == 10 and default["items"][0]["id"] == ids[-1]  # newest first
    after = await client.get(
        "/executions",
        params={"scheduled_after": (T0 + timedelta(minutes=20)).isoformat(), "max_results": 100},
    )
    assert [e["id"] for e in after.json()["items"]] == ids[:20:-1]
    naive = await client.get(
        "/executions", params={"scheduled_before": "2026-03-01T10:32:00", "sort_order": "Ascending"}
    )
    assert [e["id"] for e in naive.json()["items"]] == ids[:2]
    with db.session() as session:
        executions.stop_execution(session, ids[0])
    stopped = (await client.get("/executions", params={"status": "Stopped"})).json()
    assert [e["id"] for e in stopped["items"]] == [ids[0]]
    by_endpoint = await client.get("/executions", params={"endpoint_name": "churn", "max_results": 100})
    assert len(by_endpoint.json()["items"]) == 25
    assert (await client.get("/executions", params={"endpoint_name": "other"})).json()["items"] == []
    assert (await client.get("/executions", params={"monitoring_type": "ModelBias"})).json()["items"] == []


async def test_execution_files_are_listed_and_served(
    client: httpx.AsyncClient, db: Database, schedule: str, tmp_path: Path
) -> None:
    [execution_id] = _run_now(db, 1)
    detail = (await client.get(f"/executions/{execution_id}")).json()
    statistics = {"version": 0.0, "dataset": {"item_count": 3}, "features": []}
    write_text(join_uri(detail["output_uri"], "statistics.json"), json.dumps(statistics))
    write_text(join_uri(detail["output_uri"], "cloudwatch_metrics.jsonl"), '{"MetricName": "m"}\n')
    log = tmp_path / "execution.log"
    log.write_text("started\nfinished\n")
    with db.session() as session:
        executions.finish_execution(session, execution_id, ExecutionStatus.COMPLETED, log_uri=str(log))

    detail = (await client.get(f"/executions/{execution_id}")).json()
    prefix = f"/api/v1/executions/{execution_id}/files"
    assert detail["files"] == {
        "statistics.json": f"{prefix}/statistics.json",
        "cloudwatch_metrics.jsonl": f"{prefix}/cloudwatch_metrics.jsonl",
    }
    assert detail["log"] == f"{prefix}/execution.log"

    served = await client.get(f"{prefix.removeprefix('/api/v1')}/statistics.json")
    assert served.status_code == 200 and served.headers["content-type"] == "application/json"
    assert served.json() == statistics
    lines = await client.get(f"/executions/{execution_id}/files/cloudwatch_metrics.jsonl")
    assert lines.headers["content-type"] == "application/x-ndjson"
    text = await client.get(f"/executions/{execution_id}/files/execution.log")
    assert text.status_code == 200 and text.text == "started\nfinished\n"
    assert text.headers["content-type"].startswith("text/plain")

    missing = await client.get(f"/executions/{execution_id}/files/drift.json")
    assert missing.status_code == 404
    assert "has no drift.json (yet)" in missing.json()["error"]["message"]
    assert (await client.get(f"/executions/{execution_id + 1}/files/drift.json")).status_code == 404


async def test_baselining_jobs(client: httpx.AsyncClient, db: Database, data_dir: Path) -> None:
    spec = {
        "name": "train",
        "dataset_uri": str(data_dir / "train.csv"),
        "dataset_format": {"csv": {"header": True}},
    }
    started = await client.post("/baselining-jobs", json=spec)
    assert started.status_code == 201, started.text
    job = started.json()
    assert job["status"] == "InProgress" and job["dataset_format"] == {"csv": {"header": True}}
    assert job["output_uri"] == str(data_dir / "storage" / "baselines" / "train")
    assert (await client.post("/baselining-jobs", json=spec)).status_code == 409
    assert (await client.post("/baselining-jobs", json={**spec, "name": "other"})).status_code == 201

    listed = (await client.get("/baselining-jobs")).json()
    assert {j["name"] for j in listed["items"]} == {"train", "other"}
    assert (await client.get("/baselining-jobs", params={"status": "Completed"})).json()["items"] == []
    one = (await client.get("/baselining-jobs", params={"max_results": 1})).json()
    assert len(one["items"]) == 1 and one["next_token"]

    assert (await client.get("/baselining-jobs/train/files/statistics.json")).status_code == 404
    write_text(join_uri(job["output_uri"], "constraints.json"), '{"version": 0.0, "features": []}')
    with db.session() as session:
        finish_baseline_job(session, "train", JobStatus.COMPLETED)
    described = (await client.get("/baselining-jobs/train")).json()
    assert described["status"] == "Completed"
    served = await client.get("/baselining-jobs/train/files/constraints.json")
    assert served.status_code == 200 and served.json() == {"version": 0.0, "features": []}
    assert (await client.get("/baselining-jobs/train/files/drift.json")).status_code == 404
    assert (await client.get("/baselining-jobs/nope")).status_code == 404


async def test_metrics_list_and_query(client: httpx.AsyncClient, db: Database, schedule: str) -> None:
    ids = _run_now(db, 3)
    with db.session() as session:
        for i, execution_id in enumerate(ids):
            row = executions.get_execution(session, execution_id)
            moment = T0 + timedelta(hours=i)
            record_metrics(
                session, row, [("feature_drift_age", moment, i / 10), ("row_count", moment, 100.0 + i)]
            )
    names = await client.get("/schedules/hourly/metrics")
    assert names.json() == {"names": ["feature_drift_age", "row_count"]}
    points = (await client.get("/schedules/hourly/metrics/row_count")).json()["points"]
    assert [p["value"] for p in points] == [100.0, 101.0, 102.0]
    assert points[0] == {
        "name": "row_count",
        "timestamp": "2026-03-01T10:30:00Z",
        "value": 100.0,
        "schedule_name": "hourly",
        "endpoint_name": "churn",
        "execution_id": ids[0],
    }
    window = await client.get(
        "/schedules/hourly/metrics/feature_drift_age",
        params={"start": "2026-03-01T11:00:00Z", "end": "2026-03-01T12:30:00Z"},
    )
    assert [p["value"] for p in window.json()["points"]] == [0.1]
    newest = await client.get("/schedules/hourly/metrics/row_count", params={"limit": 2})
    assert [p["value"] for p in newest.json()["points"]] == [101.0, 102.0]
    assert (await client.get("/schedules/hourly/metrics/nothing")).json() == {"points": []}
    assert (await client.get("/schedules/nope/metrics")).status_code == 404
    assert (await client.get("/schedules/nope/metrics/row_count")).status_code == 404
    await client.delete("/schedules/hourly")  # the history outlives the schedule
    assert (await client.get("/schedules/hourly/metrics")).json()["names"] == [
        "feature_drift_age",
        "row_count",
    ]


class RecordingStarter:
    def __init__(self) -> None:
        self.started: list[int | str] = []

    def start_execution(self, execution_id: int) -> bool:
        self.started.append(execution_id)
        return True

    def start_baseline(self, name: str) -> bool:
        self.started.append(name)
        return True


async def test_new_work_is_handed_to_the_runner_at_once(db: Database, schedule: str, data_dir: Path) -> None:
    starter = RecordingStarter()
    app: FastAPI = create_app(db, scheduler_runner=starter)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost/api/v1"
    ) as client:
        window = {"window_start": "2026-03-01T09:00:00Z", "window_end": "2026-03-01T10:00:00Z"}
        run = await client.post("/schedules/hourly/executions", json=window)
        job = await client.post("/baselining-jobs", json={"name": "b", "dataset_uri": str(data_dir)})
    assert run.status_code == 201 and job.status_code == 201
    assert starter.started == [run.json()["id"], "b"]
