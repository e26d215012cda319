"""Bad requests get the one error shape with the right status, and name the field at fault."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg.errors
import pytest
import sqlalchemy as sa
from api_data import schedule_spec
from fastapi import FastAPI

from modelwatch.api.errors import is_disk_full
from modelwatch.errors import InsufficientStorage, StorageError
from modelwatch.io import storage
from modelwatch.service.db import Database

pytestmark = pytest.mark.anyio


def sqlite_full() -> sqlite3.Error:
    """SQLite's own error when a write needs a page more than the database may have."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (x)")
    connection.execute("PRAGMA max_page_count = 1")
    try:
        connection.execute("INSERT INTO t VALUES (?)", (b"x" * 100_000,))
    except sqlite3.Error as error:
        return error
    finally:
        connection.close()
    raise AssertionError("SQLite wrote past its page cap")


def postgres_disk_full() -> psycopg.Error:
    return psycopg.errors.DiskFull('could not extend file "base/16384/16385": No space left on device')


def _fields(answer: httpx.Response) -> list[str]:
    return [f["field"] for f in answer.json()["error"]["fields"]]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/endpoints", {"name": "bad_name"}, "name"),
        ("/endpoints", {"name": "-x"}, "name"),
        ("/endpoints", {"name": "x", "colour": "red"}, "colour"),
        ("/endpoints", {"name": "x", "variants": "AllTraffic"}, "variants"),
        ("/endpoints", {"name": "x", "variants": ["a", "a"]}, "variants"),
        ("/endpoints", {"name": "x", "variants": ["a", "b", "a", "b"]}, "variants"),
        ("/endpoints", {"name": 7}, "name"),
        ("/endpoints", {}, "name"),
        ("/endpoints", ["x"], "body"),
        ("/schedules", schedule_spec(expression="cron(0 * * * *)"), "ScheduleConfig.ScheduleExpression"),
        ("/schedules", {**schedule_spec(), "monitoring_type": "Nope"}, "monitoring_type"),
        (
            "/schedules",
            {**schedule_spec(), "definition": {"endpoint_input": {"endpoint_name": "no such"}}},
            "definition.endpoint_input.endpoint_name",
        ),
        (
            "/schedules",
            {**schedule_spec(), "definition": {"endpoint_input": {"endpoint_name": "churn"}, "x": 1}},
            "definition.x",
        ),
        (
            "/schedules",
            {
                **schedule_spec(),
                "definition": {"endpoint_input": {"endpoint_name": "churn"}, "max_runtime_seconds": "long"},
            },
            "definition.max_runtime_seconds",
        ),
        ("/schedules", {**schedule_spec(), "definition": {}}, "definition"),
        ("/schedules/hourly/executions", {"window_start": "2026-03-01T10:00:00Z"}, "window_end"),
        (
            "/schedules/hourly/executions",
            {"window_start": "2026-03-01T10:00:00Z", "window_end": "2026-03-01T09:00:00Z"},
            "window_end",
        ),
        ("/schedules/hourly/executions", {"window_start": "yesterday", "window_end": "now"}, "window_start"),
        (
            "/baselining-jobs",
            {"name": "b", "dataset_uri": "x", "monitoring_type": "ModelBias"},
            "parameters.config_uri",
        ),
        ("/baselining-jobs", {"name": "b", "dataset_uri": "x", "dataset_format": {}}, "dataset_format"),
    ],
)
async def test_invalid_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, schedule: str, path: str, body: object, field: str
) -> None:
    answer = await client.post(path, json=body)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["type"] == "ValidationError"
    assert field in _fields(answer), error
    assert field in error["message"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/executions", {"max_results": 101}, "max_results"),
        ("/executions", {"max_results": 0}, "max_results"),
        ("/endpoints", {"max_results": "many"}, "max_results"),
        ("/executions", {"next_token": "garbage!"}, "next_token"),
        ("/executions", {"next_token": "Z2FyYmFnZQ=="}, "next_token"),
        ("/executions", {"status": "Done"}, "status"),
        ("/executions", {"sort_by": "Name"}, "sort_by"),
        ("/executions", {"scheduled_after": "last week"}, "scheduled_after"),
        ("/executions", {"scheduled_after": "9999-12-31T23:00:00-05:00"}, "scheduled_after"),
        ("/executions", {"schedule_name": "a_b"}, "schedule_name"),
        ("/schedules", {"sort_order": "Up"}, "sort_order"),
        ("/schedules", {"name_contains": "%"}, "name_contains"),
        ("/baselining-jobs", {"status": "Paused"}, "status"),
        ("/executions/abc", {}, "execution_id"),
        ("/executions/0", {}, "execution_id"),
        ("/executions/99999999999999999999", {}, "execution_id"),
        ("/executions/2147483648", {}, "execution_id"),
        ("/endpoints/bad_name", {}, "name"),
        ("/schedules/hourly/metrics/m", {"limit": 10_001}, "limit"),
    ],
)
async def test_invalid_queries_are_422_naming_the_field(
    client: httpx.AsyncClient, path: str, params: dict[str, object], field: str
) -> None:
    answer = await client.get(path, params=params)
    assert answer.status_code == 422, answer.text
    assert _fields(answer) == [field]


