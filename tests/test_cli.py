"""The command line: exit codes, summaries, --help everywhere, and the demo."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pcsv
import pytest
from typer.testing import CliRunner

from modelwatch.cli import EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS, app
from modelwatch.examples import drift, example_dataset

runner = CliRunner()
COMMANDS = ["baseline", "check", "demo", "proxy", "capture-batch", "server", "scheduler"]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and "modelwatch 0." in result.output


@pytest.fixture(scope="module")
def baseline_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("baseline")
    result = runner.invoke(
        app, ["baseline", "--dataset", str(example_dataset()), "--header", "--output", str(output), "-q"]
    )
    assert result.exit_code == EXIT_OK, result.output
    assert "baseline: 4,000 rows x 8 columns" in result.output
    return output


def _check(dataset: Path, baseline_dir: Path, output: Path) -> tuple[int, str]:
    result = runner.invoke(
        app,
        [
            "check",
            "-d",
            str(dataset),
            "--header",
            "-q",
            "--baseline-statistics",
            str(baseline_dir / "statistics.json"),
            "--baseline-constraints",
            str(baseline_dir / "constraints.json"),
            "--output",
            str(output),
        ],
    )
    return result.exit_code, result.output


def test_check_of_unchanged_data_exits_zero(baseline_dir: Path, tmp_path: Path) -> None:
    code, output = _check(example_dataset(), baseline_dir, tmp_path / "out")
    assert code == EXIT_OK, output
    assert "0 violations" in output
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())
    assert violations == {"violations": []}
    for name in ("statistics.json", "constraints.json", "drift.json"):
        assert (tmp_path / "out" / name).exists()


def test_check_of_drifted_data_exits_four_naming_exactly_the_drifted_features(
    baseline_dir: Path, tmp_path: Path
) -> None:
    drifted = tmp_path / "drifted.csv"
    pcsv.write_csv(drift(pcsv.read_csv(example_dataset())), drifted)
    code, output = _check(drifted, baseline_dir, tmp_path / "out")
    assert code == EXIT_VIOLATIONS, output
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())["violations"]
    assert {(v["feature_name"], v["constraint_check_type"]) for v in violations} == {
        ("age", "baseline_drift_check"),
        ("income", "baseline_drift_check"),
        ("utilisation", "baseline_drift_check"),
        ("region", "baseline_drift_check"),
    }
    drift_file = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert {f["name"] for f in drift_file["features"]} >= {"age", "income", "region"}


def test_errors_exit_one_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["baseline", "-d", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o")])
    assert result.exit_code == EXIT_ERROR
    assert "missing.csv" in result.output
    assert "Traceback" not in result.output


def test_usage_errors_exit_two() -> None:
    assert runner.invoke(app, ["baseline"]).exit_code == 2
