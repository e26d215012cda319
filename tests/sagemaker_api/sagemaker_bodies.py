"""Request bodies as SageMaker's Python SDK sends them (spec/sagemaker-api.md section 3)."""

from __future__ import annotations

from typing import Any

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
ANALYZER = "159807026194.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY = "009899899404.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:1.0"
CLUSTER = {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}


def endpoint_input(endpoint: str, **extra: Any) -> dict[str, Any]:
    return {
        "EndpointName": endpoint,
        "LocalPath": "/opt/ml/processing/input/endpoint",
        "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated",
        **extra,
    }


def output(uri: str) -> dict[str, Any]:
    return {"MonitoringOutputs": [{"S3Output": {"S3Uri": uri, "LocalPath": "/opt/ml/processing/output"}}]}


def data_quality(name: str, endpoint: str, output_uri: str, **extra: Any) -> dict[str, Any]:
    """``CreateDataQualityJobDefinition`` as ``DefaultModelMonitor.create_monitoring_schedule`` sends it."""
    return {
        "JobDefinitionName": name,
        "DataQualityAppSpecification": {
            "ImageUri": ANALYZER,
            "Environment": {"publish_cloudwatch_metrics": "Enabled"},
        },
        "DataQualityJobInput": {"EndpointInput": endpoint_input(endpoint)},
        "DataQualityJobOutputConfig": output(output_uri),
        "JobResources": {"ClusterConfig": dict(CLUSTER)},
        "RoleArn": ROLE,
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        **extra,
    }


def model_quality(name: str, endpoint: str, output_uri: str, truth_uri: str, **extra: Any) -> dict[str, Any]:
    return {
        "JobDefinitionName": name,
        "ModelQualityAppSpecification": {"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        "ModelQualityJobInput": {
            "EndpointInput": endpoint_input(
                endpoint, InferenceAttribute="0", ProbabilityThresholdAttribute=0.5
            ),
            "GroundTruthS3Input": {"S3Uri": truth_uri},
        },
        "ModelQualityJobOutputConfig": output(output_uri),
        "JobResources": {"ClusterConfig": dict(CLUSTER)},
        "RoleArn": ROLE,
        **extra,
    }


def clarify(
    kind: str, name: str, endpoint: str, output_uri: str, config_uri: str, **extra: Any
) -> dict[str, Any]:
    """``CreateModelBiasJobDefinition`` (kind ``ModelBias``) or ``...Explainability...``."""
    job_input: dict[str, Any] = {"EndpointInput": endpoint_input(endpoint, FeaturesAttribute="features")}
    if kind == "ModelBias":
        job_input["GroundTruthS3Input"] = {"S3Uri": output_uri + "/ground-truth"}
    return {
        "JobDefinitionName": name,
        f"{kind}AppSpecification": {"ImageUri": CLARIFY, "ConfigUri": config_uri},
        f"{kind}JobInput": job_input,
        f"{kind}JobOutputConfig": output(output_uri),
        "JobResources": {"ClusterConfig": dict(CLUSTER)},
        "RoleArn": ROLE,
        **extra,
    }


def inline_definition(endpoint: str, output_uri: str, **extra: Any) -> dict[str, Any]:
    """The inline ``MonitoringJobDefinition`` of the SDK's base ``ModelMonitor``."""
    return {
        "MonitoringInputs": [{"EndpointInput": endpoint_input(endpoint)}],
        "MonitoringOutputConfig": output(output_uri),
        "MonitoringResources": {"ClusterConfig": dict(CLUSTER)},
        "MonitoringAppSpecification": {"ImageUri": ANALYZER},
        "RoleArn": ROLE,
        **extra,
    }


def schedule_config(
    expression: str = "cron(0 * ? * * *)",
    *,
    definition: str | None = None,
    kind: str = "DataQuality",
    inline: dict[str, Any] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    schedule: dict[str, Any] = {"ScheduleExpression": expression}
    if start is not None:
        schedule["DataAnalysisStartTime"] = start
    if end is not None:
        schedule["DataAnalysisEndTime"] = end
    config: dict[str, Any] = {"ScheduleConfig": schedule, "MonitoringType": kind}
    if definition is not None:
        config["MonitoringJobDefinitionName"] = definition
    if inline is not None:
        config["MonitoringJobDefinition"] = inline
    return config
