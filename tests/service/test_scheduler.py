"""The scheduler with a controllable clock: exactly one execution per slot, whatever happens."""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from modelwatch.service import endpoints, schedules
from modelwatch.service.db import Database, open_database
from modelwatch.service.models import Execution, Schedule
from modelwatch.service.scheduler import Scheduler
from modelwatch.service.schemas import (
    EndpointSpec,
    JobDefinition,
    ScheduleSpec,
    ScheduleStatus,
    ScheduleUpdate,
)

START = datetime(2026, 5, 1, 0, 0, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.now


def _create(db: Database, count: int, expression: str = "cron(0 * ? * * *)", **input: object) -> None:
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="churn"))
        for i in range(count):
            definition = JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "churn", **input}})
            spec = ScheduleSpec(name=f"s{i:03d}", schedule_expression=expression, definition=definition)
            schedules.create_schedule(session, spec, now=START)


def _slots(db: Database) -> list[tuple[str, datetime, datetime, datetime]]:
    with db.session() as session:
        rows = session.execute(
            sa.select(
                Execution.schedule_name,
                Execution.scheduled_time,
                Execution.window_start,
                Execution.window_end,
            )
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _expected(count: int, hours: int) -> set[tuple[str, datetime, datetime, datetime]]:
    first = START.replace(minute=0, second=0) + HOUR
    return {
        (f"s{i:03d}", first + h * HOUR, first + (h - 1) * HOUR, first + h * HOUR)
        for i in range(count)
        for h in range(hours)
    }


def test_200_hourly_schedules_over_48_hours_give_9600_executions(db: Database) -> None:
    _create(db, 200)
    clock = Clock(START)
    scheduler = Scheduler(db, clock=clock)
    for _ in range(48 * 3):  # a tick every 20 simulated minutes
        clock.now += timedelta(minutes=20)
        scheduler.tick()
    slots = _slots(db)
    assert len(slots) == 9_600
    assert set(slots) == _expected(200, 48)


def test_restarts_mid_way_change_nothing(db: Database, database_url: str) -> None:
    _create(db, 20)
    clock = Clock(START)
    for run in range(4):  # four scheduler lifetimes of 12 hours, each with its own connections
        database = open_database(database_url)
        scheduler = Scheduler(database, clock=clock)
        for _ in range(12 * 2):
            clock.now += timedelta(minutes=30)
            scheduler.tick()
        if run % 2:  # a restart that replays the same hour from an older clock must not duplicate
            clock.now -= HOUR
            Scheduler(database, clock=clock).tick()
            clock.now += HOUR
        database.dispose()
    slots = _slots(db)
    assert len(slots) == 20 * 48
    assert set(slots) == _expected(20, 48)


def test_two_schedulers_at_once_never_duplicate_a_slot(database_url: str, db: Database) -> None:
    _create(db, 50)
    clock = Clock(START)
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        database = None
        try:
            database = open_database(database_url)
            scheduler = Scheduler(database, clock=clock)
            for _ in range(48):
                barrier.wait(timeout=60)
                scheduler.tick()
                barrier.wait(timeout=60)
                if threading.current_thread().name == "a":
                    with clock.lock:
                        clock.now += HOUR
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            if database is not None:
                database.dispose()

    threads = [threading.Thread(target=run, name=name) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    slots = _slots(db)
    assert Counter((name, time) for name, time, _, _ in slots).most_common(1)[0][1] == 1
    assert set(slots) == _expected(50, 47)


def test_missed_slots_are_caught_up_within_the_bound(db: Database) -> None:
    _create(db, 3)
    clock = Clock(START + 30 * HOUR)  # the scheduler was down for 30 hours
    tick = Scheduler(db, clock=clock, catch_up=timedelta(hours=6)).tick()
    assert tick.planned == 3 * 6  # the slots of the last 6 hours run ...
    assert tick.skipped == 3 * 24  # ... the 24 older ones are skipped and counted
    times = sorted({time for _, time, _, _ in _slots(db)})
    assert times[0] == START.replace(minute=0, second=0) + 25 * HOUR
    assert times[-1] == START.replace(minute=0, second=0) + 30 * HOUR


def test_offsets_shift_the_windows(db: Database) -> None:
    _create(db, 1, start_time_offset="-P8D", end_time_offset="-P1D")
    clock = Clock(START + HOUR)
    Scheduler(db, clock=clock).tick()
    [(_, slot, start, end)] = _slots(db)
    assert (start, end) == (slot - timedelta(days=8), slot - timedelta(days=1))


@pytest.mark.parametrize(("expression", "count"), [("cron(0 0/6 ? * * *)", 8), ("*/15 * * * *", 48 * 4)])
def test_other_expressions(db: Database, expression: str, count: int) -> None:
    _create(db, 1, expression)
    clock = Clock(START + 48 * HOUR)
    Scheduler(db, clock=clock, catch_up=timedelta(days=3)).tick()
    slots = sorted(_slots(db), key=lambda s: s[1])
    assert len(slots) == count
    assert all(
        end == slot and start == previous[1] for previous, (_, slot, start, end) in itertools.pairwise(slots)
    )


def test_stopped_schedules_plan_nothing(db: Database) -> None:
    _create(db, 2)
    with db.session() as session:
        schedules.stop_schedule(session, "s000")
    Scheduler(db, clock=Clock(START + 5 * HOUR)).tick()
    assert {name for name, *_ in _slots(db)} == {"s001"}


@pytest.mark.parametrize(
    ("endpoint_input", "reason"),
    [
        ({"start_time_offset": "-PT1H", "end_time_offset": "-PT2H"}, "would be empty"),
        ({"start_time_offset": "-PT0H", "end_time_offset": "-PT0H"}, "would be empty"),
        ({"start_time_offset": "-P9999999D"}, "beyond the representable dates"),
        ({"end_time_offset": "-P1D"}, "would be empty"),
        ({"start_time_offset": "-P1Y"}, "years (Y)"),
    ],
    ids=["inverted", "empty", "overflow", "end-before-previous-run", "unparsable"],
)
def test_an_unplannable_schedule_fails_alone_and_the_49_others_run_every_slot(
    db: Database, endpoint_input: dict[str, str], reason: str
) -> None:
    _create(db, 50)
    with db.session() as session:  # broken by hand, past the checks of create and update
        broken = session.scalars(sa.select(Schedule).where(Schedule.name == "s007")).one()
        broken.definition = {"endpoint_input": {"endpoint_name": "churn", **endpoint_input}}
    clock = Clock(START)
    scheduler = Scheduler(db, clock=clock)
    for _ in range(12 * 2):
        clock.now += timedelta(minutes=30)
        scheduler.tick()
    slots = _slots(db)
    assert set(slots) == {slot for slot in _expected(50, 12) if slot[0] != "s007"}
    assert len(slots) == 49 * 12
    with db.session() as session:
        view = schedules.describe_schedule(session, "s007")
        assert view.status == ScheduleStatus.FAILED
        assert view.failure_reason is not None and reason in view.failure_reason
        assert "offset" in view.failure_reason
        assert schedules.describe_schedule(session, "s008").status == ScheduleStatus.SCHEDULED


def test_a_failed_schedule_runs_again_once_updated(db: Database) -> None:
    _create(db, 1)
    with db.session() as session:
        broken = session.scalars(sa.select(Schedule)).one()
        broken.definition = {"endpoint_input": {"endpoint_name": "churn", "end_time_offset": "-PT3H"}}
    clock = Clock(START + HOUR)
    Scheduler(db, clock=clock).tick()
    assert _slots(db) == []
    with db.session() as session:
        definition = JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "churn"}})
        view = schedules.update_schedule(
            session, "s000", ScheduleUpdate(definition=definition), now=clock.now
        )
        assert (view.status, view.failure_reason) == (ScheduleStatus.SCHEDULED, None)
    clock.now += 2 * HOUR
    Scheduler(db, clock=clock).tick()
    assert len(_slots(db)) == 2


