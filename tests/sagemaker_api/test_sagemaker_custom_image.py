"""Custom monitoring containers through a real boto3 client: a schedule with an inline
``MonitoringJobDefinition`` of one's own image (what the SDK's base ``ModelMonitor(image_uri=...)``
sends) runs through the ``process`` runtime, its violations raising the schedule's alert; a typed job
definition with a custom image is kept and described with its container; bad container members are
``ValidationException``s naming the member."""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from sagemaker_bodies import data_quality, inline_definition, schedule_config

from capture_data import credit_rows, write_capture
from modelwatch.jobs.definitions import JobDefinition
from modelwatch.service.db import Database
from modelwatch.service.job_definitions import get_job_definition
from modelwatch.service.layout import capture_root

with warnings.catch_warnings():  # SDK v2 warns at import that v3 exists; users of sagemaker<3 see it too
    warnings.filterwarnings("ignore", message="You are using the SageMaker Python SDK v2")
    import sagemaker
    from sagemaker.model_monitor import CronExpressionGenerator, ModelMonitor, MonitoringOutput

SCRIPT = Path(__file__).parents[1] / "jobs" / "custom_monitor_script.py"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/my-monitor:1"
FINAL = {"Completed", "CompletedWithViolations", "Failed", "Stopped"}


@pytest.fixture(autouse=True)
def process_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test machines have no container engine: ECR images run as their entrypoint, locally."""
    monkeypatch.setenv("MODELWATCH_CONTAINER_RUNTIME", "process")


def _custom_inline(output_uri: str, environment: dict[str, str], **app: Any) -> dict[str, Any]:
    """An inline definition as ``ModelMonitor(image_uri=..., entrypoint=..., env=...)`` sends it."""
    return inline_definition(
        "churn",
        output_uri,
        MonitoringAppSpecification={
            "ImageUri": IMAGE,
            "ContainerEntrypoint": [sys.executable, str(SCRIPT)],
            **app,
        },
        Environment=environment,
        StoppingCondition={"MaxRuntimeInSeconds": 600},
    )


def _wait_for_final(client: Any, schedule: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        summaries = client.list_monitoring_executions(MonitoringScheduleName=schedule)[
            "MonitoringExecutionSummaries"
        ]
        if summaries and summaries[0]["MonitoringExecutionStatus"] in FINAL:
            return summaries[0]
        assert time.monotonic() < deadline, summaries
        time.sleep(0.2)


def test_an_inline_custom_container_runs_and_its_violations_raise_the_alert(
    sagemaker_client: Any, tmp_path: Path
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_capture(Path(capture_root()), "churn", hour, credit_rows(count=300))
    client = sagemaker_client()
    inline = _custom_inline(str(tmp_path / "out"), {"max_positive_share": "0.01"})
    client.create_monitoring_schedule(
        MonitoringScheduleName="custom-now",
        MonitoringScheduleConfig=schedule_config("NOW", inline=inline, start="-PT2H", end="PT0H"),
    )
    described = client.describe_monitoring_schedule(MonitoringScheduleName="custom-now")
    app = described["MonitoringScheduleConfig"]["MonitoringJobDefinition"]["MonitoringAppSpecification"]
    assert app["ImageUri"] == IMAGE and app["ContainerEntrypoint"] == [sys.executable, str(SCRIPT)]

    summary = _wait_for_final(client, "custom-now")
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary.get("FailureReason")
    [alert] = client.list_monitoring_alerts(MonitoringScheduleName="custom-now")["MonitoringAlertSummaries"]
    assert alert["AlertStatus"] == "InAlert"
    assert list((tmp_path / "out").rglob("summary.json"))  # the container's own output file was copied


def test_an_inline_custom_container_that_fails_gives_its_message_as_the_reason(
    sagemaker_client: Any, tmp_path: Path
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_capture(Path(capture_root()), "churn", hour, credit_rows(count=50))
    client = sagemaker_client()
    inline = _custom_inline(str(tmp_path / "out"), {"mode": "crash"})
    client.create_monitoring_schedule(
        MonitoringScheduleName="custom-crash",
        MonitoringScheduleConfig=schedule_config("NOW", inline=inline, start="-PT2H", end="PT0H"),
    )
    summary = _wait_for_final(client, "custom-crash")
    assert summary["MonitoringExecutionStatus"] == "Failed"
    assert summary["FailureReason"] == "AlgorithmError: Failed: the custom monitor found no model output"


def test_a_job_definition_with_a_custom_image_is_kept_with_its_container(
    sagemaker_client: Any, db: Database
) -> None:
    client = sagemaker_client()
    request = data_quality("custom-dq", "churn", "s3://bucket/out")
    request["DataQualityAppSpecification"] = {
        "ImageUri": IMAGE,
        "ContainerEntrypoint": ["python3", "/opt/program/monitor.py"],
        "ContainerArguments": ["--threshold", "0.1"],
    }
    request["JobResources"]["ClusterConfig"]["InstanceType"] = "ml.c5.xlarge"
    request["NetworkConfig"] = {"EnableNetworkIsolation": False}
    client.create_data_quality_job_definition(**request)
    described = client.describe_data_quality_job_definition(JobDefinitionName="custom-dq")
    assert described["DataQualityAppSpecification"]["ContainerArguments"] == ["--threshold", "0.1"]
    with db.session() as session:
        container = JobDefinition.model_validate(
            get_job_definition(session, "custom-dq").definition
        ).container
    assert container is not None
    assert (container.image_uri, container.entrypoint, container.arguments) == (
        IMAGE,
        ["python3", "/opt/program/monitor.py"],
        ["--threshold", "0.1"],
    )
    assert (container.instance_type, container.network_enabled) == ("ml.c5.xlarge", True)

    isolated = data_quality("custom-isolated", "churn", "s3://bucket/out")
    isolated["DataQualityAppSpecification"] = {"ImageUri": IMAGE}
    client.create_data_quality_job_definition(**isolated)
    with db.session() as session:
        kept = JobDefinition.model_validate(
            get_job_definition(session, "custom-isolated").definition
        ).container
    assert kept is not None and kept.network_enabled is False  # no NetworkConfig: the network stays off


def test_bad_container_members_are_named(sagemaker_client: Any) -> None:
    client = sagemaker_client()
    request = data_quality("custom-dq", "churn", "s3://bucket/out")
    request["DataQualityAppSpecification"] = {
        "ImageUri": IMAGE,
        "ContainerEntrypoint": ["x" * 300],
    }  # over 256
    with pytest.raises(ClientError) as caught:
        client.create_data_quality_job_definition(**request)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "DataQualityAppSpecification.ContainerEntrypoint" in error["Message"]


PROCESSING_SCRIPT = """
import json, os, sys
from pathlib import Path
rows = sum(len(p.read_text().splitlines()) for p in Path(os.environ["dataset_source"]).rglob("*.csv"))
if rows == 0:
    Path(os.environ["output_message_file"]).write_text("no rows in the dataset")
    sys.exit(4)
