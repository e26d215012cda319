"""ModelBias end to end: a bias baseline job, then a schedule over captured predictions merged with
labels; a model that starts to treat one group differently drifts, the same model does not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from service_runs import run_baseline_job, run_until

from modelwatch.service import endpoints, schedules
from modelwatch.service.db import Database
from modelwatch.service.ground_truth import upload_ground_truth
from modelwatch.service.metrics import list_metric_names
from modelwatch.service.schemas import (
    BaselineJobSpec,
    EndpointSpec,
    ExecutionStatus,
    JobStatus,
    ScheduleSpec,
)

H0 = datetime(2026, 6, 1, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)
Row = tuple[str, int, int, int, int]  # gender, age, income, label, predicted


def _rows(seed: int, count: int, *, unfair: bool) -> list[Row]:
    """A model right 85% of the time for everyone, or one that stops approving women."""
    rng = np.random.default_rng(seed)
    gender = np.where(rng.random(count) < 0.5, "F", "M")
    label = (rng.random(count) < 0.5).astype(int)
    predicted = np.where(rng.random(count) < 0.85, label, 1 - label)
    if unfair:
        predicted = np.where((gender == "F") & (rng.random(count) < 0.8), 0, predicted)
    age = rng.integers(18, 80, count)
    income = rng.integers(20, 200, count) * 1000
    return list(
        zip(gender.tolist(), age.tolist(), income.tolist(), label.tolist(), predicted.tolist(), strict=True)
    )


def _capture(root: Path, hour: datetime, rows: list[Row], prefix: str) -> None:
    folder = root / "loans" / "AllTraffic" / f"{hour:%Y/%m/%d/%H}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (gender, age, income, _, predicted) in enumerate(rows):
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": f"{gender},{age},{income}",
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": f"{predicted},0.5",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": f"e-{prefix}-{i}",
                "inferenceId": f"{prefix}-{i}",
                "inferenceTime": (hour + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "eventVersion": "0",
        }
        lines.append(json.dumps(record) + "\n")
    (folder / "00-00-000-capture.jsonl").write_text("".join(lines))


def _labels(rows: list[Row], prefix: str) -> bytes:
    return "".join(
        json.dumps(
            {
                "groundTruthData": {"data": str(row[3]), "encoding": "CSV"},
                "eventMetadata": {"eventId": f"{prefix}-{i}"},
                "eventVersion": "0",
            }
        )
        + "\n"
        for i, row in enumerate(rows)
    ).encode()


BASE_ROWS = _rows(7, 1200, unfair=False)


@pytest.fixture
def configs(tmp_path: Path) -> tuple[Path, Path]:
    common = {
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "gender", "value_or_threshold": ["F"]}],
    }
    baseline = tmp_path / "baseline_config.json"
    baseline.write_text(
        json.dumps(
            {
                **common,
                "dataset_type": "text/csv",
                "predicted_label": "prediction",
                "methods": {
                    "pre_training_bias": {"methods": "all"},
                    "post_training_bias": {"methods": "all"},
                },
            }
        )
    )
    monitor = tmp_path / "monitor_config.json"
    monitor.write_text(json.dumps({**common, "headers": ["gender", "age", "income", "label"]}))
    return baseline, monitor


@pytest.fixture
def baseline(db: Database, tmp_path: Path, configs: tuple[Path, Path]) -> str:
    dataset = tmp_path / "train.csv"
    dataset.write_text(
        "gender,age,income,label,prediction\n" + "".join(",".join(map(str, row)) + "\n" for row in BASE_ROWS)
    )
    spec = BaselineJobSpec.model_validate(
        {
            "name": "bias-baseline",
            "monitoring_type": "ModelBias",
            "dataset_uri": str(dataset),
            "dataset_format": {"csv": {"header": True}},
            "output_uri": str(tmp_path / "baseline"),
            "parameters": {"config_uri": str(configs[0])},
        }
    )
    view = run_baseline_job(db, spec)
    assert view.status == JobStatus.COMPLETED, view.failure_reason
    analysis = json.loads(Path(view.constraints_uri).read_text())
    assert {"pre_training_bias_metrics", "post_training_bias_metrics"} <= set(analysis)
    return view.constraints_uri


def test_a_model_that_turns_unfair_to_a_group_drifts_and_the_same_model_does_not(
    db: Database, baseline: str, configs: tuple[Path, Path]
) -> None:
    with db.session() as session:
        capture = Path(endpoints.create_endpoint(session, EndpointSpec(name="loans")).capture_uri)
    unfair = _rows(8, 1200, unfair=True)
    _capture(capture, H0, BASE_ROWS, "same")
    _capture(capture, H0 + HOUR, unfair, "unfair")
    with db.session() as session:
        upload_ground_truth(session, "loans", _labels(BASE_ROWS, "same"), collected_at=H0 + HOUR / 2)
        upload_ground_truth(session, "loans", _labels(unfair, "unfair"), collected_at=H0 + 1.5 * HOUR)
        spec = ScheduleSpec.model_validate(
            {
                "name": "bias",
                "monitoring_type": "ModelBias",
                "schedule_expression": "cron(0 * ? * * *)",
                "definition": {
                    "endpoint_input": {"endpoint_name": "loans", "inference_attribute": "0"},
                    "config_uri": str(configs[1]),
                    "baseline_constraints_uri": baseline,
                },
            }
        )
        schedules.create_schedule(session, spec, now=H0 + timedelta(minutes=5))

    same, changed = run_until(db, H0 + 2 * HOUR + timedelta(minutes=1))

    assert same.status == ExecutionStatus.COMPLETED, same.failure_reason
    assert same.record_count == 1200 and same.violation_count == 0
    assert changed.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS, changed.failure_reason
    report = json.loads((Path(changed.output_uri) / "analysis.json").read_text())
    [entry] = report["post_training_bias_metrics"]["facets"]["gender"]
    assert entry["value_or_threshold"] == "F"
    dppl = next(m for m in entry["metrics"] if m["name"] == "DPPL")
    assert dppl["value"] > 0.3  # women are now approved far less often
    violations = json.loads((Path(changed.output_uri) / "constraint_violations.json").read_text())[
        "violations"
    ]
    assert {v["metric_name"] for v in violations} >= {"DPPL", "DI"}
    assert all(
        v["facet"] == "gender" and v["constraint_check_type"] == "bias_drift_check" for v in violations
    )
    with db.session() as session:
        names = set(list_metric_names(session, "bias"))
    assert "bias_metric_DPPL/gender/F" in names
