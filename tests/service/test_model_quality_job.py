"""ModelQuality end to end: captured predictions, labels uploaded days later, a schedule whose window is
shifted back by offsets, the merge, the metrics and the violations; real job subprocesses."""

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
from modelwatch.service.metrics import list_metric_names, query_metric
from modelwatch.service.schemas import (
    BaselineJobSpec,
    EndpointSpec,
    ExecutionStatus,
    JobStatus,
    ScheduleSpec,
)

D = datetime(2026, 6, 1, tzinfo=UTC)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
T1 = D + 3 * DAY + 12 * HOUR  # daily slots at 12:00; windows [T - 3 days, T - 1 day)
T2 = T1 + DAY


def _predictions(seed: int, count: int, *, degraded: bool) -> list[tuple[str, float, str]]:
    """(predicted label, probability, true label): a good model, or one that guesses."""
    rng = np.random.default_rng(seed)
    labels = rng.random(count) < 0.4
    if degraded:
        scores = rng.random(count)
    else:
        scores = np.clip(np.where(labels, 0.75, 0.25) + rng.normal(0, 0.15, count), 0.01, 0.99)
    return [
        (str(int(p >= 0.5)), round(float(p), 4), str(int(y))) for p, y in zip(scores, labels, strict=True)
    ]


def _write_capture(root: Path, hour: datetime, rows: list[tuple[str, float, str]], prefix: str) -> None:
    folder = root / "churn" / "AllTraffic" / f"{hour:%Y/%m/%d/%H}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, (predicted, probability, _) in enumerate(rows):
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": f"{i},{i % 7}",
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": f"{predicted},{probability}",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": f"event-{prefix}-{i}",
                "inferenceId": f"{prefix}-{i}",
                "inferenceTime": (hour + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "eventVersion": "0",
        }
        lines.append(json.dumps(record, separators=(",", ":")) + "\n")
    (folder / "00-00-000-capture.jsonl").write_text("".join(lines))


def _labels(rows: list[tuple[str, float, str]], prefix: str) -> str:
    return "".join(
        json.dumps(
            {
                "groundTruthData": {"data": label, "encoding": "CSV"},
                "eventMetadata": {"eventId": f"{prefix}-{i}"},
                "eventVersion": "0",
            }
        )
        + "\n"
        for i, (_, _, label) in enumerate(rows)
    )


@pytest.fixture
def baseline(db: Database, tmp_path: Path) -> str:
    """The model-quality baseline of the good model, computed by a baselining job; its constraints."""
    rows = _predictions(1, 600, degraded=False)
    dataset = tmp_path / "validation.csv"
    dataset.write_text("prediction,probability,label\n" + "".join(f"{p},{q},{y}\n" for p, q, y in rows))
    spec = BaselineJobSpec.model_validate(
        {
            "name": "quality-baseline",
            "monitoring_type": "ModelQuality",
            "dataset_uri": str(dataset),
            "dataset_format": {"csv": {"header": True}},
            "output_uri": str(tmp_path / "baseline"),
            "parameters": {
                "problem_type": "BinaryClassification",
                "inference_attribute": "prediction",
                "probability_attribute": "probability",
                "ground_truth_attribute": "label",
            },
        }
    )
    view = run_baseline_job(db, spec)
    assert view.status == JobStatus.COMPLETED, view.failure_reason
    constraints = json.loads(Path(view.constraints_uri).read_text())
    assert list(constraints["binary_classification_constraints"])[:3] == ["recall", "precision", "accuracy"]
    return view.constraints_uri


