"""SageMaker's job-definition shapes ↔ modelwatch's typed :class:`~modelwatch.jobs.definitions.JobDefinition`.

Requests are read with a :class:`~modelwatch.sagemaker_api.reader.Reader`, whose errors name the member
by its full path (``DataQualityJobInput.EndpointInput.EndpointName``). A definition is read from a typed
``Create{Type}JobDefinition`` request (:func:`typed_job_definition`) or from the inline
``MonitoringJobDefinition`` of a schedule (:func:`inline_job_definition`); both record, in
:class:`~modelwatch.sagemaker_api.service_errors.Members`, which member each field came from, so a later
service error names the member too.

The way back (:func:`typed_shapes`, :func:`inline_shape`) describes a definition made through the REST
API or the CLI, which has no SageMaker request to echo: the analyzer or Clarify image of the region, one
``ml.m5.xlarge`` instance, a placeholder role.

Images: the Model Monitor analyzer (repository ``sagemaker-model-monitor-analyzer``) for DataQuality and
ModelQuality, Clarify (``sagemaker-clarify-processing``) for ModelBias and ModelExplainability, in any
registry, region or account, run modelwatch's built-in monitors; any other image is a custom container
(the definition's ``container``: ``ContainerEntrypoint``, ``ContainerArguments``, the ``ClusterConfig``'s
instance type for docker's limits, the network on only with a ``NetworkConfig`` whose
``EnableNetworkIsolation`` is false), run by :mod:`modelwatch.jobs.custom` (docs/custom-monitors.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from modelwatch.errors import NotFoundError
from modelwatch.jobs.definitions import JobDefinition, MonitoringType
from modelwatch.sagemaker_api.errors import ValidationError
from modelwatch.sagemaker_api.reader import Reader, read_tags  # re-exported: processing requests use them
from modelwatch.sagemaker_api.service_errors import Members, service_errors, validation_message
from modelwatch.service.baselines import get_baseline_job
from modelwatch.service.schedule_expression import parse_offset

__all__ = [
    "ANALYZER_REPOSITORY",
    "ARN_TYPES",
    "CLARIFY_REPOSITORY",
    "Reader",
    "TranslatedDefinition",
    "container_command",
    "image_uri",
    "inline_job_definition",
    "inline_shape",
    "network_enabled",
    "read_tags",
    "repository",
    "typed_job_definition",
    "typed_shapes",
]

ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"
CLARIFY_REPOSITORY = "sagemaker-clarify-processing"

ARN_TYPES = {
    MonitoringType.DATA_QUALITY: "data-quality-job-definition",
    MonitoringType.MODEL_QUALITY: "model-quality-job-definition",
    MonitoringType.MODEL_BIAS: "model-bias-job-definition",
    MonitoringType.MODEL_EXPLAINABILITY: "model-explainability-job-definition",
}
"""The ARN type of each monitoring type's job definitions."""

_REPOSITORIES = {
    MonitoringType.DATA_QUALITY: ANALYZER_REPOSITORY,
    MonitoringType.MODEL_QUALITY: ANALYZER_REPOSITORY,
    MonitoringType.MODEL_BIAS: CLARIFY_REPOSITORY,
    MonitoringType.MODEL_EXPLAINABILITY: CLARIFY_REPOSITORY,
}
_PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
_INPUT_MODES = ("Pipe", "File")
_DISTRIBUTIONS = ("FullyReplicated", "ShardedByS3Key")
_UPLOAD_MODES = ("Continuous", "EndOfJob")
_LOCAL_INPUT = "/opt/ml/processing/input/endpoint"
_LOCAL_OUTPUT = "/opt/ml/processing/output"
_DEFAULT_ROLE = "arn:aws:iam::{account}:role/modelwatch"
_DEFAULT_CLUSTER = {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}


@dataclass
class TranslatedDefinition:
    """A definition read from a request, and which member each of its fields came from."""

    definition: JobDefinition
    members: Members


def repository(image: str) -> str:
    """The repository name of an image URI (``…/sagemaker-model-monitor-analyzer:latest`` → the name)."""
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]


