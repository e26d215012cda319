"""An execution's results as the execution page and ``report.html`` show them, read from its files.

:func:`load_results` reads ``statistics.json``, ``constraint_violations.json``, ``drift.json`` and
``analysis.json`` from the output folder, and the baseline's statistics and constraints (for Clarify
monitoring, the baseline ``analysis.json``) from their URIs. Missing files leave their section out;
an unreadable or malformed file is listed in ``problems`` and never fails the page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelwatch.errors import FormatError
from modelwatch.formats.constraints import Constraints, constraints_from_json
from modelwatch.io.storage import join_uri
from modelwatch.reports.clarify import (
    BiasGroup,
    ExplanationLabel,
    bias_groups,
    explanation_labels,
    is_analysis,
)
from modelwatch.reports.data_quality import DataQualityResults, ViolationRow, data_quality_results
from modelwatch.reports.files import read_json_file
from modelwatch.reports.model_quality import ModelQualityResults, metrics_block, model_quality_results

__all__ = ["ExecutionResults", "load_results"]


@dataclass(frozen=True)
class ExecutionResults:
    violations: tuple[ViolationRow, ...] = ()
    violations_file: bool = False
    data_quality: DataQualityResults | None = None
    model_quality: ModelQualityResults | None = None
    bias: tuple[BiasGroup, ...] = ()
    explanations: tuple[ExplanationLabel, ...] = ()
    problems: tuple[str, ...] = ()
    found: tuple[str, ...] = field(default=())
    """The result files that were found in the output folder."""

    @property
    def empty(self) -> bool:
        return not (
            self.violations_file or self.data_quality or self.model_quality or self.bias or self.explanations
        )


def _violations(doc: Any) -> tuple[ViolationRow, ...]:
    items = doc.get("violations") if isinstance(doc, Mapping) else None
    return tuple(
        ViolationRow(
            subject=str(v.get("feature_name") or v.get("metric_name") or ""),
            check_type=str(v.get("constraint_check_type", "")),
            description=str(v.get("description", "")),
        )
        for v in items or []
        if isinstance(v, Mapping)
    )


def _dq_constraints(doc: Any, uri: str | None, problems: list[str]) -> Constraints | None:
    if not isinstance(doc, Mapping) or not ("features" in doc or "monitoring_config" in doc):
        return None
    try:
        return constraints_from_json(json.dumps(doc), file=uri)
    except FormatError as error:
        problems.append(str(error))
        return None


def load_results(
    output_uri: str,
    *,
    baseline_statistics_uri: str | None = None,
    constraints_uri: str | None = None,
    baseline_analysis_uri: str | None = None,
) -> ExecutionResults:
    """Read an execution's results (see the module docstring).

    ``constraints_uri`` is the baseline's constraints.json (data or model quality); when it holds a
    Clarify analysis instead (bias and explainability baselines), it serves as the baseline analysis.
    """
    problems: list[str] = []
    found = []

    def result(name: str) -> Any:
        doc = read_json_file(join_uri(output_uri, name), problems, skip_sketches=name == "statistics.json")
        if doc is not None:
            found.append(name)
        return doc

    statistics = result("statistics.json")
    violations_doc = result("constraint_violations.json")
    drift = result("drift.json")
    analysis = result("analysis.json")
    baseline = read_json_file(baseline_statistics_uri, problems, skip_sketches=True)
    constraints_doc = read_json_file(constraints_uri, problems)
    baseline_analysis = read_json_file(baseline_analysis_uri, problems)
    if baseline_analysis is None and is_analysis(constraints_doc):
        baseline_analysis = constraints_doc
    violations = _violations(violations_doc)

    data_quality = model_quality = None
    if metrics_block(statistics) is not None:
        model_quality = model_quality_results(statistics, baseline, constraints_doc)
    elif isinstance(statistics, Mapping) and "features" in statistics:
        data_quality = data_quality_results(
            statistics,
            baseline,
            _dq_constraints(constraints_doc, constraints_uri, problems),
            drift,
            violations,
            problems,
        )
    return ExecutionResults(
        violations=violations,
        violations_file=violations_doc is not None,
        data_quality=data_quality,
        model_quality=model_quality,
        bias=tuple(bias_groups(analysis, baseline_analysis)),
        explanations=tuple(explanation_labels(analysis, baseline_analysis)),
        problems=tuple(problems),
        found=tuple(found),
    )