KILLED_SCHEDULER = """
import sys, time
from datetime import datetime, timedelta, timezone
from modelwatch.service.db import open_database
from modelwatch.service.scheduler import Scheduler

start = datetime.fromisoformat(sys.argv[2])
now = [start]
scheduler = Scheduler(open_database(sys.argv[1]), clock=lambda: now[0])
while True:  # 10 simulated minutes per tick, as fast as it goes, until killed
    now[0] += timedelta(minutes=10)
    scheduler.tick()
    print(now[0].isoformat(), flush=True)
"""


def test_a_scheduler_killed_mid_way_loses_and_duplicates_nothing(db: Database, database_url: str) -> None:
    import signal
    import subprocess
    import sys

    _create(db, 40)
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_SCHEDULER, database_url, START.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    reached = START
    for _ in range(60):  # let it run through about 10 simulated hours, then kill it mid-work
        reached = datetime.fromisoformat(process.stdout.readline().strip())
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    assert START + 9 * HOUR < reached < START + 48 * HOUR
    clock = Clock(reached)
    scheduler = Scheduler(db, clock=clock)  # the restart picks up where the killed one was
    while clock.now < START + 48 * HOUR:
        clock.now += timedelta(minutes=20)
        scheduler.tick()
    slots = _slots(db)
    assert len(slots) == 40 * 48
    assert set(slots) == _expected(40, 48)