def _container(
    app: Reader, kind: MonitoringType, cluster: Reader, network: Reader | None, fields: dict[str, Any]
) -> None:
    """A custom container's fields from the app specification, unless its image is the built-in one."""
    image = app.text("ImageUri", required=True, max_length=255)
    if repository(image) == _REPOSITORIES[kind]:
        return
    container: dict[str, Any] = {"image_uri": image, "instance_type": cluster.optional("InstanceType", str)}
    container |= container_command(app, max_arguments=50)
    container["network_enabled"] = network_enabled(network)
    fields["container"] = container


def container_command(app: Reader, *, max_arguments: int) -> dict[str, list[str]]:
    """``entrypoint`` and ``arguments`` of a custom container from ``ContainerEntrypoint`` (≤ 100) and
    ``ContainerArguments`` (≤ ``max_arguments``): lists of strings of 1–256 characters."""
    found: dict[str, list[str]] = {}
    for field, member, limit in (
        ("entrypoint", "ContainerEntrypoint", 100),
        ("arguments", "ContainerArguments", max_arguments),
    ):
        values = app.optional(member, list)
        if values is None:
            continue
        if not 1 <= len(values) <= limit or not all(
            isinstance(v, str) and 1 <= len(v) <= 256 for v in values
        ):
            raise ValidationError(
                validation_message(
                    app.member(member),
                    f"Member must be a list of 1 to {limit} strings of 1 to 256 characters",
                )
            )
        found[field] = values
    return found


def network_enabled(network: Reader | None) -> bool:
    """modelwatch's rule: a custom container has the network only with a ``NetworkConfig`` whose
    ``EnableNetworkIsolation`` is false."""
    return network is not None and network.optional("EnableNetworkIsolation", bool) is False


def _check_role(body: Reader) -> None:
    role = body.text("RoleArn", required=True, min_length=20, max_length=2048)
    if not role.startswith("arn:"):
        raise ValidationError(validation_message(body.member("RoleArn"), "Member must be an IAM role ARN"))


def _check_resources(reader: Reader) -> None:
    cluster = reader.must_child("ClusterConfig")
    for name in ("InstanceCount", "VolumeSizeInGB"):
        if cluster.required(name, int) < 1:
            raise ValidationError(
                validation_message(cluster.member(name), "Member must have value greater than or equal to 1")
            )
    cluster.text("InstanceType", required=True, min_length=1, max_length=64)


def _input(reader: Reader, fields: dict[str, Any], members: Members) -> None:
    """The endpoint or batch transform input inside ``reader`` (a job input or a monitoring input)."""
    endpoint, batch = reader.child("EndpointInput"), reader.child("BatchTransformInput")
    if (endpoint is None) == (batch is None):
        raise ValidationError(
            validation_message(reader.path, "give exactly one of EndpointInput, BatchTransformInput")
        )
    source = endpoint or batch
    assert source is not None
    key = "endpoint_input" if endpoint is not None else "batch_transform_input"
    members.add(key, source.path)
    members.add("StartTimeOffset", source.member("StartTimeOffset"))  # the service's names for them
    members.add("EndTimeOffset", source.member("EndTimeOffset"))
    value: dict[str, Any] = {}
    if endpoint is not None:
        value["endpoint_name"] = endpoint.text("EndpointName", required=True, min_length=1, max_length=63)
    else:
        value["data_captured_destination_uri"] = source.text("DataCapturedDestinationS3Uri", required=True)
        dataset = source.must_child("DatasetFormat")
        members.add(f"{key}.dataset_format", dataset.path)
        value["dataset_format"] = _dataset_format(dataset)
    source.text("LocalPath", required=True, max_length=256)
    source.enum("S3InputMode", _INPUT_MODES)
    source.enum("S3DataDistributionType", _DISTRIBUTIONS)
    for field, member in (
        ("endpoint_name", "EndpointName"),
        ("data_captured_destination_uri", "DataCapturedDestinationS3Uri"),
        ("start_time_offset", "StartTimeOffset"),
        ("end_time_offset", "EndTimeOffset"),
        ("features_attribute", "FeaturesAttribute"),
        ("inference_attribute", "InferenceAttribute"),
        ("probability_attribute", "ProbabilityAttribute"),
        ("probability_threshold_attribute", "ProbabilityThresholdAttribute"),
        ("exclude_features_attribute", "ExcludeFeaturesAttribute"),
    ):
        members.add(f"{key}.{field}", source.member(member))
        if field in value:
            continue
        found = (
            source.optional(member, float)
            if field == "probability_threshold_attribute"
            else source.optional(member, str)
        )
        if found is not None:
            value[field] = found
    for field in ("start_time_offset", "end_time_offset"):
        if isinstance(value.get(field), str):
            with service_errors(members):  # checked now, as SageMaker does, not when a schedule uses it
                parse_offset(value[field], field=f"{key}.{field}")
    fields[key] = value