async def test_missing_resources_are_404(client: httpx.AsyncClient, schedule: str) -> None:
    for method, path, body in [
        ("GET", "/endpoints/nope", None),
        ("DELETE", "/endpoints/nope", None),
        ("GET", "/schedules/nope", None),
        ("PATCH", "/schedules/nope", {"schedule_expression": "cron(0 * ? * * *)"}),
        ("POST", "/schedules/nope/start", None),
        ("POST", "/schedules/nope/stop", None),
        ("DELETE", "/schedules/nope", None),
        ("POST", "/schedules/nope/executions", {"window_start": "2026-01-01", "window_end": "2026-01-02"}),
        ("GET", "/executions/12345", None),
        ("POST", "/executions/12345/stop", None),
        ("GET", "/executions/12345/files/statistics.json", None),
        ("GET", "/baselining-jobs/nope/files/statistics.json", None),
        ("POST", "/schedules", schedule_spec("other", endpoint="nope")),
    ]:
        answer = await client.request(method, path, json=body)
        assert answer.status_code == 404, (method, path, answer.text)
        error = answer.json()["error"]
        assert error["type"] == "NotFoundError" and "does not exist" in error["message"], error


async def test_conflicts_are_409(client: httpx.AsyncClient, schedule: str) -> None:
    again = await client.post("/schedules", json=schedule_spec())
    assert again.status_code == 409
    assert again.json()["error"] == {
        "type": "ConflictError",
        "message": "monitoring schedule 'hourly' already exists",
    }


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/endpoints", content=b'{"name": "x",', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "MalformedRequest" and "not valid JSON" in error["message"]
    assert "fields" not in error


