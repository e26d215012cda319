"""The CloudWatch Logs subset through a real boto3 ``logs`` client (and the SageMaker SDK's own log
reader) against a real server: a finished baseline's log, a running job's log as it grows, the
repeating forward token, and Logs' errors."""

from __future__ import annotations

import json
import os
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from modelwatch.examples import __file__ as examples_init
from modelwatch.service.baselines import start_baseline_job
from modelwatch.service.db import Database
from modelwatch.service.endpoints import create_endpoint
from modelwatch.service.executions import claim_executions
from modelwatch.service.schedules import create_schedule, run_now
from modelwatch.service.schemas import BaselineJobSpec, EndpointSpec, JobDefinition, ScheduleSpec

with warnings.catch_warnings():  # SDK v2 warns at import that v3 exists
    warnings.filterwarnings("ignore", message="You are using the SageMaker Python SDK v2")
    import sagemaker

CREDIT = Path(examples_init).parent / "credit.csv"
GROUP = "/aws/sagemaker/ProcessingJobs"
ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
ROLE = "arn:aws:iam::111122223333:role/service-role/ModelMonitorRole"


def _baseline(client: Any, s3_server: str, bucket: str, name: str) -> dict[str, Any]:
    """A DataQuality baseline of credit.csv run to its end; its description."""
    s3 = boto3.client("s3", endpoint_url=s3_server, region_name=os.environ["AWS_DEFAULT_REGION"])
    s3.put_object(
        Bucket=bucket.removeprefix("s3://"), Key=f"{name}/input/credit.csv", Body=CREDIT.read_bytes()
    )
    client.create_processing_job(
        ProcessingJobName=name,
        ProcessingResources={
            "ClusterConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30}
        },
        AppSpecification={"ImageUri": ANALYZER},
        RoleArn=ROLE,
        ProcessingInputs=[
            {
                "InputName": "baseline_dataset_input",
                "S3Input": {
                    "S3Uri": f"{bucket}/{name}/input",
                    "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "S3Output": {
                        "S3Uri": f"{bucket}/{name}/results",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        Environment={
            "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
            "output_path": "/opt/ml/processing/output",
            "publish_cloudwatch_metrics": "Disabled",
        },
    )
    deadline = time.monotonic() + 180
    while True:
        described = client.describe_processing_job(ProcessingJobName=name)
        if described["ProcessingJobStatus"] != "InProgress":
            return described
        assert time.monotonic() < deadline, "the baseline did not end"
        time.sleep(0.3)


def _code(caught: pytest.ExceptionInfo[ClientError]) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_a_finished_baseline_has_one_stream_with_its_log_and_a_forward_token_that_repeats(
    sagemaker_client: Any, s3_server: str, s3_bucket: str
) -> None:
    sagemaker, logs = sagemaker_client(), sagemaker_client(service="logs")
    described = _baseline(sagemaker, s3_server, s3_bucket, "logged-baseline")
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")

    streams = logs.describe_log_streams(
        logGroupName=GROUP, logStreamNamePrefix="logged-baseline/", orderBy="LogStreamName", limit=1
    )["logStreams"]
    assert len(streams) == 1
    stream = streams[0]["logStreamName"]
    assert stream.startswith("logged-baseline/algo-1-") and stream.rsplit("-", 1)[1].isdigit()
    assert streams[0]["firstEventTimestamp"] <= streams[0]["lastEventTimestamp"]

    first = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True)
    messages = [event["message"] for event in first["events"]]
    assert any("Completed: Job completed successfully." in message for message in messages), messages
    stamps = [event["timestamp"] for event in first["events"]]
    assert stamps == sorted(stamps)
    assert all(isinstance(stamp, int) and stamp > 1_700_000_000_000 for stamp in stamps)

    again = logs.get_log_events(
        logGroupName=GROUP, logStreamName=stream, startFromHead=True, nextToken=first["nextForwardToken"]
    )
    assert again["events"] == []
    assert again["nextForwardToken"] == first["nextForwardToken"]

    tail = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, limit=1)
    assert [event["message"] for event in tail["events"]] == messages[-1:]
    before = logs.get_log_events(
        logGroupName=GROUP, logStreamName=stream, limit=1, nextToken=tail["nextBackwardToken"]
    )
    assert [event["message"] for event in before["events"]] == messages[-2:-1]


@pytest.mark.filterwarnings("ignore::sagemaker.deprecations.SageMakerV2DeprecationWarning")
def test_the_sagemaker_sdk_prints_the_log_of_a_processing_job(
    sagemaker_client: Any,
    server: str,
    s3_server: str,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client = sagemaker_client()
    _baseline(client, s3_server, s3_bucket, "sdk-logged")
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", server)
    boto_session = boto3.Session(
        aws_access_key_id="AKIAEXAMPLEEXAMPLE00", aws_secret_access_key="secret", region_name="eu-west-1"
    )
    session = sagemaker.Session(
        boto_session=boto_session, sagemaker_client=client, default_bucket=s3_bucket.removeprefix("s3://")
    )
    capsys.readouterr()
    session.logs_for_processing_job("sdk-logged", wait=False, poll=0)  # poll: its first sleep
    printed = capsys.readouterr().out
    assert "Completed: Job completed successfully." in printed


def _running_execution(db: Database, data_dir: Path) -> tuple[int, Path]:
    """A claimed (InProgress) execution and the log file of its work folder, as the runner lays it out."""
    with db.session() as session:
        create_endpoint(session, EndpointSpec(name="tailed"))
        create_schedule(
            session,
            ScheduleSpec(
                name="tailed-hourly",
                schedule_expression="cron(0 * ? * * *)",
                definition=JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "tailed"}}),
            ),
        )
        end = datetime(2026, 12, 1, 10).astimezone()
        execution = run_now(session, "tailed-hourly", window_start=end - timedelta(hours=1), window_end=end)
        claim_executions(session, [execution.id], "elsewhere:1")
    work = data_dir / "work" / f"execution-{execution.id}-1765000000000"
    work.mkdir(parents=True)
    return execution.id, work / "execution.log"


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _line(moment: datetime, text: str) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S},{moment.microsecond // 1000:03d} INFO modelwatch.job: {text}\n"


def test_a_running_jobs_log_is_read_as_it_grows(sagemaker_client: Any, db: Database, data_dir: Path) -> None:
    logs = sagemaker_client(service="logs")
    execution_id, log = _running_execution(db, data_dir)
    job = f"monitoring-execution-{execution_id}"
    # the job logs its machine's local time, after it started
    one = (datetime.now() + timedelta(seconds=10)).replace(microsecond=250000).astimezone()
    two, three = one + timedelta(seconds=2), one + timedelta(seconds=4, microseconds=750000)
    failed = _line(three, "failed:")
    log.write_text(_line(one, "reading the window") + _line(two, "profiling") + failed[:16])

    [stream] = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=f"{job}/")["logStreams"]
    name = stream["logStreamName"]
    first = logs.get_log_events(logGroupName=GROUP, logStreamName=name, startFromHead=True)
    assert [(e["timestamp"], e["message"].rsplit(": ", 1)[1]) for e in first["events"]] == [
        (_ms(one), "reading the window"),
        (_ms(two), "profiling"),
    ]  # the last line is still being written

    with log.open("a") as file:
        file.write(failed[16:] + "Traceback (most recent call last):\n")
    second = logs.get_log_events(
        logGroupName=GROUP, logStreamName=name, startFromHead=True, nextToken=first["nextForwardToken"]
    )
    assert [(e["timestamp"], e["message"]) for e in second["events"]] == [
        (_ms(three), failed.rstrip("\n")),
        (_ms(three), "Traceback (most recent call last):"),  # an untimed line takes the time before it
    ]
    third = logs.get_log_events(
        logGroupName=GROUP, logStreamName=name, startFromHead=True, nextToken=second["nextForwardToken"]
    )
    assert third["events"] == [] and third["nextForwardToken"] == second["nextForwardToken"]
    later = logs.get_log_events(
        logGroupName=GROUP, logStreamName=name, startFromHead=True, startTime=_ms(three)
    )
    assert len(later["events"]) == 2