def _dataset_format(reader: Reader) -> dict[str, Any]:
    csv, json_, parquet = reader.child("Csv"), reader.child("Json"), reader.child("Parquet")
    if sum(part is not None for part in (csv, json_, parquet)) != 1:
        raise ValidationError(validation_message(reader.path, "give exactly one of Csv, Json, Parquet"))
    if csv is not None:
        return {"csv": {"header": bool(csv.optional("Header", bool))}}
    if json_ is not None:
        return {"json": {"line": bool(json_.optional("Line", bool))}}
    return {"parquet": {}}


def _baseline(
    session: Session, reader: Reader | None, kind: MonitoringType, fields: dict[str, Any], members: Members
) -> None:
    """Baseline files: the resources' URIs, or else those of the baselining job named."""
    if reader is None:
        return
    job_name = reader.optional("BaseliningJobName", str)
    constraints, statistics = reader.child("ConstraintsResource"), reader.child("StatisticsResource")
    constraints_uri = constraints.optional("S3Uri", str) if constraints else None
    statistics_uri = statistics.optional("S3Uri", str) if statistics else None
    if statistics is not None and kind != MonitoringType.DATA_QUALITY:
        raise ValidationError(
            validation_message(statistics.path, f"a {kind.value} baseline has constraints only")
        )
    if job_name and (
        constraints_uri is None or (kind == MonitoringType.DATA_QUALITY and statistics_uri is None)
    ):
        try:
            job = get_baseline_job(session, job_name)
        except NotFoundError:
            raise ValidationError(
                validation_message(
                    reader.member("BaseliningJobName"), f"Could not find baselining job '{job_name}'"
                )
            ) from None
        if job.constraints_uri is None:
            raise ValidationError(
                validation_message(
                    reader.member("BaseliningJobName"),
                    f"baselining job '{job_name}' has no results ({job.status})",
                )
            )
        constraints_uri = constraints_uri or job.constraints_uri
        if kind == MonitoringType.DATA_QUALITY:
            statistics_uri = statistics_uri or job.statistics_uri
    if constraints_uri is not None:
        fields["baseline_constraints_uri"] = constraints_uri
        members.add("baseline_constraints_uri", f"{reader.path}.ConstraintsResource.S3Uri")
    if statistics_uri is not None:
        fields["baseline_statistics_uri"] = statistics_uri
        members.add("baseline_statistics_uri", f"{reader.path}.StatisticsResource.S3Uri")


def _output(reader: Reader, fields: dict[str, Any], members: Members) -> None:
    outputs = reader.children("MonitoringOutputs", required=True, min_items=1)
    s3 = outputs[0].must_child("S3Output")
    fields["output_uri"] = s3.text("S3Uri", required=True, min_length=1, max_length=512)
    s3.text("LocalPath", required=True, max_length=256)
    s3.enum("S3UploadMode", _UPLOAD_MODES)
    members.add("output_uri", s3.member("S3Uri"))


