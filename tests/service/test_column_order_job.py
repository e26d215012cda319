"""The column-order trap through the service: a baselining job of a training file with the label last,
then an endpoint schedule over unshifted capture (real job subprocesses, SQLite)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.csv as pcsv
import pytest
from pydantic import ValidationError as PydanticError
from service_runs import run_baseline_job, run_until

from capture_data import credit_rows, write_capture
from modelwatch.errors import ValidationError
from modelwatch.examples import example_dataset
from modelwatch.service import endpoints, schedules
from modelwatch.service.baselines import start_baseline_job
from modelwatch.service.db import Database
from modelwatch.service.schemas import (
    BaselineJobSpec,
    EndpointSpec,
    ExecutionStatus,
    ExecutionView,
    JobDefinition,
    JobStatus,
    ScheduleSpec,
)

H1 = datetime(2026, 6, 1, 10, tzinfo=UTC)
FEATURES = ["age", "income", "credit_score", "loan_amount", "utilisation", "employment", "region"]


@pytest.fixture
def database_url(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'modelwatch.db'}"


@pytest.fixture
def training_csv(tmp_path: Path) -> Path:
    """The bundled credit data as an ordinary training file: the features, then the label."""
    path = tmp_path / "train.csv"
    pcsv.write_csv(pcsv.read_csv(example_dataset()).select([*FEATURES, "defaulted"]), path)
    return path


@pytest.fixture
def endpoint(db: Database) -> Path:
    with db.session() as session:
        view = endpoints.create_endpoint(session, EndpointSpec(name="churn"))
    capture = Path(view.capture_uri)
    write_capture(capture, "churn", H1, credit_rows(count=1000))  # label as output, features as input
    return capture


def _baseline(db: Database, training_csv: Path, name: str, csv: dict[str, object]) -> tuple[str, str]:
    spec = BaselineJobSpec.model_validate(
        {"name": name, "dataset_uri": str(training_csv), "dataset_format": {"csv": csv}}
    )
    view = run_baseline_job(db, spec)
    assert view.status == JobStatus.COMPLETED, view.failure_reason
    assert view.dataset_format == {"csv": csv}
    assert view.statistics_uri and view.constraints_uri
    return view.statistics_uri, view.constraints_uri


def _run(db: Database, baseline: tuple[str, str]) -> ExecutionView:
    definition = JobDefinition.model_validate(
        {
            "endpoint_input": {"endpoint_name": "churn"},
            "baseline_statistics_uri": baseline[0],
            "baseline_constraints_uri": baseline[1],
        }
    )
    spec = ScheduleSpec(name="dq", schedule_expression="cron(0 * ? * * *)", definition=definition)
    with db.session() as session:
        schedules.create_schedule(session, spec, now=H1 + timedelta(minutes=5))
    [view] = run_until(db, H1 + timedelta(hours=1))
    return view


def test_a_label_last_baseline_with_end_gives_no_violations_on_unshifted_capture(
    db: Database, endpoint: Path, training_csv: Path
) -> None:
    baseline = _baseline(db, training_csv, "train-end", {"header": True, "output_columns_position": "END"})
    names = [f["name"] for f in json.loads(Path(baseline[0]).read_text())["features"]]
    assert names == ["defaulted", *FEATURES]
    view = _run(db, baseline)
    assert view.status == ExecutionStatus.COMPLETED, view.failure_reason
    assert view.record_count == 1000 and view.violation_count == 0
    assert "column order" not in (view.exit_message or "")


def test_the_same_baseline_with_start_flags_every_feature_and_the_execution_says_why(
    db: Database, endpoint: Path, training_csv: Path
) -> None:
    baseline = _baseline(
        db, training_csv, "train-start", {"header": True, "output_columns_position": "START"}
    )
    view = _run(db, baseline)
    assert view.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS, view.failure_reason
    message = view.exit_message or ""
    assert message.startswith("CompletedWithViolations: Job completed successfully with")
    assert "the baseline's column order probably does not match" in message
    assert "--output-columns-position END" in message
    log = Path(view.log_uri or "").read_text()
    assert "column order probably does not match" in log


def test_output_columns_position_is_checked_naming_the_field(db: Database, training_csv: Path) -> None:
    with pytest.raises(PydanticError, match=r"dataset_format\.csv\.output_columns_position"):
        BaselineJobSpec.model_validate(
            {
                "name": "bad",
                "dataset_uri": str(training_csv),
                "dataset_format": {"csv": {"output_columns_position": "MIDDLE"}},
            }
        )
    quality = BaselineJobSpec.model_validate(
        {
            "name": "quality",
            "monitoring_type": "ModelQuality",
            "dataset_uri": str(training_csv),
            "dataset_format": {"csv": {"header": True, "output_columns_position": "END"}},
            "parameters": {
                "problem_type": "BinaryClassification",
                "inference_attribute": "defaulted",
                "ground_truth_attribute": "defaulted",
            },
        }
    )
    with db.session() as session, pytest.raises(ValidationError) as raised:
        start_baseline_job(session, quality)
    assert raised.value.field == "dataset_format.csv.output_columns_position"
