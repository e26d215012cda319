"""Processing jobs through a real boto3 client against a real server, inputs and outputs on a real S3
server (moto): baselines run by the analyzer and Clarify images, executions described as processing
jobs, stop, list, and the errors SageMaker's clients expect."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from sagemaker_bodies import ANALYZER as ANALYZER_OF_DEFINITIONS
from sagemaker_bodies import ROLE as ROLE_OF_DEFINITIONS
from sagemaker_bodies import data_quality, schedule_config

from capture_data import credit_rows, write_capture
from modelwatch.examples import __file__ as examples_init
from modelwatch.monitors.data_quality import suggest_baseline
from modelwatch.service.baselines import claim_baseline_job, start_baseline_job, stop_baseline_job
from modelwatch.service.db import Database, open_database
from modelwatch.service.endpoints import create_endpoint
from modelwatch.service.executions import finish_execution
from modelwatch.service.layout import capture_root
from modelwatch.service.processing_jobs import ProcessingJobFilter, ProcessingJobStatus, list_processing_jobs
from modelwatch.service.runner import recover_orphans
from modelwatch.service.schedules import create_schedule, run_now
from modelwatch.service.schemas import (
    BaselineJobSpec,
    EndpointSpec,
    ExecutionStatus,
    JobDefinition,
    ScheduleSpec,
)

CREDIT = Path(examples_init).parent / "credit.csv"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
ROLE = "arn:aws:iam::111122223333:role/service-role/ModelMonitorRole"
REGION = "eu-west-1"


def _s3(s3_server: str) -> Any:
    return boto3.client("s3", endpoint_url=s3_server, region_name=os.environ["AWS_DEFAULT_REGION"])


def _put(s3_server: str, uri: str, data: bytes) -> None:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    _s3(s3_server).put_object(Bucket=bucket, Key=key, Body=data)


def _get_json(s3_server: str, uri: str) -> Any:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return json.loads(_s3(s3_server).get_object(Bucket=bucket, Key=key)["Body"].read())


def _sdk_request(job: str, bucket: str, environment: dict[str, str] | None = None) -> dict[str, Any]:
    """CreateProcessingJob as ``DefaultModelMonitor.suggest_baseline`` of the SageMaker SDK v2 sends it
    (captured from sagemaker 2.257 with a botocore before-call hook)."""
    base = f"{bucket}/model-monitor/baselining/{job}"
    return {
        "ProcessingJobName": job,
        "ProcessingResources": {
            "ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
        },
        "AppSpecification": {"ImageUri": ANALYZER},
        "RoleArn": ROLE,
        "ProcessingInputs": [
            {
                "InputName": "baseline_dataset_input",
                "AppManaged": False,
                "S3Input": {
                    "S3Uri": f"{base}/input/baseline_dataset_input",
                    "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                    "S3DataDistributionType": "FullyReplicated",
                    "S3CompressionType": "None",
                },
            }
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "AppManaged": False,
                    "S3Output": {
                        "S3Uri": f"{base}/results",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "Environment": {
            "output_path": "/opt/ml/processing/output",
            "publish_cloudwatch_metrics": "Disabled",
            "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
            **(environment or {}),
        },
    }


def _wait(client: Any, name: str, deadline_seconds: float = 180) -> dict[str, Any]:
    """Describe the job until it has ended (as the SDK's waiter does)."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        described = client.describe_processing_job(ProcessingJobName=name)
        if described["ProcessingJobStatus"] not in ("InProgress", "Stopping"):
            return described
        assert time.monotonic() < deadline, f"{name} still {described['ProcessingJobStatus']}"
        time.sleep(0.3)


def _error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_data_quality_baseline_sent_as_the_sdk_sends_it_writes_modelwatch_baseline_to_s3(
    sagemaker_client: Any, s3_server: str, s3_bucket: str, tmp_path: Path
) -> None:
    client = sagemaker_client()
    request = _sdk_request("dq-baseline", s3_bucket)
    dataset = request["ProcessingInputs"][0]["S3Input"]["S3Uri"]
    half = CREDIT.read_text().splitlines(keepends=True)
    _put(s3_server, f"{dataset}/part-1.csv", "".join(half[:2001]).encode())
    _put(s3_server, f"{dataset}/part-2.csv", "".join(half[:1] + half[2001:]).encode())

    answer = client.create_processing_job(**request)
    assert answer["ProcessingJobArn"] == f"arn:aws:sagemaker:{REGION}:000000000000:processing-job/dq-baseline"
    described = _wait(client, "dq-baseline")

    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["ExitMessage"].startswith("Completed")
    for key in ("ProcessingInputs", "ProcessingOutputConfig", "ProcessingResources", "AppSpecification"):
        assert described[key] == request[key]
    assert described["Environment"] == request["Environment"]
    assert described["RoleArn"] == ROLE
    assert described["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert described["ProcessingStartTime"] <= described["ProcessingEndTime"]

    expected = tmp_path / "expected"
    suggest_baseline(str(CREDIT), str(expected), format="csv", header=True)
    results = request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    statistics = _get_json(s3_server, f"{results}/statistics.json")
    assert statistics == json.loads((expected / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 4000
    constraints = _get_json(s3_server, f"{results}/constraints.json")
    assert constraints == json.loads((expected / "constraints.json").read_text())


def test_a_model_quality_baseline_reads_the_analysis_type_and_attributes(
    sagemaker_client: Any, s3_server: str, s3_bucket: str
) -> None:
    client = sagemaker_client()
    rows = ["label,prediction,probability"] + [
        f"{i % 2},{(i % 2) if i % 5 else 1 - i % 2},{0.9 if i % 2 else 0.2}" for i in range(200)
    ]
    request = _sdk_request(
        "mq-baseline",
        s3_bucket,
        {
            "analysis_type": "MODEL_QUALITY",
            "problem_type": "BinaryClassification",
            "inference_attribute": "prediction",
            "probability_attribute": "probability",
            "probability_threshold_attribute": "0.5",
            "ground_truth_attribute": "label",
        },
    )
    dataset = request["ProcessingInputs"][0]["S3Input"]["S3Uri"]
    _put(s3_server, f"{dataset}/labelled.csv", ("\n".join(rows) + "\n").encode())

    client.create_processing_job(**request)
    described = _wait(client, "mq-baseline")

    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    results = request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    statistics = _get_json(s3_server, f"{results}/statistics.json")
    metrics = statistics["binary_classification_metrics"]
    # 200 rows, every fifth prediction wrong: accuracy 160/200
    assert metrics["accuracy"]["value"] == pytest.approx(0.8)
    assert statistics["dataset"]["item_count"] == 200
    assert "binary_classification_constraints" in _get_json(s3_server, f"{results}/constraints.json")


def test_a_clarify_bias_baseline_writes_analysis_json(
    sagemaker_client: Any, s3_server: str, s3_bucket: str
) -> None:
    client = sagemaker_client()
    config = {
        "dataset_type": "text/csv",
        "headers": ["label", "group", "x"],
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "group", "value_or_threshold": ["a"]}],
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}},
    }
    rows = [f"{1 if i % 3 == 0 else 0},{'a' if i % 4 == 0 else 'b'},{i}" for i in range(120)]
    _put(s3_server, f"{s3_bucket}/data/train.csv", ("\n".join(rows) + "\n").encode())
    _put(s3_server, f"{s3_bucket}/out/bias/analysis_config.json", json.dumps(config).encode())
    channel = {"S3DataType": "S3Prefix", "S3InputMode": "File", "S3DataDistributionType": "FullyReplicated"}
    client.create_processing_job(  # as SageMakerClarifyProcessor.run_pre_training_bias sends it
        ProcessingJobName="bias-baseline",
        ProcessingResources={
            "ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
        },
        AppSpecification={"ImageUri": CLARIFY},
        RoleArn=ROLE,
        ProcessingInputs=[
            {
                "InputName": "dataset",
                "S3Input": {
                    "S3Uri": f"{s3_bucket}/data/train.csv",
                    "LocalPath": "/opt/ml/processing/input/data",
                    **channel,
                },
            },
            {
                "InputName": "analysis_config",
                "S3Input": {
                    "S3Uri": f"{s3_bucket}/out/bias/analysis_config.json",
                    "LocalPath": "/opt/ml/processing/input/config",
                    **channel,
                },
            },
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "analysis_result",
                    "S3Output": {
                        "S3Uri": f"{s3_bucket}/out/bias",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
    )
    described = _wait(client, "bias-baseline")

    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    analysis = _get_json(s3_server, f"{s3_bucket}/out/bias/analysis.json")
    metrics = {m["name"]: m for m in analysis["pre_training_bias_metrics"]["facets"]["group"][0]["metrics"]}
    # 30 of 120 rows are in group a: CI = (90 - 30) / 120
    assert metrics["CI"]["value"] == pytest.approx(0.5)


def test_a_job_over_a_bad_dataset_fails_with_its_reason(
    sagemaker_client: Any, s3_server: str, s3_bucket: str
) -> None:
    client = sagemaker_client()
    request = _sdk_request("bad-dataset", s3_bucket)
    dataset = request["ProcessingInputs"][0]["S3Input"]["S3Uri"]
    _put(s3_server, f"{dataset}/empty.csv", b"")

    client.create_processing_job(**request)
    described = _wait(client, "bad-dataset")

    assert described["ProcessingJobStatus"] == "Failed"
    assert "empty" in described["FailureReason"] or "no data" in described["FailureReason"]
    assert "ExitMessage" not in described


def test_a_custom_image_with_a_local_path_outside_processing_is_refused_naming_it(
    sagemaker_client: Any, s3_bucket: str
) -> None:
    client = sagemaker_client()  # custom images run: tests/sagemaker_api/test_sagemaker_custom_image.py
    request = _sdk_request("custom", s3_bucket)
    request["AppSpecification"] = {"ImageUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-own:3"}
    request["ProcessingInputs"][0]["S3Input"]["LocalPath"] = "/data/input"
    with pytest.raises(ClientError) as caught:
        client.create_processing_job(**request)
    code, message = _error(caught)
    assert code == "ValidationException"
    assert "ProcessingInputs.1.S3Input.LocalPath" in message and "/opt/ml/processing/" in message
    with pytest.raises(ClientError) as missing:
        client.describe_processing_job(ProcessingJobName="custom")
    assert _error(missing)[0] == "ValidationException"


@pytest.mark.parametrize(
    ("change", "member"),
    [
        ({"dataset_source": "/opt/ml/processing/input/elsewhere"}, "Environment.dataset_source"),
        ({"output_path": "/opt/ml/nowhere"}, "Environment.output_path"),
        ({"dataset_format": "{not json"}, "Environment.dataset_format"),
        ({"dataset_format": json.dumps({"xml": {}})}, "Environment.dataset_format"),
        ({"analysis_type": "MODEL_BIAS"}, "Environment.analysis_type"),
        ({"analysis_type": "MODEL_QUALITY"}, "Environment.problem_type"),
        (
            {"analysis_type": "MODEL_QUALITY", "problem_type": "Ranking", "ground_truth_attribute": "y"},
            "Environment.problem_type",
        ),
        (
            {"analysis_type": "MODEL_QUALITY", "probability_threshold_attribute": "half"},
            "Environment.probability_threshold_attribute",
        ),
    ],
)
def test_a_bad_analyzer_environment_is_a_validation_error_naming_the_member(
    sagemaker_client: Any, s3_bucket: str, change: dict[str, str], member: str
) -> None:
    client = sagemaker_client()
    request = _sdk_request("bad-environment", s3_bucket, change)
    with pytest.raises(ClientError) as caught:
        client.create_processing_job(**request)
    code, message = _error(caught)
    assert code == "ValidationException"
    assert member in message
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_taken_name_is_resource_in_use_and_an_execution_name_is_reserved(
    sagemaker_client: Any, s3_server: str, s3_bucket: str
) -> None:
    client = sagemaker_client()
    request = _sdk_request("taken", s3_bucket) | {"Tags": [{"Key": "team", "Value": "risk"}]}
    _put(s3_server, request["ProcessingInputs"][0]["S3Input"]["S3Uri"] + "/d.csv", CREDIT.read_bytes())
    client.create_processing_job(**request)
    with pytest.raises(ClientError) as caught:
        client.create_processing_job(**request)
    assert _error(caught)[0] == "ResourceInUse"
    arn = f"arn:aws:sagemaker:{REGION}:000000000000:processing-job/taken"
    assert client.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "risk"}]
    with pytest.raises(ClientError) as reserved:
        client.create_processing_job(**_sdk_request("monitoring-execution-7", s3_bucket))
    code, message = _error(reserved)
    assert code == "ValidationException" and "ProcessingJobName" in message
    _wait(client, "taken")


