"""``modelwatch quality-check`` and ``modelwatch clarify-check``: Pipelines' check steps for any
orchestrator (GitHub Actions, Airflow, a Makefile).

Exit codes, as ``modelwatch check``'s: 0 the step passed (no violations, or the check was skipped); 4 the
check found violations (and ``--fail-on-violation``, the default); 1 the step failed (unreadable or
malformed input; the message names the file, line and column); 2 wrong usage. The engines are imported
when a command runs, so that registering the commands keeps ``modelwatch --help`` quick.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from modelwatch.check_steps.lifecycle import CheckStatus, CheckStepOutcome, CheckType, Dataset, StepOptions
from modelwatch.cli_options import (
    GroundTruthAttributeOption,
    InferenceAttributeOption,
    OutputColumnsPositionOption,
    ProbabilityAttributeOption,
    ProbabilityThresholdOption,
    ProblemTypeOption,
)
from modelwatch.errors import ModelwatchError
from modelwatch.io.dataset_format import DatasetFormat
from modelwatch.io.storage import read_text
from modelwatch.terminal import console

__all__ = ["EXIT_VIOLATIONS", "register_check_step_commands"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_VIOLATIONS = 4

err = console(stderr=True)
out = console()


class QualityCheckType(StrEnum):
    DATA_QUALITY = "data-quality"
    MODEL_QUALITY = "model-quality"


class ClarifyCheckType(StrEnum):
    DATA_BIAS = "data-bias"
    MODEL_BIAS = "model-bias"
    MODEL_EXPLAINABILITY = "model-explainability"


DatasetOption = Annotated[
    str,
    typer.Option(
        "--dataset",
        "-d",
        help="File, folder, glob or s3:// URI of the dataset to baseline.",
        show_default=False,
    ),
]
FormatOption = Annotated[
    DatasetFormat | None,
    typer.Option(
        "--dataset-format",
        "--format",
        "-f",
        help="Data format; inferred from the file extension when omitted.",
    ),
]
HeaderOption = Annotated[
    bool,
    typer.Option("--header/--no-header", help="CSV: the first line holds column names (else _c0, _c1, ...)."),
]
OutputOption = Annotated[
    str,
    typer.Option(
        "--output", "-o", help="Folder or s3:// URI for the calculated baseline and the check's results."
    ),
]
ConstraintsOption = Annotated[
    str | None,
    typer.Option(
        "--supplied-baseline-constraints",
        help="The baseline to check against: constraints.json (Clarify: analysis.json). Without it the "
        "check is skipped.",
        show_default=False,
    ),
]
SkipOption = Annotated[
    bool, typer.Option("--skip-check", help="Only calculate the baseline; do not check the dataset.")
]
RegisterOption = Annotated[
    bool,
    typer.Option(
        "--register-new-baseline",
        help="Name the calculated baseline as the one to check against next (BaselineUsedForDriftCheck*).",
    ),
]
FailOption = Annotated[
    bool,
    typer.Option(
        "--fail-on-violation/--no-fail-on-violation", help="Exit 4 when the check finds violations."
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the step's properties (baseline.json) as JSON on stdout.")
]


@contextmanager
def _step_errors() -> Iterator[None]:
    try:
        yield
    except ModelwatchError as error:
        err.print(Text.assemble(("error: ", "bold red"), str(error)), highlight=False)
        raise typer.Exit(EXIT_ERROR) from None


def quality_check(
    kind: Annotated[
        QualityCheckType, typer.Option("--type", help="What to baseline and check.", show_default=False)
    ],
    dataset: DatasetOption,
    output: OutputOption,
    dataset_format: FormatOption = None,
    header: HeaderOption = False,
    output_columns_position: Annotated[
        OutputColumnsPositionOption,
        typer.Option(
            "--output-columns-position",
            help="Data quality: where the label column is (END: last, moved first as in capture rows).",
        ),
    ] = OutputColumnsPositionOption.START,
    problem_type: Annotated[
        ProblemTypeOption | None,
        typer.Option("--problem-type", help="Model quality: the model's problem type.", show_default=False),
    ] = None,
    inference_attribute: InferenceAttributeOption = None,
    probability_attribute: ProbabilityAttributeOption = None,
    probability_threshold_attribute: ProbabilityThresholdOption = None,
    ground_truth_attribute: GroundTruthAttributeOption = None,
    supplied_statistics: Annotated[
        str | None,
        typer.Option(
            "--supplied-baseline-statistics",
            help="The baseline's statistics.json (data quality: needed to check).",
            show_default=False,
        ),
    ] = None,
    supplied_constraints: ConstraintsOption = None,
    skip_check: SkipOption = False,
    register_new_baseline: RegisterOption = False,
    fail_on_violation: FailOption = True,
    as_json: JsonOption = False,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=0, help="Data quality: worker processes; 0 = one per core.")
    ] = 0,
) -> None:
    """SageMaker Pipelines' QualityCheckStep: calculate the data- or model-quality baseline of a dataset
    (statistics.json, constraints.json) and check the dataset against a supplied baseline
    (constraint_violations.json). Writes baseline.json naming the calculated baseline and the one to
    check against next. Exits 4 on violations.

    Example: modelwatch quality-check --type data-quality -d train.csv --header
    --supplied-baseline-statistics last/statistics.json --supplied-baseline-constraints
    last/constraints.json --register-new-baseline -o new/
    """
    options = StepOptions(
        skip_check=skip_check,
        register_new_baseline=register_new_baseline,
        fail_on_violation=fail_on_violation,
        supplied_statistics=supplied_statistics,
        supplied_constraints=supplied_constraints,
    )
    data = Dataset(dataset, dataset_format, header)
    if kind is QualityCheckType.DATA_QUALITY:
        model_quality_options = {
            "--problem-type": problem_type,
            "--inference-attribute": inference_attribute,
            "--probability-attribute": probability_attribute,
            "--probability-threshold-attribute": probability_threshold_attribute,
            "--ground-truth-attribute": ground_truth_attribute,
        }
        given = [name for name, value in model_quality_options.items() if value is not None]
        if given:
            raise typer.BadParameter("only model-quality checks take it", param_hint=given[0])
        if options.checks() and supplied_statistics is None:
            raise typer.BadParameter(
                "a data-quality check needs the supplied statistics as well as the constraints",
                param_hint="--supplied-baseline-statistics",
            )
        from modelwatch.check_steps.data_quality import data_quality_check
        from modelwatch.monitors.data_quality import OutputColumnsPosition

        with _step_errors():
            outcome = data_quality_check(
                data,
                output,
                options,
                output_columns_position=OutputColumnsPosition(output_columns_position.value),
                workers=workers or None,
            )
    else:
        if output_columns_position is OutputColumnsPositionOption.END:
            raise typer.BadParameter(
                "only data-quality checks take it", param_hint="--output-columns-position"
            )
        if problem_type is None:
            raise typer.BadParameter("a model-quality check needs it", param_hint="--problem-type")
        if ground_truth_attribute is None:
            raise typer.BadParameter("a model-quality check needs it", param_hint="--ground-truth-attribute")
        from modelwatch.check_steps.model_quality import model_quality_check
        from modelwatch.monitors.model_quality import QualityAttributes

        attributes = QualityAttributes(
            inference_attribute=inference_attribute,
            probability_attribute=probability_attribute,
            probability_threshold_attribute=probability_threshold_attribute,
            ground_truth_attribute=ground_truth_attribute,
        )
        with _step_errors():
            outcome = model_quality_check(
                data, output, options, problem_type=problem_type.value, attributes=attributes
            )
    _finish(outcome, output, as_json)


def clarify_check_command(
    kind: Annotated[
        ClarifyCheckType, typer.Option("--type", help="What to baseline and check.", show_default=False)
    ],
    analysis_config: Annotated[
        str,
        typer.Option(
            "--analysis-config",
            help="Clarify's analysis_config.json (file or s3:// URI).",
            show_default=False,
        ),
    ],
    dataset: DatasetOption,
    output: OutputOption,
    dataset_format: FormatOption = None,
    header: HeaderOption = False,
    supplied_constraints: ConstraintsOption = None,
    skip_check: SkipOption = False,
    register_new_baseline: RegisterOption = False,
    fail_on_violation: FailOption = True,
    as_json: JsonOption = False,
) -> None:
    """SageMaker Pipelines' ClarifyCheckStep: calculate the bias (data-bias: pre-training, model-bias:
    post-training metrics) or explainability (global SHAP) baseline of a dataset, Clarify's
    analysis.json, and check it for drift against a supplied analysis.json (constraint_violations.json).
    Writes baseline.json naming the calculated baseline and the one to check against next. Exits 4 on
    violations.

    Example: modelwatch clarify-check --type data-bias --analysis-config analysis_config.json
    -d train.csv --supplied-baseline-constraints last/analysis.json -o new/
    """
    from modelwatch.check_steps.clarify import clarify_check

    options = StepOptions(
        skip_check=skip_check,
        register_new_baseline=register_new_baseline,
        fail_on_violation=fail_on_violation,
        supplied_constraints=supplied_constraints,
    )
    check_type = CheckType[kind.name]
    with _step_errors():
        outcome = clarify_check(
            check_type, Dataset(dataset, dataset_format, header), analysis_config, output, options
        )
    _finish(outcome, output, as_json)


def _violation_lines(uri: str) -> list[str]:
    """One line per violation of a constraint_violations.json (any monitoring type's)."""
    lines = []
    for violation in json.loads(read_text(uri)).get("violations", []):
        name = violation.get("feature_name") or violation.get("metric_name") or violation.get("label") or ""
        lines.append(f"  {name}: {violation.get('constraint_check_type')}: {violation.get('description')}")
    return lines


def _finish(outcome: CheckStepOutcome, output: str, as_json: bool) -> None:
    with _step_errors():
        summary = outcome.write_summary(output)
        lines = _violation_lines(outcome.violations_uri) if outcome.violations_uri else []
    if as_json:
        typer.echo(json.dumps(outcome.properties(), indent=2))
    else:
        calculated = [uri for uri in (outcome.calculated_statistics, outcome.calculated_constraints) if uri]
        out.print(f"calculated baseline: {', '.join(calculated)}", highlight=False, markup=False)
        for line in lines:
            out.print(line, highlight=False, markup=False)
        out.print(f"check: {_check_line(outcome)}", highlight=False, markup=False)
        used = outcome.used_for_drift_check_constraints
        registered = " (the calculated one: registered)" if outcome.options.register_new_baseline else ""
        out.print(f"baseline for the next check: {used or 'none'}{registered} -> {summary}", highlight=False)
    raise typer.Exit(EXIT_VIOLATIONS if outcome.failed else EXIT_OK)


def _check_line(outcome: CheckStepOutcome) -> str:
    match outcome.status:
        case CheckStatus.PASSED:
            return "passed, no violations"
        case CheckStatus.VIOLATIONS:
            count = outcome.violations
            failing = "" if outcome.options.fail_on_violation else " (--no-fail-on-violation: not failing)"
            return f"{count} violation{'s' * (count != 1)} -> {outcome.violations_uri}{failing}"
        case CheckStatus.SKIPPED:
            return "skipped (--skip-check)"
        case CheckStatus.NO_BASELINE:
            return "skipped: no supplied baseline (--supplied-baseline-constraints)"


def register_check_step_commands(app: typer.Typer) -> None:
    """Add ``quality-check`` and ``clarify-check`` to the ``modelwatch`` app."""
    app.command("quality-check")(quality_check)
    app.command("clarify-check")(clarify_check_command)
