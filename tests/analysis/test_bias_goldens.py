"""Every bias metric against smclarify 0.5's output on the generated goldens (tests/golden/bias/*.json).

The goldens come from ``tools/bias_goldens.py`` (smclarify in a throwaway venv). Each holds a CSV
dataset, a Clarify analysis config and smclarify's report per facet and stage: the metric values (to
1e-12), which metrics error and with which message, the value_or_threshold texts, and which whole
reports fail.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from modelwatch.analysis.bias import BiasAnalysisError, facet_entries, label_value_or_threshold
from modelwatch.analysis.bias_metrics import POST_TRAINING, PRE_TRAINING
from modelwatch.io.datasets import read_dataset
from modelwatch.monitors.clarify_config import parse_analysis_config
from modelwatch.monitors.model_bias import bias_counts

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "bias"
CASES = sorted(p for p in GOLDEN.glob("*.json") if "dataset_csv" in json.loads(p.read_text()))


def test_there_are_enough_goldens() -> None:
    assert len(CASES) >= 20


def _same(ours: Any, theirs: Any) -> bool:
    if isinstance(theirs, str):  # "Infinity" / "-Infinity"
        return isinstance(ours, float) and math.isinf(ours) and (ours > 0) == (theirs == "Infinity")
    if theirs is None or ours is None:
        return ours is theirs
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-14)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_metrics_match_smclarify(path: Path, tmp_path: Path) -> None:
    golden = json.loads(path.read_text())
    data = tmp_path / "data.csv"
    data.write_text(golden["dataset_csv"])
    config = parse_analysis_config(golden["config"])
    counts = bias_counts(config, read_dataset(str(data), "csv", header=True, batch_rows=97).batches())
    tally = counts.finalize()
    for key, expected in golden["expected"].items():
        stage = "pre_training" if key.startswith("pre") else "post_training"
        methods_cfg = golden["config"]["methods"][f"{stage}_bias"]["methods"]
        all_names = PRE_TRAINING if stage == "pre_training" else POST_TRAINING
        names = tuple(sorted(methods_cfg if isinstance(methods_cfg, list) else all_names))
        if any(isinstance(v, list) for v in expected["facets"].values()):
            assert label_value_or_threshold(tally, stage) == expected["label_value_or_threshold"]
        for index, (name, want) in enumerate(expected["facets"].items()):
            if isinstance(want, dict):
                with pytest.raises(BiasAnalysisError) as caught:
                    facet_entries(tally, index, stage, names)
                assert caught.value.reason == want["error"]
                continue
            got = facet_entries(tally, index, stage, names)
            assert [e.value_or_threshold for e in got] == [w["value_or_threshold"] for w in want], key
            for entry, want_entry in zip(got, want, strict=True):
                assert [m.name for m in entry.metrics] == [m["name"] for m in want_entry["metrics"]]
                for metric, want_metric in zip(entry.metrics, want_entry["metrics"], strict=True):
                    where = f"{key} {name}={entry.value_or_threshold} {metric.name}"
                    assert metric.description == want_metric["description"], where
                    assert metric.error == want_metric.get("error"), where
                    assert _same(metric.value, want_metric["value"]), (
                        f"{where}: {metric.value} != {want_metric['value']}"
                    )
