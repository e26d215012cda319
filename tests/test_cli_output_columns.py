"""``modelwatch baseline --output-columns-position``: a training file with the label last, baselined for
data whose rows are outputs first (capture order), as the bundled credit data is."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pcsv
import pytest
from typer.testing import CliRunner

from modelwatch.cli import EXIT_OK, EXIT_VIOLATIONS, app
from modelwatch.examples import example_dataset

runner = CliRunner()
FEATURES = ["age", "income", "credit_score", "loan_amount", "utilisation", "employment", "region"]


@pytest.fixture(scope="module")
def training_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("train") / "train.csv"
    pcsv.write_csv(pcsv.read_csv(example_dataset()).select([*FEATURES, "defaulted"]), path)
    return path


def _baseline(training_csv: Path, output: Path, *position: str) -> None:
    args = ["baseline", "-d", str(training_csv), "--header", "-o", str(output), "-q", *position]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_OK, result.output


def _check(baseline: Path, output: Path) -> int:
    args = [
        "check",
        "-d",
        str(example_dataset()),  # label first: the order of a capture row
        "--header",
        "-s",
        str(baseline / "statistics.json"),
        "-c",
        str(baseline / "constraints.json"),
        "-o",
        str(output),
        "-q",
    ]
    return runner.invoke(app, args).exit_code


def test_end_writes_the_label_first_and_the_check_passes(training_csv: Path, tmp_path: Path) -> None:
    _baseline(training_csv, tmp_path / "baseline", "--output-columns-position", "END")
    statistics = json.loads((tmp_path / "baseline" / "statistics.json").read_text())
    assert [f["name"] for f in statistics["features"]] == ["defaulted", *FEATURES]
    assert _check(tmp_path / "baseline", tmp_path / "out") == EXIT_OK


def test_start_is_the_default_and_the_check_explains_the_trap(
    training_csv: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _baseline(training_csv, tmp_path / "baseline")
    statistics = json.loads((tmp_path / "baseline" / "statistics.json").read_text())
    assert [f["name"] for f in statistics["features"]] == [*FEATURES, "defaulted"]
    with caplog.at_level("WARNING"):
        assert _check(tmp_path / "baseline", tmp_path / "out") == EXIT_VIOLATIONS
    assert "column order probably does not match" in caplog.text


def test_other_baseline_types_refuse_end(training_csv: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "baseline",
            "--type",
            "bias",
            "--config",
            str(tmp_path / "analysis_config.json"),
            "-d",
            str(training_csv),
            "-o",
            str(tmp_path / "out"),
            "--output-columns-position",
            "END",
        ],
    )
    assert result.exit_code == 2
    assert "only data-quality baselines are put in capture order" in result.output
    assert "--output-columns-position" in result.output