out = Path(os.environ["output_path"])
(out / "statistics.json").write_text(json.dumps({"version": 0.0, "dataset": {"item_count": rows}}))
(out / "nested").mkdir()
(out / "nested" / "rows.txt").write_text(str(rows))
"""


def _processing_request(name: str, bucket: str, script: Path) -> dict[str, Any]:
    """CreateProcessingJob as the SDK's ``Processor(image_uri=..., entrypoint=...)`` sends it."""
    return {
        "ProcessingJobName": name,
        "ProcessingResources": {
            "ClusterConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30}
        },
        "AppSpecification": {"ImageUri": IMAGE, "ContainerEntrypoint": [sys.executable, str(script)]},
        "RoleArn": "arn:aws:iam::111122223333:role/service-role/ProcessingRole",
        "ProcessingInputs": [
            {
                "InputName": "data",
                "S3Input": {
                    "S3Uri": f"{bucket}/{name}/data",
                    "LocalPath": "/opt/ml/processing/input/data",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {
                        "S3Uri": f"{bucket}/{name}/results",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "Environment": {
            "dataset_source": "/opt/ml/processing/input/data",
            "output_path": "/opt/ml/processing/output",
            "output_message_file": "/opt/ml/output/message",
        },
    }


def _wait_for_job(client: Any, name: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = client.describe_processing_job(ProcessingJobName=name)
        if described["ProcessingJobStatus"] not in ("InProgress", "Stopping"):
            return described
        assert time.monotonic() < deadline, described
        time.sleep(0.2)


def test_a_processing_job_of_a_custom_image_runs_with_its_inputs_and_outputs(
    sagemaker_client: Any, s3_server: str, s3_bucket: str, tmp_path: Path
) -> None:
    script = tmp_path / "count_rows.py"
    script.write_text(PROCESSING_SCRIPT)
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name=os.environ["AWS_DEFAULT_REGION"])
    bucket = s3_bucket.removeprefix("s3://")
    s3.put_object(Bucket=bucket, Key="counted/data/a.csv", Body=b"1,2\n3,4\n")
    s3.put_object(Bucket=bucket, Key="counted/data/part/b.csv", Body=b"5,6\n")
    client = sagemaker_client()
    client.create_processing_job(**_processing_request("counted", s3_bucket, script))
    described = _wait_for_job(client, "counted")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert described["AppSpecification"]["ContainerEntrypoint"] == [sys.executable, str(script)]
    statistics = s3.get_object(Bucket=bucket, Key="counted/results/statistics.json")["Body"].read()
    assert json.loads(statistics)["dataset"]["item_count"] == 3
    assert s3.get_object(Bucket=bucket, Key="counted/results/nested/rows.txt")["Body"].read() == b"3"

    s3.put_object(Bucket=bucket, Key="empty/data/none.csv", Body=b"")
    client.create_processing_job(**_processing_request("empty", s3_bucket, script))
    failed = _wait_for_job(client, "empty")
    assert failed["ProcessingJobStatus"] == "Failed"
    assert failed["FailureReason"] == "AlgorithmError: no rows in the dataset"


@pytest.mark.filterwarnings("ignore::sagemaker.deprecations.SageMakerV2DeprecationWarning")
def test_the_sdks_own_model_monitor_with_an_image_of_ones_own_runs_it(
    sagemaker_client: Any, s3_bucket: str
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    write_capture(Path(capture_root()), "churn", hour, credit_rows(count=100))
    client = sagemaker_client()
    session = sagemaker.Session(
        boto_session=boto3.Session(region_name="eu-west-1"),
        sagemaker_client=client,
        default_bucket=s3_bucket.removeprefix("s3://"),
    )
    monitor = ModelMonitor(
        role="arn:aws:iam::111122223333:role/service-role/ModelMonitorRole",
        image_uri=IMAGE,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        entrypoint=[sys.executable, str(SCRIPT)],
        env={"max_positive_share": "0.01"},
        max_runtime_in_seconds=600,
        sagemaker_session=session,
    )
    monitor.create_monitoring_schedule(
        endpoint_input="churn",
        output=MonitoringOutput(source="/opt/ml/processing/output", destination=f"{s3_bucket}/custom"),
        monitor_schedule_name="sdk-custom",
        schedule_cron_expression=CronExpressionGenerator.now(),
        data_analysis_start_time="-PT2H",
        data_analysis_end_time="PT0H",
    )
    summary = _wait_for_final(client, "sdk-custom")
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations", summary.get("FailureReason")
    [execution] = monitor.list_executions()
    violations = execution.constraint_violations().body_dict["violations"]  # read back from S3 by the SDK
    assert [v["constraint_check_type"] for v in violations] == ["positive_share_check"]
