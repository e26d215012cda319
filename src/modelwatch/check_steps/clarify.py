"""``ClarifyCheckStep`` self-hosted: the bias or explainability baseline (Clarify's ``analysis.json``) of
a dataset, checked against a supplied baseline ``analysis.json``.

As in SageMaker, a Clarify baseline's ``analysis.json`` *is* its constraints: the step's
``CalculatedBaselineConstraints`` names it, and there are no statistics. The check is the one Clarify's
monitors run: bias drift (:func:`~modelwatch.monitors.model_bias.check_bias_drift`) or feature-attribution
drift (:func:`~modelwatch.monitors.model_explainability.check_attribution_drift`, nDCG below 0.9).

* ``DATA_BIAS`` computes the pre-training metrics (those the config's ``methods.pre_training_bias``
  names, else all);
* ``MODEL_BIAS`` the post-training ones: the predicted labels are read from the dataset's
  ``predicted_label`` column (SageMaker starts a shadow endpoint of the model instead);
* ``MODEL_EXPLAINABILITY`` the global SHAP values through the config's ``predictor`` (an HTTP endpoint or
  a local Python model, as ``modelwatch baseline --type explainability``).

Without a format the dataset is read as the config's ``dataset_type`` says (``text/csv``,
``application/jsonlines``, ``application/x-parquet``; CSV when it says nothing), as Clarify reads it.
"""

from __future__ import annotations

from collections.abc import Mapping

from modelwatch.analysis.bias_metrics import POST_TRAINING, PRE_TRAINING
from modelwatch.check_steps.lifecycle import CheckStepOutcome, CheckType, Dataset, StepOptions
from modelwatch.errors import ValidationError
from modelwatch.io.datasets import DatasetFormat
from modelwatch.io.storage import join_uri, write_text
from modelwatch.jobs.model_explainability import explain_dataset
from modelwatch.monitors.clarify_config import AnalysisConfig, BiasMethods, read_analysis_config
from modelwatch.monitors.model_bias import (
    check_bias_drift,
    read_bias_report,
    suggest_bias_baseline,
    write_bias_violations,
)
from modelwatch.monitors.model_explainability import (
    attribution_violations_to_json,
    check_attribution_drift,
    read_analysis,
)

__all__ = ["CLARIFY_CHECKS", "DATASET_FORMATS", "clarify_check", "dataset_format"]

CLARIFY_CHECKS = (CheckType.DATA_BIAS, CheckType.MODEL_BIAS, CheckType.MODEL_EXPLAINABILITY)
VIOLATIONS_FILE = "constraint_violations.json"
DATASET_FORMATS = {
    "text/csv": DatasetFormat.CSV,
    "application/jsonlines": DatasetFormat.JSON,
    "application/x-parquet": DatasetFormat.PARQUET,
}
"""The format of each Clarify ``dataset_type`` that a check step reads."""


def dataset_format(dataset: Dataset, config: AnalysisConfig) -> DatasetFormat:
    """The dataset's format: as given, else the config's ``dataset_type`` (CSV without one)."""
    if dataset.format is not None:
        return dataset.format
    found = DATASET_FORMATS.get(config.dataset_type or "text/csv")
    if found is None:
        raise ValidationError(
            f"a check step reads {', '.join(DATASET_FORMATS)} datasets, not {config.dataset_type!r}",
            field="dataset_type",
        )
    return found


def clarify_check(
    check_type: CheckType, dataset: Dataset, config_uri: str, output_uri: str, options: StepOptions
) -> CheckStepOutcome:
    """A Clarify check step: the baseline ``analysis.json`` of ``dataset`` for the analysis config at
    ``config_uri`` into ``output_uri`` and, unless skipped, its drift check against the supplied
    ``analysis.json``.

    Raises:
        ValidationError: the check type is not a Clarify one, statistics were supplied, or the config
            lacks what the analysis needs (names the field).
        FormatError, StorageError, DataError: a supplied file or the dataset cannot be read.
    """
    if check_type not in CLARIFY_CHECKS:
        raise ValidationError(f"{check_type.option} is not a Clarify check", field="check_type")
    if options.supplied_statistics is not None:
        raise ValidationError(
            "a Clarify baseline has no statistics: its analysis.json is the constraints",
            field="supplied_baseline_statistics",
        )
    config = read_analysis_config(config_uri)
    if check_type is CheckType.MODEL_EXPLAINABILITY:
        return _explainability_check(dataset, config, config_uri, output_uri, options)
    if check_type is CheckType.MODEL_BIAS and config.predicted_label is None:
        raise ValidationError(
            "a model-bias check reads the model's predicted labels from the dataset: name their column",
            field="predicted_label",
        )
    baseline = None
    if options.checks() and options.supplied_constraints is not None:
        baseline = read_bias_report(options.supplied_constraints)
    result = suggest_bias_baseline(
        dataset.uri,
        config,
        output_uri,
        dataset_format=dataset_format(dataset, config).value,
        header=dataset.header,
        methods=_bias_methods(config, check_type),
    )
    outcome = CheckStepOutcome(check_type, options, options.unchecked_status(), result.analysis_uri)
    if baseline is None:
        return outcome
    violations = check_bias_drift(baseline, result.report)
    return outcome.checked(len(violations), write_bias_violations(violations, output_uri))


def _bias_methods(config: AnalysisConfig, check_type: CheckType) -> list[str]:
    """The metrics of the check's stage: those the config names for it, else all of them."""
    available: Mapping[str, object] = PRE_TRAINING if check_type is CheckType.DATA_BIAS else POST_TRAINING
    chosen: BiasMethods | None = None
    if config.methods is not None:
        pre, post = config.methods.pre_training_bias, config.methods.post_training_bias
        chosen = pre if check_type is CheckType.DATA_BIAS else post
    return list((chosen or BiasMethods()).resolve(tuple(available)))


def _explainability_check(
    dataset: Dataset, config: AnalysisConfig, config_uri: str, output_uri: str, options: StepOptions
) -> CheckStepOutcome:
    baseline = None
    if options.checks() and options.supplied_constraints is not None:
        baseline = read_analysis(options.supplied_constraints)
    result = explain_dataset(
        dataset.uri,
        output_uri,
        config_uri,
        dataset_format=dataset_format(dataset, config).value,
        header=dataset.header,
    )
    outcome = CheckStepOutcome(
        CheckType.MODEL_EXPLAINABILITY, options, options.unchecked_status(), result.analysis_uri
    )
    if baseline is None:
        return outcome
    violations = check_attribution_drift(
        baseline,
        result.analysis,
        baseline_file=options.supplied_constraints,
        current_file=result.analysis_uri,
    )
    violations_uri = join_uri(output_uri, VIOLATIONS_FILE)
    write_text(violations_uri, attribution_violations_to_json(violations))
    return outcome.checked(len(violations), violations_uri)
