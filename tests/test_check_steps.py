"""``modelwatch quality-check`` / ``clarify-check``: Pipelines' check steps, on real files and exit codes.

The SageMaker SDK's own QualityCheck/ClarifyCheck test data (tests/golden) has a dataset with a "good"
baseline (no violation) and a "bad" one (violations); credit.csv and its drifted copy show a baseline
lifecycle: a first run registers the calculated baseline, the next run is checked against it.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pyarrow.csv as pcsv
import pytest
from typer.testing import CliRunner

from modelwatch.check_steps import CheckStatus, CheckStepOutcome, CheckType, StepOptions
from modelwatch.cli import EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS, app
from modelwatch.examples import drift, example_dataset

runner = CliRunner()
GOLDEN = Path(__file__).parent / "golden"
STEP = GOLDEN / "sagemaker-sdk" / "quality_check_step"
DQ, MQ = STEP / "data_quality", STEP / "model_quality"
EXIT_USAGE = 2


def _run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    return result.exit_code, result.output


def _summary(folder: Path) -> dict:
    return json.loads((folder / "baseline.json").read_text())


def _violations(folder: Path) -> list[dict]:
    return json.loads((folder / "constraint_violations.json").read_text())["violations"]


def _dq(dataset: Path, out: Path, *args: str | Path) -> tuple[int, str]:
    return _run("quality-check", "--type", "data-quality", "-d", dataset, "-o", out, *args)


def _supplied(folder: Path, constraints: Path | None = None) -> list[str | Path]:
    return [
        "--supplied-baseline-statistics",
        folder / "statistics.json",
        "--supplied-baseline-constraints",
        constraints or folder / "constraints.json",
    ]


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("drifted") / "credit-drifted.csv"
    pcsv.write_csv(drift(pcsv.read_csv(example_dataset())), path)
    return path


# -- the lifecycle -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("skip", "register", "checks", "used"),
    [
        (False, False, True, "supplied"),
        (False, True, True, "calculated"),
        (True, False, False, "supplied"),
        (True, True, False, "calculated"),
    ],
)
def test_the_lifecycle_table(skip: bool, register: bool, checks: bool, used: str) -> None:
    """AWS's table: skip_check decides the check, register_new_baseline the baseline used next."""
    options = StepOptions(
        skip_check=skip,
        register_new_baseline=register,
        supplied_statistics="supplied/statistics.json",
        supplied_constraints="supplied/constraints.json",
    )
    assert options.checks() is checks
    outcome = CheckStepOutcome(
        CheckType.DATA_QUALITY,
        options,
        options.unchecked_status(),
        calculated_constraints="calculated/constraints.json",
        calculated_statistics="calculated/statistics.json",
    )
    assert outcome.used_for_drift_check_constraints == f"{used}/constraints.json"
    assert outcome.used_for_drift_check_statistics == f"{used}/statistics.json"
    checked = outcome.checked(2, "calculated/constraint_violations.json")
    assert checked.status is CheckStatus.VIOLATIONS and checked.failed
    assert not outcome.checked(0, "calculated/constraint_violations.json").failed
    lenient = CheckStepOutcome(
        CheckType.DATA_BIAS, StepOptions(fail_on_violation=False), CheckStatus.PASSED, "a"
    )
    assert not lenient.checked(2, "v").failed
    assert "CalculatedBaselineStatistics" not in lenient.properties()  # Clarify has no statistics


def test_without_a_supplied_baseline_nothing_is_checked() -> None:
    options = StepOptions(register_new_baseline=True)
    assert not options.checks() and options.unchecked_status() is CheckStatus.NO_BASELINE
    assert StepOptions(skip_check=True).unchecked_status() is CheckStatus.SKIPPED


# -- data quality --------------------------------------------------------------------------------------


