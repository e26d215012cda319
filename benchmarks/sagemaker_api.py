"""The SageMaker-compatible API's speed over a store of 10,000 executions: p50/p99 latency of
``DescribeMonitoringSchedule`` and ``ListMonitoringExecutions`` (a page of 100) through one boto3 client,
SigV4 signed and verified, against a real uvicorn server (``modelwatch.server.create_app``, its own
process) on loopback.

The store holds ``--schedules`` hourly schedules of one endpoint, made through the SageMaker API itself
(``CreateDataQualityJobDefinition`` + ``CreateMonitoringSchedule``), with ``--per-schedule`` executions
each inserted in the store directly (``executions.insert_slots``). An admin access key is created first,
so every request's signature is verified. Each operation is called ``--calls`` times after a warm-up:

- ``DescribeMonitoringSchedule`` of a random schedule (with its latest execution's summary),
- ``ListMonitoringExecutions(MaxResults=100)``, newest first over all executions (the first page),
- the same for one schedule (``MonitoringScheduleName``), as the SDK's ``list_executions()`` asks,
- ``ListMonitoringExecutions(MaxResults=100)`` at a deep page (offset 5,000, by ``NextToken``),
- ``ListMonitoringSchedules(MaxResults=100)``.

Target: p99 under 50 ms with one client.

Run: ``python benchmarks/sagemaker_api.py [--schedules 10] [--per-schedule 1000] [--calls 300]``.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from served_app import start_server

from modelwatch.service import executions, schedules
from modelwatch.service.access_keys import create_access_key
from modelwatch.service.db import Database, open_database

T0 = datetime(2026, 1, 1, tzinfo=UTC)
REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
ANALYZER = "159807026194.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer"


@dataclass(frozen=True)
class Result:
    operation: str
    latencies: list[float]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def client(url: str, key: str, secret: str) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def create_schedules(sagemaker: Any, count: int) -> list[str]:
    """``count`` hourly data-quality schedules of endpoint ``bench``, made through the SageMaker API."""
    names = []
    for i in range(count):
        name = f"s{i:04d}"
        sagemaker.create_data_quality_job_definition(
            JobDefinitionName=f"dq-{name}",
            DataQualityAppSpecification={"ImageUri": ANALYZER},
            DataQualityJobInput={"EndpointInput": {"EndpointName": "bench", "LocalPath": "/opt/ml/input"}},
            DataQualityJobOutputConfig={
                "MonitoringOutputs": [{"S3Output": {"S3Uri": f"s3://b/{name}", "LocalPath": "/opt/ml/out"}}]
            },
            JobResources={
                "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
            },
            RoleArn=ROLE,
        )
        sagemaker.create_monitoring_schedule(
            MonitoringScheduleName=name,
            MonitoringScheduleConfig={
                "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                "MonitoringJobDefinitionName": f"dq-{name}",
                "MonitoringType": "DataQuality",
            },
        )
        names.append(name)
    return names


def insert_executions(db: Database, names: list[str], per_schedule: int) -> int:
    """``per_schedule`` executions of each schedule, hourly slots from :data:`T0`, inserted directly."""
    total = 0
    with db.session() as session:
        for name in names:
            row = schedules.get_schedule(session, name)
            output = schedules.schedule_output_uri(row)
            slots = [
                (row, slot, (slot - timedelta(hours=1), slot), output)
                for slot in (T0 + timedelta(hours=h) for h in range(per_schedule))
            ]
            total += executions.insert_slots(session, slots)
    return total


def measure(operation: str, call: Callable[[], Any], calls: int) -> Result:
    for _ in range(10):  # warm up
        call()
    latencies = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - start)
    return Result(operation, latencies)


def deep_token(sagemaker: Any, pages: int) -> str:
    token = None
    for _ in range(pages):
        answer = sagemaker.list_monitoring_executions(
            MaxResults=100, **({"NextToken": token} if token else {})
        )
        token = answer["NextToken"]
    assert token
    return str(token)


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="modelwatch-bench-") as tmp:
        folder = Path(tmp)
        os.environ["MODELWATCH_DATA_DIR"] = str(folder)
        database_url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        db = open_database(database_url)
        with db.session() as session:
            info, secret = create_access_key(session, "bench", "admin")
        process, url = start_server(database_url, folder, "server")
        try:
            sagemaker = client(url, info.access_key_id, secret)
            began = time.perf_counter()
            names = create_schedules(sagemaker, args.schedules)
            total = insert_executions(db, names, args.per_schedule)
            db.dispose()
            print(
                f"sqlite: {len(names)} schedules, {total} executions in {time.perf_counter() - began:.1f} s"
            )
            random.seed(0)
            deep = deep_token(sagemaker, 50)
            results = [
                measure(
                    "DescribeMonitoringSchedule",
                    lambda: sagemaker.describe_monitoring_schedule(
                        MonitoringScheduleName=random.choice(names)
                    ),
                    args.calls,
                ),
                measure(
                    "ListMonitoringExecutions(MaxResults=100)",
                    lambda: sagemaker.list_monitoring_executions(MaxResults=100),
                    args.calls,
                ),
                measure(
                    "ListMonitoringExecutions(one schedule, 100)",
                    lambda: sagemaker.list_monitoring_executions(
                        MonitoringScheduleName=random.choice(names),
                        SortBy="ScheduledTime",
                        SortOrder="Descending",
                        MaxResults=100,
                    ),
                    args.calls,
                ),
                measure(
                    "ListMonitoringExecutions(100, offset 5000)",
                    lambda: sagemaker.list_monitoring_executions(MaxResults=100, NextToken=deep),
                    args.calls,
                ),
                measure(
                    "ListMonitoringSchedules(MaxResults=100)",
                    lambda: sagemaker.list_monitoring_schedules(MaxResults=100),
                    args.calls,
                ),
            ]
        finally:
            process.terminate()
            process.wait(10)
    print(f"\none boto3 client, SigV4 verified, {args.calls} calls each (target p99 < 50 ms)")
    print(f"{'operation':<46} {'p50 ms':>8} {'p99 ms':>8}")
    for result in results:
        print(f"{result.operation:<46} {result.percentile(0.5):>8.1f} {result.percentile(0.99):>8.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schedules", type=int, default=10)
    parser.add_argument("--per-schedule", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=300)
    parsed = parser.parse_args()
    main(parsed)