def _stopping(parent: Reader, fields: dict[str, Any], members: Members) -> None:
    members.add(
        "StoppingCondition.MaxRuntimeInSeconds", parent.member("StoppingCondition.MaxRuntimeInSeconds")
    )
    reader = parent.child("StoppingCondition")
    if reader is None:
        return
    fields["max_runtime_seconds"] = reader.required("MaxRuntimeInSeconds", int)
    members.add("max_runtime_seconds", reader.member("MaxRuntimeInSeconds"))


def _environment(reader: Reader, name: str, fields: dict[str, Any], members: Members) -> dict[str, str]:
    environment = reader.strings(name) or {}
    if environment:
        fields["environment"] = environment
    members.add("environment", reader.member(name))
    return environment


def _scripts(app: Reader, fields: dict[str, Any], members: Members) -> None:
    for field, member in (
        ("record_preprocessor_script", "RecordPreprocessorSourceUri"),
        ("post_analytics_processor_script", "PostAnalyticsProcessorSourceUri"),
    ):
        value = app.optional(member, str)
        members.add(field, app.member(member))
        if value is not None:
            fields[field] = value


_INPUT_VARIABLES = (
    "inference_attribute",
    "probability_attribute",
    "probability_threshold_attribute",
    "exclude_features_attribute",
)
"""The analyzer's environment variables that stand for input members (spec/model-monitor.md 4.1)."""


def _analyzer_environment(
    kind: MonitoringType, environment: dict[str, str], at: str, fields: dict[str, Any], members: Members
) -> None:
    """What the analyzer's environment variables say that the request's members do not: ``problem_type``
    (ModelQuality) and the input's attributes (the base ``ModelMonitor`` passes them this way)."""
    if (
        kind == MonitoringType.MODEL_QUALITY
        and "problem_type" in environment
        and "problem_type" not in fields
    ):
        fields["problem_type"] = environment["problem_type"]
        members.add("problem_type", f"{at}.problem_type")
    source = fields.get("endpoint_input") or fields.get("batch_transform_input")
    if source is None:
        return
    key = "endpoint_input" if "endpoint_input" in fields else "batch_transform_input"
    for name in _INPUT_VARIABLES:
        if name not in environment or name in source:
            continue
        value: str | float = environment[name]
        if name == "probability_threshold_attribute":
            try:
                value = float(value)
            except ValueError:
                raise ValidationError(
                    validation_message(f"{at}.{name}", f"Member must be a decimal number, got {value!r}")
                ) from None
        source[name] = value
        members.add(f"{key}.{name}", f"{at}.{name}")


def _build(fields: dict[str, Any], members: Members) -> TranslatedDefinition:
    with service_errors(members):
        return TranslatedDefinition(JobDefinition.model_validate(fields), members)


def typed_job_definition(
    session: Session, kind: MonitoringType, body: dict[str, Any]
) -> TranslatedDefinition:
    """The definition of a ``Create{kind}JobDefinition`` request."""
    request = Reader(body)
    prefix = kind.value
    members = Members(default=f"{prefix}JobInput")
    members.add("name", "JobDefinitionName")
    fields: dict[str, Any] = {}
    _check_role(request)
    resources = request.must_child("JobResources")
    _check_resources(resources)
    app = request.must_child(f"{prefix}AppSpecification")
    _container(app, kind, resources.must_child("ClusterConfig"), request.child("NetworkConfig"), fields)
    members.add("container", app.member("ImageUri"))
    if kind in (MonitoringType.DATA_QUALITY, MonitoringType.MODEL_QUALITY):
        _scripts(app, fields, members)
    environment = _environment(app, "Environment", fields, members)
    if kind == MonitoringType.MODEL_QUALITY:
        problem = app.enum("ProblemType", _PROBLEM_TYPES)
        members.add("problem_type", app.member("ProblemType"))
        if problem is not None:
            fields["problem_type"] = problem
    if kind in (MonitoringType.MODEL_BIAS, MonitoringType.MODEL_EXPLAINABILITY):
        fields["config_uri"] = app.text("ConfigUri", required=True, min_length=1)
        members.add("config_uri", app.member("ConfigUri"))
    job_input = request.must_child(f"{prefix}JobInput")
    _input(job_input, fields, members)
    _analyzer_environment(kind, environment, app.member("Environment"), fields, members)
    truth = job_input.child(
        "GroundTruthS3Input", required=kind in (MonitoringType.MODEL_QUALITY, MonitoringType.MODEL_BIAS)
    )
    if truth is not None:
        uri = truth.optional("S3Uri", str)
        members.add("ground_truth_uri", truth.member("S3Uri"))
        if uri:
            fields["ground_truth_uri"] = uri
    _output(request.must_child(f"{prefix}JobOutputConfig"), fields, members)
    _baseline(session, request.child(f"{prefix}BaselineConfig"), kind, fields, members)
    _stopping(request, fields, members)
    return _build(fields, members)