def test_the_sdks_good_data_quality_baseline_passes(tmp_path: Path) -> None:
    code, output = _dq(
        DQ / "baseline_dataset.csv",
        tmp_path,
        "-f",
        "csv",
        *_supplied(DQ, DQ / "good_cases" / "constraints.json"),
    )
    assert code == EXIT_OK, output
    assert "check: passed, no violations" in output
    assert _violations(tmp_path) == []
    summary = _summary(tmp_path)
    assert summary["CheckStatus"] == "Passed"
    assert summary["CalculatedBaselineStatistics"] == str(tmp_path / "statistics.json")
    assert summary["CalculatedBaselineConstraints"] == str(tmp_path / "constraints.json")
    # not registered: the next check uses the supplied baseline again
    assert summary["BaselineUsedForDriftCheckConstraints"] == str(DQ / "good_cases" / "constraints.json")
    assert summary["BaselineUsedForDriftCheckStatistics"] == str(DQ / "statistics.json")


def test_the_sdks_bad_data_quality_baseline_fails_with_its_violation(tmp_path: Path) -> None:
    code, output = _dq(
        DQ / "baseline_dataset.csv",
        tmp_path,
        "-f",
        "csv",
        *_supplied(DQ, DQ / "bad_cases" / "constraints.json"),
    )
    assert code == EXIT_VIOLATIONS, output
    [violation] = _violations(tmp_path)
    assert (violation["feature_name"], violation["constraint_check_type"]) == ("_c5", "data_type_check")
    assert "_c5: data_type_check" in output
    assert _summary(tmp_path)["CheckStatus"] == "Violations"


def test_the_calculated_baseline_is_modelwatch_baselines(tmp_path: Path) -> None:
    code, output = _dq(example_dataset(), tmp_path / "step", "--header")
    assert code == EXIT_OK, output
    code, output = _run("baseline", "-d", example_dataset(), "--header", "-o", tmp_path / "baseline")
    assert code == EXIT_OK, output
    for name in ("statistics.json", "constraints.json"):
        assert (tmp_path / "step" / name).read_bytes() == (tmp_path / "baseline" / name).read_bytes()


def test_a_lifecycle_first_run_registers_then_drift_fails_the_next(tmp_path: Path, drifted: Path) -> None:
    first, second = tmp_path / "run1", tmp_path / "run2"
    code, output = _dq(example_dataset(), first, "--header", "--register-new-baseline", "--json")
    assert code == EXIT_OK, output
    properties = json.loads(output)
    assert properties == _summary(first)
    assert properties["CheckStatus"] == "NoSuppliedBaseline"
    assert properties["BaselineUsedForDriftCheckStatistics"] == str(first / "statistics.json")
    assert properties["BaselineUsedForDriftCheckConstraints"] == str(first / "constraints.json")
    assert not (first / "constraint_violations.json").exists()

    code, output = _dq(
        drifted,
        second,
        "--header",
        "--supplied-baseline-statistics",
        properties["BaselineUsedForDriftCheckStatistics"],
        "--supplied-baseline-constraints",
        properties["BaselineUsedForDriftCheckConstraints"],
    )
    assert code == EXIT_VIOLATIONS, output
    drifting = {
        v["feature_name"] for v in _violations(second) if v["constraint_check_type"] == "baseline_drift_check"
    }
    assert {"income", "age", "utilisation", "region"} <= drifting
    assert not drifting & {"defaulted", "credit_score", "loan_amount", "employment"}
    assert (second / "drift.json").exists()
    assert _summary(second)["BaselineUsedForDriftCheckConstraints"] == str(first / "constraints.json")


def test_skip_check_only_calculates(tmp_path: Path, drifted: Path) -> None:
    baseline = tmp_path / "baseline"
    assert _dq(example_dataset(), baseline, "--header")[0] == EXIT_OK
    code, output = _dq(drifted, tmp_path / "run", "--header", "--skip-check", *_supplied(baseline))
    assert code == EXIT_OK, output
    assert "check: skipped (--skip-check)" in output
    assert not (tmp_path / "run" / "constraint_violations.json").exists()
    summary = _summary(tmp_path / "run")
    assert summary["CheckStatus"] == "Skipped"
    assert summary["BaselineUsedForDriftCheckConstraints"] == str(baseline / "constraints.json")


