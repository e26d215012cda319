"""Monitoring executions through a real boto3 client: a ``NOW`` schedule over captured traffic runs in
the server's job runner and is listed with its processing job; filters, sorting and paginators."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sagemaker_bodies import data_quality, schedule_config

from capture_data import credit_rows, write_capture
from modelwatch.service.db import Database
from modelwatch.service.layout import capture_root
from modelwatch.service.schedules import run_now

FINAL = {"Completed", "CompletedWithViolations", "Failed", "Stopped"}


def _wait_for_final(client: Any, schedule: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        [summary] = client.list_monitoring_executions(MonitoringScheduleName=schedule)[
            "MonitoringExecutionSummaries"
        ]
        if summary["MonitoringExecutionStatus"] in FINAL:
            return summary
        assert time.monotonic() < deadline, summary
        time.sleep(0.2)


def test_a_now_schedule_over_captured_data_runs_and_is_listed_with_its_processing_job(
    sagemaker_client: Any, tmp_path: Path
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_capture(Path(capture_root()), "churn", hour, credit_rows(count=200))
    client = sagemaker_client()
    output = str(tmp_path / "results")
    client.create_data_quality_job_definition(**data_quality("dq-now", "churn", output))
    client.create_monitoring_schedule(
        MonitoringScheduleName="once",
        MonitoringScheduleConfig=schedule_config("NOW", definition="dq-now", start="-PT2H", end="PT0H"),
    )

    summary = _wait_for_final(client, "once")
    assert summary["MonitoringExecutionStatus"] == "Completed", summary.get("FailureReason")
    assert summary["MonitoringType"] == "DataQuality"
    assert summary["EndpointName"] == "churn"
    assert summary["MonitoringJobDefinitionName"] == "dq-now"
    arn = summary["ProcessingJobArn"]
    assert arn.startswith("arn:aws:sagemaker:eu-west-1:000000000000:processing-job/monitoring-execution-")
    assert arn.split(":")[5].split("/", 1)[1].removeprefix("monitoring-execution-").isdigit()
    assert summary["LastModifiedTime"] >= summary["CreationTime"]
    assert list((tmp_path / "results").rglob("statistics.json"))

    described = client.describe_monitoring_schedule(MonitoringScheduleName="once")
    last = described["LastMonitoringExecutionSummary"]
    assert last["ProcessingJobArn"] == arn and last["MonitoringExecutionStatus"] == "Completed"


def test_a_run_without_captured_data_fails_with_its_reason(sagemaker_client: Any, tmp_path: Path) -> None:
    client = sagemaker_client()
    client.create_data_quality_job_definition(**data_quality("dq-now", "empty", str(tmp_path / "out")))
    client.create_monitoring_schedule(
        MonitoringScheduleName="once",
        MonitoringScheduleConfig=schedule_config("NOW", definition="dq-now", start="-PT2H", end="PT0H"),
    )
    summary = _wait_for_final(client, "once")
    assert summary["MonitoringExecutionStatus"] == "Failed"
    assert "no capture files" in summary["FailureReason"]


@pytest.fixture
def three_runs(sagemaker_client: Any, db: Database) -> list[datetime]:
    """Two schedules: ``hourly`` with three on-demand executions, ``other`` with one; their times."""
    client = sagemaker_client()
    client.create_data_quality_job_definition(**data_quality("dq-1", "churn", "s3://bucket/out"))
    for name in ("hourly", "other"):
        client.create_monitoring_schedule(
            MonitoringScheduleName=name, MonitoringScheduleConfig=schedule_config(definition="dq-1")
        )
    times = [datetime(2026, 3, 1, hour, tzinfo=UTC) for hour in (9, 11, 10)]
    with db.session() as session:
        for moment in times:
            run_now(
                session, "hourly", window_start=moment - timedelta(hours=1), window_end=moment, now=moment
            )
        run_now(session, "other", window_start=times[0], window_end=times[1], now=times[1])
    return times


def test_executions_are_filtered_sorted_and_paged_with_the_paginator(
    sagemaker_client: Any, three_runs: Any
) -> None:
    client = sagemaker_client()
    pages = list(
        client.get_paginator("list_monitoring_executions").paginate(
            MonitoringScheduleName="hourly",
            SortBy="ScheduledTime",
            SortOrder="Ascending",
            PaginationConfig={"PageSize": 1},
        )
    )
    assert len(pages) == 3
    hours = [page["MonitoringExecutionSummaries"][0]["ScheduledTime"].hour for page in pages]
    assert hours == [9, 10, 11]
    assert {p["MonitoringExecutionSummaries"][0]["MonitoringExecutionStatus"] for p in pages} == {"Pending"}

    def hours_of(**filters: Any) -> list[int]:
        answer = client.list_monitoring_executions(**filters)["MonitoringExecutionSummaries"]
        return [summary["ScheduledTime"].hour for summary in answer]

    assert hours_of(MonitoringScheduleName="hourly") == [10, 11, 9]  # the default: CreationTime, Descending
    assert hours_of(MonitoringScheduleName="hourly", SortBy="ScheduledTime") == [11, 10, 9]
    assert hours_of(EndpointName="churn", SortBy="ScheduledTime", SortOrder="Ascending") == [9, 10, 11, 11]
    assert hours_of(
        MonitoringScheduleName="hourly",
        ScheduledTimeAfter=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        ScheduledTimeBefore=datetime(2026, 3, 1, 10, 30, tzinfo=UTC),
    ) == [10]
    assert hours_of(StatusEquals="Completed") == []
    assert len(hours_of(StatusEquals="Pending", MonitoringJobDefinitionName="dq-1")) == 4
    assert hours_of(MonitoringTypeEquals="ModelQuality") == []
    assert hours_of(CreationTimeAfter=datetime(2100, 1, 1, tzinfo=UTC)) == []