def inline_job_definition(session: Session, kind: MonitoringType, reader: Reader) -> TranslatedDefinition:
    """The inline ``MonitoringJobDefinition`` of a schedule (the SDK's base ``ModelMonitor``)."""
    members = Members(default=reader.path)
    fields: dict[str, Any] = {}
    _check_role(reader)
    resources = reader.must_child("MonitoringResources")
    _check_resources(resources)
    app = reader.must_child("MonitoringAppSpecification")
    _container(app, kind, resources.must_child("ClusterConfig"), reader.child("NetworkConfig"), fields)
    members.add("container", app.member("ImageUri"))
    _scripts(app, fields, members)
    environment = _environment(reader, "Environment", fields, members)
    inputs = reader.children("MonitoringInputs", required=True, min_items=1)
    if len(inputs) > 1:
        raise ValidationError(
            validation_message(
                reader.member("MonitoringInputs"), "Member must have length less than or equal to 1"
            )
        )
    _input(inputs[0], fields, members)
    _analyzer_environment(kind, environment, reader.member("Environment"), fields, members)
    _output(reader.must_child("MonitoringOutputConfig"), fields, members)
    _baseline(session, reader.child("BaselineConfig"), kind, fields, members)
    _stopping(reader, fields, members)
    return _build(fields, members)


# -- the way back: a definition without a SageMaker request -------------------------------------------


def image_uri(kind: MonitoringType, region: str, account: str) -> str:
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{_REPOSITORIES[kind]}:latest"


def _app(kind: MonitoringType, definition: JobDefinition, region: str, account: str) -> dict[str, Any]:
    """The image (a custom container's, else the built-in one of ``kind``), entrypoint and arguments."""
    container = definition.container
    if container is None:
        return {"ImageUri": image_uri(kind, region, account)}
    app: dict[str, Any] = {"ImageUri": container.image_uri}
    if container.entrypoint:
        app["ContainerEntrypoint"] = list(container.entrypoint)
    if container.arguments:
        app["ContainerArguments"] = list(container.arguments)
    return app


def _cluster(definition: JobDefinition) -> dict[str, Any]:
    cluster = dict(_DEFAULT_CLUSTER)
    if definition.container is not None and definition.container.instance_type:
        cluster["InstanceType"] = definition.container.instance_type
    return cluster


def _input_shape(definition: JobDefinition) -> dict[str, Any]:
    source = definition.input
    shape: dict[str, Any] = {
        "LocalPath": _LOCAL_INPUT,
        "S3InputMode": "File",
        "S3DataDistributionType": "FullyReplicated",
    }
    if definition.endpoint_input is not None:
        shape["EndpointName"] = definition.endpoint_input.endpoint_name
    else:
        assert definition.batch_transform_input is not None
        batch = definition.batch_transform_input
        shape["DataCapturedDestinationS3Uri"] = batch.data_captured_destination_uri
        fmt = batch.dataset_format
        shape["DatasetFormat"] = (
            {"Csv": {"Header": fmt.header}}
            if fmt.format == "csv"
            else {"Json": {"Line": bool((fmt.json_ or {}).get("line"))}}
            if fmt.format == "json"
            else {"Parquet": {}}
        )
    for field, member in (
        ("start_time_offset", "StartTimeOffset"),
        ("end_time_offset", "EndTimeOffset"),
        ("features_attribute", "FeaturesAttribute"),
        ("inference_attribute", "InferenceAttribute"),
        ("probability_attribute", "ProbabilityAttribute"),
        ("probability_threshold_attribute", "ProbabilityThresholdAttribute"),
        ("exclude_features_attribute", "ExcludeFeaturesAttribute"),
    ):
        value = getattr(source, field)
        if value is not None:
            shape[member] = value
    key = "EndpointInput" if definition.endpoint_input is not None else "BatchTransformInput"
    return {key: shape}