def test_no_fail_on_violation_records_the_violations_and_exits_0(tmp_path: Path, drifted: Path) -> None:
    baseline = tmp_path / "baseline"
    assert _dq(example_dataset(), baseline, "--header")[0] == EXIT_OK
    code, output = _dq(drifted, tmp_path / "run", "--header", "--no-fail-on-violation", *_supplied(baseline))
    assert code == EXIT_OK, output
    assert _summary(tmp_path / "run")["CheckStatus"] == "Violations"
    assert _violations(tmp_path / "run")


def test_output_columns_position_end_puts_the_label_first(tmp_path: Path) -> None:
    table = pcsv.read_csv(example_dataset())
    training = tmp_path / "train.csv"
    pcsv.write_csv(table.select([*table.column_names[1:], "defaulted"]), training)
    code, output = _dq(training, tmp_path / "out", "--header", "--output-columns-position", "END")
    assert code == EXIT_OK, output
    names = [f["name"] for f in json.loads((tmp_path / "out" / "statistics.json").read_text())["features"]]
    assert names == table.column_names


def test_quality_checks_read_and_write_s3(tmp_path: Path, s3_bucket: str, drifted: Path) -> None:
    assert _dq(example_dataset(), f"{s3_bucket}/v1", "--header")[0] == EXIT_OK
    code, output = _dq(
        drifted,
        f"{s3_bucket}/v2",
        "--header",
        "--supplied-baseline-statistics",
        f"{s3_bucket}/v1/statistics.json",
        "--supplied-baseline-constraints",
        f"{s3_bucket}/v1/constraints.json",
        "--json",
    )
    assert code == EXIT_VIOLATIONS, output
    properties = json.loads(output)
    assert properties["ConstraintViolations"] == f"{s3_bucket}/v2/constraint_violations.json"
    assert properties["CalculatedBaselineStatistics"] == f"{s3_bucket}/v2/statistics.json"


# -- model quality -------------------------------------------------------------------------------------


def _mq(out: Path, constraints: Path, *args: str) -> tuple[int, str]:
    return _run(
        "quality-check", "--type", "model-quality", "--problem-type", "Regression",
        "--inference-attribute", "Prediction", "--ground-truth-attribute", "Label",
        "-d", MQ / "baseline_dataset.csv", "--header", "-o", out,
        "--supplied-baseline-constraints", constraints, *args,
    )  # fmt: skip


def test_the_sdks_model_quality_cases(tmp_path: Path) -> None:
    code, output = _mq(tmp_path / "good", MQ / "good_cases" / "constraints.json")
    assert code == EXIT_OK, output
    assert _violations(tmp_path / "good") == []
    code, output = _mq(tmp_path / "bad", MQ / "bad_cases" / "constraints.json", "--register-new-baseline")
    assert code == EXIT_VIOLATIONS, output
    assert [v["metric_name"] for v in _violations(tmp_path / "bad")] == ["mse"]
    summary = _summary(tmp_path / "bad")
    assert summary["CheckType"] == "MODEL_QUALITY"
    assert summary["BaselineUsedForDriftCheckConstraints"] == str(tmp_path / "bad" / "constraints.json")
    ours = json.loads((tmp_path / "bad" / "statistics.json").read_text())
    assert (
        ours["regression_metrics"] == json.loads((MQ / "statistics.json").read_text())["regression_metrics"]
    )


# -- usage and errors ----------------------------------------------------------------------------------


def test_usage_errors_name_the_option(tmp_path: Path) -> None:
    csv = example_dataset()
    code, output = _dq(
        csv, tmp_path, "--header", "--supplied-baseline-constraints", DQ / "good_cases" / "constraints.json"
    )
    assert code == EXIT_USAGE and "--supplied-baseline-statistics" in output
    code, output = _dq(csv, tmp_path, "--problem-type", "Regression")
    assert code == EXIT_USAGE and "--problem-type" in output
    code, output = _run("quality-check", "--type", "model-quality", "-d", csv, "-o", tmp_path)
    assert code == EXIT_USAGE and "--problem-type" in output
    code, output = _run("quality-check", "--type", "data-bias", "-d", csv, "-o", tmp_path)
    assert code == EXIT_USAGE and "--type" in output
    assert not any(tmp_path.iterdir())


