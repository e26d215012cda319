"""The typed jobs layer: ``job.json`` carries the typed definition, each monitoring type has its job
module, and the definition's models live in a leaf module that the service re-exports."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import pytest

import modelwatch.jobs
from modelwatch.errors import ValidationError
from modelwatch.jobs import definitions
from modelwatch.jobs.definitions import (
    DEFAULT_MAX_RUNTIME_SECONDS,
    BaselineDatasetFormatSpec,
    BaselineParameters,
    JobDefinition,
    MonitoringType,
)
from modelwatch.jobs.registry import JOB_MODULES, job_module
from modelwatch.jobs.spec import JobKind, JobSpec
from modelwatch.service import schemas

JOBS = Path(modelwatch.jobs.__file__).parent


def _definition(**fields: object) -> JobDefinition:
    return JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "churn"}, **fields})


def test_a_monitoring_spec_crosses_the_process_boundary_typed() -> None:
    spec = JobSpec(
        kind=JobKind.MONITORING,
        name="hourly",
        output_uri="/out",
        monitoring_type=MonitoringType.MODEL_BIAS,
        definition=_definition(
            record_preprocessor_script="/scripts/pre.py",
            bias_drift={"tolerance": 0.1},
            environment={"THRESHOLD": "0.5"},
        ),
        endpoint_name="churn",
        variants=["AllTraffic"],
        window_start="2024-01-01T00:00:00Z",
        window_end="2024-01-01T01:00:00Z",
    )
    back = JobSpec.from_json(spec.to_json())
    assert back == spec
    assert back.kind is JobKind.MONITORING
    assert back.monitoring_type is MonitoringType.MODEL_BIAS
    assert back.monitor.record_preprocessor_script == "/scripts/pre.py"
    assert back.monitor.bias_drift is not None and back.monitor.bias_drift.tolerance == 0.1
    assert back.monitor.min_labelled_records == 1  # the model's default, declared once


def test_a_baseline_spec_keeps_its_format_and_parameters() -> None:
    spec = JobSpec(
        kind=JobKind.BASELINE,
        name="b1",
        output_uri="/out",
        monitoring_type=MonitoringType.MODEL_QUALITY,
        dataset_uri="/data/train.csv",
        dataset_format=BaselineDatasetFormatSpec.model_validate(
            {"csv": {"header": True, "output_columns_position": "END"}}
        ),
        parameters=BaselineParameters(problem_type="Regression", inference_attribute="0"),
    )
    back = JobSpec.from_json(spec.to_json())
    assert back == spec
    assert back.dataset_format is not None and back.dataset_format.header
    assert back.parameters.problem_type == "Regression"
    json_format = JobSpec.from_json(
        spec.model_copy(
            update={"dataset_format": BaselineDatasetFormatSpec.model_validate({"json": {}})}
        ).to_json()
    )
    assert json_format.dataset_format is not None and json_format.dataset_format.format == "json"


def test_the_max_runtime_default_is_declared_once() -> None:
    assert _definition().max_runtime == DEFAULT_MAX_RUNTIME_SECONDS == 3600
    assert _definition(max_runtime_seconds=600).max_runtime == 600


def test_a_baseline_spec_has_no_monitoring_definition() -> None:
    spec = JobSpec(kind=JobKind.BASELINE, name="b", output_uri="/out")
    with pytest.raises(ValidationError, match="definition"):
        _ = spec.monitor


@pytest.mark.parametrize("monitoring_type", list(MonitoringType))
def test_every_monitoring_type_has_a_job_module(monitoring_type: MonitoringType) -> None:
    module = job_module(monitoring_type)
    assert sys.modules[JOB_MODULES[monitoring_type]] is module
    assert list(inspect.signature(module.run_monitoring).parameters) == ["job", "work"]
    assert list(inspect.signature(module.run_baseline).parameters) == ["job"]


def test_the_service_re_exports_the_definition_models() -> None:
    for name in definitions.__all__:
        if hasattr(schemas, name):
            assert getattr(schemas, name) is getattr(definitions, name), name
    assert schemas.JobDefinition is JobDefinition
    assert schemas.MonitoringType is MonitoringType


def test_the_jobs_layer_imports_nothing_of_the_service_and_definitions_is_a_leaf() -> None:
    for path in sorted(JOBS.rglob("*.py")):
        names = {
            alias.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            node.module or ""
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom)
        }
        assert not {
            n for n in names if n.startswith(("modelwatch.service", "modelwatch.api", "modelwatch.ui"))
        }, path
        if path.name == "definitions.py":
            assert not {n for n in names if n.startswith("modelwatch")}, "definitions.py is a leaf"
