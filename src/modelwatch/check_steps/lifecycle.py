"""The baseline lifecycle of SageMaker Pipelines' check steps: which baseline is checked, which is
registered, and the step's properties.

A ``QualityCheckStep`` / ``ClarifyCheckStep`` always calculates the baseline of its dataset (the
*calculated baseline*). Then (AWS: "Baseline calculation, drift detection and lifecycle with ClarifyCheck
and QualityCheck steps"):

* ``skip_check`` off: the dataset is checked against the supplied baseline; on: no check;
* ``register_new_baseline`` on: ``BaselineUsedForDriftCheck*`` name the calculated baseline (the next
  run checks against it); off: they name the supplied baseline.

There is no model registry to fetch a previous baseline from, so without a supplied baseline the check is
skipped (:attr:`CheckStatus.NO_BASELINE`): the first run of a pipeline registers its first baseline. A
check that finds violations fails the step unless ``fail_on_violation`` is off.

:class:`CheckStepOutcome` holds the URIs under the SDK's property names and is written beside the
calculated baseline as ``baseline.json`` (:data:`SUMMARY_FILE`), for the next step of a pipeline to read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from modelwatch.io.datasets import DatasetFormat
from modelwatch.io.storage import join_uri, write_text

__all__ = ["SUMMARY_FILE", "CheckStatus", "CheckStepOutcome", "CheckType", "Dataset", "StepOptions"]

SUMMARY_FILE = "baseline.json"


class CheckType(StrEnum):
    """The step's ``CheckType`` (the SDK's request value) and the command's ``--type``."""

    DATA_QUALITY = "DATA_QUALITY"
    MODEL_QUALITY = "MODEL_QUALITY"
    DATA_BIAS = "DATA_BIAS"
    MODEL_BIAS = "MODEL_BIAS"
    MODEL_EXPLAINABILITY = "MODEL_EXPLAINABILITY"

    @property
    def option(self) -> str:
        """The command-line spelling: ``data-quality``, ``model-bias``, ..."""
        return self.value.lower().replace("_", "-")

    @property
    def has_statistics(self) -> bool:
        """Quality checks have statistics and constraints; Clarify's analysis.json is its constraints."""
        return self in (CheckType.DATA_QUALITY, CheckType.MODEL_QUALITY)


class CheckStatus(StrEnum):
    """What the drift check did."""

    PASSED = "Passed"  # checked: no violations
    VIOLATIONS = "Violations"  # checked: violations written to constraint_violations.json
    SKIPPED = "Skipped"  # skip_check
    NO_BASELINE = "NoSuppliedBaseline"  # nothing to check against


@dataclass(frozen=True)
class Dataset:
    """The step's ``baseline_dataset`` and ``dataset_format``: a file, folder, glob or ``s3://`` URI."""

    uri: str
    format: DatasetFormat | None = None  # None: from the file extension
    header: bool = False


@dataclass(frozen=True)
class StepOptions:
    """The lifecycle switches of a check step (the SDK's ``QualityCheckStep`` arguments)."""

    skip_check: bool = False
    register_new_baseline: bool = False
    fail_on_violation: bool = True
    supplied_statistics: str | None = None
    supplied_constraints: str | None = None

    def checks(self) -> bool:
        """Whether the dataset is checked: not skipped, and there is a supplied baseline."""
        return not self.skip_check and self.supplied_constraints is not None

    def unchecked_status(self) -> CheckStatus:
        """The status of a step that did not check: skipped, or nothing supplied to check against."""
        return CheckStatus.SKIPPED if self.skip_check else CheckStatus.NO_BASELINE


@dataclass(frozen=True)
class CheckStepOutcome:
    """What a check step calculated and checked, named as the SDK's step properties."""

    check_type: CheckType
    options: StepOptions
    status: CheckStatus
    calculated_constraints: str
    calculated_statistics: str | None = None  # quality checks only
    violations: int = 0
    violations_uri: str | None = None

    def checked(self, violations: int, violations_uri: str | None) -> CheckStepOutcome:
        """This outcome after a check that found ``violations`` (written to ``violations_uri``)."""
        status = CheckStatus.VIOLATIONS if violations else CheckStatus.PASSED
        return replace(self, status=status, violations=violations, violations_uri=violations_uri)

    @property
    def failed(self) -> bool:
        """The step fails: violations were found and ``fail_on_violation`` is on."""
        return self.status is CheckStatus.VIOLATIONS and self.options.fail_on_violation

    @property
    def used_for_drift_check_constraints(self) -> str | None:
        """``BaselineUsedForDriftCheckConstraints``: the calculated baseline when registered, else the
        supplied one (None when there is none)."""
        if self.options.register_new_baseline:
            return self.calculated_constraints
        return self.options.supplied_constraints

    @property
    def used_for_drift_check_statistics(self) -> str | None:
        """``BaselineUsedForDriftCheckStatistics`` (quality checks), chosen as the constraints are."""
        if self.options.register_new_baseline:
            return self.calculated_statistics
        return self.options.supplied_statistics

    def properties(self) -> dict[str, Any]:
        """The step's properties and outcome as a JSON object (``baseline.json``, ``--json``)."""
        data: dict[str, Any] = {
            "CheckType": self.check_type.value,
            "SkipCheck": self.options.skip_check,
            "RegisterNewBaseline": self.options.register_new_baseline,
            "FailOnViolation": self.options.fail_on_violation,
            "CheckStatus": self.status.value,
            "Violations": self.violations,
            "ConstraintViolations": self.violations_uri,
            "CalculatedBaselineConstraints": self.calculated_constraints,
            "BaselineUsedForDriftCheckConstraints": self.used_for_drift_check_constraints,
            "SuppliedBaselineConstraints": self.options.supplied_constraints,
        }
        if self.check_type.has_statistics:
            data["CalculatedBaselineStatistics"] = self.calculated_statistics
            data["BaselineUsedForDriftCheckStatistics"] = self.used_for_drift_check_statistics
            data["SuppliedBaselineStatistics"] = self.options.supplied_statistics
        return data

    def write_summary(self, output_uri: str) -> str:
        """Write :meth:`properties` to ``<output_uri>/baseline.json``; returns its URI."""
        uri = join_uri(output_uri, SUMMARY_FILE)
        write_text(uri, json.dumps(self.properties(), indent=2) + "\n")
        return uri
