"""Tags through a real boto3 client: on Create, AddTags, DeleteTags and ListTags by ARN."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from sagemaker_bodies import data_quality, schedule_config


@pytest.fixture
def arns(sagemaker_client: Any) -> dict[str, str]:
    client = sagemaker_client()
    definition = client.create_data_quality_job_definition(
        **data_quality("dq-1", "churn", "s3://bucket/out", Tags=[{"Key": "owner", "Value": "ana"}])
    )["JobDefinitionArn"]
    schedule = client.create_monitoring_schedule(
        MonitoringScheduleName="hourly", MonitoringScheduleConfig=schedule_config(definition="dq-1")
    )["MonitoringScheduleArn"]
    return {"definition": definition, "schedule": schedule}


def test_add_list_and_delete_tags(sagemaker_client: Any, arns: dict[str, str]) -> None:
    client = sagemaker_client()
    arn = arns["schedule"]
    assert client.list_tags(ResourceArn=arn)["Tags"] == []
    client.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "risk"}, {"Key": "tier", "Value": "1"}])
    client.add_tags(ResourceArn=arn, Tags=[{"Key": "tier", "Value": "2"}])  # a key again: its new value
    assert client.list_tags(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "risk"},
        {"Key": "tier", "Value": "2"},
    ]
    client.delete_tags(ResourceArn=arn, TagKeys=["team", "unknown"])
    assert client.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "tier", "Value": "2"}]
    assert client.list_tags(ResourceArn=arns["definition"])["Tags"] == [{"Key": "owner", "Value": "ana"}]


def test_list_tags_pages_with_the_paginator(sagemaker_client: Any, arns: dict[str, str]) -> None:
    client = sagemaker_client()
    tags = [{"Key": f"k{index:02d}", "Value": str(index)} for index in range(50)]
    client.add_tags(ResourceArn=arns["schedule"], Tags=tags)
    pages = list(
        client.get_paginator("list_tags").paginate(
            ResourceArn=arns["schedule"], PaginationConfig={"PageSize": 50}
        )
    )
    assert [tag for page in pages for tag in page["Tags"]] == tags
    with pytest.raises(ClientError) as caught:
        client.add_tags(ResourceArn=arns["schedule"], Tags=[{"Key": "one-too-many", "Value": "x"}])
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_tags_of_a_deleted_resource_are_gone_with_it(sagemaker_client: Any, arns: dict[str, str]) -> None:
    client = sagemaker_client()
    client.add_tags(ResourceArn=arns["schedule"], Tags=[{"Key": "team", "Value": "risk"}])
    client.delete_monitoring_schedule(MonitoringScheduleName="hourly")
    client.create_monitoring_schedule(
        MonitoringScheduleName="hourly", MonitoringScheduleConfig=schedule_config(definition="dq-1")
    )
    assert client.list_tags(ResourceArn=arns["schedule"])["Tags"] == []


def test_a_missing_resource_is_not_found_and_another_type_is_refused(
    sagemaker_client: Any, arns: Any
) -> None:
    client = sagemaker_client()
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.list_tags(ResourceArn=arns["schedule"].replace("hourly", "nope"))
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.add_tags(
            ResourceArn=arns["definition"].replace("data-quality", "model-quality"),
            Tags=[{"Key": "a", "Value": "b"}],
        )
    with pytest.raises(ClientError) as caught:
        client.list_tags(ResourceArn="arn:aws:sagemaker:eu-west-1:000000000000:endpoint/churn")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
