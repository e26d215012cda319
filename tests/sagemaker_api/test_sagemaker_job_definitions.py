"""The four job definition types through a real boto3 client: Create, Describe (echoing the request),
List (filters, paginators), Delete, and their errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sagemaker_bodies import CLUSTER, ROLE, clarify, data_quality, model_quality, schedule_config

OUT = "s3://bucket/monitoring/results"


def _clarify_config(tmp_path: Path) -> str:
    config = tmp_path / "analysis_config.json"
    config.write_text('{"label": "y", "headers": ["y", "a", "b"], "methods": {}}')
    return str(config)


def test_a_data_quality_definition_is_described_as_it_was_created(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    request = data_quality(
        "dq-1",
        "churn",
        OUT,
        NetworkConfig={"EnableNetworkIsolation": False},
        Tags=[{"Key": "team", "Value": "risk"}],
    )
    arn = client.create_data_quality_job_definition(**request)["JobDefinitionArn"]
    assert arn == "arn:aws:sagemaker:eu-west-1:000000000000:data-quality-job-definition/dq-1"

    described = client.describe_data_quality_job_definition(JobDefinitionName="dq-1")
    assert described["JobDefinitionArn"] == arn
    assert described["JobDefinitionName"] == "dq-1"
    assert described["RoleArn"] == ROLE
    assert described["JobResources"] == {"ClusterConfig": CLUSTER}
    assert described["NetworkConfig"] == {"EnableNetworkIsolation": False}
    assert described["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
    assert described["DataQualityJobInput"] == request["DataQualityJobInput"]
    assert described["DataQualityJobOutputConfig"] == request["DataQualityJobOutputConfig"]
    assert described["DataQualityAppSpecification"] == request["DataQualityAppSpecification"]
    assert described["CreationTime"].year >= 2024
    assert client.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "risk"}]


def test_a_model_quality_definition_keeps_its_problem_type_and_ground_truth(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    request = model_quality("mq-1", "churn", OUT, "s3://bucket/ground-truth")
    client.create_model_quality_job_definition(**request)
    described = client.describe_model_quality_job_definition(JobDefinitionName="mq-1")
    assert described["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification"
    assert described["ModelQualityJobInput"]["GroundTruthS3Input"] == {"S3Uri": "s3://bucket/ground-truth"}
    assert described["ModelQualityJobInput"]["EndpointInput"]["ProbabilityThresholdAttribute"] == 0.5


@pytest.mark.parametrize("kind", ["ModelBias", "ModelExplainability"])
def test_clarify_definitions_are_created_described_listed_and_deleted(
    sagemaker_client: Any, tmp_path: Path, kind: str
) -> None:
    client = sagemaker_client()
    snake = "model_bias" if kind == "ModelBias" else "model_explainability"
    config = _clarify_config(tmp_path)
    getattr(client, f"create_{snake}_job_definition")(**clarify(kind, "c-1", "churn", OUT, config))
    described = getattr(client, f"describe_{snake}_job_definition")(JobDefinitionName="c-1")
    assert described[f"{kind}AppSpecification"]["ConfigUri"] == config
    listed = getattr(client, f"list_{snake}_job_definitions")()["JobDefinitionSummaries"]
    assert [item["MonitoringJobDefinitionName"] for item in listed] == ["c-1"]
    assert listed[0]["EndpointName"] == "churn"
    getattr(client, f"delete_{snake}_job_definition")(JobDefinitionName="c-1")
    with pytest.raises(client.exceptions.ResourceNotFound):
        getattr(client, f"describe_{snake}_job_definition")(JobDefinitionName="c-1")


def test_lists_filter_by_type_name_and_endpoint_and_page_with_the_paginator(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    for index in range(4):
        client.create_data_quality_job_definition(**data_quality(f"dq-{index}", f"ep-{index % 2}", OUT))
    client.create_model_quality_job_definition(**model_quality("mq-x", "ep-0", OUT, "s3://bucket/gt"))

    pages = list(
        client.get_paginator("list_data_quality_job_definitions").paginate(
            SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 1}
        )
    )
    assert len(pages) == 4
    names = [item["MonitoringJobDefinitionName"] for page in pages for item in page["JobDefinitionSummaries"]]
    assert names == ["dq-0", "dq-1", "dq-2", "dq-3"]

    by_endpoint = client.list_data_quality_job_definitions(EndpointName="ep-1")["JobDefinitionSummaries"]
    assert sorted(item["MonitoringJobDefinitionName"] for item in by_endpoint) == ["dq-1", "dq-3"]
    by_name = client.list_data_quality_job_definitions(NameContains="-2")["JobDefinitionSummaries"]
    assert [item["MonitoringJobDefinitionName"] for item in by_name] == ["dq-2"]
    quality = client.list_model_quality_job_definitions()["JobDefinitionSummaries"]
    assert [item["MonitoringJobDefinitionName"] for item in quality] == ["mq-x"]


def test_a_duplicate_name_is_resource_in_use_and_a_missing_one_resource_not_found(
    sagemaker_client: Any,
) -> None:
    client = sagemaker_client()
    client.create_data_quality_job_definition(**data_quality("dq-1", "churn", OUT))
    with pytest.raises(client.exceptions.ResourceInUse):
        client.create_data_quality_job_definition(**data_quality("dq-1", "churn", OUT))
    with pytest.raises(client.exceptions.ResourceNotFound) as caught:
        client.describe_data_quality_job_definition(JobDefinitionName="nope")
    assert "nope" in caught.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.describe_model_quality_job_definition(JobDefinitionName="dq-1")  # another type
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.delete_data_quality_job_definition(JobDefinitionName="nope")


def test_a_definition_used_by_a_schedule_cannot_be_deleted(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    client.create_data_quality_job_definition(**data_quality("dq-1", "churn", OUT))
    client.create_monitoring_schedule(
        MonitoringScheduleName="hourly", MonitoringScheduleConfig=schedule_config(definition="dq-1")
    )
    with pytest.raises(client.exceptions.ResourceInUse) as caught:
        client.delete_data_quality_job_definition(JobDefinitionName="dq-1")
    assert "hourly" in caught.value.response["Error"]["Message"]
    client.delete_monitoring_schedule(MonitoringScheduleName="hourly")
    client.delete_data_quality_job_definition(JobDefinitionName="dq-1")
    assert client.list_data_quality_job_definitions()["JobDefinitionSummaries"] == []


def test_another_image_is_a_custom_container(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    request = data_quality("dq-1", "churn", OUT)
    request["DataQualityAppSpecification"]["ImageUri"] = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mine:1"
    client.create_data_quality_job_definition(**request)  # test_sagemaker_custom_image.py runs such images
    described = client.describe_data_quality_job_definition(JobDefinitionName="dq-1")
    assert described["DataQualityAppSpecification"]["ImageUri"].endswith("/mine:1")


def test_the_analyzer_image_of_any_region_and_tag_is_accepted(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    request = data_quality("dq-1", "churn", OUT)
    request["DataQualityAppSpecification"]["ImageUri"] = (
        "999999999999.dkr.ecr.ap-south-2.amazonaws.com/sagemaker-model-monitor-analyzer:latest"
    )
    client.create_data_quality_job_definition(**request)
    assert (
        client.describe_data_quality_job_definition(JobDefinitionName="dq-1")["JobDefinitionName"] == "dq-1"
    )


def test_a_baselining_job_name_alone_takes_that_jobs_files(
    sagemaker_client: Any, db: Any, tmp_path: Path
) -> None:
    from modelwatch.service.baselines import finish_baseline_job, start_baseline_job
    from modelwatch.service.schemas import BaselineJobSpec, JobStatus

    dataset = tmp_path / "train.csv"
    dataset.write_text("y,a\n1,2\n")
    with db.session() as session:
        start_baseline_job(session, BaselineJobSpec(name="base-1", dataset_uri=str(dataset)))
        finish_baseline_job(
            session,
            "base-1",
            JobStatus.COMPLETED,
            statistics_uri="s3://bucket/base-1/statistics.json",
            constraints_uri="s3://bucket/base-1/constraints.json",
        )
    client = sagemaker_client()
    request = data_quality("dq-1", "churn", OUT, DataQualityBaselineConfig={"BaseliningJobName": "base-1"})
    client.create_data_quality_job_definition(**request)
    from modelwatch.service.job_definitions import describe_job_definition

    with db.session() as session:
        definition = describe_job_definition(session, "dq-1").definition
    assert definition.baseline_statistics_uri == "s3://bucket/base-1/statistics.json"
    assert definition.baseline_constraints_uri == "s3://bucket/base-1/constraints.json"

    missing = data_quality("dq-2", "churn", OUT, DataQualityBaselineConfig={"BaseliningJobName": "none"})
    with pytest.raises(ClientError) as caught:
        client.create_data_quality_job_definition(**missing)
    assert "DataQualityBaselineConfig.BaseliningJobName" in caught.value.response["Error"]["Message"]


def test_a_definition_made_through_the_rest_api_has_the_members_the_sdk_indexes(
    sagemaker_client: Any, db: Any
) -> None:
    from modelwatch.service.job_definitions import create_job_definition
    from modelwatch.service.schemas import JobDefinition, JobDefinitionSpec, MonitoringType

    definition = JobDefinition.model_validate(
        {
            "endpoint_input": {"endpoint_name": "churn", "inference_attribute": "0"},
            "problem_type": "Regression",
            "ground_truth_uri": "s3://bucket/gt",
            "max_runtime_seconds": 900,
        }
    )
    with db.session() as session:
        spec = JobDefinitionSpec(
            name="mq-rest", monitoring_type=MonitoringType.MODEL_QUALITY, definition=definition
        )
        create_job_definition(session, spec)
    described = sagemaker_client().describe_model_quality_job_definition(JobDefinitionName="mq-rest")
    assert described["RoleArn"].startswith("arn:aws:iam::")
    assert set(described["JobResources"]["ClusterConfig"]) >= {
        "InstanceType",
        "VolumeSizeInGB",
        "InstanceCount",
    }
    assert described["ModelQualityAppSpecification"]["ProblemType"] == "Regression"
    assert described["ModelQualityJobInput"]["GroundTruthS3Input"] == {"S3Uri": "s3://bucket/gt"}
    assert described["ModelQualityJobInput"]["EndpointInput"]["InferenceAttribute"] == "0"
    assert described["ModelQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"]
    assert described["StoppingCondition"] == {"MaxRuntimeInSeconds": 900}


def test_an_unknown_endpoint_is_created_with_the_variants_its_capture_has(
    sagemaker_client: Any, db: Any
) -> None:
    from modelwatch.service.endpoints import describe_endpoint
    from modelwatch.service.layout import capture_root

    (Path(capture_root()) / "churn" / "Blue" / "2026").mkdir(parents=True)
    (Path(capture_root()) / "churn" / "Green").mkdir(parents=True)
    sagemaker_client().create_data_quality_job_definition(**data_quality("dq-1", "churn", OUT))
    with db.session() as session:
        endpoint = describe_endpoint(session, "churn")
    assert endpoint.variants == ["Blue", "Green"]
    assert endpoint.capture_uri == capture_root()


def test_an_unknown_endpoint_reads_the_sdks_default_capture_in_the_output_bucket(
    sagemaker_client: Any, db: Any, s3_bucket: str
) -> None:
    from modelwatch.io.storage import write_text
    from modelwatch.service.endpoints import describe_endpoint

    write_text(f"{s3_bucket}/model-monitor/data-capture/churn/AllTraffic/2026/03/01/10/x.jsonl", "{}\n")
    request = data_quality("dq-1", "churn", f"{s3_bucket}/monitoring/results")
    sagemaker_client().create_data_quality_job_definition(**request)
    with db.session() as session:
        endpoint = describe_endpoint(session, "churn")
    assert endpoint.capture_uri == f"{s3_bucket}/model-monitor/data-capture"
    assert endpoint.variants == ["AllTraffic"]
