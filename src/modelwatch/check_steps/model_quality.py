"""``QualityCheckStep`` with a ``ModelQualityCheckConfig``, self-hosted: the model-quality baseline of a
labelled prediction dataset, checked against supplied constraints (see
:mod:`modelwatch.check_steps.lifecycle` for which baseline is which).

The output folder gets the calculated ``statistics.json`` and ``constraints.json`` (and
``calibration.json`` for a binary model with a probability, as ``modelwatch baseline`` writes) and, when
checked, ``constraint_violations.json``, plus ``baseline.json``. The check reads the calculated
statistics, never the data again.
"""

from __future__ import annotations

from modelwatch.check_steps.lifecycle import CheckStepOutcome, CheckType, Dataset, StepOptions
from modelwatch.monitors.model_quality import (
    QualityAttributes,
    read_quality_constraints,
    run_quality_check,
    suggest_quality_baseline,
)

__all__ = ["model_quality_check"]


def model_quality_check(
    dataset: Dataset,
    output_uri: str,
    options: StepOptions,
    *,
    problem_type: str,
    attributes: QualityAttributes,
) -> CheckStepOutcome:
    """A model-quality check step: the quality metrics of a labelled prediction dataset (its baseline)
    into ``output_uri`` and, unless skipped, their check against the supplied constraints.

    Raises:
        ValidationError: an attribute is missing or names no column.
        FormatError, StorageError, DataError: a supplied file or the dataset cannot be read.
    """
    constraints = None
    if options.checks() and options.supplied_constraints is not None:
        constraints = read_quality_constraints(options.supplied_constraints)
    result = suggest_quality_baseline(
        dataset.uri,
        output_uri,
        problem_type=problem_type,
        attributes=attributes,
        dataset_format=dataset.format,
        header=dataset.header,
    )
    outcome = CheckStepOutcome(
        CheckType.MODEL_QUALITY,
        options,
        options.unchecked_status(),
        calculated_constraints=result.constraints_uri,
        calculated_statistics=result.statistics_uri,
    )
    if constraints is None:
        return outcome
    checked = run_quality_check(result.statistics, output_uri, constraints=constraints)
    return outcome.checked(len(checked.violations), checked.violations_uri)
