"""The CloudWatch Logs subset that the SageMaker SDK tails: ``DescribeLogStreams`` and ``GetLogEvents``
(``X-Amz-Target: Logs_20140328.*``) over the logs of processing jobs (:mod:`modelwatch.service.job_logs`).

There is one log group, ``/aws/sagemaker/ProcessingJobs``. A job that has started has one stream,
``{job}/algo-1-{epoch seconds of its start}`` (SageMaker's name for instance 1's stream); each line of its
log is an event. ``GetLogEvents`` reads forward from the head (``startFromHead``) or back from the tail,
``limit`` events at a time; a token is the position of the next line (``f/…`` forward, ``b/…`` back),
so ``nextForwardToken`` comes back unchanged while no new line was written, which is how the SDK
knows it has read everything so far.

Errors are CloudWatch Logs': ``ResourceNotFoundException`` for a log group or stream that does not
exist, ``InvalidParameterException`` for a bad parameter.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from modelwatch.errors import NotFoundError
from modelwatch.sagemaker_api import wire
from modelwatch.sagemaker_api.errors import AwsError, ValidationError
from modelwatch.sagemaker_api.registry import Context, operation
from modelwatch.service.job_logs import JobLog, LogEvent, job_log
from modelwatch.service.processing_jobs import ProcessingJobFilter, list_processing_jobs

__all__ = ["LOG_GROUP", "InvalidParameter", "LogsResourceNotFound", "describe_log_streams", "get_log_events"]

SERVICE = "Logs_20140328"
LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
STREAM_HOST = "algo-1"
MAX_STREAMS = 50
MAX_EVENTS = 10_000


class LogsResourceNotFound(AwsError):
    """CloudWatch Logs' name for a missing log group or stream (the SDK tolerates it while a job starts)."""

    error_type = "ResourceNotFoundException"


class InvalidParameter(AwsError):
    error_type = "InvalidParameterException"


@contextlib.contextmanager
def _parameters() -> Iterator[None]:
    """Bad parameters as CloudWatch Logs reports them."""
    try:
        yield
    except ValidationError as error:
        raise InvalidParameter(error.message) from None


def _group(body: dict[str, Any]) -> None:
    group = wire.required(body, "logGroupName", str)
    if group != LOG_GROUP:
        raise LogsResourceNotFound("The specified log group does not exist.")


def _limit(body: dict[str, Any], largest: int) -> int:
    value = wire.optional(body, "limit", int, largest)
    assert value is not None
    if not 1 <= value <= largest:
        raise ValidationError(f"limit must be from 1 to {largest}; got {value}")
    return value


def _ms(moment: datetime) -> int:
    """Epoch milliseconds, CloudWatch's timestamps."""
    return round(moment.timestamp() * 1000)


def stream_name(job: str, log: JobLog) -> str:
    return f"{job}/{STREAM_HOST}-{int(log.started_at.timestamp())}"


def _log_of(session: Session, job: str) -> JobLog | None:
    """The log of processing job ``job``; None when there is no such job or it has not started."""
    try:
        return job_log(session, execution_id=wire.execution_id_of(job), name=job)
    except NotFoundError:
        return None


