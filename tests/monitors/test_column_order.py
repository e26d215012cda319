"""The column-order trap: a training file "features..., label" baselined for capture ("outputs first").

A capture row is the model's outputs first, then its inputs, and its columns are checked against the
baseline's features by position. ``output_columns_position=END`` puts such a baseline in capture order;
without it nearly every feature fails, and the check says why.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.csv as pcsv
import pytest

from capture_data import credit_rows, write_capture
from modelwatch.checks import column_order_hint
from modelwatch.examples import example_dataset
from modelwatch.formats.statistics import FeatureStatistics, InferredType, Statistics
from modelwatch.formats.violations import CheckType, Violation, Violations
from modelwatch.io.capture_table import capture_window_batches
from modelwatch.monitors.column_order import OutputColumnsPosition, in_capture_order
from modelwatch.monitors.data_quality import CheckResult, check_batches, read_baseline, suggest_baseline

HOUR = datetime(2026, 6, 1, 10, tzinfo=UTC)
FEATURES = ["age", "income", "credit_score", "loan_amount", "utilisation", "employment", "region"]


@pytest.fixture(scope="module")
def training_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled credit data as an ordinary training file: the features, then the label."""
    table = pcsv.read_csv(example_dataset())
    path = tmp_path_factory.mktemp("train") / "train.csv"
    pcsv.write_csv(table.select([*FEATURES, "defaulted"]), path)
    return path


@pytest.fixture(scope="module")
def capture_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Unshifted capture of the same data: the label as the model's output, the features as its input."""
    root = tmp_path_factory.mktemp("capture")
    return [str(write_capture(root, "churn", HOUR, credit_rows(count=1000)))]


def _check(baseline_dir: Path, files: list[str], output: Path) -> CheckResult:
    baseline = read_baseline(str(baseline_dir / "statistics.json"), str(baseline_dir / "constraints.json"))
    return check_batches(
        lambda: capture_window_batches(files, HOUR, HOUR + timedelta(hours=1)),
        str(output),
        baseline=baseline,
        source="the test window",
    )


def test_a_label_last_baseline_with_end_checks_clean_against_capture(
    training_csv: Path, capture_files: list[str], tmp_path: Path
) -> None:
    result = suggest_baseline(
        str(training_csv),
        str(tmp_path / "baseline"),
        format="csv",
        header=True,
        output_columns_position=OutputColumnsPosition.END,
    )
    written = json.loads(Path(result.statistics_uri).read_text())
    assert [f["name"] for f in written["features"]] == ["defaulted", *FEATURES]
    constraints = json.loads(Path(result.constraints_uri).read_text())
    assert [f["name"] for f in constraints["features"]] == ["defaulted", *FEATURES]

    checked = _check(tmp_path / "baseline", capture_files, tmp_path / "check")
    assert checked.violations.violations == ()
    assert checked.column_order_hint is None
    assert [f.name for f in checked.statistics.features] == ["defaulted", *FEATURES]


def test_the_same_baseline_with_start_flags_nearly_every_feature_and_says_why(
    training_csv: Path, capture_files: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    suggest_baseline(str(training_csv), str(tmp_path / "baseline"), format="csv", header=True)
    with caplog.at_level("WARNING", logger="modelwatch.monitors.data_quality"):
        checked = _check(tmp_path / "baseline", capture_files, tmp_path / "check")
    flagged = {
        v.feature_name
        for v in checked.violations.violations
        if v.constraint_check_type in (CheckType.DATA_TYPE, CheckType.BASELINE_DRIFT)
    }
    assert len(flagged) >= 7  # of 8: the trap
    assert checked.column_order_hint is not None
    assert "column order probably does not match" in checked.column_order_hint
    assert "--output-columns-position END" in checked.column_order_hint
    assert checked.column_order_hint in caplog.text


def test_without_a_header_the_columns_are_renamed_after_their_capture_position(tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("".join(f"{i},{i * 0.5},{'ab'[i % 2]},{i % 2}\n" for i in range(50)))
    start = suggest_baseline(str(data), str(tmp_path / "start"), format="csv")
    end = suggest_baseline(
        str(data), str(tmp_path / "end"), format="csv", output_columns_position=OutputColumnsPosition.END
    )
    assert [f.name for f in end.statistics.features] == ["_c0", "_c1", "_c2", "_c3"]
    # the label (last column) comes first with its own profile; the others follow in their order
    assert [f.inferred_type for f in end.statistics.features] == [
        start.statistics.features[i].inferred_type for i in (3, 0, 1, 2)
    ]
    assert end.statistics.features[0].numerical == start.statistics.features[3].numerical
    assert end.statistics.features[3].string == start.statistics.features[2].string
    assert end.statistics.item_count == start.statistics.item_count == 50


def _statistics(*names: str) -> Statistics:
    return Statistics(50, tuple(FeatureStatistics(name, InferredType.INTEGRAL) for name in names))


def test_in_capture_order_keeps_start_and_single_columns_as_they_are() -> None:
    named = _statistics("a", "b", "label")
    assert in_capture_order(named, OutputColumnsPosition.START) is named
    moved = in_capture_order(named, OutputColumnsPosition.END)
    assert [f.name for f in moved.features] == ["label", "a", "b"]
    one = _statistics("label")
    assert in_capture_order(one, OutputColumnsPosition.END) is one
    # names that only look positional somewhere keep their names
    mixed = replace(named, features=(*named.features[:2], FeatureStatistics("_c2", InferredType.INTEGRAL)))
    assert [f.name for f in in_capture_order(mixed, OutputColumnsPosition.END).features] == ["_c2", "a", "b"]


def _violations(*pairs: tuple[str, CheckType]) -> Violations:
    return Violations(tuple(Violation(name, check.value, "d") for name, check in pairs))


@pytest.mark.parametrize(
    ("flagged", "features", "hinted"),
    [
        (4, 5, True),  # 80 %
        (3, 3, True),
        (3, 4, False),  # 75 %
        (2, 2, False),  # too few to say
        (0, 0, False),
    ],
)
def test_the_hint_needs_80_percent_of_the_features_and_at_least_3(
    flagged: int, features: int, hinted: bool
) -> None:
    checks = [CheckType.DATA_TYPE, CheckType.BASELINE_DRIFT]
    violations = _violations(*((f"f{i}", checks[i % 2]) for i in range(flagged)))
    assert (column_order_hint(violations, features) is not None) is hinted


def test_the_hint_counts_features_not_violations_and_only_type_or_drift() -> None:
    twice = _violations(
        ("a", CheckType.DATA_TYPE), ("a", CheckType.BASELINE_DRIFT), ("b", CheckType.DATA_TYPE)
    )
    assert column_order_hint(twice, 3) is None  # two features flagged
    others = _violations(
        ("a", CheckType.COMPLETENESS), ("b", CheckType.CATEGORICAL_VALUES), ("c", CheckType.MISSING_COLUMN)
    )
    assert column_order_hint(others, 3) is None
    hint = column_order_hint(_violations(*((n, CheckType.BASELINE_DRIFT) for n in "abcd")), 4)
    assert hint is not None and hint.startswith("4 of 4 features")
