"""Bad input to the monitoring operations: missing members, wrong types, bad enum values, MaxResults out
of 1–100, malformed bodies. Each is a 400 ``ValidationException`` naming the member, never a 500; an
unknown member is dropped, as AWS does."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import botocore
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sagemaker_bodies import data_quality, inline_definition, schedule_config

from modelwatch.sagemaker_api.registry import load_operations

OUT = "s3://bucket/out"


@pytest.fixture
def loose(server: str) -> Any:
    """A boto3 client that sends what it is given (no client-side parameter validation)."""
    import boto3

    return boto3.client(
        "sagemaker",
        endpoint_url=server,
        region_name="eu-west-1",
        aws_access_key_id="AKIAEXAMPLEEXAMPLE00",
        aws_secret_access_key="secret",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=False),
    )


def _error(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, response
    return dict(response["Error"])


def _validation(call: Any, member: str, **params: Any) -> str:
    error = _error(call, **params)
    assert error["Code"] == "ValidationException", error
    assert member in error["Message"], error
    return str(error["Message"])


def test_missing_required_members_are_named(loose: Any) -> None:
    _validation(loose.create_monitoring_schedule, "MonitoringScheduleConfig", MonitoringScheduleName="s")
    _validation(loose.create_monitoring_schedule, "MonitoringScheduleName", MonitoringScheduleConfig={})
    _validation(
        loose.create_monitoring_schedule,
        "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression",
        MonitoringScheduleName="s",
        MonitoringScheduleConfig={"ScheduleConfig": {}, "MonitoringJobDefinitionName": "d"},
    )
    _validation(loose.describe_monitoring_schedule, "MonitoringScheduleName")
    for member in ("RoleArn", "JobResources", "DataQualityJobInput", "DataQualityJobOutputConfig"):
        request = data_quality("dq", "churn", OUT)
        del request[member]
        _validation(loose.create_data_quality_job_definition, member, **request)
    request = data_quality("dq", "churn", OUT)
    del request["DataQualityJobInput"]["EndpointInput"]["EndpointName"]
    _validation(
        loose.create_data_quality_job_definition, "DataQualityJobInput.EndpointInput.EndpointName", **request
    )
    request = data_quality("dq", "churn", OUT)
    del request["JobResources"]["ClusterConfig"]["InstanceType"]
    _validation(
        loose.create_data_quality_job_definition, "JobResources.ClusterConfig.InstanceType", **request
    )
    _validation(
        loose.update_monitoring_alert,
        "DatapointsToAlert",
        MonitoringScheduleName="s",
        MonitoringAlertName="a",
    )


def test_wrong_types_are_named(loose: Any) -> None:
    _validation(loose.describe_monitoring_schedule, "MonitoringScheduleName", MonitoringScheduleName=5)
    request = data_quality("dq", "churn", OUT, StoppingCondition={"MaxRuntimeInSeconds": "long"})
    _validation(loose.create_data_quality_job_definition, "StoppingCondition.MaxRuntimeInSeconds", **request)
    request = data_quality("dq", "churn", OUT)
    request["JobResources"]["ClusterConfig"]["InstanceCount"] = "one"
    _validation(
        loose.create_data_quality_job_definition, "JobResources.ClusterConfig.InstanceCount", **request
    )
    request = data_quality("dq", "churn", OUT)
    request["DataQualityAppSpecification"]["Environment"] = {"threshold": 3}
    _validation(
        loose.create_data_quality_job_definition,
        "DataQualityAppSpecification.Environment.threshold",
        **request,
    )


@pytest.mark.parametrize(
    ("target", "body", "member"),
    [
        (
            "AddTags",
            {"ResourceArn": "arn:aws:sagemaker:r:000000000000:monitoring-schedule/s", "Tags": "x"},
            "Tags",
        ),
        (
            "AddTags",
            {"ResourceArn": "arn:aws:sagemaker:r:000000000000:monitoring-schedule/s", "Tags": ["x"]},
            "Tags.1",
        ),
        (
            "CreateMonitoringSchedule",
            {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": "hourly"},
            "MonitoringScheduleConfig",
        ),
        ("ListMonitoringSchedules", {"NameContains": ["a"]}, "NameContains"),
        ("ListMonitoringSchedules", {"CreationTimeAfter": "yesterday"}, "CreationTimeAfter"),
        ("ListMonitoringExecutions", {"ScheduledTimeBefore": [1]}, "ScheduledTimeBefore"),
        (
            "DeleteTags",
            {"ResourceArn": "arn:aws:sagemaker:r:000000000000:monitoring-schedule/s", "TagKeys": [1]},
            "TagKeys",
        ),
    ],
)
def test_wrong_types_boto3_would_not_send_are_named(server: str, target: str, body: Any, member: str) -> None:
    status, answer = _post(server + "/", f"SageMaker.{target}", json.dumps(body).encode())
    assert status == 400 and answer["__type"] == "ValidationException", answer
    assert member in answer["message"], answer


def test_bad_enum_values_are_named_with_the_allowed_ones(loose: Any) -> None:
    message = _validation(loose.list_monitoring_schedules, "StatusEquals", StatusEquals="Running")
    assert "Scheduled" in message
    _validation(loose.list_monitoring_schedules, "SortBy", SortBy="Size")
    _validation(loose.list_monitoring_executions, "SortOrder", SortOrder="Up")
    _validation(loose.list_monitoring_executions, "StatusEquals", StatusEquals="Done")
    _validation(loose.list_monitoring_alert_history, "StatusEquals", StatusEquals="Red")
    _validation(
        loose.create_monitoring_schedule,
        "MonitoringScheduleConfig.MonitoringType",
        MonitoringScheduleName="s",
        MonitoringScheduleConfig=schedule_config(definition="d", kind="Drift"),
    )
    request = data_quality("dq", "churn", OUT)
    request["DataQualityJobInput"]["EndpointInput"]["S3InputMode"] = "Stream"
    _validation(
        loose.create_data_quality_job_definition, "DataQualityJobInput.EndpointInput.S3InputMode", **request
    )


@pytest.mark.parametrize("size", [0, 101, -1])
def test_max_results_out_of_1_to_100_is_refused(loose: Any, size: int) -> None:
    for call in (
        loose.list_monitoring_schedules,
        loose.list_monitoring_executions,
        loose.list_data_quality_job_definitions,
    ):
        _validation(call, "axResults", MaxResults=size)


def test_a_token_this_server_did_not_give_is_refused(loose: Any) -> None:
    for token in ("garbage!", "eyJ4IjoxfQ==", "WzFd"):
        _validation(loose.list_monitoring_schedules, "NextToken", NextToken=token)


def test_bad_values_name_the_member_they_came_from(loose: Any) -> None:
    _validation(
        loose.create_data_quality_job_definition,
        "JobDefinitionName",
        **data_quality("bad_name!", "churn", OUT),
    )
    request = data_quality("dq", "churn", OUT)
    request["DataQualityJobInput"]["EndpointInput"]["StartTimeOffset"] = "-PT1X"
    _validation(
        loose.create_data_quality_job_definition,
        "DataQualityJobInput.EndpointInput.StartTimeOffset",
        **request,
    )
    request = data_quality("dq", "churn", OUT, RoleArn="short")
    _validation(loose.create_data_quality_job_definition, "RoleArn", **request)
    _validation(
        loose.create_monitoring_schedule,
        "MonitoringScheduleName",
        MonitoringScheduleName="no spaces",
        MonitoringScheduleConfig=schedule_config(inline=inline_definition("churn", OUT)),
    )
    _validation(
        loose.create_monitoring_schedule,
        "MonitoringScheduleConfig",
        MonitoringScheduleName="s",
        MonitoringScheduleConfig=schedule_config(definition="d", inline=inline_definition("churn", OUT)),
    )
    _validation(
        loose.create_monitoring_schedule,
        "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime",
        MonitoringScheduleName="s",
        MonitoringScheduleConfig=schedule_config("NOW", inline=inline_definition("churn", OUT), end="PT0H"),
    )


def test_unknown_members_are_dropped(server: str, loose: Any) -> None:
    request = data_quality("dq", "churn", OUT, Unknown={"a": 1})
    request["DataQualityJobInput"]["EndpointInput"]["NewField"] = "x"
    status, answer = _post(
        server + "/", "SageMaker.CreateDataQualityJobDefinition", json.dumps(request).encode()
    )
    assert status == 200, answer
    config = schedule_config(definition="dq")
    config["Extra"] = True
    body = {"MonitoringScheduleName": "s", "MonitoringScheduleConfig": config, "Other": 1}
    status, answer = _post(server + "/", "SageMaker.CreateMonitoringSchedule", json.dumps(body).encode())
    assert status == 200, answer
    assert (
        loose.describe_monitoring_schedule(MonitoringScheduleName="s")["MonitoringScheduleStatus"]
        == "Scheduled"
    )
    status, answer = _post(server + "/", "SageMaker.ListMonitoringSchedules", b'{"Whatever": 3}')
    assert status == 200 and len(answer["MonitoringScheduleSummaries"]) == 1, answer


def _post(url: str, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _input_members(operation: str) -> dict[str, str]:
    path = Path(botocore.__file__).parent / "data/sagemaker/2017-07-24/service-2.json.gz"
    model = json.loads(gzip.decompress(path.read_bytes()))
    shape = model["operations"][operation].get("input", {}).get("shape")
    if shape is None:
        return {}
    members = model["shapes"][shape]["members"]
    return {name: model["shapes"][member["shape"]]["type"] for name, member in members.items()}


_WRONG = {"string": 12345, "integer": "many", "long": "many", "structure": "x", "list": {"a": 1}, "map": [1]}


def test_no_body_of_any_shape_is_a_500(server: str) -> None:
    """Every operation of this module, with an empty body, garbage, and each member of the wrong type."""
    targets = [t for t, op in load_operations().items() if op.service == "SageMaker" and op.name in _MINE]
    assert len(targets) == len(_MINE)
    for target in targets:
        bodies: list[Any] = [{}, {"Nothing": None}, [1], "text", 3]
        members = _input_members(target.split(".", 1)[1])
        bodies += [{name: _WRONG.get(kind, {"x": 1})} for name, kind in members.items()]
        bodies.append({name: None for name in members})
        for body in bodies:
            status, answer = _post(server + "/", target, json.dumps(body).encode())
            assert status in (200, 400), (target, body, status, answer)
            if status == 400:
                assert answer["__type"] in ("ValidationException", "ResourceNotFound"), (target, body, answer)


_MINE = {
    f"{verb}{kind}JobDefinition{'s' if verb == 'List' else ''}"
    for verb in ("Create", "Describe", "Delete", "List")
    for kind in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
} | {
    "CreateMonitoringSchedule",
    "DescribeMonitoringSchedule",
    "UpdateMonitoringSchedule",
    "DeleteMonitoringSchedule",
    "StartMonitoringSchedule",
    "StopMonitoringSchedule",
    "ListMonitoringSchedules",
    "ListMonitoringExecutions",
    "ListMonitoringAlerts",
    "ListMonitoringAlertHistory",
    "UpdateMonitoringAlert",
    "AddTags",
    "DeleteTags",
    "ListTags",
}
