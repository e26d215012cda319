"""Checking a job definition before a schedule uses it: every error names the field it is about.

What is checked: the endpoint and variant exist; the offsets parse; the baseline files are files of the
monitoring type (a data-quality statistics.json + constraints.json, a model-quality constraints.json,
Clarify's analysis.json); the scripts exist and compile; the Clarify analysis configuration parses; the
type's own fields are given (a problem type and a predicted label or probability for ModelQuality); the
maximum runtime fits the schedule's period.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from modelwatch.errors import FormatError, ModelwatchError, StorageError, ValidationError
from modelwatch.io.storage import read_text
from modelwatch.service.endpoints import get_endpoint
from modelwatch.service.lookup import check_uri
from modelwatch.service.roots import confine_fields
from modelwatch.service.schedule_expression import ScheduleExpression, parse_offset, validate_max_runtime
from modelwatch.service.schemas import JobDefinition, MonitoringType

__all__ = ["SUPPORTED_TYPES", "check_definition"]

SUPPORTED_TYPES = frozenset(MonitoringType)
"""Monitoring types whose executions this version runs."""


def check_definition(
    session: Session,
    definition: JobDefinition,
    monitoring_type: MonitoringType,
    expression: ScheduleExpression,
) -> None:
    """Raise :class:`ValidationError` (or :class:`NotFoundError` for the endpoint) unless ``definition``
    can run as a ``monitoring_type`` execution on ``expression``'s schedule."""
    if monitoring_type not in SUPPORTED_TYPES:
        raise ValidationError(
            f"{monitoring_type.value} schedules are not available in this version; "
            f"available: {', '.join(sorted(t.value for t in SUPPORTED_TYPES))}",
            field="monitoring_type",
        )
    confine_fields(definition, "definition")  # MODELWATCH_ALLOWED_ROOTS
    _check_input(session, definition)
    if definition.container is None:
        _TYPE_CHECKS[monitoring_type](definition)
    else:  # a custom container reads its baseline files itself: they only have to be there
        for uri, field in (
            (definition.baseline_statistics_uri, "definition.baseline_statistics_uri"),
            (definition.baseline_constraints_uri, "definition.baseline_constraints_uri"),
        ):
            if uri is not None:
                check_uri(uri, field)
    _check_script(definition.record_preprocessor_script, "definition.record_preprocessor_script")
    _check_script(definition.post_analytics_processor_script, "definition.post_analytics_processor_script")
    if expression.kind == "cron" and definition.max_runtime_seconds is not None:
        validate_max_runtime(definition.max_runtime_seconds, expression, monitoring_type.value)


def _check_input(session: Session, definition: JobDefinition) -> None:
    source = definition.input
    if definition.endpoint_input is not None:
        endpoint = get_endpoint(session, definition.endpoint_input.endpoint_name)
        variant = definition.endpoint_input.variant_name
        if variant is not None and variant not in endpoint.variants:
            raise ValidationError(
                f"endpoint {endpoint.name!r} has no variant {variant!r} "
                f"(it has {', '.join(endpoint.variants)})",
                field="definition.endpoint_input.variant_name",
            )
    prefix = "definition.endpoint_input" if definition.endpoint_input else "definition.batch_transform_input"
    for name in ("start_time_offset", "end_time_offset"):
        value = getattr(source, name)
        if value is not None:
            parse_offset(value, field=f"{prefix}.{name}")


def _check_data_quality(definition: JobDefinition) -> None:
    from modelwatch.monitors.data_quality import read_baseline

    stats, constraints = definition.baseline_statistics_uri, definition.baseline_constraints_uri
    if (stats is None) != (constraints is None):
        raise ValidationError(
            "give both baseline_statistics_uri and baseline_constraints_uri, or neither",
            field="definition.baseline_constraints_uri" if stats else "definition.baseline_statistics_uri",
        )
    if stats is None or constraints is None:
        return
    check_uri(stats, "definition.baseline_statistics_uri")
    check_uri(constraints, "definition.baseline_constraints_uri")
    try:
        read_baseline(stats, constraints)
    except FormatError as error:
        field = (
            "definition.baseline_constraints_uri"
            if error.file == constraints
            else "definition.baseline_statistics_uri"
        )
        raise ValidationError(f"not a SageMaker baseline file: {error}", field=field) from None


