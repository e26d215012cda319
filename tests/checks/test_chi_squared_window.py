"""A current window that collapsed onto one category is flagged by ``ChiSquared``, end to end.

Baseline ``color`` = {a: 20, b: 20}, current = {a: 30}: Deequ's p-value is 4.3204630539861455E-8,
below the 0.05 threshold, so ``modelwatch check`` exits 4 with one ``baseline_drift_check``.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from modelwatch.cli import EXIT_OK, EXIT_VIOLATIONS, app

runner = CliRunner()


def _csv(path: Path, colors: list[str]) -> Path:
    path.write_text("color,x\n" + "".join(f"{c},{i}\n" for i, c in enumerate(colors)))
    return path


def _baseline(tmp_path: Path) -> tuple[Path, Path]:
    out = tmp_path / "baseline"
    dataset = _csv(tmp_path / "base.csv", ["a"] * 20 + ["b"] * 20)
    result = runner.invoke(app, ["baseline", "-d", str(dataset), "--header", "-o", str(out), "-q"])
    assert result.exit_code == EXIT_OK, result.output
    constraints = json.loads((out / "constraints.json").read_text())
    constraints["monitoring_config"]["distribution_constraints"].update(
        categorical_drift_method="ChiSquared", categorical_comparison_threshold=0.05
    )
    edited = tmp_path / "constraints.json"
    edited.write_text(json.dumps(constraints))
    return out / "statistics.json", edited


def _check(tmp_path: Path, colors: list[str]) -> tuple[int, list[dict[str, str]]]:
    statistics, constraints = _baseline(tmp_path)
    current = _csv(tmp_path / "cur.csv", colors)
    out = tmp_path / "check"
    result = runner.invoke(
        app,
        [
            "check", "-d", str(current), "--header", "-q",
            "--baseline-statistics", str(statistics),
            "--baseline-constraints", str(constraints),
            "-o", str(out),
        ],
    )  # fmt: skip
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    return result.exit_code, violations


def test_single_category_window_is_flagged(tmp_path: Path) -> None:
    code, violations = _check(tmp_path, ["a"] * 30)
    assert code == EXIT_VIOLATIONS
    assert violations == [
        {
            "feature_name": "color",
            "constraint_check_type": "baseline_drift_check",
            "description": "Categorical chi-squared p-value: 4.3204630539861455E-8 "
            "is below categorical threshold: 0.05",
        }
    ]


def test_window_with_the_baseline_mix_passes(tmp_path: Path) -> None:
    code, violations = _check(tmp_path, ["a", "b"] * 15)
    assert code == EXIT_OK
    assert violations == []
