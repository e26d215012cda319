"""The job runner: each execution (and baselining job) runs in its own subprocess, watched by a thread.

The runner claims an execution (``Pending`` → ``InProgress``, atomically), writes its ``job.json`` into a
work folder under ``{data_dir}/work/``, starts ``python -m modelwatch.jobs`` in a new process
group with stdout and stderr going to ``execution.log``, and watches it:

* past the definition's ``max_runtime_seconds`` the process group is terminated (then killed) and the
  execution ends ``Stopped`` with the reason;
* a stop request (``Stopping``) does the same, checked every couple of seconds;
* otherwise the job's ``message`` gives ``Completed`` / ``CompletedWithViolations``, its ``failure`` file
  the reason of a ``Failed`` one, and a process that died without either is ``Failed`` with its exit code.

Then the log is copied beside the results (``{output_uri}/execution.log``), the metrics of
``cloudwatch_metrics.jsonl`` are stored, the outcome is recorded, and the work folder is removed
(whatever the outcome; it stays only when its log could not be copied, as the log's one copy). Whatever
the job does, the runner and the service keep going.

A job never outlives its server unsupervised. The job process asks the kernel (Linux
``PR_SET_PDEATHSIG``) to be killed when the runner thread that started it ends, so ``kill -9`` of the
server ends its jobs too; elsewhere, or for processes the job started, :func:`recover_orphans` on the
next start kills what is left of the job's process group (its id is in the work folder's ``pid``). It
then settles each execution and baselining job of the dead runner from its work folder: a job that had
finished is adopted (its status, counts, metrics and log recorded as if the runner had watched it);
one that had failed keeps its reason; one cut short is ``Failed`` (``Stopped`` if a stop was requested)
with a reason saying that the server ended first, its partial result files removed, its log kept.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from modelwatch.errors import ModelwatchError
from modelwatch.io.storage import filesystem, join_uri, write_bytes
from modelwatch.jobs import spec as job_module
from modelwatch.jobs.definitions import (
    MAX_RUNTIME_SECONDS,
    BaselineDatasetFormatSpec,
    BaselineParameters,
    JobDefinition,
    MonitoringType,
)
from modelwatch.jobs.spec import JobKind
from modelwatch.service.baselines import claim_baseline_job, finish_baseline_job, get_baseline_job
from modelwatch.service.db import Database
from modelwatch.service.endpoints import get_endpoint
from modelwatch.service.executions import claim_executions, finish_execution, get_execution
from modelwatch.service.ground_truth import endpoint_ground_truth_uri
from modelwatch.service.layout import monitoring_uri
from modelwatch.service.metrics import parse_metric_lines, record_metrics
from modelwatch.service.models import BaselineJob, Execution
from modelwatch.service.processing_jobs import baseline_max_runtime
from modelwatch.service.schemas import ExecutionStatus, JobStatus
from modelwatch.settings import get_settings

__all__ = ["Runner", "recover_orphans", "work_folder", "worker_id"]

log = logging.getLogger(__name__)

STOP_GRACE_SECONDS = 3.0
STOP_CHECK_SECONDS = 2.0
PID_FILE = "pid"  # the job process's id (and its process group's), written by the runner
ORPHANED = "the server process running this execution ended before it did"
ORPHANED_JOB = "the server process running this job ended before it did"
RESULT_FILES = (  # what a job may write into its output_uri; removed from one that was cut short
    "statistics.json",
    "constraints.json",
    "constraint_violations.json",
    "drift.json",
    "analysis.json",
    "calibration.json",
    "merge_summary.json",
    "performance_estimate.json",
    "report.html",
    job_module.METRICS_FILE,
)


_BASELINE_STATUS = {
    ExecutionStatus.COMPLETED: JobStatus.COMPLETED,
    ExecutionStatus.STOPPED: JobStatus.STOPPED,
}
"""A baselining job's status for its job's outcome (any other outcome is ``Failed``)."""


def worker_id() -> str:
    """``host:pid`` of this process, recorded on the executions it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Task:
    def __init__(self, kind: str, key: str, work: Path, max_runtime: float) -> None:
        self.kind = kind  # "execution" | "baseline"
        self.key = key
        self.work = work
        self.max_runtime = max_runtime
        self.thread: threading.Thread | None = None


