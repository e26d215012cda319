"""A ``CreateProcessingJob`` request as a modelwatch baselining job (:class:`BaselineJobSpec`).

A processing job runs a container that reads its inputs from local paths and writes its outputs to
local paths, each mapped to S3 by the request (``ProcessingInputs[].S3Input.{LocalPath,S3Uri}``,
``ProcessingOutputConfig.Outputs[].S3Output.{LocalPath,S3Uri}``). modelwatch runs no container: it reads
what the image would have been asked to do and maps each local path back to its S3 URI.

* The Model Monitor analyzer (repository ``sagemaker-model-monitor-analyzer``) reads its
  ``Environment``: ``dataset_source`` (a LocalPath: the dataset is every file under that input's
  ``S3Uri``), ``output_path`` (a LocalPath: ``statistics.json`` and ``constraints.json`` go to that
  output's ``S3Uri``), ``dataset_format`` (JSON: ``{"csv": {"header": true, "output_columns_position":
  "START"}}``, ``{"json": {"lines": true}}``, ``{"parquet": {}}``), and for ``analysis_type``
  ``MODEL_QUALITY`` a ModelQuality baseline's ``problem_type``, ``inference_attribute``,
  ``probability_attribute``, ``probability_threshold_attribute``, ``ground_truth_attribute``. Without
  ``analysis_type`` it is a DataQuality baseline. ``record_preprocessor_script`` and
  ``post_analytics_processor_script`` must name an input's LocalPath but are not run: modelwatch's
  baselines profile the dataset as it is. ``publish_cloudwatch_metrics`` and
  ``categorical_drift_method`` are accepted and kept, not used.
* Clarify (repository ``sagemaker-clarify-processing``) reads ``analysis_config.json`` from the input
  named ``analysis_config`` (LocalPath ``/opt/ml/processing/input/config``; its ``S3Uri`` is the file
  or its folder) and the dataset from the input named ``dataset`` (``/opt/ml/processing/input/data``),
  and writes ``analysis.json`` to the output named ``analysis_result``. A config with ``methods.shap``
  is a ModelExplainability baseline, one with ``pre_training_bias`` / ``post_training_bias`` a ModelBias
  baseline; a CSV dataset has no header row (Clarify's ``headers`` name its columns).
* Any other image is a custom container (docs/custom-monitors.md): run as asked by
  :mod:`modelwatch.jobs.custom` (``ContainerEntrypoint``, ``ContainerArguments``, ``Environment``), each
  input's files placed at its ``LocalPath`` (under ``/opt/ml/processing/``) and each output's
  ``LocalPath`` copied to its ``S3Uri`` after a run that exits 0; a ``statistics.json`` /
  ``constraints.json`` among the outputs is the baselining job's result. The network is on only with a
  ``NetworkConfig`` whose ``EnableNetworkIsolation`` is false.

Inputs are S3 prefixes (``S3DataType`` ``S3Prefix``; a ``ManifestFile`` is refused), read as folders:
every file under the prefix, hidden files skipped. ``StoppingCondition.MaxRuntimeInSeconds`` bounds the
job's run (the runner stops it past that, ``Stopped``); ``ProcessingResources``, ``RoleArn``,
``NetworkConfig`` and the inputs' modes are kept and echoed, not used.

Errors name the member of the request (``Environment.dataset_source``,
``ProcessingInputs.1.S3Input.S3Uri``), as SageMaker's own validation does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from modelwatch.errors import ModelwatchError
from modelwatch.io.storage import join_uri, read_text
from modelwatch.jobs.definitions import BaselineParameters, MonitoringType, ProcessingContainerJob
from modelwatch.sagemaker_api.errors import ValidationError
from modelwatch.sagemaker_api.reader import Reader, read_tags
from modelwatch.sagemaker_api.service_errors import Members, service_errors, validation_message
from modelwatch.sagemaker_api.shapes import (
    ANALYZER_REPOSITORY,
    CLARIFY_REPOSITORY,
    container_command,
    network_enabled,
    repository,
)
from modelwatch.service.schemas import BaselineDatasetFormatSpec, BaselineJobSpec

__all__ = ["CLARIFY_CONFIG_FILE", "ProcessingRequest", "read_processing_request"]

CLARIFY_CONFIG_FILE = "analysis_config.json"
CLARIFY_CONFIG_PATH = "/opt/ml/processing/input/config"
CLARIFY_DATA_PATH = "/opt/ml/processing/input/data"
PROCESSING_ROOT = "/opt/ml/processing/"
MAX_ENVIRONMENT = 50


@dataclass(frozen=True)
class _Channel:
    """One input or output: its name, S3 URI, local path and the member that holds its URI."""

    name: str
    uri: str
    local: str
    member: str


@dataclass
class ProcessingRequest:
    """What a ``CreateProcessingJob`` request asks for, as modelwatch runs it."""

    name: str
    spec: BaselineJobSpec
    members: Members
    """Which member of the request each field of ``spec`` came from (for the service's errors)."""
    tags: list[tuple[str, str]]


def read_processing_request(body: dict[str, Any]) -> ProcessingRequest:
    """Read and check a ``CreateProcessingJob`` request.

    Raises:
        ValidationError: a member is missing or wrong (named), or the image is not one modelwatch runs.
    """
    reader = Reader(body)
    name = reader.text("ProcessingJobName", required=True, min_length=1, max_length=63)
    _check_resources(reader.must_child("ProcessingResources"))
    role = reader.text("RoleArn", required=True, min_length=20, max_length=2048)
    if not role.startswith("arn:"):
        raise ValidationError(validation_message("RoleArn", "Member must be an IAM role ARN"))
    image = reader.must_child("AppSpecification").text("ImageUri", required=True, max_length=255)
    environment = _environment(reader)
    inputs = [_input(item) for item in reader.children("ProcessingInputs")]
    if len(inputs) > 10:
        raise ValidationError(validation_message("ProcessingInputs", "Member must have length ≤ 10"))
    output_config = reader.child("ProcessingOutputConfig")
    outputs = [_output(item) for item in output_config.children("Outputs")] if output_config else []
    stopping = reader.child("StoppingCondition")
    if stopping is not None and not 1 <= stopping.required("MaxRuntimeInSeconds", int) <= 777600:
        raise ValidationError(
            validation_message("StoppingCondition.MaxRuntimeInSeconds", "Member must be from 1 to 777600")
        )
    tags = read_tags(body)
    members = Members(default="AppSpecification.ImageUri")
    members.add("name", "ProcessingJobName")
    kind = repository(image)
    if kind == ANALYZER_REPOSITORY:
        spec = _analyzer_job(name, environment, inputs, outputs, members)
    elif kind == CLARIFY_REPOSITORY:
        spec = _clarify_job(name, inputs, outputs, members)
    else:
        spec = _custom_job(reader, name, image, environment, inputs, outputs, members)
    return ProcessingRequest(name, spec, members, tags)


def _custom_job(
    reader: Reader,
    name: str,
    image: str,
    environment: dict[str, str],
    inputs: list[_Channel],
    outputs: list[_Channel],
    members: Members,
) -> BaselineJobSpec:
    """A custom container's processing job: run as asked (:mod:`modelwatch.jobs.custom`)."""
    app = reader.must_child("AppSpecification")
    container: dict[str, Any] = {
        "image_uri": image,
        "instance_type": reader.must_child("ProcessingResources")
        .must_child("ClusterConfig")
        .optional("InstanceType", str),
    }
    container |= container_command(app, max_arguments=256)
    container["network_enabled"] = network_enabled(reader.child("NetworkConfig"))
    for channel in (*inputs, *outputs):
        if not channel.local.startswith(PROCESSING_ROOT):
            raise ValidationError(
                validation_message(
                    channel.member.removesuffix("S3Uri") + "LocalPath",
                    f"Member must be a path under {PROCESSING_ROOT}",
                )
            )
    members.add("parameters.processing", "AppSpecification")
    if not inputs and not outputs:
        raise ValidationError(
            validation_message("ProcessingInputs", "a custom container's job needs an input or an output")
        )
    with service_errors(members):
        processing = ProcessingContainerJob.model_validate(
            {
                "container": container,
                "environment": environment,
                "inputs": [{"local_path": c.local, "uri": c.uri} for c in inputs],
                "outputs": [{"local_path": c.local, "uri": c.uri} for c in outputs],
            }
        )
        return BaselineJobSpec(
            name=name,
            dataset_uri=(inputs or outputs)[0].uri,
            output_uri=outputs[0].uri if outputs else None,
            parameters=BaselineParameters(processing=processing),
        )


def _check_resources(resources: Reader) -> None:
    cluster = resources.must_child("ClusterConfig")
    for member, largest in (("InstanceCount", 100), ("VolumeSizeInGB", 16384)):
        if not 1 <= cluster.required(member, int) <= largest:
            raise ValidationError(
                validation_message(cluster.member(member), f"Member must be from 1 to {largest}")
            )
    cluster.text("InstanceType", required=True, min_length=1, max_length=64)


def _environment(reader: Reader) -> dict[str, str]:
    environment = reader.strings("Environment") or {}
    if len(environment) > MAX_ENVIRONMENT:
        raise ValidationError(
            validation_message("Environment", f"Member must have length ≤ {MAX_ENVIRONMENT}")
        )
    for key, value in environment.items():
        if len(key) > 256 or len(value) > 256:
            raise ValidationError(
                validation_message(f"Environment.{key}", "keys and values must have length ≤ 256")
            )
    return environment


def _input(item: Reader) -> _Channel:
    name = item.text("InputName", required=True, min_length=1, max_length=256)
    source = item.child("S3Input")
    if source is None:
        raise ValidationError(
            validation_message(
                item.member("S3Input"), "modelwatch reads S3 inputs only (no DatasetDefinition)"
            )
        )
    uri = source.text("S3Uri", required=True, min_length=1, max_length=1024)
    local = source.text("LocalPath", required=True, min_length=1, max_length=256)
    if source.enum("S3DataType", ("ManifestFile", "S3Prefix")) == "ManifestFile":
        raise ValidationError(
            validation_message(source.member("S3DataType"), "modelwatch reads S3Prefix inputs only")
        )
    return _Channel(name, uri, local, source.member("S3Uri"))


def _output(item: Reader) -> _Channel:
    name = item.text("OutputName", required=True, min_length=1, max_length=256)
    target = item.child("S3Output")
    if target is None:
        raise ValidationError(
            validation_message(item.member("S3Output"), "modelwatch writes S3 outputs only")
        )
    uri = target.text("S3Uri", required=True, min_length=1, max_length=1024)
    local = target.text("LocalPath", required=True, min_length=1, max_length=256)
    return _Channel(name, uri, local, target.member("S3Uri"))


def _mapped(channels: list[_Channel], local: str, member: str, what: str) -> tuple[str, _Channel]:
    """The URI that local path ``local`` (or a path under it) stands for, and its channel."""
    path = local.rstrip("/")
    for channel in channels:
        base = channel.local.rstrip("/")
        if path == base:
            return channel.uri, channel
        if path.startswith(base + "/"):
            return join_uri(channel.uri, path[len(base) + 1 :]), channel
    raise ValidationError(
        validation_message(member, f"{local!r} is the LocalPath of none of the job's {what}")
    )


def _analyzer_job(
    name: str, environment: dict[str, str], inputs: list[_Channel], outputs: list[_Channel], members: Members
) -> BaselineJobSpec:
    source = environment.get("dataset_source")
    if source is None:
        raise ValidationError(
            validation_message("Environment.dataset_source", "the analyzer needs the dataset's LocalPath")
        )
    dataset_uri, dataset = _mapped(inputs, source, "Environment.dataset_source", "ProcessingInputs")
    members.add("dataset_uri", dataset.member)
    output_uri = _output_uri(outputs, environment.get("output_path"), members)
    for script in ("record_preprocessor_script", "post_analytics_processor_script"):
        if script in environment:
            _mapped(inputs, environment[script], f"Environment.{script}", "ProcessingInputs")
    analysis = environment.get("analysis_type")
    if analysis not in (None, "MODEL_QUALITY"):
        raise ValidationError(
            f"1 validation error detected: Value '{analysis}' at 'Environment.analysis_type' failed to "
            "satisfy constraint: Member must satisfy enum value set: [MODEL_QUALITY] (or be absent)"
        )
    kind = MonitoringType.MODEL_QUALITY if analysis else MonitoringType.DATA_QUALITY
    dataset_format = _dataset_format(environment, kind, members)
    parameters = _quality_parameters(environment, members) if kind == MonitoringType.MODEL_QUALITY else None
    with service_errors(members):
        return BaselineJobSpec(
            name=name,
            monitoring_type=kind,
            dataset_uri=dataset_uri,
            dataset_format=dataset_format,
            output_uri=output_uri,
            parameters=parameters,
        )


def _output_uri(outputs: list[_Channel], local: str | None, members: Members) -> str:
    if local is not None:
        uri, output = _mapped(outputs, local, "Environment.output_path", "ProcessingOutputConfig.Outputs")
    elif len(outputs) == 1:
        uri, output = outputs[0].uri, outputs[0]
    else:
        raise ValidationError(
            validation_message(
                "Environment.output_path", "the analyzer needs the LocalPath of the output its files go to"
            )
        )
    members.add("output_uri", output.member)
    return uri


def _dataset_format(
    environment: dict[str, str], kind: MonitoringType, members: Members
) -> BaselineDatasetFormatSpec:
    member = "Environment.dataset_format"
    members.add("dataset_format", member)
    text = environment.get("dataset_format")
    if text is None:
        raise ValidationError(validation_message(member, "the analyzer needs the dataset's format"))
    try:
        value = json.loads(text)
    except ValueError:
        raise ValidationError(validation_message(member, f"{text!r} is not JSON")) from None
    if not isinstance(value, dict) or len(value) != 1 or not isinstance(next(iter(value.values())), dict):
        raise ValidationError(
            validation_message(member, 'must be one of {"csv": {...}}, {"json": {...}}, {"parquet": {}}')
        )
    [(name, options)] = value.items()
    match name:
        case "csv":
            csv: dict[str, Any] = {"header": options.get("header", False)}
            if kind == MonitoringType.DATA_QUALITY:  # the other types name their columns
                csv["output_columns_position"] = options.get("output_columns_position")
            shape: dict[str, Any] = {"csv": csv}
        case "json":
            shape = {"json": {"line": options.get("lines", options.get("line", True))}}
        case "parquet":
            shape = {"parquet": {}}
        case _:
            raise ValidationError(
                validation_message(member, f"unknown format {name!r}: csv, json or parquet")
            )
    with service_errors(Members(default=member)):
        return BaselineDatasetFormatSpec.model_validate(shape)


def _quality_parameters(environment: dict[str, str], members: Members) -> BaselineParameters:
    fields: dict[str, Any] = {}
    for field in ("problem_type", "inference_attribute", "probability_attribute", "ground_truth_attribute"):
        members.add(f"parameters.{field}", f"Environment.{field}")
        if field in environment:
            fields[field] = environment[field]
    threshold = environment.get("probability_threshold_attribute")
    members.add("parameters.probability_threshold_attribute", "Environment.probability_threshold_attribute")
    if threshold is not None:
        try:
            fields["probability_threshold_attribute"] = float(threshold)
        except ValueError:
            raise ValidationError(
                validation_message("Environment.probability_threshold_attribute", "Member must be a number")
            ) from None
    alone = Members(default="Environment")  # the fields' paths as BaselineParameters names them
    for field in (*fields, "probability_threshold_attribute"):
        alone.add(field, f"Environment.{field}")
    with service_errors(alone):
        return BaselineParameters.model_validate(fields)


def _named(channels: list[_Channel], name: str, local: str) -> _Channel | None:
    for channel in channels:
        if channel.name == name or channel.local.rstrip("/") == local:
            return channel
    return None


def _clarify_job(
    name: str, inputs: list[_Channel], outputs: list[_Channel], members: Members
) -> BaselineJobSpec:
    config_input = _named(inputs, "analysis_config", CLARIFY_CONFIG_PATH)
    if config_input is None:
        raise ValidationError(
            validation_message(
                "ProcessingInputs", f"Clarify needs the input analysis_config ({CLARIFY_CONFIG_PATH})"
            )
        )
    config_uri = config_input.uri
    if not config_uri.endswith(".json"):
        config_uri = join_uri(config_uri, CLARIFY_CONFIG_FILE)
    members.add("parameters.config_uri", config_input.member)
    config = _read_config(config_uri, config_input.member)
    dataset = _named(inputs, "dataset", CLARIFY_DATA_PATH)
    dataset_uri = dataset.uri if dataset else config.get("dataset_uri")
    if not isinstance(dataset_uri, str):
        raise ValidationError(
            validation_message("ProcessingInputs", f"Clarify needs the input dataset ({CLARIFY_DATA_PATH})")
        )
    members.add("dataset_uri", dataset.member if dataset else config_input.member)
    output = _named(outputs, "analysis_result", "/opt/ml/processing/output")
    if output is None and len(outputs) == 1:
        output = outputs[0]
    if output is None:
        raise ValidationError(
            validation_message("ProcessingOutputConfig.Outputs", "Clarify needs the output analysis_result")
        )
    members.add("output_uri", output.member)
    with service_errors(members):
        return BaselineJobSpec(
            name=name,
            monitoring_type=_clarify_kind(config, config_input.member),
            dataset_uri=dataset_uri,
            dataset_format=BaselineDatasetFormatSpec.model_validate(
                _clarify_format(config, config_input.member)
            ),
            output_uri=output.uri,
            parameters=BaselineParameters(config_uri=config_uri),
        )


def _read_config(uri: str, member: str) -> dict[str, Any]:
    try:
        config = json.loads(read_text(uri))
    except (ModelwatchError, OSError) as error:
        raise ValidationError(validation_message(member, f"cannot read {uri}: {error}")) from None
    except ValueError as error:
        raise ValidationError(validation_message(member, f"{uri} is not JSON: {error}")) from None
    if not isinstance(config, dict):
        raise ValidationError(validation_message(member, f"{uri} must hold a JSON object"))
    return config


def _clarify_kind(config: dict[str, Any], member: str) -> MonitoringType:
    methods = config.get("methods")
    names = set(methods) if isinstance(methods, dict) else set()
    explain = "shap" in names
    bias = bool(names & {"pre_training_bias", "post_training_bias"})
    if explain and bias:
        raise ValidationError(
            validation_message(
                member, "modelwatch runs bias and explainability analyses as two jobs: give one of them"
            )
        )
    if not explain and not bias:
        raise ValidationError(
            validation_message(
                member,
                "analysis_config.json's methods must ask for shap, pre_training_bias or post_training_bias",
            )
        )
    return MonitoringType.MODEL_EXPLAINABILITY if explain else MonitoringType.MODEL_BIAS


_CLARIFY_FORMATS: dict[str, dict[str, Any]] = {
    "text/csv": {"csv": {"header": False}},
    "application/jsonlines": {"json": {"line": True}},
    "application/x-parquet": {"parquet": {}},
}


def _clarify_format(config: dict[str, Any], member: str) -> dict[str, Any]:
    dataset_type = config.get("dataset_type", "text/csv")
    found = _CLARIFY_FORMATS.get(dataset_type) if isinstance(dataset_type, str) else None
    if found is None:
        raise ValidationError(
            validation_message(
                member,
                f"analysis_config.json's dataset_type {dataset_type!r} is not one of "
                f"{', '.join(_CLARIFY_FORMATS)}",
            )
        )
    return found