def test_labels_uploaded_days_later_are_merged_and_a_degraded_window_violates(
    db: Database, baseline: str, data_dir: Path
) -> None:
    with db.session() as session:
        capture = Path(endpoints.create_endpoint(session, EndpointSpec(name="churn")).capture_uri)
    good, bad = _predictions(1, 600, degraded=False), _predictions(2, 600, degraded=True)
    _write_capture(capture, D + 13 * HOUR, good, "good")  # only in T1's window
    _write_capture(capture, D + 2 * DAY + 13 * HOUR, bad, "bad")  # only in T2's window
    with db.session() as session:
        upload_ground_truth(
            session, "churn", _labels(good, "good").encode(), collected_at=D + 2 * DAY + 9 * HOUR
        )
        upload_ground_truth(
            session, "churn", _labels(bad, "bad").encode(), collected_at=D + 3 * DAY + 10 * HOUR
        )
        spec = ScheduleSpec.model_validate(
            {
                "name": "quality",
                "monitoring_type": "ModelQuality",
                "schedule_expression": "cron(0 12 ? * * *)",
                "definition": {
                    "endpoint_input": {
                        "endpoint_name": "churn",
                        "inference_attribute": "0",
                        "probability_attribute": "1",
                        "start_time_offset": "-P3D",
                        "end_time_offset": "-P1D",
                    },
                    "problem_type": "BinaryClassification",
                    "baseline_constraints_uri": baseline,
                },
            }
        )
        schedules.create_schedule(session, spec, now=T1 - HOUR)

    first, second = run_until(db, T2 + timedelta(minutes=1))

    assert (first.window_start, first.window_end) == (T1 - 3 * DAY, T1 - DAY)
    assert first.status == ExecutionStatus.COMPLETED, first.failure_reason
    assert first.record_count == 600 and first.violation_count == 0
    summary = json.loads((Path(first.output_uri) / "merge_summary.json").read_text())
    assert summary["matched"] == 600 and summary["unmatched_predictions"] == 0
    assert summary["unmatched_labels"] == 600  # the degraded window's labels, collected before T1
    merged = data_dir / "storage" / "monitoring" / "churn" / "quality" / "merge" / "churn" / "AllTraffic"
    [merged_file] = (merged / f"{D + 13 * HOUR:%Y/%m/%d/%H}").iterdir()
    record = json.loads(merged_file.read_text().splitlines()[0])
    assert record["groundTruthData"] == {"data": good[0][2], "encoding": "CSV"}
    assert record["eventMetadata"]["inferenceId"] == "good-0"

    estimate = json.loads((Path(first.output_uri) / "performance_estimate.json").read_text())
    assert estimate["records"] == 600 and estimate["labelled"] == 600
    realised = json.loads((Path(first.output_uri) / "statistics.json").read_text())
    accuracy = realised["binary_classification_metrics"]["accuracy"]["value"]
    guess = estimate["metrics"]["estimated_accuracy"]
    assert abs(guess["value"] - accuracy) < 3 * guess["expected_error"]

    assert second.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS, second.failure_reason
    report = (Path(second.output_uri) / "report.html").read_text()
    assert "Metric auc with 0." in report and "plotly" in report  # the violations and the charts, offline
    violations = json.loads((Path(second.output_uri) / "constraint_violations.json").read_text())[
        "violations"
    ]
    names = {v["metric_name"] for v in violations}
    assert {"accuracy", "auc", "f1", "falsePositiveRate"} <= names
    auc = next(v for v in violations if v["metric_name"] == "auc")
    assert auc["constraint_check_type"] == "LessThanThreshold"
    assert auc["description"].startswith("Metric auc with 0.")

    with db.session() as session:
        assert {"accuracy", "auc", "f1", "recall", "estimated_accuracy"} <= set(
            list_metric_names(session, "quality")
        )
        series = query_metric(session, "quality", "accuracy")
    assert [p.execution_id for p in series] == [first.id, second.id]
    assert series[0].value > 0.85 > 0.6 > series[1].value


@pytest.mark.parametrize("too_few_labels", ["Fail", "Complete"])
def test_a_window_without_labels_fails_or_completes_with_the_counts(
    db: Database, baseline: str, too_few_labels: str
) -> None:
    with db.session() as session:
        capture = Path(endpoints.create_endpoint(session, EndpointSpec(name="churn")).capture_uri)
        _write_capture(capture, D + 13 * HOUR, _predictions(3, 50, degraded=False), "x")
        spec = ScheduleSpec.model_validate(
            {
                "name": "quality",
                "monitoring_type": "ModelQuality",
                "schedule_expression": "cron(0 12 ? * * *)",
                "definition": {
                    "endpoint_input": {
                        "endpoint_name": "churn",
                        "inference_attribute": "0",
                        "probability_attribute": "1",
                        "start_time_offset": "-P3D",
                        "end_time_offset": "-P1D",
                    },
                    "problem_type": "BinaryClassification",
                    "baseline_constraints_uri": baseline,
                    "min_labelled_records": 10,
                    "too_few_labels": too_few_labels,
                },
            }
        )
        schedules.create_schedule(session, spec, now=T1 - HOUR)
    [view] = run_until(db, T1 + timedelta(minutes=1))
    if too_few_labels == "Fail":
        assert view.status == ExecutionStatus.FAILED
        assert view.failure_reason.startswith(
            "too few labelled predictions (minimum 10): 0 of 50 predictions"
        )
        assert "no valid labels" in view.failure_reason
        return
    assert view.status == ExecutionStatus.COMPLETED, view.failure_reason
    assert view.exit_message.startswith("Completed: too few labelled predictions (minimum 10)")
    assert not (Path(view.output_uri) / "statistics.json").exists()
    estimate = json.loads((Path(view.output_uri) / "performance_estimate.json").read_text())
    assert estimate["records"] == 50 and estimate["labelled"] == 0  # the quality, before any label
    with db.session() as session:
        assert "estimated_accuracy" in list_metric_names(session, "quality")
