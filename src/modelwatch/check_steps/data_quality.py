"""``QualityCheckStep`` with a ``DataQualityCheckConfig``, self-hosted: the data-quality baseline of a
dataset, checked against a supplied baseline (see :mod:`modelwatch.check_steps.lifecycle` for which
baseline is which).

The output folder gets what SageMaker's analyzer writes to the step's output: the calculated
``statistics.json`` and ``constraints.json`` and, when checked, ``constraint_violations.json`` and
``drift.json`` (as ``modelwatch check`` writes), plus ``baseline.json``. The dataset is profiled once: the
check compares the calculated statistics with the supplied baseline (checks read results, never data),
through the same functions as ``modelwatch baseline`` and ``modelwatch check``.
"""

from __future__ import annotations

import logging

from modelwatch.check_steps.lifecycle import CheckStepOutcome, CheckType, Dataset, StepOptions
from modelwatch.checks import column_order_hint, drift_report, drift_report_to_dict, evaluate_constraints
from modelwatch.engines.local import Progress
from modelwatch.errors import ValidationError
from modelwatch.formats import jackson, violations_to_json
from modelwatch.io.storage import join_uri, write_text
from modelwatch.monitors.data_quality import (
    DRIFT_FILE,
    VIOLATIONS_FILE,
    OutputColumnsPosition,
    read_baseline,
    suggest_baseline,
)

__all__ = ["data_quality_check"]

log = logging.getLogger(__name__)


def data_quality_check(
    dataset: Dataset,
    output_uri: str,
    options: StepOptions,
    *,
    output_columns_position: OutputColumnsPosition = OutputColumnsPosition.START,
    workers: int | None = None,
    progress: Progress | None = None,
) -> CheckStepOutcome:
    """A data-quality check step: baseline ``dataset`` into ``output_uri`` and, unless skipped, check its
    statistics against the supplied statistics and constraints (both needed: drift is measured against
    the supplied statistics).

    Raises:
        ValidationError: constraints are supplied without statistics.
        FormatError, StorageError, DataError: a supplied file or the dataset cannot be read.
    """
    baseline = None
    if options.checks() and options.supplied_constraints is not None:
        if options.supplied_statistics is None:
            raise ValidationError(
                "a data-quality check needs the supplied baseline's statistics.json as well as its "
                "constraints.json",
                field="supplied_baseline_statistics",
            )
        baseline = read_baseline(options.supplied_statistics, options.supplied_constraints)
    result = suggest_baseline(
        dataset.uri,
        output_uri,
        format=dataset.format,
        header=dataset.header,
        workers=workers,
        progress=progress,
        output_columns_position=output_columns_position,
    )
    outcome = CheckStepOutcome(
        CheckType.DATA_QUALITY,
        options,
        options.unchecked_status(),
        calculated_constraints=result.constraints_uri,
        calculated_statistics=result.statistics_uri,
    )
    if baseline is None:
        return outcome
    statistics, constraints = baseline
    violations = evaluate_constraints(statistics, constraints, result.statistics)
    violations_uri = join_uri(output_uri, VIOLATIONS_FILE)
    write_text(violations_uri, violations_to_json(violations))
    write_text(
        join_uri(output_uri, DRIFT_FILE),
        jackson.dumps(drift_report_to_dict(drift_report(statistics, result.statistics))),
    )
    hint = column_order_hint(violations, len(constraints.features))
    if hint:
        log.warning("data-quality check of %s: %s", dataset.uri, hint)
    return outcome.checked(len(violations.violations), violations_uri)
