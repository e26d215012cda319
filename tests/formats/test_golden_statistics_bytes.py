"""A baseline of SageMaker's own input is its ``statistics.json`` byte for byte, ``std_dev`` too."""

from __future__ import annotations

from pathlib import Path

from modelwatch.monitors.data_quality import suggest_baseline

GOLDEN = Path(__file__).parents[1] / "golden" / "sagemaker-sdk" / "quality_check_step" / "data_quality"


def test_statistics_json_is_byte_identical(tmp_path: Path) -> None:
    suggest_baseline(str(GOLDEN / "baseline_dataset.csv"), str(tmp_path), format="csv", header=False)
    ours = (tmp_path / "statistics.json").read_bytes()
    theirs = (GOLDEN / "statistics.json").read_bytes()
    assert ours.count(b'"std_dev"') == theirs.count(b'"std_dev"') == 6
    assert ours == theirs