@operation("DescribeLogStreams", read=True, service=SERVICE)
def describe_log_streams(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    with _parameters():
        _group(body)
        prefix = wire.optional(body, "logStreamNamePrefix", str) or ""
        order = wire.optional(body, "orderBy", str) or "LogStreamName"
        if order not in ("LogStreamName", "LastEventTime"):
            raise ValidationError(f"orderBy must be LogStreamName or LastEventTime; got {order!r}")
        if order == "LastEventTime" and prefix:
            raise ValidationError("Cannot order by LastEventTime with a logStreamNamePrefix.")
        descending = bool(wire.optional(body, "descending", bool, False))
        limit = _limit(body, MAX_STREAMS)
        state = wire.decode_token(wire.optional(body, "nextToken", str)) or {}
        offset = state.get("offset", 0)
        if not isinstance(offset, int) or offset < 0:
            raise ValidationError("The specified nextToken is invalid.")
    with ctx.transaction(write=False) as session:
        if "/" in prefix:
            names, more = [prefix.split("/", 1)[0]], False
        else:  # every job whose name starts with the prefix, a page at a time
            jobs, more = list_processing_jobs(
                session,
                execution_prefix=wire.EXECUTION_JOB_PREFIX,
                where=ProcessingJobFilter(name_prefix=prefix or None),
                sort_by="Name",
                sort_order="Descending" if descending else "Ascending",
                offset=offset,
                limit=limit,
            )
            names = [job.name for job in jobs]
        streams = []
        for name in names:
            log = _log_of(session, name)
            if log is not None and stream_name(name, log).startswith(prefix):
                streams.append(_stream(ctx, name, log))
    if order == "LastEventTime":
        streams.sort(key=lambda stream: stream.get("lastEventTimestamp", 0), reverse=descending)
    answer: dict[str, Any] = {"logStreams": streams}
    if more:
        answer["nextToken"] = wire.encode_token({"offset": offset + limit})
    return answer


def _stream(ctx: Context, job: str, log: JobLog) -> dict[str, Any]:
    name = stream_name(job, log)
    stream: dict[str, Any] = {
        "logStreamName": name,
        "creationTime": _ms(log.started_at),
        "arn": f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{LOG_GROUP}:log-stream:{name}",
        "storedBytes": 0,
    }
    if log.events:
        first, last = _ms(log.events[0].timestamp), _ms(log.events[-1].timestamp)
        stream |= {"firstEventTimestamp": first, "lastEventTimestamp": last, "lastIngestionTime": last}
    return stream


@dataclass(frozen=True)
class _Read:
    """Where a read starts: ``forward`` from line ``position``, or back from just before it."""

    forward: bool
    position: int


def _token(text: str | None, start_from_head: bool, total: int) -> _Read:
    """The read a token asks for. A position past the lines read now is kept (the log may be briefly
    unreadable as a job ends and its log moves beside its results): it reads nothing until lines come."""
    if text is None:
        return _Read(True, 0) if start_from_head else _Read(False, total)
    direction, _, digits = text.partition("/")
    if direction not in ("f", "b") or not digits.isdigit() or len(digits) > 64:
        raise ValidationError("The specified nextToken is invalid.")
    return _Read(direction == "f", int(digits))


@operation("GetLogEvents", read=True, service=SERVICE)
def get_log_events(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    with _parameters():
        _group(body)
        name = wire.required(body, "logStreamName", str)
        start = wire.optional(body, "startTime", int)
        end = wire.optional(body, "endTime", int)
        limit = _limit(body, MAX_EVENTS)
        start_from_head = bool(wire.optional(body, "startFromHead", bool, False))
        token = wire.optional(body, "nextToken", str)
    job = name.split("/", 1)[0]
    with ctx.transaction(write=False) as session:
        log = _log_of(session, job)
    if log is None or stream_name(job, log) != name:
        raise LogsResourceNotFound("The specified log stream does not exist.")
    with _parameters():
        read = _token(token, start_from_head, len(log.events))
    chosen = [
        (index, event)
        for index, event in enumerate(log.events)
        if (start is None or _ms(event.timestamp) >= start) and (end is None or _ms(event.timestamp) < end)
    ]
    if read.forward:
        page = [item for item in chosen if item[0] >= read.position][:limit]
    else:
        page = [item for item in chosen if item[0] < read.position][-limit:]
    forward = page[-1][0] + 1 if page else read.position
    backward = page[0][0] if page else read.position
    return {
        "events": [_event(event) for _, event in page],
        "nextForwardToken": f"f/{forward:056d}",
        "nextBackwardToken": f"b/{backward:056d}",
    }


def _event(event: LogEvent) -> dict[str, Any]:
    moment = _ms(event.timestamp)
    return {"timestamp": moment, "message": event.message, "ingestionTime": moment}