def test_a_missing_supplied_baseline_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "statistics.json"
    code, output = _dq(
        example_dataset(), tmp_path / "out", "--header",
        "--supplied-baseline-statistics", missing,
        "--supplied-baseline-constraints", DQ / "good_cases" / "constraints.json",
    )  # fmt: skip
    assert code == EXIT_ERROR
    assert "statistics.json" in output and "error:" in output


# -- clarify -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bias_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    case = json.loads((GOLDEN / "bias" / "sagemaker_sdk_clarify_check_step.json").read_text())
    folder = tmp_path_factory.mktemp("bias")
    (folder / "dataset.csv").write_text(case["dataset_csv"])
    (folder / "analysis_config.json").write_text(json.dumps(case["config"]))
    return folder / "dataset.csv", folder / "analysis_config.json", case


def _clarify(kind: str, config: Path, dataset: Path, out: Path, *args: str | Path) -> tuple[int, str]:
    """The golden datasets have a header row; ``clarify-check`` reads none by default, as Clarify does."""
    return _run(
        "clarify-check",
        "--type",
        kind,
        "--analysis-config",
        config,
        "-d",
        dataset,
        "--header",
        "-o",
        out,
        *args,
    )


@pytest.mark.parametrize(("supplied", "code", "count"), [("good", EXIT_OK, 0), ("bad", EXIT_VIOLATIONS, 1)])
def test_the_sdks_clarify_check_cases(
    bias_case, tmp_path: Path, supplied: str, code: int, count: int
) -> None:
    dataset, config, _ = bias_case
    analysis = GOLDEN / "bias" / f"clarify_check_step_{supplied}_analysis.json"
    exit_code, output = _clarify(
        "data-bias", config, dataset, tmp_path, "--supplied-baseline-constraints", analysis
    )
    assert exit_code == code, output
    # the calculated baseline is what `modelwatch baseline --type bias` writes, Clarify's own file
    good = GOLDEN / "bias" / "clarify_check_step_good_analysis.json"
    assert (tmp_path / "analysis.json").read_text() == good.read_text()
    violations = _violations(tmp_path)
    assert len(violations) == count
    if count:
        assert violations[0]["constraint_check_type"] == "bias_drift_check"
    summary = _summary(tmp_path)
    assert summary["CheckType"] == "DATA_BIAS"
    assert summary["CalculatedBaselineConstraints"] == str(tmp_path / "analysis.json")
    assert "CalculatedBaselineStatistics" not in summary  # a Clarify baseline is its analysis.json


def test_a_headerless_dataset_takes_the_configs_headers(bias_case, tmp_path: Path) -> None:
    case = bias_case[2]
    bare = tmp_path / "bare.csv"
    bare.write_text(case["dataset_csv"].split("\n", 1)[1])  # Clarify's layout: no header row ...
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({**case["config"], "headers": ["Label", "F1", "F2", "F3", "F4"]})
    )  # ... headers
    code, output = _run(
        "clarify-check",
        "--type",
        "data-bias",
        "--analysis-config",
        config,
        "-d",
        bare,
        "-o",
        tmp_path / "out",
    )
    assert code == EXIT_OK, output
    good = GOLDEN / "bias" / "clarify_check_step_good_analysis.json"
    assert (tmp_path / "out" / "analysis.json").read_text() == good.read_text()


