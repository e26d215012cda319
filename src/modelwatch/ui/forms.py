"""The schedule forms: their fields, turning them into the service's ``ScheduleSpec`` /
``ScheduleUpdate``, and the errors of either side shown beside the field they are about.

A field error of pydantic (``definition.endpoint_input.start_time_offset``) or of the service
(``ScheduleConfig.ScheduleExpression``, ``StoppingCondition.MaxRuntimeInSeconds``) is matched to the
form field of the same name; an error that names no form field is shown above the form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pydantic

from modelwatch.errors import ValidationError
from modelwatch.service.schemas import JobDefinition, MonitoringType, ScheduleSpec, ScheduleUpdate

__all__ = [
    "DEFINITION_FIELDS",
    "FormErrors",
    "ScheduleForm",
    "form_from_schedule",
    "parse_window",
    "schedule_spec",
    "schedule_update",
]

DEFINITION_FIELDS = (
    "baseline_statistics_uri",
    "baseline_constraints_uri",
    "record_preprocessor_script",
    "post_analytics_processor_script",
    "max_runtime_seconds",
    "problem_type",
    "ground_truth_uri",
)
INPUT_FIELDS = ("variant_name", "start_time_offset", "end_time_offset")
FIELDS = (
    "name",
    "monitoring_type",
    "schedule_expression",
    "data_analysis_start_time",
    "data_analysis_end_time",
    "baseline_job",
    *INPUT_FIELDS,
    *DEFINITION_FIELDS,
    "environment",
    "window_start",
    "window_end",
)
_ALIASES = {"maxruntimeinseconds": "max_runtime_seconds", "endpointname": "name"}


def _normal(name: str) -> str:
    return name.replace("_", "").lower()


_BY_NORMAL = {_normal(f): f for f in FIELDS}


@dataclass
class FormErrors:
    """Errors by form field, and those that name none."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, path: str | None, message: str) -> None:
        """Put ``message`` beside the form field that ``path`` (an error's field path) names."""
        last = (path or "").split(".")[-1]
        target = _ALIASES.get(_normal(last)) or _BY_NORMAL.get(_normal(last))
        if target is None or target in self.fields:
            self.general.append(f"{path}: {message}" if path else message)
        else:
            self.fields[target] = message

    def add_pydantic(self, error: pydantic.ValidationError) -> None:
        for problem in error.errors():
            path = ".".join(str(p) for p in problem.get("loc", ()) if not isinstance(p, int))
            self.add(path or None, str(problem.get("msg", "invalid")))

    def add_service(self, error: ValidationError) -> None:
        self.add(error.field, error.reason)


ScheduleForm = dict[str, str]


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _environment(text: str | None, errors: FormErrors) -> dict[str, str]:
    found: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            errors.fields.setdefault("environment", f"line {number}: write KEY=VALUE")
            continue
        found[key.strip()] = value.strip()
    return found


def _definition(form: Mapping[str, str], endpoint_name: str | None, errors: FormErrors) -> dict[str, Any]:
    source: dict[str, Any] = {k: v for k in INPUT_FIELDS if (v := _blank(form.get(k)))}
    definition: dict[str, Any] = {k: v for k in DEFINITION_FIELDS if (v := _blank(form.get(k)))}
    if "max_runtime_seconds" in definition:
        if not re.fullmatch(r"\d{1,9}", definition["max_runtime_seconds"]):
            errors.fields["max_runtime_seconds"] = "a whole number of seconds"
            del definition["max_runtime_seconds"]
        else:
            definition["max_runtime_seconds"] = int(definition["max_runtime_seconds"])
    environment = _environment(form.get("environment"), errors)
    if environment:
        definition["environment"] = environment
    definition["endpoint_input"] = {"endpoint_name": endpoint_name, **source}
    return definition


def _baseline(form: dict[str, str], jobs: Mapping[str, tuple[str | None, str | None]]) -> None:
    """Fill the baseline URIs from the chosen baselining job when they were left empty."""
    chosen = _blank(form.get("baseline_job"))
    if chosen and chosen in jobs and not _blank(form.get("baseline_statistics_uri")):
        statistics, constraints = jobs[chosen]
        form["baseline_statistics_uri"] = statistics or ""
        form["baseline_constraints_uri"] = constraints or ""


