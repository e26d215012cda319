"""A NOW schedule built from a shared job definition runs its one execution (found by mypy: the output
folder was read from the inline definition, which such a schedule does not have)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from modelwatch.service import endpoints, executions, job_definitions, schedules
from modelwatch.service.db import Database
from modelwatch.service.schemas import (
    EndpointSpec,
    ExecutionStatus,
    JobDefinition,
    JobDefinitionSpec,
    ScheduleSpec,
)

T0 = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def test_now_schedule_from_a_shared_job_definition_creates_its_execution(db: Database) -> None:
    definition = JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "churn"}})
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="churn"))
        job_definitions.create_job_definition(
            session, JobDefinitionSpec(name="dq-def", definition=definition)
        )
        schedules.create_schedule(
            session,
            ScheduleSpec(
                name="once",
                schedule_expression="NOW",
                job_definition_name="dq-def",
                data_analysis_start_time="-PT3H",
                data_analysis_end_time="-PT1H",
            ),
            now=T0,
        )
        [execution] = executions.list_executions(session, schedule_name="once").items
    assert execution.status == ExecutionStatus.PENDING
    assert (execution.window_start, execution.window_end) == (
        T0 - timedelta(hours=3),
        T0 - timedelta(hours=1),
    )
