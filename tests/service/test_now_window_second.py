"""A NOW window ending ``PT0H`` holds the requests answered in the second the schedule was made: capture
stamps ``inferenceTime`` in whole seconds (and the job reads its window in whole seconds), so the run time
is the creation rounded up to the next second. (The SDK test caught it: traffic captured and a ``now()``
schedule made within one second found no data.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelwatch.service import endpoints, executions, schedules
from modelwatch.service.db import Database
from modelwatch.service.schemas import EndpointSpec, JobDefinition, ScheduleSpec


@pytest.mark.parametrize(
    ("now", "end"),
    [
        (datetime(2026, 3, 1, 10, 30, 5, 950_000, tzinfo=UTC), datetime(2026, 3, 1, 10, 30, 6, tzinfo=UTC)),
        (datetime(2026, 3, 1, 10, 30, 5, tzinfo=UTC), datetime(2026, 3, 1, 10, 30, 5, tzinfo=UTC)),
    ],
)
def test_a_now_window_starts_and_ends_on_whole_seconds_after_its_creation(
    db: Database, now: datetime, end: datetime
) -> None:
    definition = JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "churn"}})
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="churn"))
        schedules.create_schedule(
            session,
            ScheduleSpec(
                name="once",
                schedule_expression="NOW",
                definition=definition,
                data_analysis_start_time="-PT1H",
                data_analysis_end_time="PT0H",
            ),
            now=now,
        )
        [execution] = executions.list_executions(session, schedule_name="once").items
    assert (execution.window_start, execution.window_end) == (end - timedelta(hours=1), end)
    if now.microsecond:  # a request answered earlier in that second, stamped as capture stamps it
        assert execution.window_start <= now.replace(microsecond=0) < execution.window_end