def test_the_configs_dataset_type_is_the_default_format(bias_case, tmp_path: Path) -> None:
    dataset, _, case = bias_case
    lines = tmp_path / "dataset.data"  # no extension to infer a format from
    rows = pcsv.read_csv(dataset).to_pylist()
    lines.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**case["config"], "dataset_type": "application/jsonlines"}))
    code, output = _run(
        "clarify-check",
        "--type",
        "data-bias",
        "--analysis-config",
        config,
        "-d",
        lines,
        "-o",
        tmp_path / "out",
    )
    assert code == EXIT_OK, output
    good = GOLDEN / "bias" / "clarify_check_step_good_analysis.json"
    assert (tmp_path / "out" / "analysis.json").read_text() == good.read_text()
    images = tmp_path / "images.json"
    images.write_text(json.dumps({**case["config"], "dataset_type": "application/x-image"}))
    code, output = _run(
        "clarify-check", "--type", "data-bias", "--analysis-config", images, "-d", lines, "-o", tmp_path / "x"
    )
    assert code == EXIT_ERROR and "dataset_type" in output


def test_a_model_bias_check_reads_predicted_labels(bias_case, tmp_path: Path) -> None:
    dataset, config, case = bias_case
    code, output = _clarify("model-bias", config, dataset, tmp_path / "none")
    assert code == EXIT_ERROR and "predicted_label" in output
    table = pcsv.read_csv(dataset)
    predicted = tmp_path / "predicted.csv"
    pcsv.write_csv(table.append_column("Predicted", table["Label"]), predicted)
    with_predictions = tmp_path / "config.json"
    with_predictions.write_text(json.dumps({**case["config"], "predicted_label": "Predicted"}))
    code, output = _clarify(
        "model-bias", with_predictions, predicted, tmp_path / "v1", "--register-new-baseline"
    )
    assert code == EXIT_OK, output
    calculated = json.loads((tmp_path / "v1" / "analysis.json").read_text())
    assert "pre_training_bias_metrics" not in calculated
    metrics = {m["name"] for m in calculated["post_training_bias_metrics"]["facets"]["F1"][0]["metrics"]}
    assert {"DPPL", "DI", "AD"} <= metrics
    code, output = _clarify(
        "model-bias", with_predictions, predicted, tmp_path / "v2",
        "--supplied-baseline-constraints", _summary(tmp_path / "v1")["BaselineUsedForDriftCheckConstraints"],
    )  # fmt: skip
    assert code == EXIT_OK, output  # the same data: no drift
    assert _violations(tmp_path / "v2") == []


MODEL = """
import numpy as np

def by_first(rows):
    rows = np.asarray(rows, dtype=float)
    return 1 / (1 + np.exp(-(3 * rows[:, 0] + 0.2 * rows[:, 1])))

def by_last(rows):
    rows = np.asarray(rows, dtype=float)
    return 1 / (1 + np.exp(-(3 * rows[:, 3] + 0.2 * rows[:, 2])))
"""


def test_an_explainability_check_finds_a_changed_ranking(
    bias_case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset, _, _ = bias_case
    (tmp_path / "check_step_models.py").write_text(textwrap.dedent(MODEL))
    monkeypatch.syspath_prepend(str(tmp_path))

    def config(model: str) -> Path:
        path = tmp_path / f"{model}.json"
        shap = {"num_samples": 64, "num_clusters": 3, "seed": 1, "agg_method": "mean_abs"}
        path.write_text(json.dumps({
            "dataset_type": "text/csv", "label": "Label", "headers": ["Label", "F1", "F2", "F3", "F4"],
            "methods": {"shap": shap}, "predictor": {"model": f"check_step_models:{model}"},
        }))  # fmt: skip
        return path

    code, output = _clarify("model-explainability", config("by_first"), dataset, tmp_path / "v1")
    assert code == EXIT_OK, output
    baseline = tmp_path / "v1" / "analysis.json"
    code, output = _clarify(
        "model-explainability",
        config("by_first"),
        dataset,
        tmp_path / "same",
        "--supplied-baseline-constraints",
        baseline,
    )
    assert code == EXIT_OK, output
    code, output = _clarify(
        "model-explainability",
        config("by_last"),
        dataset,
        tmp_path / "changed",
        "--supplied-baseline-constraints",
        baseline,
    )
    assert code == EXIT_VIOLATIONS, output
    [violation] = _violations(tmp_path / "changed")
    assert violation["constraint_check_type"] == "feature_attribution_drift_check"
