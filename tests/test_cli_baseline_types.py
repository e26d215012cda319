"""``modelwatch baseline`` for model quality and bias: the same files as SageMaker's containers wrote."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelwatch.cli import EXIT_ERROR, EXIT_OK, app

runner = CliRunner()
GOLDEN = Path(__file__).parent / "golden"
QUALITY = GOLDEN / "sagemaker-sdk" / "quality_check_step" / "model_quality"


def test_a_model_quality_baseline_reproduces_sagemakers_statistics(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "baseline",
            "--problem-type",
            "Regression",
            "--inference-attribute",
            "Prediction",
            "--ground-truth-attribute",
            "Label",
            "--dataset",
            str(QUALITY / "baseline_dataset.csv"),
            "--format",
            "csv",
            "--header",
            "--output",
            str(tmp_path),
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    assert "model-quality baseline (Regression): 100 rows; rmse" in result.output
    ours = json.loads((tmp_path / "statistics.json").read_text())
    theirs = json.loads((QUALITY / "statistics.json").read_text())
    assert ours["regression_metrics"] == theirs["regression_metrics"]
    assert ours["dataset"]["item_count"] == theirs["dataset"]["item_count"]
    assert (tmp_path / "constraints.json").read_text() == (
        QUALITY / "good_cases" / "constraints.json"
    ).read_text()


def test_a_model_quality_baseline_names_a_missing_column(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "baseline",
            "--problem-type",
            "Regression",
            "--inference-attribute",
            "score",
            "--ground-truth-attribute",
            "Label",
            "--dataset",
            str(QUALITY / "baseline_dataset.csv"),
            "--header",
            "--output",
            str(tmp_path),
        ],
    )
    assert result.exit_code == EXIT_ERROR
    assert "score" in result.output and "Prediction" in result.output  # the missing one, and what there is


def test_a_bias_baseline_writes_clarifys_analysis_json(tmp_path: Path) -> None:
    case = json.loads((GOLDEN / "bias" / "sagemaker_sdk_clarify_check_step.json").read_text())
    dataset = tmp_path / "dataset.csv"
    dataset.write_text(case["dataset_csv"])
    config = tmp_path / "analysis_config.json"
    config.write_text(json.dumps(case["config"]))
    result = runner.invoke(
        app,
        [
            "baseline",
            "--type",
            "bias",
            "--config",
            str(config),
            "--dataset",
            str(dataset),
            "--header",
            "--output",
            str(tmp_path / "out"),
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    assert "bias baseline: 100 rows" in result.output
    written = (tmp_path / "out" / "analysis.json").read_text()
    assert written == (GOLDEN / "bias" / "clarify_check_step_good_analysis.json").read_text()


def test_bias_needs_a_config(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["baseline", "--type", "bias", "--dataset", "x.csv", "--output", str(tmp_path)]
    )
    assert result.exit_code == 2 and "--config" in result.output
