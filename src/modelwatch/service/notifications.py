"""The alert history and the notification outbox.

::

    state change / reminder ──record_event()──► alert_history row ─┬─► notifications row per channel (Pending)
        (inside the evaluating transaction)                         │
                                                                    ▼
    deliver_due() (a background thread, off the job path):
        claim due Pending rows (compare-and-set to Sending) ─► send, one attempt each, short timeout
        ─► Delivered | Pending again after retry_seconds · 2^(attempt-1) | Failed after max_attempts
        ─► every attempt is an alert_history row (event NotificationAttempt, outcome, error)

An attempt's ``error`` is a status and a short reason (``HTTP 500 Internal Server Error``, ``cannot reach
host: Connection refused``) with the channel's secrets scrubbed, at most 200 characters: never the
receiver's answer body, which may echo anything (``channels.scrub_detail``).

Evaluating an alert writes its history and its messages in the same transaction as the state, so a
state change and its notifications are never half recorded; sending happens later, outside any
transaction, so a slow or failing channel never holds the database or the job that finished. A message
claimed by a process that died is taken again after :data:`STALE_CLAIM`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ModelwatchError
from modelwatch.service import channels
from modelwatch.service.alert_schemas import (
    EventKind,
    HistoryView,
    Message,
    NotificationStatus,
    Outcome,
    Source,
)
from modelwatch.service.channels import Delivery
from modelwatch.service.db import Database
from modelwatch.service.models import AlertEvent, Notification, NotificationChannel, utcnow
from modelwatch.service.paging import page
from modelwatch.service.schemas import Page

__all__ = [
    "STALE_CLAIM",
    "DeliveryReport",
    "EventKind",
    "HistoryView",
    "NotificationStatus",
    "Outcome",
    "Source",
    "deliver_due",
    "list_history",
    "next_due",
    "record_event",
]

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
"""A message claimed for sending longer ago than this is taken again (its sender died)."""
MAX_BACKOFF = timedelta(hours=6)

Sender = Callable[
    [channels.WebhookChannelSpec | channels.SlackChannelSpec | channels.EmailChannelSpec, Message], Delivery
]


@dataclass(frozen=True)
class DeliveryReport:
    """What one :func:`deliver_due` call did."""

    attempted: int
    delivered: int
    retrying: int
    failed: int


def _cut(text: str | None) -> str | None:
    return text[:1024] if text else None


def record_event(
    session: Session,
    *,
    source: Source,
    name: str,
    event: EventKind,
    status: str,
    now: datetime,
    schedule_name: str | None = None,
    endpoint_name: str | None = None,
    previous_status: str | None = None,
    reason: str | None = None,
    execution_id: int | None = None,
    notify: Sequence[str] = (),
) -> AlertEvent:
    """Add a state change or a reminder to the history and queue its message to each channel in
    ``notify`` (each name once). Runs in the caller's transaction."""
    row = AlertEvent(
        source=source.value,
        name=name,
        schedule_name=schedule_name,
        endpoint_name=endpoint_name,
        event=event.value,
        status=status,
        previous_status=previous_status,
        reason=_cut(reason),
        execution_id=execution_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    message = Message(
        source=source.value,
        event="Reminder" if event == EventKind.REMINDER else "StateChange",
        name=name,
        schedule_name=schedule_name,
        endpoint_name=endpoint_name,
        state=status,
        previous_state=previous_status,
        reason=reason,
        execution_id=execution_id,
        time=now,
    )
    payload = message.model_dump(mode="json")
    for channel in dict.fromkeys(notify):
        session.add(
            Notification(
                event_id=row.id,
                channel_name=channel,
                payload=payload,
                status=NotificationStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    session.flush()
    return row


def list_history(
    session: Session,
    *,
    source: Source | None = None,
    schedule_name: str | None = None,
    name: str | None = None,
    status: str | None = None,
    event: EventKind | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    sort_by: Literal["CreationTime", "Status"] = "CreationTime",
    sort_order: Literal["Ascending", "Descending"] = "Descending",
    max_results: int = 100,
    next_token: str | None = None,
) -> Page[HistoryView]:
    """One page of the history, filtered and sorted as SageMaker's ``ListMonitoringAlertHistory``
    (``created_after`` / ``created_before`` are inclusive there, and here)."""
    query = sa.select(AlertEvent)
    for column, value in (
        (AlertEvent.source, source.value if source else None),
        (AlertEvent.schedule_name, schedule_name),
        (AlertEvent.name, name),
        (AlertEvent.status, status),
        (AlertEvent.event, event.value if event else None),
    ):
        if value is not None:
            query = query.where(column == value)
    if created_after:
        query = query.where(AlertEvent.created_at >= created_after)
    if created_before:
        query = query.where(AlertEvent.created_at <= created_before)
    direction = sa.asc if sort_order == "Ascending" else sa.desc
    sort_column = AlertEvent.created_at if sort_by == "CreationTime" else AlertEvent.status
    rows, token = page(
        session, query.order_by(direction(sort_column), direction(AlertEvent.id)), max_results, next_token
    )
    return Page[HistoryView](items=[HistoryView.model_validate(r) for r in rows], next_token=token)


# -- delivery -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    id: int
    event_id: int
    channel_name: str
    attempt: int
    message: Message
    spec: channels.WebhookChannelSpec | channels.SlackChannelSpec | channels.EmailChannelSpec | None
    problem: str | None  # why it cannot be sent at all (channel deleted or disabled)


def _claim(session: Session, now: datetime, limit: int) -> list[_Claimed]:
    session.execute(
        sa.update(Notification)
        .where(
            Notification.status == NotificationStatus.SENDING.value,
            Notification.claimed_at < now - STALE_CLAIM,
        )
        .values(status=NotificationStatus.PENDING.value, claimed_at=None)
    )
    due = session.scalars(
        sa.select(Notification.id)
        .where(Notification.status == NotificationStatus.PENDING.value, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    ).all()
    if not due:
        return []
    claimed = session.scalars(
        sa.update(Notification)
        .where(Notification.id.in_(due), Notification.status == NotificationStatus.PENDING.value)
        .values(status=NotificationStatus.SENDING.value, claimed_at=now)
        .returning(Notification.id)
    ).all()
    rows = list(
        session.scalars(sa.select(Notification).where(Notification.id.in_(claimed)).order_by(Notification.id))
    )
    names = {r.channel_name for r in rows}
    found = {
        c.name: c
        for c in session.scalars(sa.select(NotificationChannel).where(NotificationChannel.name.in_(names)))
    }
    result = []
    for row in rows:
        channel = found.get(row.channel_name)
        spec, problem = None, None
        if channel is None:
            problem = f"notification channel {row.channel_name!r} does not exist"
        elif not channel.enabled:
            problem = f"notification channel {row.channel_name!r} is disabled"
        else:
            try:
                spec = channels.spec_of(channel)
            except ModelwatchError as error:  # e.g. the key cannot open its secrets
                problem = str(error)
            except ValueError as error:  # a row changed by hand in the database
                problem = f"notification channel {row.channel_name!r} is invalid: {error}"
        message = Message.model_validate({**row.payload, "notification_id": row.id})
        result.append(
            _Claimed(row.id, row.event_id, row.channel_name, row.attempts + 1, message, spec, problem)
        )
    return result


def _backoff(
    spec: channels.WebhookChannelSpec | channels.SlackChannelSpec | channels.EmailChannelSpec, attempt: int
) -> timedelta:
    return min(timedelta(seconds=spec.retry_seconds * 2 ** (attempt - 1)), MAX_BACKOFF)


def _record(session: Session, item: _Claimed, delivery: Delivery, now: datetime) -> Outcome:
    row = session.get(Notification, item.id)
    event = session.get(AlertEvent, item.event_id)
    if row is None or event is None:  # deleted meanwhile (the history was pruned by hand)
        return Outcome.FAILED
    if delivery.ok:
        outcome = Outcome.DELIVERED
        row.status = NotificationStatus.DELIVERED.value
    elif delivery.retryable and item.spec is not None and item.attempt < item.spec.max_attempts:
        outcome = Outcome.RETRYING
        row.status = NotificationStatus.PENDING.value
        row.next_attempt_at = now + _backoff(item.spec, item.attempt)
    else:
        outcome = Outcome.FAILED
        row.status = NotificationStatus.FAILED.value
    row.attempts = item.attempt
    row.claimed_at = None
    row.last_error = None if delivery.ok else _cut(delivery.detail)
    row.updated_at = now
    session.add(
        AlertEvent(
            source=event.source,
            name=event.name,
            schedule_name=event.schedule_name,
            endpoint_name=event.endpoint_name,
            event=EventKind.NOTIFICATION_ATTEMPT.value,
            status=event.status,
            previous_status=event.previous_status,
            reason=f"{event.event} of {event.created_at.isoformat().replace('+00:00', 'Z')}",
            execution_id=event.execution_id,
            channel_name=item.channel_name,
            attempt=item.attempt,
            outcome=outcome.value,
            error=None if delivery.ok else _cut(delivery.detail),
            created_at=now,
        )
    )
    return outcome


def deliver_due(
    db: Database,
    *,
    now: datetime | None = None,
    limit: int = 50,
    sender: Sender = channels.send,
) -> DeliveryReport:
    """Send the messages that are due by ``now`` (one attempt each, at most ``limit``), and record each
    attempt. Safe to run in several processes at once: each message is claimed by one of them."""
    moment = now or utcnow()
    with db.session() as session:
        claimed = _claim(session, moment, limit)
    counts = dict.fromkeys(Outcome, 0)
    for item in claimed:
        if item.spec is None:
            delivery = Delivery(False, False, item.problem or "cannot be sent")
        else:
            try:
                delivery = sender(item.spec, item.message)
            except Exception as error:  # a bug in a sender must not stop the other messages
                log.exception("notification %d to %s: the sender failed", item.id, item.channel_name)
                delivery = Delivery(False, True, f"{type(error).__name__}: {error}")
        detail = channels.scrub_detail(item.spec, delivery.detail)
        delivery = Delivery(delivery.ok, delivery.retryable, detail)
        with db.session() as session:
            outcome = _record(session, item, delivery, now or utcnow())
        counts[outcome] += 1
        level = logging.INFO if delivery.ok else logging.WARNING
        log.log(
            level,
            "notification %d to %s: %s (%s)",
            item.id,
            item.channel_name,
            outcome.value,
            delivery.detail,
        )
    return DeliveryReport(
        len(claimed), counts[Outcome.DELIVERED], counts[Outcome.RETRYING], counts[Outcome.FAILED]
    )


def next_due(session: Session) -> datetime | None:
    """When the next pending message falls due (None: none is pending)."""
    return session.scalar(
        sa.select(sa.func.min(Notification.next_attempt_at)).where(
            Notification.status == NotificationStatus.PENDING.value
        )
    )