def schedule_spec(
    form: Mapping[str, str], endpoint_name: str, jobs: Mapping[str, tuple[str | None, str | None]]
) -> tuple[ScheduleSpec | None, FormErrors]:
    """The spec the create form describes, or None and the errors."""
    values = dict(form)
    _baseline(values, jobs)
    errors = FormErrors()
    raw: dict[str, Any] = {
        "name": (values.get("name") or "").strip(),
        "monitoring_type": values.get("monitoring_type") or MonitoringType.DATA_QUALITY.value,
        "schedule_expression": (values.get("schedule_expression") or "").strip(),
        "definition": _definition(values, endpoint_name, errors),
    }
    for key in ("data_analysis_start_time", "data_analysis_end_time"):
        if value := _blank(values.get(key)):
            raw[key] = value
    try:
        spec = ScheduleSpec.model_validate(raw)
    except pydantic.ValidationError as error:
        errors.add_pydantic(error)
        return None, errors
    return (None, errors) if errors else (spec, errors)


def schedule_update(
    form: Mapping[str, str], current: JobDefinition, jobs: Mapping[str, tuple[str | None, str | None]]
) -> tuple[ScheduleUpdate | None, FormErrors]:
    """The update the edit form describes (the whole definition is sent again), or None and the errors."""
    values = dict(form)
    _baseline(values, jobs)
    errors = FormErrors()
    definition = current.model_dump(mode="json", by_alias=True, exclude_none=True)
    edited = _definition(values, current.endpoint_name, errors)
    for key in DEFINITION_FIELDS:
        definition.pop(key, None)
    definition.pop("environment", None)
    input_key = "endpoint_input" if current.endpoint_input is not None else "batch_transform_input"
    source = definition[input_key]
    for key in INPUT_FIELDS:
        source.pop(key, None)
    new_input = edited.pop("endpoint_input")
    new_input.pop("endpoint_name", None)
    if input_key == "batch_transform_input":
        new_input.pop("variant_name", None)
    source.update(new_input)
    definition.update(edited)
    raw: dict[str, Any] = {"definition": definition}
    for key in ("schedule_expression", "data_analysis_start_time", "data_analysis_end_time"):
        if value := _blank(values.get(key)):
            raw[key] = value
    try:
        update = ScheduleUpdate.model_validate(raw)
    except pydantic.ValidationError as error:
        errors.add_pydantic(error)
        return None, errors
    return (None, errors) if errors else (update, errors)


def form_from_schedule(view: Any) -> ScheduleForm:
    """The edit form's initial values for a ``ScheduleView``."""
    definition: JobDefinition = view.definition
    source = definition.input
    form = {
        "name": view.name,
        "monitoring_type": view.monitoring_type.value,
        "schedule_expression": view.schedule_expression,
        "data_analysis_start_time": view.data_analysis_start_time or "",
        "data_analysis_end_time": view.data_analysis_end_time or "",
        "variant_name": getattr(source, "variant_name", None) or "",
        "start_time_offset": source.start_time_offset or "",
        "end_time_offset": source.end_time_offset or "",
        "environment": "\n".join(f"{k}={v}" for k, v in definition.environment.items()),
    }
    for key in DEFINITION_FIELDS:
        value = getattr(definition, key)
        form[key] = "" if value is None else str(value)
    return form


def parse_window(form: Mapping[str, str], errors: FormErrors) -> tuple[datetime, datetime] | None:
    """The run-now window of ``window_start`` / ``window_end`` (``datetime-local`` values, UTC)."""
    found = []
    for key in ("window_start", "window_end"):
        text = (form.get(key) or "").strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            found.append(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC))
        except ValueError:
            errors.fields[key] = "a date and time, e.g. 2026-01-01T12:00 (UTC)"
        except OverflowError:  # e.g. 0001-01-01T00:00+01:00 is before year 1 in UTC
            errors.fields[key] = "a date and time from 1970 to 9998, e.g. 2026-01-01T12:00 (UTC)"
    if len(found) != 2:
        return None
    return found[0], found[1]
