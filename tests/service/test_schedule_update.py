"""Updating a schedule's expression: the planning bookmark follows the change (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelwatch.service import endpoints, schedules
from modelwatch.service.db import Database
from modelwatch.service.schemas import EndpointSpec, JobDefinition, ScheduleSpec, ScheduleUpdate

T0 = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


@pytest.fixture
def hourly(db: Database) -> str:
    """An hourly cron schedule created at ``T0`` (its bookmark, ``planned_until``, is ``T0``)."""
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="churn"))
        definition = JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "churn"}})
        spec = ScheduleSpec(name="hourly", schedule_expression="cron(0 * ? * * *)", definition=definition)
        schedules.create_schedule(session, spec, now=T0)
    return "hourly"


def _planned_until(db: Database, name: str) -> datetime | None:
    with db.session() as session:
        planned = schedules.get_schedule(session, name).planned_until
    return planned.replace(tzinfo=UTC) if planned is not None and planned.tzinfo is None else planned


def test_a_changed_expression_moves_the_bookmark_to_the_update(db: Database, hourly: str) -> None:
    """A schedule whose expression changes records the update as its planning bookmark. This held for a
    new cron expression only: a change to NOW kept the old bookmark, because the "expression changed"
    test compared the new expression with itself (it ran after the assignment). The scheduler plans cron
    schedules only, and a later change back to cron moves the bookmark again, so the stale bookmark was
    not yet visible in the executions planned."""
    later = T0 + timedelta(hours=5)
    update = ScheduleUpdate(
        schedule_expression="NOW", data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H"
    )
    with db.session() as session:
        schedules.update_schedule(session, hourly, update, now=later)
    assert _planned_until(db, hourly) == later


def test_an_unchanged_now_expression_keeps_the_bookmark(db: Database, hourly: str) -> None:
    """Updating a NOW schedule without changing its expression leaves its bookmark alone."""
    first = T0 + timedelta(hours=1)
    to_now = ScheduleUpdate(
        schedule_expression="NOW", data_analysis_start_time="-PT1H", data_analysis_end_time="-PT0H"
    )
    with db.session() as session:
        schedules.update_schedule(session, hourly, to_now, now=first)
    before = _planned_until(db, hourly)
    with db.session() as session:
        schedules.update_schedule(
            session, hourly, ScheduleUpdate(data_analysis_start_time="-PT2H"), now=first + timedelta(hours=3)
        )
    assert _planned_until(db, hourly) == before


def test_a_new_cron_expression_is_planned_from_the_update(db: Database, hourly: str) -> None:
    """A cron schedule given a new expression is planned from the update time on (no back-fill)."""
    later = T0 + timedelta(hours=3)
    with db.session() as session:
        schedules.update_schedule(
            session, hourly, ScheduleUpdate(schedule_expression="cron(0 0/2 ? * * *)"), now=later
        )
    assert _planned_until(db, hourly) == later
