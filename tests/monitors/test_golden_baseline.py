"""A baseline of SageMaker's own input reproduces the statistics.json its analyzer wrote."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from modelwatch.monitors.data_quality import suggest_baseline

GOLDEN = Path(__file__).parents[1] / "golden" / "sagemaker-sdk" / "quality_check_step" / "data_quality"


def assert_matches(ours: Any, theirs: Any, path: str = "$") -> None:
    """Same structure and key order; same ints, strings and bools; floats equal to 1e-12 relative."""
    assert type(ours) is type(theirs) or {type(ours), type(theirs)} <= {int, float}, path
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{path}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            assert_matches(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs), f"{path}: length {len(ours)} != {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_matches(a, b, f"{path}[{i}]")
    elif isinstance(theirs, float):
        assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=0.0), f"{path}: {ours} != {theirs}"
    else:
        assert ours == theirs, f"{path}: {ours!r} != {theirs!r}"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("baseline")
    suggest_baseline(str(GOLDEN / "baseline_dataset.csv"), str(output), format="csv", header=False)
    return output


def test_statistics_match_sagemaker(baseline: Path) -> None:
    ours = json.loads((baseline / "statistics.json").read_text())
    theirs = json.loads((GOLDEN / "statistics.json").read_text())
    assert_matches(ours, theirs)


def test_statistics_are_byte_identical_but_for_std_dev_digits(baseline: Path) -> None:
    """Everything but std_dev is byte-identical (Jackson layout, Java doubles, sketch data); std_dev may
    differ in the last digits because Spark's per-row update is not vectorisable (docs/compatibility.md)."""
    ours = (baseline / "statistics.json").read_text().splitlines()
    theirs = (GOLDEN / "statistics.json").read_text().splitlines()
    assert len(ours) == len(theirs)
    differing = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
    assert all('"std_dev"' in a and '"std_dev"' in b for a, b in differing), differing[:3]
    assert not (baseline / "statistics.json").read_text().endswith("\n")


def test_suggested_constraints_match_sagemaker(baseline: Path) -> None:
    assert (baseline / "constraints.json").read_text() == (
        GOLDEN / "good_cases" / "constraints.json"
    ).read_text()