def _output_shape(output_uri: str) -> dict[str, Any]:
    return {
        "MonitoringOutputs": [
            {"S3Output": {"S3Uri": output_uri, "LocalPath": _LOCAL_OUTPUT, "S3UploadMode": "EndOfJob"}}
        ]
    }


def _baseline_shape(definition: JobDefinition, kind: MonitoringType) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    if definition.baseline_constraints_uri:
        shape["ConstraintsResource"] = {"S3Uri": definition.baseline_constraints_uri}
    if definition.baseline_statistics_uri and kind == MonitoringType.DATA_QUALITY:
        shape["StatisticsResource"] = {"S3Uri": definition.baseline_statistics_uri}
    return shape


def typed_shapes(
    kind: MonitoringType, definition: JobDefinition, output_uri: str, region: str, account: str
) -> dict[str, Any]:
    """The members of ``Describe{kind}JobDefinition`` for a definition made without the SageMaker API."""
    prefix = kind.value
    app = _app(kind, definition, region, account)
    if definition.record_preprocessor_script:
        app["RecordPreprocessorSourceUri"] = definition.record_preprocessor_script
    if definition.post_analytics_processor_script:
        app["PostAnalyticsProcessorSourceUri"] = definition.post_analytics_processor_script
    if definition.environment:
        app["Environment"] = dict(definition.environment)
    if kind == MonitoringType.MODEL_QUALITY and definition.problem_type:
        app["ProblemType"] = definition.problem_type
    if definition.config_uri:
        app["ConfigUri"] = definition.config_uri
    job_input = _input_shape(definition)
    if definition.ground_truth_uri:
        job_input["GroundTruthS3Input"] = {"S3Uri": definition.ground_truth_uri}
    shape: dict[str, Any] = {
        f"{prefix}AppSpecification": app,
        f"{prefix}JobInput": job_input,
        f"{prefix}JobOutputConfig": _output_shape(output_uri),
        "JobResources": {"ClusterConfig": _cluster(definition)},
        "RoleArn": _DEFAULT_ROLE.format(account=account),
        "StoppingCondition": {"MaxRuntimeInSeconds": definition.max_runtime},
    }
    baseline = _baseline_shape(definition, kind)
    if baseline:
        shape[f"{prefix}BaselineConfig"] = baseline
    return shape


def inline_shape(
    kind: MonitoringType, definition: JobDefinition, output_uri: str, region: str, account: str
) -> dict[str, Any]:
    """A schedule's inline ``MonitoringJobDefinition`` for a definition made without the SageMaker API."""
    app = _app(kind, definition, region, account)
    if definition.record_preprocessor_script:
        app["RecordPreprocessorSourceUri"] = definition.record_preprocessor_script
    if definition.post_analytics_processor_script:
        app["PostAnalyticsProcessorSourceUri"] = definition.post_analytics_processor_script
    shape: dict[str, Any] = {
        "MonitoringInputs": [_input_shape(definition)],
        "MonitoringOutputConfig": _output_shape(output_uri),
        "MonitoringResources": {"ClusterConfig": _cluster(definition)},
        "MonitoringAppSpecification": app,
        "StoppingCondition": {"MaxRuntimeInSeconds": definition.max_runtime},
        "RoleArn": _DEFAULT_ROLE.format(account=account),
    }
    if definition.environment:
        shape["Environment"] = dict(definition.environment)
    baseline = _baseline_shape(definition, kind)
    if baseline:
        shape["BaselineConfig"] = baseline
    return shape