def test_a_missing_job_is_could_not_find_as_sagemaker_says_it(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    for name in ("no-such-job", "monitoring-execution-404"):
        with pytest.raises(ClientError) as caught:
            client.describe_processing_job(ProcessingJobName=name)
        assert _error(caught) == (
            "ValidationException",
            f"Could not find processing job 'arn:aws:sagemaker:{REGION}:000000000000:processing-job/{name}'.",
        )
        with pytest.raises(ClientError) as stop:
            client.stop_processing_job(ProcessingJobName=name)
        assert _error(stop)[0] == "ValidationException"


def _schedule_with_execution(db: Database, bucket: str) -> tuple[int, str]:
    """An endpoint, an hourly schedule writing to S3, and one pending execution of it."""
    with db.session() as session:
        create_endpoint(
            session,
            EndpointSpec(
                name="credit",
                data_capture_config={
                    "EnableCapture": True,
                    "InitialSamplingPercentage": 100,
                    "DestinationS3Uri": f"{bucket}/capture",
                },
            ),
        )
        create_schedule(
            session,
            ScheduleSpec(
                name="credit-hourly",
                schedule_expression="cron(0 * ? * * *)",
                definition=JobDefinition.model_validate(
                    {
                        "endpoint_input": {"endpoint_name": "credit"},
                        "output_uri": f"{bucket}/monitoring/credit-hourly",
                        "environment": {"custom": "yes"},
                    }
                ),
            ),
        )
        end = datetime(2026, 12, 1, 10, tzinfo=UTC)
        view = run_now(session, "credit-hourly", window_start=end - timedelta(hours=2), window_end=end)
    return view.id, view.output_uri


def test_a_monitoring_execution_is_described_as_its_processing_job(
    sagemaker_client: Any, db: Database, s3_bucket: str
) -> None:
    client = sagemaker_client()
    execution_id, output_uri = _schedule_with_execution(db, s3_bucket)
    name = f"monitoring-execution-{execution_id}"

    pending = client.describe_processing_job(ProcessingJobName=name)
    assert pending["ProcessingJobStatus"] == "InProgress"
    assert pending["ProcessingJobArn"].split(":")[5] == f"processing-job/{name}"
    assert pending["MonitoringScheduleArn"].endswith(":monitoring-schedule/credit-hourly")
    output = pending["ProcessingOutputConfig"]["Outputs"][0]
    assert output["S3Output"]["S3Uri"] == output_uri
    assert output_uri.startswith(f"{s3_bucket}/monitoring/credit-hourly/")
    assert output["S3Output"]["LocalPath"] == "/opt/ml/processing/output"
    inputs = {item["InputName"]: item["S3Input"] for item in pending["ProcessingInputs"]}
    assert inputs["endpoint_input_1"] == {
        "S3Uri": f"{s3_bucket}/capture/credit/AllTraffic/2026/12/01/08",
        "LocalPath": "/opt/ml/processing/input/endpoint/credit/AllTraffic/2026/12/01/08",
        "S3DataType": "S3Prefix",
        "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated",
        "S3CompressionType": "None",
    }
    assert inputs["endpoint_input_2"]["S3Uri"].endswith("/2026/12/01/09")
    environment = pending["Environment"]
    assert environment["start_time"] == "2026-12-01T08:00:00Z"
    assert environment["end_time"] == "2026-12-01T10:00:00Z"
    assert environment["sagemaker_endpoint_name"] == "credit"
    assert environment["custom"] == "yes"
    assert pending["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert "ProcessingEndTime" not in pending

    with db.session() as session:
        finish_execution(
            session,
            execution_id,
            ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
            exit_message="CompletedWithViolations: Job completed successfully with 2 violations.",
        )
    done = client.describe_processing_job(ProcessingJobName=name)
    assert done["ProcessingJobStatus"] == "Completed"
    assert done["ExitMessage"].startswith("CompletedWithViolations:")
    assert "ProcessingEndTime" in done


def test_stop_ends_a_pending_execution_and_a_baseline_no_runner_has_taken(
    sagemaker_client: Any, db: Database, s3_bucket: str
) -> None:
    client = sagemaker_client()
    execution_id, _ = _schedule_with_execution(db, s3_bucket)
    with db.session() as session:
        start_baseline_job(session, BaselineJobSpec(name="waiting", dataset_uri=str(CREDIT)))
        start_baseline_job(session, BaselineJobSpec(name="running", dataset_uri=str(CREDIT)))
        assert claim_baseline_job(session, "running", "elsewhere:1")

    client.stop_processing_job(ProcessingJobName=f"monitoring-execution-{execution_id}")
    client.stop_processing_job(ProcessingJobName="waiting")
    client.stop_processing_job(ProcessingJobName="running")

    assert (
        client.describe_processing_job(ProcessingJobName=f"monitoring-execution-{execution_id}")[
            "ProcessingJobStatus"
        ]
        == "Stopped"
    )
    assert client.describe_processing_job(ProcessingJobName="waiting")["ProcessingJobStatus"] == "Stopped"
    assert client.describe_processing_job(ProcessingJobName="running")["ProcessingJobStatus"] == "Stopping"
    with pytest.raises(ClientError) as caught:
        client.stop_processing_job(ProcessingJobName="waiting")
    assert _error(caught)[0] == "ValidationException"


def test_a_baseline_made_through_the_rest_api_is_described_from_the_job(
    sagemaker_client: Any, db: Database
) -> None:
    with db.session() as session:
        start_baseline_job(session, BaselineJobSpec(name="from-rest", dataset_uri=str(CREDIT)))
    described = sagemaker_client().describe_processing_job(ProcessingJobName="from-rest")
    assert described["ProcessingJobStatus"] == "InProgress"
    assert described["AppSpecification"]["ImageUri"].endswith("/sagemaker-model-monitor-analyzer:latest")
    assert described["ProcessingInputs"][0]["S3Input"]["S3Uri"] == str(CREDIT)
    assert described["ProcessingResources"]["ClusterConfig"]["InstanceCount"] == 1
    assert (
        described["Environment"]["dataset_source"] == described["ProcessingInputs"][0]["S3Input"]["LocalPath"]
    )


def test_list_processing_jobs_holds_baselines_and_executions_filtered_and_paged(
    sagemaker_client: Any, db: Database, s3_bucket: str
) -> None:
    client = sagemaker_client()
    execution_id, _ = _schedule_with_execution(db, s3_bucket)
    with db.session() as session:
        for name in ("alpha", "beta", "gamma"):
            start_baseline_job(session, BaselineJobSpec(name=name, dataset_uri=str(CREDIT)))
        finish_execution(session, execution_id, ExecutionStatus.FAILED, failure_reason="no data")

    pages = client.get_paginator("list_processing_jobs").paginate(
        SortBy="Name", SortOrder="Ascending", PaginationConfig={"PageSize": 1}
    )
    names = [job["ProcessingJobName"] for page in pages for job in page["ProcessingJobSummaries"]]
    assert names == ["alpha", "beta", "gamma", f"monitoring-execution-{execution_id}"]

    failed = client.list_processing_jobs(StatusEquals="Failed")["ProcessingJobSummaries"]
    assert [(job["ProcessingJobName"], job["FailureReason"]) for job in failed] == [
        (f"monitoring-execution-{execution_id}", "no data")
    ]
    with db.session() as session:
        stop_baseline_job(session, "alpha")
    [stopped] = client.list_processing_jobs(StatusEquals="Stopped")["ProcessingJobSummaries"]
    assert stopped["ExitMessage"] == "Stopped by request before it started" and "ProcessingEndTime" in stopped
    contains = client.list_processing_jobs(NameContains="et")["ProcessingJobSummaries"]
    assert {job["ProcessingJobName"] for job in contains} == {"beta"}
    future = datetime.now(UTC) + timedelta(days=1)
    assert client.list_processing_jobs(CreationTimeAfter=future)["ProcessingJobSummaries"] == []
    assert len(client.list_processing_jobs(CreationTimeBefore=future)["ProcessingJobSummaries"]) == 4
    for bad in ({"StatusEquals": "Done"}, {"SortBy": "Size"}, {"MaxResults": 101}, {"NextToken": "x!"}):
        with pytest.raises(ClientError) as caught:
            client.list_processing_jobs(**bad)
        assert _error(caught)[0] == "ValidationException", bad


def _never_ending(client: Any, s3_server: str, bucket: str, folder: Path, name: str, **extra: Any) -> None:
    """Create a Clarify explainability baseline whose local model never answers (the job process imports
    it from ``folder``, on PYTHONPATH): it runs until it is stopped."""
    (folder / "never_answers.py").write_text("import time\n\n\ndef predict(rows):\n    time.sleep(3600)\n")
    config = {
        "dataset_type": "text/csv",
        "headers": ["x", "y"],
        "methods": {"shap": {"baseline": [[0.0, 0.0]], "num_samples": 8, "agg_method": "mean_abs"}},
        "predictor": {"model": "never_answers:predict"},
    }
    _put(s3_server, f"{bucket}/{name}/data.csv", b"1,2\n3,4\n5,6\n")
    _put(s3_server, f"{bucket}/{name}/analysis_config.json", json.dumps(config).encode())
    channel = {"S3DataType": "S3Prefix", "S3InputMode": "File"}
    client.create_processing_job(
        ProcessingJobName=name,
        ProcessingResources={
            "ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
        },
        AppSpecification={"ImageUri": CLARIFY},
        RoleArn=ROLE,
        ProcessingInputs=[
            {
                "InputName": "dataset",
                "S3Input": {
                    "S3Uri": f"{bucket}/{name}/data.csv",
                    "LocalPath": "/opt/ml/processing/input/data",
                    **channel,
                },
            },
            {
                "InputName": "analysis_config",
                "S3Input": {
                    "S3Uri": f"{bucket}/{name}",
                    "LocalPath": "/opt/ml/processing/input/config",
                    **channel,
                },
            },
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "analysis_result",
                    "S3Output": {
                        "S3Uri": f"{bucket}/{name}/out",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        **extra,
    )


def test_stopping_a_running_baseline_ends_its_job_process(
    sagemaker_client: Any, s3_server: str, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    client = sagemaker_client()
    _never_ending(client, s3_server, s3_bucket, tmp_path, "never-ends")
    deadline = time.monotonic() + 60
    while "ProcessingStartTime" not in client.describe_processing_job(ProcessingJobName="never-ends"):
        assert time.monotonic() < deadline, "the job did not start"
        time.sleep(0.1)

    client.stop_processing_job(ProcessingJobName="never-ends")
    described = _wait(client, "never-ends")

    assert described["ProcessingJobStatus"] == "Stopped", described.get("FailureReason")
    assert described["ExitMessage"] == "Stopped by request"


def test_a_baseline_stops_after_its_max_runtime(
    sagemaker_client: Any, s3_server: str, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    client = sagemaker_client()
    _never_ending(
        client, s3_server, s3_bucket, tmp_path, "runs-too-long", StoppingCondition={"MaxRuntimeInSeconds": 1}
    )
    described = _wait(client, "runs-too-long")

    assert described["ProcessingJobStatus"] == "Stopped", described.get("FailureReason")
    assert "MaxRuntimeInSeconds (1 s)" in described["ExitMessage"]
    assert described["StoppingCondition"] == {"MaxRuntimeInSeconds": 1}


def test_the_processing_job_listing_runs_on_sqlite_and_postgresql(database_url: str, s3_bucket: str) -> None:
    db = open_database(database_url)
    try:
        execution_id, _ = _schedule_with_execution(db, s3_bucket)
        with db.session() as session:
            for name in ("monitoring-b", "a-baseline"):
                start_baseline_job(session, BaselineJobSpec(name=name, dataset_uri=str(CREDIT)))
            jobs, more = list_processing_jobs(
                session,
                execution_prefix="monitoring-execution-",
                where=ProcessingJobFilter(
                    name_prefix="monitoring-",
                    status=ProcessingJobStatus.IN_PROGRESS,
                    created_before=datetime.now(UTC) + timedelta(minutes=1),
                    modified_after=datetime.now(UTC) - timedelta(days=1),
                ),
                sort_by="Name",
                sort_order="Descending",
                limit=1,
            )
            assert [(job.name, job.kind.value) for job in jobs] == [
                (f"monitoring-execution-{execution_id}", "execution")
            ]
            assert more
            assert jobs[0].created_at.tzinfo is not None
            rest, more = list_processing_jobs(
                session,
                execution_prefix="monitoring-execution-",
                sort_by="Name",
                sort_order="Descending",
                offset=1,
            )
            assert [job.name for job in rest] == ["monitoring-b", "a-baseline"] and not more
    finally:
        db.dispose()


def _post(server: str, target: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        server + "/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _with(request: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``request`` with the member at dotted ``path`` set to ``value`` (None: removed)."""
    changed = json.loads(json.dumps(request))
    *parents, last = path.split(".")
    target = changed
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "member"),
    [
        ("ProcessingJobName", 5, "ProcessingJobName"),
        ("ProcessingJobName", "under_score", "ProcessingJobName"),
        ("ProcessingJobName", "x" * 64, "ProcessingJobName"),
        ("ProcessingResources", ["not", "a", "structure"], "ProcessingResources"),
        (
            "ProcessingResources.ClusterConfig.InstanceCount",
            0,
            "ProcessingResources.ClusterConfig.InstanceCount",
        ),
        ("AppSpecification.ImageUri", None, "AppSpecification.ImageUri"),
        ("RoleArn", "short", "RoleArn"),
        ("ProcessingInputs", ["not-an-input"], "ProcessingInputs.1"),
        ("ProcessingInputs.0.S3Input", None, "ProcessingInputs.1.S3Input"),
        ("ProcessingInputs.0.S3Input.S3Uri", None, "ProcessingInputs.1.S3Input.S3Uri"),
        ("ProcessingInputs.0.S3Input.S3DataType", "ManifestFile", "ProcessingInputs.1.S3Input.S3DataType"),
        ("ProcessingInputs.0.S3Input.S3DataType", "Folder", "ProcessingInputs.1.S3Input.S3DataType"),
        (
            "ProcessingOutputConfig.Outputs.0.S3Output.LocalPath",
            7,
            "ProcessingOutputConfig.Outputs.1.S3Output",
        ),
        ("Environment.dataset_source", None, "Environment.dataset_source"),
        ("Environment.publish_cloudwatch_metrics", False, "Environment.publish_cloudwatch_metrics"),
        (
            "Environment.dataset_format",
            json.dumps({"csv": {"output_columns_position": "MIDDLE"}}),
            "Environment.dataset_format",
        ),
        ("StoppingCondition", {"MaxRuntimeInSeconds": 0}, "StoppingCondition.MaxRuntimeInSeconds"),
        ("Tags", [{"Key": "k"}], "Tags.1.Value"),
    ],
)
def test_bad_create_requests_are_validation_errors_naming_the_member(
    server: str, s3_bucket: str, path: str, value: Any, member: str
) -> None:
    body = _with(_sdk_request("bad-request", s3_bucket), path, value)
    status, answer = _post(server, "SageMaker.CreateProcessingJob", body)
    assert status == 400 and answer["__type"] == "ValidationException", answer
    assert member in answer["message"], answer


@pytest.mark.parametrize(
    ("target", "body"),
    [
        ("SageMaker.DescribeProcessingJob", {}),
        ("SageMaker.DescribeProcessingJob", {"ProcessingJobName": ["x"]}),
        ("SageMaker.StopProcessingJob", {"ProcessingJobName": ""}),
        ("SageMaker.ListProcessingJobs", {"CreationTimeAfter": "yesterday"}),
        ("SageMaker.ListProcessingJobs", {"MaxResults": "ten"}),
        ("Logs_20140328.GetLogEvents", {"logGroupName": "/aws/sagemaker/ProcessingJobs"}),
        ("Logs_20140328.GetLogEvents", {"logGroupName": 3, "logStreamName": "a/b"}),
        ("Logs_20140328.DescribeLogStreams", {"logGroupName": "/aws/sagemaker/ProcessingJobs", "limit": 51}),
    ],
)
def test_bad_parameters_of_the_other_operations_are_400s(
    server: str, target: str, body: dict[str, Any]
) -> None:
    status, answer = _post(server, target, body)
    assert status == 400, answer
    assert answer["__type"] in ("ValidationException", "InvalidParameterException"), answer


def test_an_executions_processing_job_points_at_its_results_on_s3(
    sagemaker_client: Any, s3_server: str, s3_bucket: str
) -> None:
    """The SDK's list_executions() chain: a baseline processing job, a job definition over its files, a
    NOW schedule over drifted captured traffic run by the server, then the execution's processing job,
    whose output URI holds the results and whose log is in CloudWatch Logs."""
    client, logs = sagemaker_client(), sagemaker_client(service="logs")
    request = _sdk_request("chain-baseline", s3_bucket)
    _put(s3_server, request["ProcessingInputs"][0]["S3Input"]["S3Uri"] + "/credit.csv", CREDIT.read_bytes())
    client.create_processing_job(**request)
    assert _wait(client, "chain-baseline")["ProcessingJobStatus"] == "Completed"
    results = request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]

    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_capture(Path(capture_root()), "credit", hour, credit_rows(drifted=True, count=300))
    baseline = {
        "ConstraintsResource": {"S3Uri": f"{results}/constraints.json"},
        "StatisticsResource": {"S3Uri": f"{results}/statistics.json"},
    }
    client.create_data_quality_job_definition(
        **data_quality("chain-dq", "credit", f"{s3_bucket}/monitoring", DataQualityBaselineConfig=baseline)
    )
    client.create_monitoring_schedule(
        MonitoringScheduleName="chain",
        MonitoringScheduleConfig=schedule_config("NOW", definition="chain-dq", start="-PT2H", end="PT0H"),
    )
    deadline = time.monotonic() + 180
    while True:
        [summary] = client.list_monitoring_executions(MonitoringScheduleName="chain")[
            "MonitoringExecutionSummaries"
        ]
        if summary["MonitoringExecutionStatus"] not in ("Pending", "InProgress"):
            break
        assert time.monotonic() < deadline, summary
        time.sleep(0.3)
    name = summary["ProcessingJobArn"].split(":")[5].removeprefix("processing-job/")

    described = client.describe_processing_job(ProcessingJobName=name)

    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary.get("FailureReason")
    assert described["ProcessingJobStatus"] == "Completed"
    assert described["ExitMessage"].startswith("CompletedWithViolations:")
    assert described["RoleArn"] == ROLE_OF_DEFINITIONS
    assert described["AppSpecification"]["ImageUri"] == ANALYZER_OF_DEFINITIONS
    inputs = {item["InputName"]: item["S3Input"]["S3Uri"] for item in described["ProcessingInputs"]}
    assert inputs["baseline"] == f"{results}/statistics.json"
    assert inputs["constraints"] == f"{results}/constraints.json"
    output = described["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert output.startswith(f"{s3_bucket}/monitoring/")
    violations = _get_json(s3_server, f"{output}/constraint_violations.json")["violations"]
    assert violations and all(v["constraint_check_type"] for v in violations)
    assert _get_json(s3_server, f"{output}/statistics.json")["dataset"]["item_count"] == 300

    [stream] = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/ProcessingJobs", logStreamNamePrefix=f"{name}/"
    )["logStreams"]
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/ProcessingJobs",
        logStreamName=stream["logStreamName"],
        startFromHead=True,
    )["events"]
    assert any("CompletedWithViolations" in event["message"] for event in events)


@pytest.mark.parametrize("kind", ["json", "parquet"])
def test_json_lines_and_parquet_datasets_are_baselined(
    sagemaker_client: Any, s3_server: str, s3_bucket: str, kind: str
) -> None:
    import io

    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    table = pcsv.read_csv(CREDIT)
    if kind == "json":
        data = "".join(json.dumps(row) + "\n" for row in table.to_pylist()).encode()
        dataset_format = {"json": {"lines": True}}
    else:
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        data, dataset_format = buffer.getvalue(), {"parquet": {}}
    client = sagemaker_client()
    request = _sdk_request(f"{kind}-baseline", s3_bucket, {"dataset_format": json.dumps(dataset_format)})
    _put(s3_server, request["ProcessingInputs"][0]["S3Input"]["S3Uri"] + f"/credit.{kind}", data)

    client.create_processing_job(**request)
    described = _wait(client, f"{kind}-baseline")

    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    results = request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    statistics = _get_json(s3_server, f"{results}/statistics.json")
    assert statistics["dataset"]["item_count"] == 4000
    assert {feature["name"] for feature in statistics["features"]} == set(table.column_names)


def test_delete_forgets_an_ended_baseline_and_keeps_running_jobs_and_executions(
    sagemaker_client: Any, db: Database, s3_server: str, s3_bucket: str
) -> None:
    client = sagemaker_client()
    request = _sdk_request("short-lived", s3_bucket) | {"Tags": [{"Key": "k", "Value": "v"}]}
    _put(s3_server, request["ProcessingInputs"][0]["S3Input"]["S3Uri"] + "/empty.csv", b"")
    client.create_processing_job(**request)
    assert _wait(client, "short-lived")["ProcessingJobStatus"] == "Failed"
    execution_id, _ = _schedule_with_execution(db, s3_bucket)
    with db.session() as session:
        start_baseline_job(session, BaselineJobSpec(name="busy", dataset_uri=str(CREDIT)))
        assert claim_baseline_job(session, "busy", "elsewhere:1")

    client.delete_processing_job(ProcessingJobName="short-lived")

    with pytest.raises(ClientError) as gone:
        client.describe_processing_job(ProcessingJobName="short-lived")
    assert _error(gone)[1].startswith("Could not find processing job")
    arn = f"arn:aws:sagemaker:{REGION}:000000000000:processing-job/short-lived"
    assert client.list_tags(ResourceArn=arn)["Tags"] == []
    for name in ("busy", f"monitoring-execution-{execution_id}", "never-was"):
        with pytest.raises(ClientError) as kept:
            client.delete_processing_job(ProcessingJobName=name)
        assert _error(kept)[0] == "ValidationException", name
    assert client.describe_processing_job(ProcessingJobName="busy")["ProcessingJobStatus"] == "InProgress"

    again = _with(_with(request, "Tags", None), "Environment.publish_cloudwatch_metrics", "Enabled")
    client.create_processing_job(**again)  # the name is free again, and Describe echoes the new request
    assert _wait(client, "short-lived")["Environment"]["publish_cloudwatch_metrics"] == "Enabled"


def test_baselines_of_a_server_that_died_are_settled_at_the_next_start(
    sagemaker_client: Any, db: Database, data_dir: Path
) -> None:
    """A client waiting on a processing job must see it end even if the server running it was killed."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead_runner = f"{socket.gethostname()}:{gone.pid}"
    with db.session() as session:
        for name in ("had-finished", "cut-short", "was-stopping"):
            start_baseline_job(session, BaselineJobSpec(name=name, dataset_uri=str(CREDIT)))
            assert claim_baseline_job(session, name, dead_runner)
        stop_baseline_job(session, "was-stopping")
    finished = data_dir / "work" / "baseline-had-finished-1765000000000"
    finished.mkdir(parents=True)
    (finished / "message").write_text("Completed: Job completed successfully.")
    (finished / "execution.log").write_text("profiled\n")
    cut = data_dir / "work" / "baseline-cut-short-1765000000000"
    cut.mkdir(parents=True)
    (cut / "execution.log").write_text("reading\n")

    assert recover_orphans(db, data_dir / "work") == 3

    client = sagemaker_client()
    assert (
        client.describe_processing_job(ProcessingJobName="had-finished")["ProcessingJobStatus"] == "Completed"
    )
    failed = client.describe_processing_job(ProcessingJobName="cut-short")
    assert failed["ProcessingJobStatus"] == "Failed"
    assert "ended before it did" in failed["FailureReason"]
    assert (
        client.describe_processing_job(ProcessingJobName="was-stopping")["ProcessingJobStatus"] == "Stopped"
    )
    assert not finished.exists() and not cut.exists()  # their logs now lie beside their results
    logs = sagemaker_client(service="logs")
    [stream] = logs.describe_log_streams(
        logGroupName="/aws/sagemaker/ProcessingJobs", logStreamNamePrefix="cut-short/"
    )["logStreams"]
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/ProcessingJobs",
        logStreamName=stream["logStreamName"],
        startFromHead=True,
    )["events"]
    assert [event["message"] for event in events] == ["reading"]