async def test_bodies_over_one_mib_are_413(client: httpx.AsyncClient) -> None:
    big = b'{"name": "x", "data_capture_config": {"pad": "' + b"x" * (1 << 20) + b'"}}'
    declared = await client.post("/endpoints", content=big, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413
    assert declared.json()["error"]["type"] == "RequestTooLarge"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the size shows while reading
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    streamed = await client.post("/endpoints", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert streamed.json()["error"]["type"] == "RequestTooLarge"
    assert (await client.get("/endpoints")).json()["items"] == []


async def test_unknown_routes_and_methods_keep_the_error_shape(client: httpx.AsyncClient) -> None:
    missing = await client.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "NotFound"
    wrong = await client.put("/endpoints")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["type"] == "MethodNotAllowed"
    assert "allow" in wrong.headers


@pytest.mark.parametrize(
    "path",
    [
        "/executions/{id}/files/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/executions/{id}/files/..%2Fstatistics.json",
        "/executions/{id}/files/%2Fetc%2Fpasswd",
        "/executions/{id}/files/../../../../../../etc/passwd",  # the client resolves the dots
        "/executions/{id}/files/statistics.json%00",
        "/baselining-jobs/train/files/..%2F..%2F..%2Fetc%2Fpasswd",
        "/baselining-jobs/train/files/passwd",
    ],
)
async def test_path_traversal_is_404_and_never_a_file(
    client: httpx.AsyncClient, schedule: str, path: str
) -> None:
    run = await client.post(
        "/schedules/hourly/executions",
        json={"window_start": "2026-03-01T09:00:00Z", "window_end": "2026-03-01T10:00:00Z"},
    )
    await client.post("/baselining-jobs", json={"name": "train", "dataset_uri": "/etc"})
    answer = await client.get(path.format(id=run.json()["id"]))
    assert answer.status_code == 404, answer.text
    assert "root:" not in answer.text
    assert answer.headers["content-type"] == "application/json"


def _full_sqlite(db: Database, pages: list[int]) -> None:
    """Cap every connection's database size at ``pages[0]`` pages (SQLite's own "database or disk is
    full" once a write needs more); 1 caps it at its current size."""

    def cap(connection: Any, _record: object, _proxy: object) -> None:
        connection.execute(f"PRAGMA max_page_count = {pages[0]}")

    sa.event.listen(db.engine, "checkout", cap)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # PostgreSQL: a unit test below
async def test_a_full_database_is_507_and_the_next_request_works(
    client: httpx.AsyncClient, db: Database
) -> None:
    """SQLite's page cap makes a real full database."""
    assert db.is_sqlite
    pages = [1]
    _full_sqlite(db, pages)
    big = {"InitialSamplingPercentage": 100, "DestinationS3Uri": "/tmp/c", "Note": "x" * 200_000}
    full = await client.post("/endpoints", json={"name": "churn", "data_capture_config": big})
    assert full.status_code == 507, full.text
    error = full.json()["error"]
    assert error["type"] == "InsufficientStorage"
    assert "full" in error["message"] and "retry" in error["message"]
    assert (await client.get("/endpoints")).status_code == 200  # reads still work while full
    pages[0] = 1 << 30  # space is freed
    again = await client.post("/endpoints", json={"name": "churn", "data_capture_config": big})
    assert again.status_code == 201, again.text
    assert [e["name"] for e in (await client.get("/endpoints")).json()["items"]] == ["churn"]


async def test_a_full_disk_under_a_storage_write_is_507_and_the_next_request_works(
    client: httpx.AsyncClient, schedule: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(path: str, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", path)

    monkeypatch.setattr(storage, "_write_local_atomic", no_space)
    labels = b'{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "e1"}, '
    labels += b'"eventVersion": "0"}\n'
    full = await client.post("/endpoints/churn/ground-truth", content=labels)
    assert full.status_code == 507, full.text
    error = full.json()["error"]
    assert error["type"] == "InsufficientStorage"
    assert "No space left on device" in error["message"]
    monkeypatch.undo()
    again = await client.post("/endpoints/churn/ground-truth", content=labels)
    assert again.status_code == 201, again.text


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OSError(errno.EDQUOT, "Disk quota exceeded"),
        InsufficientStorage("no space", uri="/data/x"),
        sa.exc.OperationalError("INSERT", {}, sqlite_full()),
        sa.exc.OperationalError("INSERT", {}, postgres_disk_full()),
    ],
    ids=["ENOSPC", "EDQUOT", "typed", "sqlite-full", "postgres-disk-full"],
)
def test_what_counts_as_a_full_disk(error: BaseException) -> None:
    assert is_disk_full(error)
    try:
        raise StorageError("cannot write") from error
    except StorageError as wrapped:
        assert is_disk_full(wrapped)


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.EACCES, "Permission denied"),
        sa.exc.OperationalError("x", {}, sqlite3.OperationalError()),
    ],
)
def test_other_errors_are_not_a_full_disk(error: BaseException) -> None:
    assert not is_disk_full(error)


_INPUT = "definition.endpoint_input"


@pytest.mark.parametrize(
    ("offsets", "field", "reason"),
    [
        (
            {"start_time_offset": "-PT1H", "end_time_offset": "-PT2H"},
            f"{_INPUT}.start_time_offset",
            "earlier",
        ),
        (
            {"start_time_offset": "-PT0H", "end_time_offset": "-PT0H"},
            f"{_INPUT}.start_time_offset",
            "earlier",
        ),
        ({"start_time_offset": "-P9999999D"}, f"{_INPUT}.start_time_offset", "representable"),
        (
            {"start_time_offset": "-P9999999D", "end_time_offset": "-P1D"},
            f"{_INPUT}.start_time_offset",
            "representable",
        ),
        ({"start_time_offset": "-P99999W"}, f"{_INPUT}.start_time_offset", "before 1970-01-01"),
        (
            {"end_time_offset": "+P9999999D", "start_time_offset": "-PT1H"},
            f"{_INPUT}.end_time_offset",
            "representable",
        ),
        ({"start_time_offset": "PT0S"}, f"{_INPUT}.start_time_offset", "must be negative"),
        ({"end_time_offset": "-PT1H"}, f"{_INPUT}.end_time_offset", "previous run"),
    ],
    ids=[
        "inverted",
        "empty",
        "overflow",
        "overflow-with-end",
        "before-1970",
        "end-overflow",
        "start-zero",
        "end-only",
    ],
)
async def test_schedule_offsets_without_a_window_are_422_on_create_and_on_update(
    client: httpx.AsyncClient, schedule: str, offsets: dict[str, str], field: str, reason: str
) -> None:
    definition = {"endpoint_input": {"endpoint_name": "churn", **offsets}}
    created = await client.post("/schedules", json={**schedule_spec("other"), "definition": definition})
    updated = await client.patch(f"/schedules/{schedule}", json={"definition": definition})
    for answer in (created, updated):
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert _fields(answer) == [field]
        assert field in error["message"] and reason in error["message"]
    assert (await client.get("/schedules/other")).status_code == 404
    kept = (await client.get(f"/schedules/{schedule}")).json()["definition"]["endpoint_input"]
    assert (kept["start_time_offset"], kept["end_time_offset"]) == (None, None)


