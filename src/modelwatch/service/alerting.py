"""Where alerting meets the rest of the service: the two evaluation points and the delivery thread.

* :func:`on_execution_finished` — called by ``executions.finish_execution`` in the transaction that
  records the outcome: evaluates the schedule's monitoring alert and the metric alarms of its schedule
  and endpoint. Their state, history and queued messages commit with the execution's status; a bug here
  is logged and rolled back to a savepoint, never allowed to lose an execution's outcome.
* :func:`on_tick` — called by the scheduler every tick: reminders, the periodic pass over metric alarms
  (once per period each), then wakes the delivery thread when messages are due.

Messages are sent by a :class:`DeliveryThread` per database, started on demand and ending when nothing
is due for a while; it runs :func:`~modelwatch.service.notifications.deliver_due`, so no network call
ever happens on the scheduler's or a job's path.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from modelwatch.service import alarms, alerts
from modelwatch.service.db import Database
from modelwatch.service.models import Execution, utcnow
from modelwatch.service.notifications import deliver_due, next_due
from modelwatch.service.schemas import ExecutionStatus

__all__ = ["DeliveryThread", "kick_delivery", "on_execution_finished", "on_tick", "wait_for_delivery"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def on_execution_finished(
    session: Session, execution_id: int, status: ExecutionStatus, *, now: datetime | None = None
) -> None:
    """Evaluate the alerts and alarms that an execution's end may change (see the module docstring)."""
    if not ExecutionStatus(status).finished:
        return
    moment = now or utcnow()
    try:
        with session.begin_nested():
            row = session.get(Execution, execution_id)
            if row is None:
                return
            if row.schedule_id is not None:
                alerts.evaluate_schedule_alert(
                    session, row.schedule_id, now=moment, execution_id=execution_id
                )
            alarms.evaluate_alarms(
                session,
                now=moment,
                schedule_name=row.schedule_name,
                endpoint_name=row.endpoint_name,
                execution_id=execution_id,
            )
    except Exception:  # the execution's outcome matters more than its alerts
        log.exception("alerting: cannot evaluate the alerts of execution %d", execution_id)


def on_tick(db: Database, now: datetime | None = None, *, deliver: bool = True) -> None:
    """The scheduler's periodic pass: reminders and due metric alarms (one transaction), then wake the
    delivery thread when a message is due. Failures are logged, never raised into the scheduler."""
    moment = now or utcnow()
    try:
        with db.session() as session:
            alerts.remind_alerts(session, moment)
            alarms.evaluate_alarms(session, now=moment, due_only=True)
            alarms.remind_alarms(session, moment)
            due = next_due(session)
    except Exception:
        log.exception("alerting: the periodic pass failed")
        return
    if deliver and due is not None and due <= utcnow():
        kick_delivery(db)


class DeliveryThread:
    """Sends due messages of one database in a background thread.

    :meth:`kick` starts the thread, or wakes it when it is running. The thread sends whatever is due,
    sleeps until the next retry falls due, and ends once nothing is due within ``idle`` (the next tick
    starts it again).
    """

    def __init__(self, *, clock: Clock = utcnow, idle: timedelta = timedelta(seconds=60)) -> None:
        self.clock = clock
        self.idle = idle
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def kick(self, db: Database) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._wake.set()
                return
            self._wake.clear()
            # the thread, not this object, holds the database: an idle DeliveryThread keeps nothing alive
            self._thread = threading.Thread(
                target=self._run, args=(db,), name="modelwatch-notifications", daemon=True
            )
            self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True when it has (or never ran)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self, db: Database) -> None:
        while True:
            try:
                report = deliver_due(db, now=self.clock())
                if report.attempted:
                    continue
                with db.session(write=False) as session:
                    due = next_due(session)
            except Exception:
                log.exception("notifications: delivery failed; the next tick retries")
                with self._lock:
                    self._thread = None
                return
            wait = (due - self.clock()).total_seconds() if due is not None else None
            if wait is None or wait > self.idle.total_seconds():
                with self._lock:  # a kick that came meanwhile is served before ending
                    if not self._wake.is_set():
                        self._thread = None  # from now on a kick starts a new thread
                        return
                    self._wake.clear()
                continue
            self._wake.wait(max(wait, 0.0) + 0.001)
            self._wake.clear()


_THREADS: weakref.WeakKeyDictionary[Database, DeliveryThread] = weakref.WeakKeyDictionary()
_THREADS_LOCK = threading.Lock()


def _thread_of(db: Database) -> DeliveryThread:
    with _THREADS_LOCK:
        thread = _THREADS.get(db)
        if thread is None:
            thread = _THREADS[db] = DeliveryThread()
        return thread


def kick_delivery(db: Database) -> None:
    """Start (or wake) the delivery thread of ``db``."""
    _thread_of(db).kick(db)


def wait_for_delivery(db: Database, timeout: float | None = None) -> bool:
    """Wait until the delivery thread of ``db`` has ended (at shutdown, or in tests); True when it has."""
    with _THREADS_LOCK:
        thread = _THREADS.get(db)
    return thread.join(timeout) if thread is not None else True