def test_a_job_that_has_not_started_has_no_stream_yet(sagemaker_client: Any, db: Database) -> None:
    with db.session() as session:
        start_baseline_job(session, BaselineJobSpec(name="waiting-job", dataset_uri=str(CREDIT)))
    logs = sagemaker_client(service="logs")
    assert (
        logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="waiting-job/")["logStreams"] == []
    )
    assert logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix="waiting")["logStreams"] == []
    with pytest.raises(ClientError) as caught:
        logs.get_log_events(logGroupName=GROUP, logStreamName="waiting-job/algo-1-1")
    assert _code(caught) == "ResourceNotFoundException"


def test_missing_groups_streams_and_bad_tokens_are_logs_errors(
    sagemaker_client: Any, db: Database, data_dir: Path
) -> None:
    logs = sagemaker_client(service="logs")
    execution_id, log = _running_execution(db, data_dir)
    log.write_text(_line(datetime.now().astimezone(), "started"))
    job = f"monitoring-execution-{execution_id}"
    [stream] = logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=job)["logStreams"]

    with pytest.raises(ClientError) as group:
        logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs")
    assert _code(group) == "ResourceNotFoundException"
    for missing in (f"{job}/algo-2-1", "no-such-job/algo-1-1", "no-slash"):
        with pytest.raises(ClientError) as caught:
            logs.get_log_events(logGroupName=GROUP, logStreamName=missing)
        assert _code(caught) == "ResourceNotFoundException", missing
    with pytest.raises(ClientError) as token:
        logs.get_log_events(logGroupName=GROUP, logStreamName=stream["logStreamName"], nextToken="x/12")
    assert _code(token) == "InvalidParameterException"
    with pytest.raises(ClientError) as order:
        logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=job, orderBy="LastEventTime")
    assert _code(order) == "InvalidParameterException"