def _check_model_quality(definition: JobDefinition) -> None:
    from modelwatch.monitors.model_quality import read_quality_constraints

    if definition.problem_type is None:
        raise ValidationError(
            "a ModelQuality definition needs a problem type", field="definition.problem_type"
        )
    source = definition.input
    prefix = "definition.endpoint_input" if definition.endpoint_input else "definition.batch_transform_input"
    if source.inference_attribute is None and source.probability_attribute is None:
        raise ValidationError(
            "give inference_attribute (the predicted label) or probability_attribute",
            field=f"{prefix}.inference_attribute",
        )
    if (
        source.inference_attribute is None
        and definition.problem_type == "BinaryClassification"
        and source.probability_threshold_attribute is None
    ):
        raise ValidationError(
            "a binary model judged by its probability needs probability_threshold_attribute",
            field=f"{prefix}.probability_threshold_attribute",
        )
    if definition.problem_type != "BinaryClassification" and source.inference_attribute is None:
        raise ValidationError(
            f"a {definition.problem_type} model needs inference_attribute",
            field=f"{prefix}.inference_attribute",
        )
    _check_labels(definition)
    _check_file(
        definition.baseline_constraints_uri,
        "definition.baseline_constraints_uri",
        lambda uri: read_quality_constraints(uri),
    )


def _check_labels(definition: JobDefinition) -> None:
    """Where the labels are (the folder may not exist yet: labels come later), and no record
    preprocessor (it shapes data-quality features only)."""
    if definition.batch_transform_input is not None and definition.ground_truth_uri is None:
        raise ValidationError(
            "a batch-transform definition needs ground_truth_uri (where the labels are)",
            field="definition.ground_truth_uri",
        )
    if definition.record_preprocessor_script is not None:
        raise ValidationError(
            "record_preprocessor_script is available for DataQuality schedules only in this version",
            field="definition.record_preprocessor_script",
        )


def _check_bias(definition: JobDefinition) -> None:
    from modelwatch.monitors.clarify_config import read_analysis_config
    from modelwatch.monitors.model_bias import read_bias_report

    _check_labels(definition)
    _check_config(definition, "ModelBias", lambda uri: read_analysis_config(uri, kind="bias_monitor"))
    _check_file(definition.baseline_constraints_uri, "definition.baseline_constraints_uri", read_bias_report)


def _check_explainability(definition: JobDefinition) -> None:
    from modelwatch.monitors.clarify_config import read_analysis_config
    from modelwatch.monitors.model_explainability import read_analysis

    _check_config(
        definition,
        "ModelExplainability",
        lambda uri: read_analysis_config(uri, kind="explainability_monitor"),
    )
    _check_file(definition.baseline_constraints_uri, "definition.baseline_constraints_uri", read_analysis)


def _check_config(definition: JobDefinition, kind: str, read: Callable[[str], object]) -> None:
    if definition.config_uri is None:
        raise ValidationError(
            f"a {kind} definition needs Clarify's analysis configuration", field="definition.config_uri"
        )
    _check_file(definition.config_uri, "definition.config_uri", read)


def _check_file(uri: str | None, field: str, read: Callable[[str], object]) -> None:
    if uri is None:
        return
    check_uri(uri, field)
    try:
        read(uri)
    except (ModelwatchError, ValueError) as error:
        raise ValidationError(str(error), field=field) from None


def _check_script(uri: str | None, field: str) -> None:
    if uri is None:
        return
    check_uri(uri, field)
    try:
        compile(read_text(uri), uri, "exec")
    except SyntaxError as error:
        raise ValidationError(f"{uri}, line {error.lineno}: SyntaxError: {error.msg}", field=field) from None
    except (StorageError, UnicodeDecodeError, ValueError) as error:
        raise ValidationError(f"{uri}: {error}", field=field) from None


_TYPE_CHECKS: dict[MonitoringType, Callable[[JobDefinition], None]] = {
    MonitoringType.DATA_QUALITY: _check_data_quality,
    MonitoringType.MODEL_QUALITY: _check_model_quality,
    MonitoringType.MODEL_BIAS: _check_bias,
    MonitoringType.MODEL_EXPLAINABILITY: _check_explainability,
    # modelwatch's own types: their baseline's descriptor profile is a data-quality statistics.json
    MonitoringType.TEXT_QUALITY: _check_data_quality,
    MonitoringType.IMAGE_QUALITY: _check_data_quality,
    MonitoringType.EMBEDDING_DRIFT: _check_data_quality,
}
