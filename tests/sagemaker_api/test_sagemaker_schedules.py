"""Monitoring schedules through a real boto3 client: the SDK's create / describe / update / stop /
start / delete flow, the inline definition of the base ``ModelMonitor``, list filters and paginators."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sagemaker_bodies import data_quality, inline_definition, schedule_config

OUT = "s3://bucket/monitoring/results"


def _definition(client: Any, name: str = "dq-1", endpoint: str = "churn") -> None:
    client.create_data_quality_job_definition(**data_quality(name, endpoint, OUT))


def test_create_describe_and_list_a_schedule_from_a_job_definition(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    _definition(client)
    config = schedule_config(definition="dq-1")
    arn = client.create_monitoring_schedule(
        MonitoringScheduleName="hourly", MonitoringScheduleConfig=config, Tags=[{"Key": "k", "Value": "v"}]
    )["MonitoringScheduleArn"]
    assert arn == "arn:aws:sagemaker:eu-west-1:000000000000:monitoring-schedule/hourly"

    described = client.describe_monitoring_schedule(MonitoringScheduleName="hourly")
    assert described["MonitoringScheduleArn"] == arn
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert described["MonitoringType"] == "DataQuality"
    assert described["EndpointName"] == "churn"
    assert described["MonitoringScheduleConfig"] == config
    assert described["CreationTime"] <= described["LastModifiedTime"]
    assert "LastMonitoringExecutionSummary" not in described
    assert client.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]

    [summary] = client.list_monitoring_schedules()["MonitoringScheduleSummaries"]
    assert summary["MonitoringScheduleName"] == "hourly"
    assert summary["MonitoringJobDefinitionName"] == "dq-1"
    assert summary["MonitoringType"] == "DataQuality"
    assert summary["EndpointName"] == "churn"


def test_describe_always_carries_the_monitoring_type_the_sdk_indexes(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    _definition(client)
    config = schedule_config(definition="dq-1")
    del config["MonitoringType"]  # the type is then the definition's
    client.create_monitoring_schedule(MonitoringScheduleName="hourly", MonitoringScheduleConfig=config)
    described = client.describe_monitoring_schedule(MonitoringScheduleName="hourly")
    assert described["MonitoringScheduleConfig"]["MonitoringType"] == "DataQuality"


def test_an_inline_definition_is_echoed_and_runs_as_data_quality(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    inline = inline_definition("churn", OUT, StoppingCondition={"MaxRuntimeInSeconds": 600})
    config = schedule_config(inline=inline)
    del config["MonitoringType"]
    client.create_monitoring_schedule(MonitoringScheduleName="base", MonitoringScheduleConfig=config)
    described = client.describe_monitoring_schedule(MonitoringScheduleName="base")
    assert described["MonitoringType"] == "DataQuality"
    assert described["MonitoringScheduleConfig"]["MonitoringJobDefinition"] == inline
    assert described["EndpointName"] == "churn"


def test_stop_start_and_the_status_filter(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    _definition(client)
    for name in ("a", "b"):
        client.create_monitoring_schedule(
            MonitoringScheduleName=name, MonitoringScheduleConfig=schedule_config(definition="dq-1")
        )
    client.stop_monitoring_schedule(MonitoringScheduleName="a")
    assert (
        client.describe_monitoring_schedule(MonitoringScheduleName="a")["MonitoringScheduleStatus"]
        == "Stopped"
    )
    stopped = client.list_monitoring_schedules(StatusEquals="Stopped")["MonitoringScheduleSummaries"]
    assert [item["MonitoringScheduleName"] for item in stopped] == ["a"]
    client.start_monitoring_schedule(MonitoringScheduleName="a")
    assert (
        client.describe_monitoring_schedule(MonitoringScheduleName="a")["MonitoringScheduleStatus"]
        == "Scheduled"
    )
    assert client.list_monitoring_schedules(StatusEquals="Stopped")["MonitoringScheduleSummaries"] == []


def test_update_moves_the_schedule_to_a_new_definition_as_the_sdk_does(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    _definition(client, "dq-1")
    client.create_monitoring_schedule(
        MonitoringScheduleName="hourly", MonitoringScheduleConfig=schedule_config(definition="dq-1")
    )
    _definition(client, "dq-2")  # the SDK's update: a new definition, then Update, the old one kept
    config = schedule_config("cron(0 0/2 ? * * *)", definition="dq-2")
    client.update_monitoring_schedule(MonitoringScheduleName="hourly", MonitoringScheduleConfig=config)
    described = client.describe_monitoring_schedule(MonitoringScheduleName="hourly")
    assert described["MonitoringScheduleConfig"] == config
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    client.delete_data_quality_job_definition(JobDefinitionName="dq-1")  # no longer used
    with pytest.raises(client.exceptions.ResourceInUse):
        client.delete_data_quality_job_definition(JobDefinitionName="dq-2")
    by_definition = client.list_monitoring_schedules(MonitoringJobDefinitionName="dq-2")
    assert [item["MonitoringScheduleName"] for item in by_definition["MonitoringScheduleSummaries"]] == [
        "hourly"
    ]


def test_delete_then_describe_is_resource_not_found_as_the_sdk_polls_for(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    _definition(client)
    client.create_monitoring_schedule(
        MonitoringScheduleName="hourly", MonitoringScheduleConfig=schedule_config(definition="dq-1")
    )
    client.delete_monitoring_schedule(MonitoringScheduleName="hourly")
    with pytest.raises(client.exceptions.ResourceNotFound) as caught:
        client.describe_monitoring_schedule(MonitoringScheduleName="hourly")
    assert caught.value.response["Error"]["Message"] == "Could not find monitoring schedule 'hourly'."
    for call in (
        client.delete_monitoring_schedule,
        client.start_monitoring_schedule,
        client.stop_monitoring_schedule,
    ):
        with pytest.raises(client.exceptions.ResourceNotFound):
            call(MonitoringScheduleName="hourly")
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.update_monitoring_schedule(
            MonitoringScheduleName="hourly", MonitoringScheduleConfig=schedule_config(definition="dq-1")
        )


def test_a_duplicate_schedule_is_resource_in_use_and_a_missing_definition_not_found(
    sagemaker_client: Any,
) -> None:
    client = sagemaker_client()
    _definition(client)
    config = schedule_config(definition="dq-1")
    client.create_monitoring_schedule(MonitoringScheduleName="hourly", MonitoringScheduleConfig=config)
    with pytest.raises(client.exceptions.ResourceInUse):
        client.create_monitoring_schedule(MonitoringScheduleName="hourly", MonitoringScheduleConfig=config)
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.create_monitoring_schedule(
            MonitoringScheduleName="other", MonitoringScheduleConfig=schedule_config(definition="missing")
        )


def test_a_definition_of_another_type_is_refused_naming_the_type(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    _definition(client)
    with pytest.raises(ClientError) as caught:
        client.create_monitoring_schedule(
            MonitoringScheduleName="hourly",
            MonitoringScheduleConfig=schedule_config(definition="dq-1", kind="ModelQuality"),
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "MonitoringScheduleConfig.MonitoringType" in caught.value.response["Error"]["Message"]


def test_a_bad_cron_expression_names_the_member(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    _definition(client)
    with pytest.raises(ClientError) as caught:
        client.create_monitoring_schedule(
            MonitoringScheduleName="hourly",
            MonitoringScheduleConfig=schedule_config("cron(nope)", definition="dq-1"),
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert (
        "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression"
        in caught.value.response["Error"]["Message"]
    )


def test_list_filters_sorts_and_pages_with_the_paginator(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    _definition(client, "dq-a", "alpha")
    _definition(client, "dq-b", "beta")
    for name, definition in (("s-1", "dq-a"), ("s-2", "dq-b"), ("s-3", "dq-a"), ("x-4", "dq-a")):
        client.create_monitoring_schedule(
            MonitoringScheduleName=name, MonitoringScheduleConfig=schedule_config(definition=definition)
        )
        time.sleep(0.01)  # distinct creation times for the sort below

    pages = list(
        client.get_paginator("list_monitoring_schedules").paginate(
            SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 1}
        )
    )
    assert len(pages) == 4
    assert [p["MonitoringScheduleSummaries"][0]["MonitoringScheduleName"] for p in pages] == [
        "s-1",
        "s-2",
        "s-3",
        "x-4",
    ]

    def names(**filters: Any) -> list[str]:
        return [
            s["MonitoringScheduleName"]
            for s in client.list_monitoring_schedules(**filters)["MonitoringScheduleSummaries"]
        ]

    assert names(EndpointName="alpha", SortBy="Name", SortOrder="Ascending") == ["s-1", "s-3", "x-4"]
    assert names(NameContains="s-", SortBy="Name", SortOrder="Descending") == ["s-3", "s-2", "s-1"]
    assert names(MonitoringTypeEquals="ModelQuality") == []
    assert names(SortBy="CreationTime", SortOrder="Ascending") == ["s-1", "s-2", "s-3", "x-4"]
    created = client.describe_monitoring_schedule(MonitoringScheduleName="s-3")["CreationTime"]
    assert names(CreationTimeAfter=created, SortBy="Name", SortOrder="Ascending") == ["x-4"]
    assert names(CreationTimeBefore=created, SortBy="Name", SortOrder="Ascending") == ["s-1", "s-2"]
    assert names(LastModifiedTimeAfter=created, SortBy="Name", SortOrder="Ascending") == ["x-4"]


def test_a_schedule_made_through_the_rest_api_is_described_in_sagemaker_shapes(
    sagemaker_client: Any, db: Any
) -> None:
    from modelwatch.service.endpoints import create_endpoint
    from modelwatch.service.schedules import create_schedule
    from modelwatch.service.schemas import EndpointSpec, JobDefinition, ScheduleSpec

    definition = JobDefinition.model_validate(
        {
            "endpoint_input": {"endpoint_name": "churn", "start_time_offset": "-PT2H"},
            "environment": {"a": "b"},
        }
    )
    with db.session() as session:
        create_endpoint(session, EndpointSpec(name="churn"))
        create_schedule(
            session, ScheduleSpec(name="rest", schedule_expression="cron(0 * ? * * *)", definition=definition)
        )
    client = sagemaker_client()
    config = client.describe_monitoring_schedule(MonitoringScheduleName="rest")["MonitoringScheduleConfig"]
    assert config["MonitoringType"] == "DataQuality"
    assert config["ScheduleConfig"] == {"ScheduleExpression": "cron(0 * ? * * *)"}
    inline = config["MonitoringJobDefinition"]
    assert inline["MonitoringInputs"][0]["EndpointInput"]["EndpointName"] == "churn"
    assert inline["MonitoringInputs"][0]["EndpointInput"]["StartTimeOffset"] == "-PT2H"
    assert inline["MonitoringResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert inline["MonitoringAppSpecification"]["ImageUri"].endswith(
        "/sagemaker-model-monitor-analyzer:latest"
    )
    assert inline["Environment"] == {"a": "b"}
    assert inline["MonitoringOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"].endswith(
        "/churn/rest"
    )
    assert inline["RoleArn"].startswith("arn:aws:iam::")


def test_describe_shows_a_change_made_through_the_rest_api(sagemaker_client: Any, db: Any) -> None:
    from modelwatch.service.schedules import update_schedule
    from modelwatch.service.schemas import ScheduleUpdate

    client = sagemaker_client()
    _definition(client)
    client.create_monitoring_schedule(
        MonitoringScheduleName="hourly", MonitoringScheduleConfig=schedule_config(definition="dq-1")
    )
    with db.session() as session:
        update_schedule(session, "hourly", ScheduleUpdate(schedule_expression="cron(0 3 ? * * *)"))
    config = client.describe_monitoring_schedule(MonitoringScheduleName="hourly")["MonitoringScheduleConfig"]
    assert config == schedule_config("cron(0 3 ? * * *)", definition="dq-1")


def test_an_inline_model_quality_definition_takes_its_attributes_from_the_environment(
    sagemaker_client: Any, db: Any
) -> None:
    from modelwatch.service.schedules import describe_schedule

    client = sagemaker_client()
    environment = {
        "problem_type": "BinaryClassification",
        "inference_attribute": "0",
        "probability_threshold_attribute": "0.7",
    }
    inline = inline_definition("churn", OUT, Environment=environment)
    inline["MonitoringInputs"][0]["EndpointInput"]["ProbabilityAttribute"] = "1"
    client.create_monitoring_schedule(
        MonitoringScheduleName="mq",
        MonitoringScheduleConfig=schedule_config(kind="ModelQuality", inline=inline),
    )
    with db.session() as session:
        definition = describe_schedule(session, "mq").definition
    assert definition.problem_type == "BinaryClassification"
    assert definition.endpoint_input is not None
    assert definition.endpoint_input.inference_attribute == "0"
    assert definition.endpoint_input.probability_attribute == "1"
    assert definition.endpoint_input.probability_threshold_attribute == 0.7

    inline["Environment"] = {**environment, "probability_threshold_attribute": "high"}
    with pytest.raises(ClientError) as caught:
        client.create_monitoring_schedule(
            MonitoringScheduleName="mq2",
            MonitoringScheduleConfig=schedule_config(kind="ModelQuality", inline=inline),
        )
    assert "MonitoringJobDefinition.Environment.probability_threshold_attribute" in str(caught.value)
