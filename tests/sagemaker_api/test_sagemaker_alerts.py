"""Monitoring alerts through a real boto3 client: the schedule's one alert, its update, and its history
of state changes as executions find violations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sagemaker_bodies import data_quality, schedule_config

from modelwatch.service.db import Database
from modelwatch.service.executions import finish_execution
from modelwatch.service.schedules import run_now
from modelwatch.service.schemas import ExecutionStatus


@pytest.fixture
def client(sagemaker_client: Any) -> Any:
    client = sagemaker_client()
    client.create_data_quality_job_definition(**data_quality("dq-1", "churn", "s3://bucket/out"))
    client.create_monitoring_schedule(
        MonitoringScheduleName="hourly", MonitoringScheduleConfig=schedule_config(definition="dq-1")
    )
    return client


def _finish(db: Database, hour: int, violations: int) -> None:
    """An execution of ``hourly`` that ends with ``violations`` (none: Completed)."""
    moment = datetime(2026, 3, 1, hour, tzinfo=UTC)
    status = ExecutionStatus.COMPLETED_WITH_VIOLATIONS if violations else ExecutionStatus.COMPLETED
    with db.session() as session:
        run = run_now(
            session, "hourly", window_start=moment - timedelta(hours=1), window_end=moment, now=moment
        )
        finish_execution(session, run.id, status, violation_count=violations)


def test_every_schedule_has_one_alert_with_the_fields_the_sdk_indexes(client: Any) -> None:
    [alert] = client.list_monitoring_alerts(MonitoringScheduleName="hourly")["MonitoringAlertSummaries"]
    assert alert["MonitoringAlertName"]
    assert alert["AlertStatus"] == "OK"
    assert (alert["DatapointsToAlert"], alert["EvaluationPeriod"]) == (1, 1)
    assert alert["Actions"]["ModelDashboardIndicator"]["Enabled"] is True
    assert alert["CreationTime"] <= alert["LastModifiedTime"]


def test_update_changes_the_rule(client: Any) -> None:
    [alert] = client.list_monitoring_alerts(MonitoringScheduleName="hourly")["MonitoringAlertSummaries"]
    name = alert["MonitoringAlertName"]
    answer = client.update_monitoring_alert(
        MonitoringScheduleName="hourly", MonitoringAlertName=name, DatapointsToAlert=2, EvaluationPeriod=3
    )
    assert answer["MonitoringScheduleArn"].endswith(":monitoring-schedule/hourly")
    assert answer["MonitoringAlertName"] == name
    [alert] = client.list_monitoring_alerts(MonitoringScheduleName="hourly")["MonitoringAlertSummaries"]
    assert (alert["DatapointsToAlert"], alert["EvaluationPeriod"]) == (2, 3)

    with pytest.raises(ClientError) as caught:
        client.update_monitoring_alert(
            MonitoringScheduleName="hourly", MonitoringAlertName=name, DatapointsToAlert=5, EvaluationPeriod=3
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "DatapointsToAlert" in caught.value.response["Error"]["Message"]


def test_a_missing_schedule_or_alert_is_resource_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.list_monitoring_alerts(MonitoringScheduleName="nope")
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.update_monitoring_alert(
            MonitoringScheduleName="hourly",
            MonitoringAlertName="nope",
            DatapointsToAlert=1,
            EvaluationPeriod=1,
        )
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.list_monitoring_alert_history(MonitoringScheduleName="nope")


def test_the_history_records_each_change_of_status(client: Any, db: Database) -> None:
    _finish(db, 9, violations=2)
    _finish(db, 10, violations=0)
    _finish(db, 11, violations=1)
    history = client.list_monitoring_alert_history(MonitoringScheduleName="hourly", SortOrder="Ascending")[
        "MonitoringAlertHistory"
    ]
    assert [event["AlertStatus"] for event in history] == ["InAlert", "OK", "InAlert"]
    assert {event["MonitoringScheduleName"] for event in history} == {"hourly"}
    in_alert = client.list_monitoring_alert_history(StatusEquals="InAlert")["MonitoringAlertHistory"]
    assert len(in_alert) == 2
    pages = list(
        client.get_paginator("list_monitoring_alert_history").paginate(
            MonitoringScheduleName="hourly", PaginationConfig={"PageSize": 1}
        )
    )
    assert [len(page["MonitoringAlertHistory"]) for page in pages] == [1, 1, 1]
    [alert] = client.list_monitoring_alerts(MonitoringScheduleName="hourly")["MonitoringAlertSummaries"]
    assert alert["AlertStatus"] == "InAlert"
