"""A job's log as timed events: what CloudWatch Logs would show of a baselining job or an execution.

A job writes its stdout and stderr to ``execution.log`` in its work folder while it runs; when it ends,
the runner copies the log beside the results and records that copy as the job's ``log_uri``. So the log
of a running job is read from its work folder, the log of an ended one from ``log_uri``, and a job
that has not started has none yet.

Each line is one event. Its time is the one the job's logger wrote at the start of the line
(``2026-12-08 03:31:22,123``, the job machine's local time); a line without one (a traceback, a user
script's ``print``) takes the time of the line before it, and lines before the first timed one take the
job's start. Times never go back, so events are in time order as CloudWatch keeps them. While the job
runs, a last line without its newline is still being written and is left for the next read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from modelwatch.errors import ModelwatchError
from modelwatch.io.storage import read_text
from modelwatch.jobs.spec import LOG_FILE
from modelwatch.service.baselines import get_baseline_job
from modelwatch.service.executions import get_execution
from modelwatch.service.runner import work_folder
from modelwatch.settings import get_settings

__all__ = ["JobLog", "LogEvent", "job_log"]

_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3})\b")


@dataclass(frozen=True)
class LogEvent:
    timestamp: datetime
    message: str


@dataclass(frozen=True)
class JobLog:
    """The events of one job's log so far, and when the job started (its stream's creation time)."""

    started_at: datetime
    events: list[LogEvent]
    final: bool
    """Whether the job has ended (no more events will come)."""


def job_log(
    session: Session, *, execution_id: int | None, name: str, work_root: Path | None = None
) -> JobLog | None:
    """The log of execution ``execution_id`` or else of baselining job ``name``; None while the job has
    not started (it has no log yet). A started job's log may be empty for a moment as it ends.
    ``work_root``: the runner's work folders (default ``{data_dir}/work``).

    Raises:
        NotFoundError: there is no such job.
    """
    if execution_id is not None:
        execution = get_execution(session, execution_id)
        key, kind, log_uri = str(execution_id), "execution", execution.log_uri
        started, created = execution.started_at, execution.created_at
    else:
        baseline = get_baseline_job(session, name)
        key, kind, log_uri = name, "baseline", baseline.log_uri
        started, created = baseline.started_at, baseline.created_at
    if log_uri is not None:
        text = _read(log_uri)
        final = True
    else:
        if started is None:
            return None
        folder = work_folder(work_root or Path(get_settings().data_dir).expanduser() / "work", kind, key)
        # no folder: the job ended just now and its log is moving beside its results (read again)
        text = _read(str(folder / LOG_FILE)) if folder is not None else None
        final = False
    start = started or created
    return JobLog(start, _events(text or "", start, final), final)


def _read(uri: str) -> str | None:
    """The log's text; None when it is gone (a work folder removed as the job ended: read again)."""
    try:
        return read_text(uri)
    except (ModelwatchError, OSError):
        return None


def _events(text: str, start: datetime, final: bool) -> list[LogEvent]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    elif lines and not final:
        lines.pop()  # still being written
    events = []
    moment = start
    for line in lines:
        found = _TIMESTAMP.match(line)
        if found is not None:
            try:
                local = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S")
            except ValueError:
                local = None
            if local is not None:
                stamped = local.replace(microsecond=int(found.group(2)) * 1000).astimezone()
                moment = max(moment, stamped)
        events.append(LogEvent(moment, line.rstrip("\r")))
    return events
