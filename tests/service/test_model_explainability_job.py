"""ModelExplainability end to end: a baseline job explains a dataset through a real HTTP model server;
a schedule explains captured requests; a model retrained on another feature drifts, the same one not."""

from __future__ import annotations

import io
import json
import math
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from service_runs import run_baseline_job, run_until

from modelwatch.service import endpoints, schedules
from modelwatch.service.db import Database
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
HEADERS = ["x0", "x1", "x2", "x3", "target"]


class Model(BaseHTTPRequestHandler):
    """text/csv in, one score a line out: a logistic model of one feature (switchable: "retraining")."""

    protocol_version = "HTTP/1.1"
    feature: ClassVar[int] = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        if self.path != "/invocations":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        rows = np.loadtxt(io.StringIO(body), delimiter=",", ndmin=2)
        scores = 1 / (1 + np.exp(-2 * rows[:, self.feature] - 0.3 * rows[:, 1]))
        text = "".join(f"{s!r}\n" for s in scores.tolist()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


@pytest.fixture
def model_url() -> Iterator[str]:
    Model.feature = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Model)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/invocations"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _features(seed: int, count: int) -> np.ndarray:
    return np.round(np.random.default_rng(seed).normal(size=(count, 4)), 4)


def _capture(root: Path, hour: datetime, rows: np.ndarray) -> None:
    folder = root / "scores" / "AllTraffic" / f"{hour:%Y/%m/%d/%H}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, row in enumerate(rows.tolist()):
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": ",".join(map(str, row)),
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": "0.5",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": f"e-{hour:%H}-{i}",
                "inferenceTime": (hour + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "eventVersion": "0",
        }
        lines.append(json.dumps(record) + "\n")
    (folder / "00-00-000-capture.jsonl").write_text("".join(lines))


@pytest.fixture
def config(tmp_path: Path, model_url: str) -> Path:
    path = tmp_path / "analysis_config.json"
    shap = {"num_clusters": 4, "num_samples": 48, "agg_method": "mean_abs", "seed": 3}
    path.write_text(
        json.dumps(
            {
                "dataset_type": "text/csv",
                "headers": HEADERS,
                "label": "target",
                "methods": {"shap": shap},
                "predictor": {
                    "endpoint_name": "scores",
                    "endpoint_url": model_url,
                    "content_type": "text/csv",
                },
            }
        )
    )
    return path


@pytest.fixture
def baseline(db: Database, tmp_path: Path, config: Path) -> str:
    rows = _features(1, 60)
    dataset = tmp_path / "train.csv"
    dataset.write_text(
        ",".join(HEADERS) + "\n" + "".join(",".join(map(str, r)) + ",0\n" for r in rows.tolist())
    )
    spec = BaselineJobSpec.model_validate(
        {
            "name": "shap-baseline",
            "monitoring_type": "ModelExplainability",
            "dataset_uri": str(dataset),
            "dataset_format": {"csv": {"header": True}},
            "output_uri": str(tmp_path / "baseline"),
            "parameters": {"config_uri": str(config)},
        }
    )
    view = run_baseline_job(db, spec)
    assert view.status == JobStatus.COMPLETED, view.failure_reason
    values = json.loads(Path(view.constraints_uri).read_text())["explanations"]["kernel_shap"]["label0"]
    shap_values = values["global_shap_values"]
    assert max(shap_values, key=shap_values.get) == "x0"  # the model reads x0 most
    return view.constraints_uri


def test_a_model_retrained_on_another_feature_drifts_and_the_same_model_does_not(
    db: Database, baseline: str, config: Path
) -> None:
    with db.session() as session:
        capture = Path(endpoints.create_endpoint(session, EndpointSpec(name="scores")).capture_uri)
    _capture(capture, H0, _features(2, 40))
    _capture(capture, H0 + HOUR, _features(3, 40))
    with db.session() as session:
        spec = ScheduleSpec.model_validate(
            {
                "name": "attributions",
                "monitoring_type": "ModelExplainability",
                "schedule_expression": "cron(0 * ? * * *)",
                "definition": {
                    "endpoint_input": {"endpoint_name": "scores"},
                    "config_uri": str(config),
                    "baseline_constraints_uri": baseline,
                },
            }
        )
        schedules.create_schedule(session, spec, now=H0 + timedelta(minutes=5))

    [same] = run_until(db, H0 + HOUR + timedelta(minutes=1))
    Model.feature = 2  # retrained: now it depends on x2
    same, changed = run_until(db, H0 + 2 * HOUR + timedelta(minutes=1))

    assert same.status == ExecutionStatus.COMPLETED, same.failure_reason
    assert same.record_count == 40 and same.violation_count == 0
    assert changed.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS, changed.failure_reason
    [violation] = json.loads((Path(changed.output_uri) / "constraint_violations.json").read_text())[
        "violations"
    ]
    assert violation["constraint_check_type"] == "feature_attribution_drift_check"
    assert violation["label"] == "label0" and violation["metric_name"] == "shap"
    score = float(violation["description"].split()[3])
    assert score < 0.9 and violation["description"].endswith("exceeds threshold 0.9")
    current = json.loads((Path(changed.output_uri) / "analysis.json").read_text())
    values = current["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert max(values, key=values.get) == "x2"
    assert all(math.isfinite(v) for v in values.values())
    with db.session() as session:
        names = set(list_metric_names(session, "attributions"))
    assert {"feature_x0", "feature_x2"} <= names


def test_an_endpoint_that_fails_mid_run_fails_the_execution_with_the_reason(
    db: Database, baseline: str, config: Path
) -> None:
    broken = json.loads(config.read_text())
    broken["predictor"]["endpoint_url"] = broken["predictor"]["endpoint_url"].replace("/invocations", "/nope")
    broken_config = config.with_name("broken_config.json")
    broken_config.write_text(json.dumps(broken))
    with db.session() as session:
        capture = Path(endpoints.create_endpoint(session, EndpointSpec(name="scores")).capture_uri)
        _capture(capture, H0, _features(2, 20))
        spec = ScheduleSpec.model_validate(
            {
                "name": "attributions",
                "monitoring_type": "ModelExplainability",
                "schedule_expression": "cron(0 * ? * * *)",
                "definition": {
                    "endpoint_input": {"endpoint_name": "scores"},
                    "config_uri": str(broken_config),
                    "baseline_constraints_uri": baseline,
                },
            }
        )
        schedules.create_schedule(session, spec, now=H0 + timedelta(minutes=5))
    [view] = run_until(db, H0 + HOUR + timedelta(minutes=1))
    assert view.status == ExecutionStatus.FAILED
    assert view.failure_reason.startswith(f"POST {broken['predictor']['endpoint_url']}: HTTP 404")