async def test_schedule_offsets_with_a_window_are_accepted_on_create_and_update(
    client: httpx.AsyncClient, schedule: str
) -> None:
    definition = {
        "endpoint_input": {"endpoint_name": "churn", "start_time_offset": "-P8D", "end_time_offset": "-P1D"}
    }
    created = await client.post("/schedules", json={**schedule_spec("other"), "definition": definition})
    assert created.status_code == 201, created.text
    daily = {"endpoint_input": {"endpoint_name": "churn", "end_time_offset": "-PT23H"}}
    updated = await client.patch(
        f"/schedules/{schedule}", json={"schedule_expression": "cron(0 5 ? * * *)", "definition": daily}
    )
    assert updated.status_code == 200, updated.text


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"window_start": "0001-01-01T00:00:00Z", "window_end": "0001-01-01T01:00:00Z"}, "window_start"),
        ({"window_start": "1969-12-31T23:00:00Z", "window_end": "1970-01-01T01:00:00Z"}, "window_start"),
        ({"window_start": "2026-01-01T00:00:00Z", "window_end": "9999-12-31T23:00:00Z"}, "window_end"),
        ({"window_start": "0001-01-01T00:00:00+01:00", "window_end": "2026-01-01T00:00:00Z"}, "window_start"),
        ({"window_start": "2026-02-30T00:00:00Z", "window_end": "2026-03-01T00:00:00Z"}, "window_start"),
    ],
    ids=["year-1", "before-the-epoch", "year-9999", "year-1-out-of-range-in-utc", "february-30"],
)
async def test_run_now_windows_at_impossible_dates_are_422(
    client: httpx.AsyncClient, schedule: str, window: dict[str, str], field: str
) -> None:
    answer = await client.post(f"/schedules/{schedule}/executions", json=window)
    assert answer.status_code == 422, answer.text
    assert _fields(answer) == [field]
    assert (await client.get("/executions")).json()["items"] == []


async def test_every_route_answers_404_for_an_unknown_name_or_id(
    client: httpx.AsyncClient, app: FastAPI, schedule: str
) -> None:
    """Every route with a name or id in its path, from the OpenAPI document: an unknown one is 404."""
    checked = 0
    for path, operations in app.openapi()["paths"].items():
        if "{" not in path:
            continue
        for method in operations:
            concrete = path.removeprefix("/api/v1")
            for unknown in ("{execution_id}", "{name}", "{alert}", "{metric}"):
                concrete = concrete.replace(unknown, "12345" if unknown == "{execution_id}" else "nope")
            concrete = concrete.replace("{file}", "statistics.json")
            answer = await client.request(method.upper(), concrete, json=_BODIES.get((method, path)))
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["error"]["type"] == "NotFoundError", (method, path, answer.text)
            checked += 1
    assert checked >= 20


_BODIES: dict[tuple[str, str], object] = {
    ("patch", "/api/v1/schedules/{name}"): {"schedule_expression": "cron(0 * ? * * *)"},
    ("post", "/api/v1/schedules/{name}/executions"): {
        "window_start": "2026-01-01T00:00:00Z",
        "window_end": "2026-01-01T01:00:00Z",
    },
    ("patch", "/api/v1/alarms/{name}"): {"threshold": 1.0},
    ("put", "/api/v1/notification-channels/{name}"): {
        "kind": "webhook",
        "name": "nope",
        "url": "https://example.com/hook",
    },
    ("patch", "/api/v1/schedules/{name}/alerts/{alert}"): {"datapoints_to_alert": 1},
}
