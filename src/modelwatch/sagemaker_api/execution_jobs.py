"""A monitoring execution described as the processing job that SageMaker would have run for it.

The SDK's ``list_executions()`` describes each execution's processing job and reads its results under
``ProcessingOutputConfig.Outputs[0].S3Output.S3Uri``: that is the execution's ``output_uri``, where
the job wrote ``statistics.json``, ``constraint_violations.json`` and the rest. The rest of the shape
follows what SageMaker's monitoring jobs show (spec model-monitor.md 4.1): one input per hour of the
window and variant (``endpoint_input_{n}``, the capture's hour folder mapped under
``/opt/ml/processing/input/endpoint``), the baseline files as inputs ``baseline`` and ``constraints``,
the container's environment with local paths, and the output ``result`` uploaded ``Continuous``.

``RoleArn``, ``ProcessingResources``, the image and ``NetworkConfig`` come from the SageMaker request that
made the schedule or its job definition when there is one, else from the same defaults as a job
definition made through the REST API.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from modelwatch.errors import ModelwatchError
from modelwatch.io.storage import join_uri
from modelwatch.jobs.definitions import JobDefinition, MonitoringType
from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.shapes import ARN_TYPES, image_uri
from modelwatch.service.endpoints import get_endpoint
from modelwatch.service.models import Execution
from modelwatch.service.processing_jobs import processing_status
from modelwatch.service.sagemaker_requests import get_request
from modelwatch.service.schemas import ExecutionStatus

__all__ = ["DEFAULT_CLUSTER", "DEFAULT_ROLE", "describe_execution_job"]

INPUT_ROOT = "/opt/ml/processing/input/endpoint"
OUTPUT_PATH = "/opt/ml/processing/output"
STATISTICS_PATH = "/opt/ml/processing/baseline/stats"
CONSTRAINTS_PATH = "/opt/ml/processing/baseline/constraints"
GROUND_TRUTH_PATH = "/opt/ml/processing/groundtruth"
DEFAULT_CLUSTER = {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
DEFAULT_ROLE = "arn:aws:iam::{account}:role/modelwatch"
MAX_HOURLY_INPUTS = 48
"""Past this many hour folders (a long window), the endpoint input is one prefix of the whole capture."""


def _s3_input(name: str, uri: str, local: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "AppManaged": False,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
            "S3CompressionType": "None",
        },
    }


def _hours(start: datetime, end: datetime) -> list[datetime]:
    hour = start.replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < end:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def _endpoint_inputs(session: Session, row: Execution, definition: JobDefinition) -> list[dict[str, Any]]:
    endpoint_name = definition.endpoint_name
    assert endpoint_name is not None
    try:
        endpoint = get_endpoint(session, endpoint_name)
    except ModelwatchError:
        return []  # the endpoint is gone; the execution keeps its results
    variants = (
        [definition.variant_name] if definition.variant_name else list(dict.fromkeys(endpoint.variants))
    )
    hours = _hours(row.window_start, row.window_end)
    inputs = []
    for variant in variants:
        root = join_uri(endpoint.capture_uri, endpoint_name, variant)
        local = f"{INPUT_ROOT}/{endpoint_name}/{variant}"
        if len(hours) > MAX_HOURLY_INPUTS:
            inputs.append((root, local))
            continue
        for hour in hours:
            inputs.append((join_uri(root, f"{hour:%Y/%m/%d/%H}"), f"{local}/{hour:%Y/%m/%d/%H}"))
    return [_s3_input(f"endpoint_input_{n}", uri, local) for n, (uri, local) in enumerate(inputs, start=1)]


def _inputs(session: Session, row: Execution, definition: JobDefinition) -> list[dict[str, Any]]:
    if definition.endpoint_input is not None:
        inputs = _endpoint_inputs(session, row, definition)
    else:
        assert definition.batch_transform_input is not None
        source = definition.batch_transform_input.data_captured_destination_uri
        inputs = [_s3_input("batch_transform_input_1", source, "/opt/ml/processing/input/batch_transform")]
    if definition.baseline_statistics_uri:
        inputs.append(_s3_input("baseline", definition.baseline_statistics_uri, STATISTICS_PATH))
    if definition.baseline_constraints_uri:
        inputs.append(_s3_input("constraints", definition.baseline_constraints_uri, CONSTRAINTS_PATH))
    if definition.ground_truth_uri:
        inputs.append(_s3_input("groundtruth_input_1", definition.ground_truth_uri, GROUND_TRUTH_PATH))
    return inputs


def _time(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%SZ}"


def _environment(row: Execution, definition: JobDefinition, kind: MonitoringType) -> dict[str, str]:
    """The analyzer's environment, as SageMaker sets it for a scheduled job (spec model-monitor.md 4.1)."""
    environment = {
        "dataset_source": INPUT_ROOT,
        "output_path": OUTPUT_PATH,
        "publish_cloudwatch_metrics": "Enabled",
        "sagemaker_monitoring_schedule_name": row.schedule_name,
        "start_time": _time(row.window_start),
        "end_time": _time(row.window_end),
        "metric_time": _time(row.window_start),
    }
    if definition.endpoint_name:
        environment["sagemaker_endpoint_name"] = definition.endpoint_name
        environment["dataset_format"] = json.dumps(
            {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
        )
    if definition.baseline_statistics_uri:
        environment["baseline_statistics"] = f"{STATISTICS_PATH}/statistics.json"
    if definition.baseline_constraints_uri:
        environment["baseline_constraints"] = f"{CONSTRAINTS_PATH}/constraints.json"
    if kind == MonitoringType.MODEL_QUALITY:
        environment["analysis_type"] = "MODEL_QUALITY"
        if definition.problem_type:
            environment["problem_type"] = definition.problem_type
    return environment | dict(definition.environment)


def _structure(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _made_with(session: Session, schedule_name: str) -> dict[str, Any]:
    """RoleArn, ClusterConfig, ImageUri and NetworkConfig as the SageMaker request of the schedule (or of
    its job definition) gave them; empty when the schedule was not made through the SageMaker API."""
    schedule = _structure(get_request(session, "monitoring-schedule", schedule_name))
    config = _structure(schedule.get("MonitoringScheduleConfig"))
    inline = _structure(config.get("MonitoringJobDefinition"))
    if inline:
        return {
            "RoleArn": inline.get("RoleArn"),
            "ClusterConfig": _structure(inline.get("MonitoringResources")).get("ClusterConfig"),
            "ImageUri": _structure(inline.get("MonitoringAppSpecification")).get("ImageUri"),
            "NetworkConfig": inline.get("NetworkConfig"),
        }
    name, kind = config.get("MonitoringJobDefinitionName"), config.get("MonitoringType")
    if not isinstance(name, str) or kind not in set(MonitoringType):
        return {}
    definition = _structure(get_request(session, ARN_TYPES[MonitoringType(kind)], name))
    return {
        "RoleArn": definition.get("RoleArn"),
        "ClusterConfig": _structure(definition.get("JobResources")).get("ClusterConfig"),
        "ImageUri": _structure(definition.get(f"{kind}AppSpecification")).get("ImageUri"),
        "NetworkConfig": definition.get("NetworkConfig"),
    }


def describe_execution_job(session: Session, row: Execution, *, region: str, account: str) -> dict[str, Any]:
    """``DescribeProcessingJob``'s answer for execution ``row``."""
    definition = JobDefinition.model_validate(row.definition)
    kind = MonitoringType(row.monitoring_type)
    made = _made_with(session, row.schedule_name)
    status = ExecutionStatus(row.status)
    name = wire.execution_job_name(row.id)
    answer: dict[str, Any] = {
        "ProcessingJobName": name,
        "ProcessingJobArn": wire.arn(region, account, "processing-job", name),
        "ProcessingJobStatus": processing_status(status).value,
        "ProcessingInputs": _inputs(session, row, definition),
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "result",
                    "AppManaged": False,
                    "S3Output": {
                        "S3Uri": row.output_uri,
                        "LocalPath": OUTPUT_PATH,
                        "S3UploadMode": "Continuous",
                    },
                }
            ]
        },
        "ProcessingResources": {"ClusterConfig": made.get("ClusterConfig") or dict(DEFAULT_CLUSTER)},
        "StoppingCondition": {"MaxRuntimeInSeconds": definition.max_runtime},
        "AppSpecification": {"ImageUri": made.get("ImageUri") or image_uri(kind, region, account)},
        "Environment": _environment(row, definition, kind),
        "RoleArn": made.get("RoleArn") or DEFAULT_ROLE.format(account=account),
        "MonitoringScheduleArn": wire.arn(region, account, "monitoring-schedule", row.schedule_name),
        "CreationTime": wire.epoch(row.created_at),
        "LastModifiedTime": wire.epoch(row.updated_at),
    }
    if made.get("NetworkConfig"):
        answer["NetworkConfig"] = made["NetworkConfig"]
    if row.started_at is not None:
        answer["ProcessingStartTime"] = wire.epoch(row.started_at)
    if row.ended_at is not None and status.finished:
        answer["ProcessingEndTime"] = wire.epoch(row.ended_at)
    if status == ExecutionStatus.FAILED:
        answer["FailureReason"] = row.failure_reason or "the job failed"
    message = row.exit_message or (row.failure_reason if status == ExecutionStatus.STOPPED else None)
    if message:
        answer["ExitMessage"] = message
    return answer