class Runner:
    """Runs at most ``capacity`` jobs at once, each in its own subprocess."""

    def __init__(
        self,
        db: Database,
        *,
        capacity: int | None = None,
        work_root: Path | None = None,
        poll_seconds: float = 0.2,
    ) -> None:
        settings = get_settings()
        self.db = db
        self.capacity = capacity or settings.resolved_max_concurrent_executions()
        self.work_root = work_root or Path(settings.data_dir).expanduser() / "work"
        self.poll_seconds = poll_seconds
        self.worker = worker_id()
        self._tasks: dict[str, _Task] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # -- starting ---------------------------------------------------------------------------------

    def free_slots(self) -> int:
        with self._lock:
            return max(self.capacity - len(self._tasks), 0)

    def running(self) -> list[str]:
        with self._lock:
            return list(self._tasks)

    def start_execution(self, execution_id: int) -> bool:
        """Claim and start an execution; False if it was not ``Pending`` any more (another runner has it)."""
        return self.start_executions([execution_id]) == 1

    def start_executions(self, execution_ids: list[int]) -> int:
        """Claim (in one statement) and start as many of the executions as there is room for; returns how
        many started. Those another runner claimed first are left alone."""
        room = 0 if self._stopping.is_set() else self.free_slots()
        if room <= 0 or not execution_ids:
            return 0
        with self.db.session() as session:
            rows = claim_executions(session, execution_ids[:room], self.worker)
            specs = [(row.id, *self._execution_spec(session, row)) for row in rows]
        for execution_id, spec, max_runtime in specs:
            self._launch("execution", str(execution_id), spec, max_runtime)
        return len(specs)

    def start_baseline(self, name: str) -> bool:
        """Claim and start a baselining job; False if another runner has it."""
        if self._stopping.is_set() or not self.free_slots():
            return False
        with self.db.session() as session:
            if not claim_baseline_job(session, name, self.worker):
                return False
            row = get_baseline_job(session, name)
            spec = job_module.JobSpec(
                kind=JobKind.BASELINE,
                name=row.name,
                output_uri=row.output_uri,
                monitoring_type=MonitoringType(row.monitoring_type),
                dataset_uri=row.dataset_uri,
                dataset_format=BaselineDatasetFormatSpec.model_validate(row.dataset_format)
                if row.dataset_format
                else None,
                parameters=BaselineParameters.model_validate(row.parameters or {}),
            )
            max_runtime = baseline_max_runtime(session, name) or MAX_RUNTIME_SECONDS
        return self._launch("baseline", name, spec, max_runtime)

    def _execution_spec(self, session: sa.orm.Session, row: Execution) -> tuple[job_module.JobSpec, float]:
        definition = JobDefinition.model_validate(row.definition)
        capture_uri, variants = None, []
        if row.endpoint_name:
            try:
                endpoint = get_endpoint(session, row.endpoint_name)
                capture_uri = endpoint.capture_uri
                variants = list(dict.fromkeys(endpoint.variants))  # once each, even if stored twice
            except ModelwatchError:
                pass  # the job reports the missing input
        spec = job_module.JobSpec(
            kind=JobKind.MONITORING,
            name=row.schedule_name,
            output_uri=row.output_uri,
            monitoring_type=MonitoringType(row.monitoring_type),
            definition=definition,
            execution_id=row.id,
            endpoint_name=row.endpoint_name,
            variants=variants,
            capture_uri=capture_uri,
            window_start=_format_time(row.window_start),
            window_end=_format_time(row.window_end),
            scheduled_time=_format_time(row.scheduled_time),
            ground_truth_uri=definition.ground_truth_uri
            or (endpoint_ground_truth_uri(row.endpoint_name) if row.endpoint_name else None),
            merge_uri=join_uri(
                definition.output_uri or monitoring_uri(row.endpoint_name, row.schedule_name), "merge"
            ),
        )
        return spec, float(definition.max_runtime)

    def _launch(self, kind: str, key: str, spec: job_module.JobSpec, max_runtime: float) -> bool:
        work = self.work_root / f"{kind}-{key}-{int(time.time() * 1000)}"
        task = _Task(kind, key, work, max_runtime)
        with self._lock:
            self._tasks[f"{kind}:{key}"] = task
        try:
            work.mkdir(parents=True, exist_ok=True)
            (work / job_module.JOB_FILE).write_text(spec.to_json())
        except OSError as error:
            self._finish(
                task, ExecutionStatus.FAILED, f"cannot prepare the job's work folder {work}: {error}"
            )
            return True
        task.thread = threading.Thread(
            target=self._watch, args=(task,), name=f"job-{kind}-{key}", daemon=True
        )
        task.thread.start()
        return True

    # -- watching ---------------------------------------------------------------------------------

    def _watch(self, task: _Task) -> None:
        try:
            status, reason = self._supervise(task)
        except Exception as error:  # never let a watcher thread die silently
            log.exception("runner: %s %s", task.kind, task.key)
            status, reason = ExecutionStatus.FAILED, f"InternalError: {type(error).__name__}: {error}"
        self._finish(task, status, reason)

    def _supervise(self, task: _Task) -> tuple[ExecutionStatus, str | None]:
        log_file = task.work / job_module.LOG_FILE
        command = [sys.executable, "-m", "modelwatch.jobs", str(task.work)]
        with open(log_file, "ab") as output:
            # the job dies with this thread (see the module docstring): it checks this pid is its parent
            process = subprocess.Popen(
                [*command, "--parent-pid", str(os.getpid())],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            (task.work / PID_FILE).write_text(str(process.pid))
        except OSError as error:
            log.warning("runner: cannot write %s: %s", task.work / PID_FILE, error)
        log.info("runner: %s %s started (pid %d)", task.kind, task.key, process.pid)
        started = time.monotonic()
        checked = started
        while True:
            try:
                code = process.wait(timeout=self.poll_seconds)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if now - started > task.max_runtime:
                _terminate(process)
                return ExecutionStatus.STOPPED, (
                    f"Stopped: the job ran past MaxRuntimeInSeconds ({task.max_runtime:g} s)"
                )
            if self._stopping.is_set():
                _terminate(process)
                return ExecutionStatus.STOPPED, "Stopped: the service shut down before the job ended"
            if now - checked > STOP_CHECK_SECONDS:
                checked = now
                if self._stop_requested(task):
                    _terminate(process)
                    return ExecutionStatus.STOPPED, "Stopped by request"
        outcome = _outcome_of(task.work, code)
        if outcome is not None:
            return outcome
        if code < 0:
            return (
                ExecutionStatus.FAILED,
                f"the job process was killed by signal {signal.Signals(-code).name}",
            )
        return ExecutionStatus.FAILED, f"the job process exited with code {code} without a result"

    def _stop_requested(self, task: _Task) -> bool:
        with self.db.session() as session:
            if task.kind == "baseline":
                status = session.scalar(sa.select(BaselineJob.status).where(BaselineJob.name == task.key))
                return status == JobStatus.STOPPING.value
            return bool(
                session.scalar(sa.select(Execution.stop_requested).where(Execution.id == int(task.key)))
            )

    # -- finishing --------------------------------------------------------------------------------

    def _finish(self, task: _Task, status: ExecutionStatus, reason: str | None) -> None:
        try:
            if task.kind == "execution":
                self._finish_execution(task, status, reason)
            else:
                self._finish_baseline(task, status, reason)
        except Exception:
            log.exception("runner: cannot record the outcome of %s %s", task.kind, task.key)
        finally:
            with self._lock:
                self._tasks.pop(f"{task.kind}:{task.key}", None)
        log.info(
            "runner: %s %s ended %s%s", task.kind, task.key, status.value, f": {reason}" if reason else ""
        )

    def _finish_execution(self, task: _Task, status: ExecutionStatus, reason: str | None) -> None:
        _record_execution(self.db, int(task.key), task.work, status, reason)

    def _finish_baseline(self, task: _Task, status: ExecutionStatus, reason: str | None) -> None:
        _record_baseline(self.db, task.key, task.work, status, reason)

    # -- shutting down ----------------------------------------------------------------------------

    def shutdown(self, *, timeout: float = 30.0) -> None:
        """Let running jobs finish for up to ``timeout`` seconds, then stop the rest (``Stopped``)."""
        deadline = time.monotonic() + timeout
        for task in self._snapshot():
            if task.thread is not None:
                task.thread.join(max(deadline - time.monotonic(), 0))
        self._stopping.set()
        for task in self._snapshot():
            if task.thread is not None:
                task.thread.join(STOP_CHECK_SECONDS + STOP_GRACE_SECONDS + 5)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job runs; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._snapshot():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _snapshot(self) -> list[_Task]:
        with self._lock:
            return list(self._tasks.values())


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the job's process group, then SIGKILL it after a grace period."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _read(work: Path, name: str) -> str | None:
    path = work / name
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def _outcome_of(work: Path, code: int | None) -> tuple[ExecutionStatus, str | None] | None:
    """The outcome a job reported in its work folder (``code``: its exit code, None if unknown), or None
    when it reported none."""
    message = _read(work, job_module.MESSAGE_FILE)
    if message is not None and code in (0, None):
        if message.startswith("CompletedWithViolations"):
            return ExecutionStatus.COMPLETED_WITH_VIOLATIONS, None
        return ExecutionStatus.COMPLETED, None
    failure = _read(work, job_module.FAILURE_FILE)
    if failure is not None:
        return ExecutionStatus.FAILED, failure or f"the job failed (exit code {code})"
    return None


def _publish_log(work: Path, output_uri: str) -> str:
    """Copy the job's log beside its results; the URI of the copy, or the local log's path if it failed."""
    local = work / job_module.LOG_FILE
    target = join_uri(output_uri, job_module.LOG_FILE)
    try:
        write_bytes(target, local.read_bytes() if local.exists() else b"")
        return target
    except (ModelwatchError, OSError) as error:
        log.warning("runner: cannot copy %s to %s: %s", local, target, error)
        return str(local)


def _remove_work(work: Path, log_uri: str) -> None:
    """Remove a job's work folder once its outcome is recorded, unless it holds the log's only copy."""
    if log_uri.startswith(str(work)):
        log.warning("runner: work folder %s kept: it holds the job's log", work)
        return
    shutil.rmtree(work, ignore_errors=True)


def _record_execution(
    db: Database, execution_id: int, work: Path, status: ExecutionStatus, reason: str | None
) -> None:
    """Record an execution's outcome from its work folder (log, counts, metrics), then remove the folder."""
    result = json.loads(_read(work, job_module.RESULT_FILE) or "{}")
    metrics_text = _read(work, job_module.METRICS_FILE) or ""
    with db.session() as session:
        row = get_execution(session, execution_id)
        log_uri = _publish_log(work, row.output_uri)
        points = []
        if metrics_text:
            try:
                points = parse_metric_lines(
                    metrics_text.splitlines(), file=str(work / job_module.METRICS_FILE)
                )
            except ModelwatchError as error:
                log.warning("runner: metrics of execution %d not stored: %s", execution_id, error)
        record_metrics(session, row, points)
        finish_execution(
            session,
            execution_id,
            status,
            failure_reason=reason,
            exit_message=_read(work, job_module.MESSAGE_FILE),
            log_uri=log_uri,
            violation_count=result.get("violations"),
            record_count=result.get("records"),
        )
    _remove_work(work, log_uri)


def _record_baseline(
    db: Database, name: str, work: Path, status: ExecutionStatus, reason: str | None
) -> None:
    """Record a baselining job's outcome from its work folder (log, result files), then remove the folder."""
    result = json.loads(_read(work, job_module.RESULT_FILE) or "{}")
    with db.session() as session:
        row = get_baseline_job(session, name)
        log_uri = _publish_log(work, row.output_uri)
        finish_baseline_job(
            session,
            name,
            _BASELINE_STATUS.get(status, JobStatus.FAILED),
            failure_reason=reason,
            statistics_uri=result.get("statistics_uri"),
            constraints_uri=result.get("constraints_uri"),
            log_uri=log_uri,
        )
    _remove_work(work, log_uri)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _group_members(pgid: int) -> list[int]:
    """The live processes of process group ``pgid`` (Linux: read from ``/proc``; elsewhere its leader if
    it is alive)."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        with contextlib.suppress(OSError):
            if os.getpgid(pgid) == pgid:
                return [pgid]
        return []
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (name) ": state, ppid, pgrp, ...
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _kill_job(work: Path) -> None:
    """Kill what still runs of the job of ``work`` (its process group), if anything does."""
    text = _read(work, PID_FILE)
    if not text or not text.strip().isdigit():
        return
    pgid = int(text)
    if not _group_members(pgid):
        return
    log.warning(
        "runner: killing the job processes of %s (process group %d): their server is gone", work, pgid
    )
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)


def _remove_partial_results(output_uri: str) -> None:
    """Remove the result files a job cut short may have written (never the folders of other runs)."""
    try:
        fs, root = filesystem(output_uri)
        for name in RESULT_FILES:
            path = f"{root.rstrip('/')}/{name}"
            if fs.exists(path):
                fs.rm(path)
    except (ModelwatchError, OSError) as error:
        log.warning("runner: cannot remove the partial results in %s: %s", output_uri, error)


def _work_folder(work_root: Path, execution_id: int) -> Path | None:
    """The newest work folder of an execution, if there is one."""
    return work_folder(work_root, "execution", str(execution_id))


def work_folder(work_root: Path, kind: str, key: str) -> Path | None:
    """The newest work folder of a job (``kind`` ``execution`` with its id as ``key``, or ``baseline``
    with its name), if there is one: ``{kind}-{key}-{milliseconds}`` (a name that merely starts the
    same, ``{key}-2``, is another job's)."""
    stem = f"{kind}-{key}-"
    folders = [
        path
        for path in work_root.glob(f"{kind}-*")
        if path.name.startswith(stem) and path.name[len(stem) :].isdigit()
    ]
    folders.sort(key=lambda path: int(path.name[len(stem) :]))
    return folders[-1] if folders else None


def recover_orphans(db: Database, work_root: Path | None = None) -> int:
    """Settle the executions and baselining jobs left ``InProgress`` / ``Stopping`` by a dead runner on
    this host; returns how many (see the module docstring: what still runs of their jobs is killed, a
    finished job is adopted, the others end ``Failed``, or ``Stopped`` when a stop was requested).

    A runner on another host, or a live process here, keeps its jobs.
    """
    host = socket.gethostname()
    work_root = work_root or Path(get_settings().data_dir).expanduser() / "work"
    with db.session() as session:
        rows = session.scalars(
            sa.select(Execution).where(
                Execution.status.in_([ExecutionStatus.IN_PROGRESS.value, ExecutionStatus.STOPPING.value]),
                Execution.claimed_by.like(f"{host}:%"),
            )
        ).all()
        orphans = [
            (row.id, row.status == ExecutionStatus.STOPPING.value, row.output_uri)
            for row in rows
            if _claim_is_dead(row.claimed_by)
        ]
    for execution_id, stopping, output_uri in orphans:
        work = _work_folder(work_root, execution_id)
        if work is not None:
            _kill_job(work)
        outcome = _outcome_of(work, None) if work is not None else None
        if outcome is None:
            _remove_partial_results(output_uri)
            status = ExecutionStatus.STOPPED if stopping else ExecutionStatus.FAILED
            outcome = status, f"{ORPHANED}; its job was stopped with it"
        else:
            log.warning(
                "runner: execution %d had ended (%s) when its server died: adopted",
                execution_id,
                outcome[0].value,
            )
        if work is not None:
            _record_execution(db, execution_id, work, *outcome)
        else:
            with db.session() as session:
                finish_execution(session, execution_id, outcome[0], failure_reason=outcome[1])
    if orphans:
        log.warning("runner: %d executions of ended runner processes settled", len(orphans))
    return len(orphans) + _recover_baselines(db, work_root, host)


def _claim_is_dead(claimed_by: str | None) -> bool:
    """Whether the runner process of a claim ``host:pid`` (of this host) is gone."""
    pid = int((claimed_by or ":0").rsplit(":", 1)[1] or 0)
    return not (pid and _alive(pid))


def _recover_baselines(db: Database, work_root: Path, host: str) -> int:
    """:func:`recover_orphans` for baselining jobs (a SageMaker client waits on them as processing jobs)."""
    running = (JobStatus.IN_PROGRESS.value, JobStatus.STOPPING.value)
    with db.session() as session:
        rows = session.scalars(
            sa.select(BaselineJob).where(
                BaselineJob.status.in_(running), BaselineJob.claimed_by.like(f"{host}:%")
            )
        ).all()
        orphans = [
            (row.name, row.status == JobStatus.STOPPING.value, row.output_uri)
            for row in rows
            if _claim_is_dead(row.claimed_by)
        ]
    for name, stopping, output_uri in orphans:
        work = work_folder(work_root, "baseline", name)
        if work is not None:
            _kill_job(work)
        outcome = _outcome_of(work, None) if work is not None else None
        if outcome is None:
            _remove_partial_results(output_uri)
            status = ExecutionStatus.STOPPED if stopping else ExecutionStatus.FAILED
            outcome = status, f"{ORPHANED_JOB}; its job was stopped with it"
        if work is not None:
            _record_baseline(db, name, work, *outcome)
        else:
            with db.session() as session:
                finish_baseline_job(
                    session,
                    name,
                    _BASELINE_STATUS.get(outcome[0], JobStatus.FAILED),
                    failure_reason=outcome[1],
                )
    if orphans:
        log.warning("runner: %d baselining jobs of ended runner processes settled", len(orphans))
    return len(orphans)
