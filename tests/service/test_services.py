"""The service layer: endpoints, schedules, executions, baselines and metrics, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelwatch.errors import ConflictError, NotFoundError, ValidationError
from modelwatch.service import endpoints, executions, schedules
from modelwatch.service.baselines import describe_baseline_job, list_baseline_jobs, start_baseline_job
from modelwatch.service.db import Database
from modelwatch.service.schemas import (
    BaselineJobSpec,
    EndpointSpec,
    ExecutionStatus,
    JobDefinition,
    ScheduleSpec,
    ScheduleStatus,
    ScheduleUpdate,
)

T0 = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def _definition(endpoint: str = "churn", **extra: object) -> JobDefinition:
    return JobDefinition.model_validate({"endpoint_input": {"endpoint_name": endpoint}, **extra})


def _schedule(name: str = "hourly", expression: str = "cron(0 * ? * * *)", **extra: object) -> ScheduleSpec:
    return ScheduleSpec.model_validate(
        {"name": name, "schedule_expression": expression, "definition": _definition(), **extra}
    )


@pytest.fixture
def endpoint(db: Database) -> str:
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="churn"))
    return "churn"


def test_endpoint_lifecycle(db: Database, data_dir: Path) -> None:
    with db.session() as session:
        view = endpoints.create_endpoint(
            session,
            EndpointSpec(
                name="churn", data_capture_config={"EnableCapture": True, "InitialSamplingPercentage": 50}
            ),
        )
    assert view.capture_uri == str(data_dir / "storage" / "capture")
    assert view.variants == ["AllTraffic"]
    with db.session() as session, pytest.raises(ConflictError, match="already exists"):
        endpoints.create_endpoint(session, EndpointSpec(name="churn"))
    with db.session() as session:
        assert [e.name for e in endpoints.list_endpoints(session).items] == ["churn"]
        endpoints.delete_endpoint(session, "churn")
    with db.session() as session, pytest.raises(NotFoundError, match="endpoint 'churn' does not exist"):
        endpoints.describe_endpoint(session, "churn")


def test_bad_capture_config_names_the_field(db: Database) -> None:
    with db.session() as session, pytest.raises(ValidationError) as error:
        endpoints.create_endpoint(
            session, EndpointSpec(name="x", data_capture_config={"InitialSamplingPercentage": 150})
        )
    assert error.value.field == "data_capture_config"
    assert "InitialSamplingPercentage" in str(error.value) or "sampling_percentage" in str(error.value)


def test_endpoint_with_schedules_cannot_be_deleted(db: Database, endpoint: str) -> None:
    with db.session() as session:
        schedules.create_schedule(session, _schedule(), now=T0)
    with db.session() as session, pytest.raises(ConflictError, match="hourly"):
        endpoints.delete_endpoint(session, endpoint)
    with db.session() as session:
        schedules.delete_schedule(session, "hourly")
        endpoints.delete_endpoint(session, endpoint)


def test_schedule_create_describe_list_update(db: Database, endpoint: str) -> None:
    with db.session() as session:
        created = schedules.create_schedule(session, _schedule(), now=T0)
        schedules.create_schedule(
            session, _schedule("daily", "cron(0 5 ? * * *)"), now=T0 + timedelta(seconds=1)
        )
    assert created.status == ScheduleStatus.SCHEDULED
    assert created.endpoint_name == endpoint
    with db.session() as session:
        listed = schedules.list_schedules(session, sort_by="Name", sort_order="Ascending")
        assert [s.name for s in listed.items] == ["daily", "hourly"]
        first = schedules.list_schedules(session, max_results=1)
        assert [s.name for s in first.items] == ["daily"]  # newest first by default
        second = schedules.list_schedules(session, max_results=1, next_token=first.next_token)
        assert [s.name for s in second.items] == ["hourly"] and second.next_token is None
        assert [s.name for s in schedules.list_schedules(session, name_contains="dai").items] == ["daily"]
        updated = schedules.update_schedule(
            session, "hourly", ScheduleUpdate(schedule_expression="cron(0 0/2 ? * * *)"), now=T0
        )
        assert updated.schedule_expression == "cron(0 0/2 ? * * *)"
        stopped = schedules.stop_schedule(session, "hourly")
        assert stopped.status == ScheduleStatus.STOPPED
        assert schedules.start_schedule(session, "hourly").status == ScheduleStatus.SCHEDULED


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"schedule_expression": "cron(0 * * * *)"}, "ScheduleConfig.ScheduleExpression"),
        ({"schedule_expression": "every hour"}, "ScheduleConfig.ScheduleExpression"),
        ({"schedule_expression": "NOW"}, "data_analysis_start_time"),
        (
            {
                "schedule_expression": "NOW",
                "data_analysis_start_time": "-PT1H",
                "data_analysis_end_time": "-PT2H",
            },
            None,
        ),
        ({"data_analysis_start_time": "-PT1H"}, "data_analysis_start_time"),
        ({"definition": _definition("nope")}, None),
        ({"definition": _definition(max_runtime_seconds=7200)}, "StoppingCondition.MaxRuntimeInSeconds"),
        (
            {"definition": _definition(baseline_statistics_uri="/nonexistent/statistics.json")},
            "definition.baseline_constraints_uri",
        ),
        ({"monitoring_type": "ModelBias"}, "definition.config_uri"),
        ({"monitoring_type": "ModelQuality"}, "definition.problem_type"),
    ],
)
def test_invalid_schedules_are_refused_naming_the_field(
    db: Database, endpoint: str, change: dict[str, object], field: str | None
) -> None:
    spec = (
        _schedule().model_copy(update=change)
        if "monitoring_type" not in change
        else (ScheduleSpec.model_validate({**_schedule().model_dump(), **change}))
    )
    with db.session() as session, pytest.raises((ValidationError, NotFoundError)) as error:
        schedules.create_schedule(session, spec, now=T0)
    if field is not None:
        assert isinstance(error.value, ValidationError)
        assert error.value.field == field, str(error.value)
    with db.session() as session:
        assert schedules.list_schedules(session).items == []


def test_offsets_are_validated(db: Database, endpoint: str) -> None:
    definition = JobDefinition.model_validate(
        {"endpoint_input": {"endpoint_name": endpoint, "start_time_offset": "-P1Y"}}
    )
    with db.session() as session, pytest.raises(ValidationError) as error:
        schedules.create_schedule(session, _schedule().model_copy(update={"definition": definition}), now=T0)
    assert error.value.field == "definition.endpoint_input.start_time_offset"


def test_baseline_files_must_be_sagemaker_files(db: Database, endpoint: str, tmp_path: Path) -> None:
    stats, constraints = tmp_path / "statistics.json", tmp_path / "constraints.json"
    stats.write_text('{"version": 0.0, "dataset": {"item_count": 3}, "features": "nope"}')
    constraints.write_text('{"version": 0.0, "features": []}')
    definition = _definition(baseline_statistics_uri=str(stats), baseline_constraints_uri=str(constraints))
    with (
        db.session() as session,
        pytest.raises(ValidationError, match="not a SageMaker baseline file") as error,
    ):
        schedules.create_schedule(session, _schedule().model_copy(update={"definition": definition}), now=T0)
    assert error.value.field == "definition.baseline_statistics_uri"


def test_preprocessing_script_with_a_syntax_error_is_refused(
    db: Database, endpoint: str, tmp_path: Path
) -> None:
    script = tmp_path / "pre.py"
    script.write_text("def preprocess_handler(record):\n    return {\n")
    definition = _definition(record_preprocessor_script=str(script))
    with db.session() as session, pytest.raises(ValidationError, match=r"line \d+: SyntaxError") as error:
        schedules.create_schedule(session, _schedule().model_copy(update={"definition": definition}), now=T0)
    assert error.value.field == "definition.record_preprocessor_script"


def test_now_schedule_creates_one_execution_with_its_window(db: Database, endpoint: str) -> None:
    spec = _schedule("once", "NOW", data_analysis_start_time="-PT3H", data_analysis_end_time="-PT1H")
    with db.session() as session:
        schedules.create_schedule(session, spec, now=T0)
        page = executions.list_executions(session, schedule_name="once")
    [execution] = page.items
    assert execution.status == ExecutionStatus.PENDING
    assert (execution.window_start, execution.window_end) == (
        T0 - timedelta(hours=3),
        T0 - timedelta(hours=1),
    )


def test_run_now_and_stop(db: Database, endpoint: str) -> None:
    with db.session() as session:
        schedules.create_schedule(session, _schedule(), now=T0)
        view = schedules.run_now(
            session, "hourly", window_start=T0 - timedelta(hours=2), window_end=T0, now=T0
        )
        assert view.output_uri.endswith("/monitoring/churn/hourly/2026/03/01/10/30-00")
        with pytest.raises(ConflictError):
            schedules.run_now(session, "hourly", window_start=T0 - timedelta(hours=2), window_end=T0, now=T0)
        with pytest.raises(ValidationError) as error:
            schedules.run_now(
                session, "hourly", window_start=T0, window_end=T0, now=T0 + timedelta(seconds=5)
            )
        assert error.value.field == "window_end"
        stopped = executions.stop_execution(session, view.id)
    assert stopped.status == ExecutionStatus.STOPPED


def test_deleting_a_schedule_keeps_its_executions(db: Database, endpoint: str) -> None:
    with db.session() as session:
        schedules.create_schedule(session, _schedule(), now=T0)
        view = schedules.run_now(
            session, "hourly", window_start=T0 - timedelta(hours=1), window_end=T0, now=T0
        )
        schedules.delete_schedule(session, "hourly")
    with db.session() as session:
        kept = executions.describe_execution(session, view.id)
    assert kept.schedule_name == "hourly"
    assert kept.status == ExecutionStatus.STOPPED


def test_execution_listing_filters_and_pages(db: Database, endpoint: str) -> None:
    with db.session() as session:
        schedules.create_schedule(session, _schedule(), now=T0)
        for i in range(25):
            moment = T0 + timedelta(minutes=i)
            schedules.run_now(
                session, "hourly", window_start=moment - timedelta(hours=1), window_end=moment, now=moment
            )
    with db.session() as session:
        seen, token = [], None
        while True:
            page = executions.list_executions(
                session,
                schedule_name="hourly",
                sort_by="ScheduledTime",
                sort_order="Ascending",
                max_results=10,
                next_token=token,
            )
            seen.extend(e.scheduled_time for e in page.items)
            token = page.next_token
            if token is None:
                break
        assert seen == [T0 + timedelta(minutes=i) for i in range(25)]
        after = executions.list_executions(
            session, scheduled_after=T0 + timedelta(minutes=20), max_results=100
        )
        assert len(after.items) == 4
        with pytest.raises(ValidationError) as error:
            executions.list_executions(session, max_results=101)
        assert error.value.field == "max_results"
        with pytest.raises(ValidationError) as error:
            executions.list_executions(session, next_token="garbage!")
        assert error.value.field == "next_token"


def test_baseline_jobs_are_recorded(db: Database, tmp_path: Path, data_dir: Path) -> None:
    with db.session() as session:
        view = start_baseline_job(session, BaselineJobSpec(name="b1", dataset_uri=str(tmp_path)))
        assert view.output_uri == str(data_dir / "storage" / "baselines" / "b1")
        with pytest.raises(ConflictError):
            start_baseline_job(session, BaselineJobSpec(name="b1", dataset_uri=str(tmp_path)))
    with db.session() as session:
        assert describe_baseline_job(session, "b1").status == "InProgress"
        assert [j.name for j in list_baseline_jobs(session).items] == ["b1"]


def test_schedules_from_a_shared_job_definition(db: Database, endpoint: str) -> None:
    from modelwatch.service import job_definitions
    from modelwatch.service.schemas import JobDefinitionSpec

    with db.session() as session:
        job_definitions.create_job_definition(
            session, JobDefinitionSpec(name="dq-def", definition=_definition())
        )
        with pytest.raises(ConflictError):
            job_definitions.create_job_definition(
                session, JobDefinitionSpec(name="dq-def", definition=_definition())
            )
        view = schedules.create_schedule(
            session,
            ScheduleSpec(
                name="from-def", schedule_expression="cron(0 * ? * * *)", job_definition_name="dq-def"
            ),
            now=T0,
        )
        assert view.job_definition_name == "dq-def" and view.endpoint_name == endpoint
        assert [
            d.name for d in job_definitions.list_job_definitions(session, endpoint_name=endpoint).items
        ] == ["dq-def"]
        with pytest.raises(ConflictError, match="from-def"):
            job_definitions.delete_job_definition(session, "dq-def")
        with pytest.raises(NotFoundError):
            schedules.create_schedule(
                session,
                ScheduleSpec(name="x", schedule_expression="cron(0 * ? * * *)", job_definition_name="nope"),
                now=T0,
            )
        schedules.delete_schedule(session, "from-def")
        job_definitions.delete_job_definition(session, "dq-def")


def test_a_schedule_needs_exactly_one_definition() -> None:
    from pydantic import ValidationError as PydanticError

    with pytest.raises(PydanticError, match="exactly one of definition, job_definition_name"):
        ScheduleSpec(name="x", schedule_expression="cron(0 * ? * * *)")


def test_page_tokens_out_of_range_are_validation_errors(db: Database) -> None:
    import base64

    token = base64.urlsafe_b64encode(b"o:99999999999999999999").decode()
    with db.session() as session, pytest.raises(ValidationError) as error:
        executions.list_executions(session, next_token=token)
    assert error.value.field == "next_token"


def test_a_cron_schedule_takes_no_now_window_on_update(db: Database, endpoint: str) -> None:
    with db.session() as session:
        schedules.create_schedule(session, _schedule(), now=T0)
    with pytest.raises(ValidationError) as error, db.session() as session:
        schedules.update_schedule(session, "hourly", ScheduleUpdate(data_analysis_start_time="-PT1H"), now=T0)
    assert error.value.field == "data_analysis_start_time"


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("-PT1H", "-PT2H", "must be earlier"),
        ("-PT0H", "-PT0H", "must be earlier"),
        ("-P9999999D", "-P9999998D", "representable"),  # a day long, but before year 1
    ],
)
def test_now_windows_are_checked_on_create_and_on_update(
    db: Database, endpoint: str, start: str, end: str, reason: str
) -> None:
    bad = {"data_analysis_start_time": start, "data_analysis_end_time": end}
    with db.session() as session, pytest.raises(ValidationError, match=reason) as created:
        schedules.create_schedule(session, _schedule("once", "NOW", **bad), now=T0)
    good = {"data_analysis_start_time": "-PT2H", "data_analysis_end_time": "-PT1H"}
    with db.session() as session:
        schedules.create_schedule(session, _schedule("once", "NOW", **good), now=T0)
    with db.session() as session, pytest.raises(ValidationError, match=reason) as updated:
        schedules.update_schedule(session, "once", ScheduleUpdate.model_validate(bad), now=T0)
    for error in (created, updated):
        assert error.value.field in (
            "ScheduleConfig.DataAnalysisStartTime",
            "ScheduleConfig.DataAnalysisEndTime",
        )
    with db.session() as session:
        assert schedules.describe_schedule(session, "once").data_analysis_start_time == "-PT2H"


def test_run_now_windows_must_be_representable(db: Database, endpoint: str) -> None:
    with db.session() as session:
        schedules.create_schedule(session, _schedule(), now=T0)
    for window_start, window_end, field in [
        (datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 1, 1, tzinfo=UTC), "window_start"),
        (T0, datetime(9999, 12, 31, 23, tzinfo=UTC), "window_end"),
    ]:
        with db.session() as session, pytest.raises(ValidationError) as error:
            schedules.run_now(session, "hourly", window_start=window_start, window_end=window_end, now=T0)
        assert error.value.field == field
