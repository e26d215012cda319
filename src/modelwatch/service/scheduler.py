"""The scheduler loop: plan each schedule's due slots, then start pending executions.

Every tick (``MODELWATCH_SCHEDULER_INTERVAL`` seconds, or sooner when a slot falls due earlier):

1. **Plan.** For every ``Scheduled`` cron schedule, the slots in ``(planned_until, now]`` become
   ``Pending`` executions with their analysis windows, inserted with "ignore if present" on the unique
   (schedule, scheduled time) key, so a restarted or second scheduler never duplicates one. Slots older
   than ``MODELWATCH_CATCH_UP_HOURS`` (after downtime) are skipped and logged, not run. A schedule that
   cannot be planned (an empty or unrepresentable window, a definition changed by hand in the database)
   becomes ``Failed`` with the reason in its ``failure_reason``; the others are planned as usual.
2. **Dispatch.** ``Pending`` executions whose time has come start, oldest slot first, as long as the
   runner has room; each is claimed atomically, so two schedulers never run the same one. Pending
   baselining jobs start the same way.

The clock is a parameter, so tests drive the scheduler through simulated days.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from modelwatch.service import alerting
from modelwatch.service.db import Database
from modelwatch.service.executions import insert_slots
from modelwatch.service.models import BaselineJob, Execution, Schedule, utcnow
from modelwatch.service.runner import Runner, recover_orphans
from modelwatch.service.schedule_expression import parse_schedule_expression
from modelwatch.service.schedules import schedule_output_uri, window_of
from modelwatch.service.schemas import ExecutionStatus, JobStatus, ScheduleStatus
from modelwatch.settings import get_settings

__all__ = ["Scheduler", "Tick"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Tick:
    """What one tick did."""

    planned: int  # new executions created
    skipped: int  # missed slots older than the catch-up bound
    started: int  # executions and baselining jobs started
    next_due: datetime | None = None  # the earliest slot not planned yet


class Scheduler:
    """Plans and starts executions. Without a runner it only plans (useful to test and to benchmark)."""

    def __init__(
        self,
        db: Database,
        runner: Runner | None = None,
        *,
        clock: Clock = utcnow,
        catch_up: timedelta | None = None,
        interval: float | None = None,
    ) -> None:
        settings = get_settings()
        self.db = db
        self.runner = runner
        self.clock = clock
        self.catch_up = catch_up if catch_up is not None else timedelta(hours=settings.catch_up_hours)
        self.interval = interval if interval is not None else settings.scheduler_interval
        self._stop = threading.Event()
        self._next_due: datetime | None = None

    def tick(self) -> Tick:
        now = self.clock()
        planned, skipped = self.plan(now)
        started = self.dispatch(now) if self.runner is not None else 0
        alerting.on_tick(self.db, now)  # reminders, metric alarms, notification delivery (docs/alerts.md)
        return Tick(planned, skipped, started, self._next_due)

    def plan(self, now: datetime) -> tuple[int, int]:
        """Create the executions of every slot due by ``now``; returns (created, skipped as too old)."""
        created = skipped = 0
        next_due: datetime | None = None
        oldest = now - self.catch_up
        with self.db.session() as session:
            schedules = session.scalars(
                sa.select(Schedule).where(Schedule.status == ScheduleStatus.SCHEDULED.value)
            ).all()
            slots = []
            for schedule in schedules:
                try:
                    expression = parse_schedule_expression(schedule.schedule_expression)
                    if expression.kind != "cron":
                        continue
                    after = schedule.planned_until or schedule.created_at
                    due = expression.slots(after, now)
                    upcoming = expression.next_slot(max(after, now))
                    kept = [slot for slot in due if slot >= oldest]
                    root = schedule_output_uri(schedule) if kept else ""
                    planned = [(schedule, slot, window_of(schedule, slot), root) for slot in kept]
                except Exception as error:  # pure computation over this row: the fault is the schedule's
                    self._fail(schedule, error)
                    continue
                next_due = upcoming if next_due is None else min(next_due, upcoming)
                if not due:
                    continue
                if len(kept) < len(due):
                    skipped += len(due) - len(kept)
                    log.warning(
                        "scheduler: %s: skipped %d missed slots from %s, older than the catch-up bound %s",
                        schedule.name,
                        len(due) - len(kept),
                        due[0].isoformat(),
                        self.catch_up,
                    )
                slots.extend(planned)
                schedule.planned_until = due[-1]
            created = insert_slots(session, slots)
        self._next_due = next_due
        if created:
            log.info("scheduler: planned %d executions", created)
        return created, skipped

    @staticmethod
    def _fail(schedule: Schedule, error: Exception) -> None:
        """A schedule that cannot be planned (e.g. changed by hand in the database) is ``Failed`` with the
        reason, and planning goes on with the others; updating or starting it schedules it again."""
        reason = " ".join(str(error).split()) or type(error).__name__
        schedule.status = ScheduleStatus.FAILED.value
        schedule.failure_reason = f"cannot plan: {reason}"[:1024]
        log.error("scheduler: schedule %s failed and is skipped: %s", schedule.name, reason)

    def dispatch(self, now: datetime) -> int:
        """Start pending executions due by ``now`` (oldest first) and pending baselining jobs."""
        assert self.runner is not None
        started = 0
        room = self.runner.free_slots()
        if room <= 0:
            return 0
        with self.db.session() as session:
            baselines = session.scalars(
                sa.select(BaselineJob.name)
                .where(BaselineJob.status == JobStatus.IN_PROGRESS.value, BaselineJob.claimed_by.is_(None))
                .order_by(BaselineJob.id)
                .limit(room)
            ).all()
            pending = session.scalars(
                sa.select(Execution.id)
                .where(Execution.status == ExecutionStatus.PENDING.value, Execution.scheduled_time <= now)
                .order_by(Execution.scheduled_time, Execution.id)
                .limit(room)
            ).all()
        for name in baselines:
            started += self.runner.start_baseline(name)
        started += self.runner.start_executions(list(pending))
        return started

    def run_forever(self) -> None:
        """Tick every ``interval`` seconds until :meth:`stop`; a failing tick is logged and retried."""
        recover_orphans(self.db)
        log.info("scheduler: running, a tick every %gs", self.interval)
        while not self._stop.is_set():
            wait = self.interval
            try:
                tick = self.tick()
                if tick.next_due is not None:  # wake up for the next slot rather than up to a tick late
                    wait = min(wait, max((tick.next_due - self.clock()).total_seconds(), 0.0) + 0.01)
            except Exception:
                log.exception("scheduler: tick failed; retrying in %gs", self.interval)
            self._stop.wait(wait)

    def stop(self) -> None:
        self._stop.set()
