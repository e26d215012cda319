"""One job, run in its own process: ``python -m modelwatch.jobs WORK_DIR``.

This is modelwatch's equivalent of SageMaker's analyzer container. The runner writes ``job.json`` into a
fresh work folder and starts this module with its stdout and stderr going to ``execution.log``. The job

* sets the container's environment variables (spec 4.1: ``start_time``, ``end_time``,
  ``sagemaker_endpoint_name``, ``dataset_format``, ... plus the definition's ``environment``),
* reads its input, runs the user's preprocessing script on each record if there is one, profiles and
  checks the data, writes the result files into ``output_uri``, writes the metrics to
  ``cloudwatch_metrics.jsonl`` (beside the results and in the work folder), runs the postprocessing
  script,
* and reports like the container does: ``message`` holds ``Completed: …`` or
  ``CompletedWithViolations: …`` (exit code 0); on failure ``failure`` holds the reason (exit code 1).
  ``result.json`` carries the counts.

User scripts run only here, never in the service process.

The job dies with the runner that started it: given ``--parent-pid``, it asks the kernel (Linux
``PR_SET_PDEATHSIG``) for SIGKILL when the thread that started it ends, and exits at once if that
parent is already gone. (Elsewhere the runner's next start kills it; see :mod:`modelwatch.service.runner`.)
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import signal
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelwatch.capture.record import format_inference_time
from modelwatch.errors import EmptyDatasetError, ModelwatchError
from modelwatch.io.storage import join_uri, write_text
from modelwatch.jobs import JobOutcome
from modelwatch.jobs.definitions import MonitoringType
from modelwatch.jobs.registry import module_of
from modelwatch.jobs.spec import (
    FAILURE_FILE,
    JOB_FILE,
    MESSAGE_FILE,
    METRICS_FILE,
    NO_DATA,
    RESULT_FILE,
    JobKind,
    JobSpec,
)
from modelwatch.settings import get_settings

__all__ = ["main", "run_job"]

log = logging.getLogger("modelwatch.job")


def _environment(job: JobSpec) -> dict[str, str]:
    env = {
        "sagemaker_monitoring_schedule_name": job.name,
        "output_path": job.output_uri,
        "publish_cloudwatch_metrics": "Enabled",
    }
    if job.window_start and job.window_end:
        env |= {"start_time": job.window_start, "end_time": job.window_end, "metric_time": job.window_start}
    if job.endpoint_name:
        env |= {
            "sagemaker_endpoint_name": job.endpoint_name,
            "dataset_format": json.dumps(
                {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
            ),
        }
    definition = job.definition
    if definition is None:
        return env
    for value, name in (
        (definition.baseline_statistics_uri, "baseline_statistics"),
        (definition.baseline_constraints_uri, "baseline_constraints"),
    ):
        if value:
            env[name] = value
    return env | definition.environment


def _write_report(job: JobSpec, outcome: JobOutcome) -> None:
    """``report.html`` beside the results; a report that cannot be written never fails the execution."""
    from modelwatch.reports import write_report

    definition = job.monitor
    clarify = job.monitoring_type in (MonitoringType.MODEL_BIAS, MonitoringType.MODEL_EXPLAINABILITY)
    constraints = definition.baseline_constraints_uri
    details = {
        "schedule": job.name,
        "endpoint": job.endpoint_name or "batch transform",
        "monitoring type": job.monitoring_type,
        "window": f"{job.window_start} – {job.window_end}",
        "outcome": outcome.message,
    }
    try:
        write_report(
            job.output_uri,
            title=f"{job.name} · {job.window_start}",
            baseline_statistics_uri=definition.baseline_statistics_uri,
            constraints_uri=None if clarify else constraints,
            baseline_analysis_uri=constraints if clarify else None,
            details=details,
        )
    except Exception:  # the results are written; the report is a view of them
        log.warning("report.html not written:\n%s", traceback.format_exc())


def _run(job: JobSpec, work: Path) -> JobOutcome:
    module = module_of(job)
    match job.kind:
        case JobKind.BASELINE:
            return module.run_baseline(job)
        case JobKind.MONITORING:
            return module.run_monitoring(job, work)


def _write_metrics(job: JobSpec, work: Path, metrics: list[dict[str, Any]]) -> None:
    timestamp = job.window_start or format_inference_time(datetime.now(UTC))
    dimensions = [{"Name": "MonitoringSchedule", "Value": job.name}]
    if job.endpoint_name:
        dimensions.insert(0, {"Name": "Endpoint", "Value": job.endpoint_name})
    lines = "".join(
        json.dumps({**metric, "Timestamp": timestamp, "Dimensions": dimensions}, separators=(",", ":")) + "\n"
        for metric in metrics
    )
    (work / METRICS_FILE).write_text(lines)
    if metrics:
        write_text(join_uri(job.output_uri, METRICS_FILE), lines)


def run_job(work: Path) -> int:
    """Run the job described by ``work/job.json``; returns the process exit code (0 or 1)."""
    job = JobSpec.from_json((work / JOB_FILE).read_text())
    os.environ.update(_environment(job))
    started = datetime.now(UTC)
    try:
        outcome = _run(job, work)
        _write_metrics(job, work, outcome.metrics)
        if job.kind == JobKind.MONITORING and get_settings().report_html:
            _write_report(job, outcome)
    except ModelwatchError as error:
        reason = (
            f"{NO_DATA}: {error}"
            if isinstance(error, EmptyDatasetError) and job.kind != JobKind.BASELINE
            else str(error)
        )
        log.error("failed: %s", reason)
        (work / FAILURE_FILE).write_text(reason)
        return 1
    except Exception as error:  # an unexpected bug: keep the traceback in the log, the gist in the reason
        log.error("failed:\n%s", traceback.format_exc())
        (work / FAILURE_FILE).write_text(f"InternalError: {type(error).__name__}: {error}")
        return 1
    message = _with_skipped(outcome)
    (work / RESULT_FILE).write_text(json.dumps(outcome.counts))
    (work / MESSAGE_FILE).write_text(message)
    log.info("%s (%.1fs)", message, (datetime.now(UTC) - started).total_seconds())
    return 0


def _with_skipped(outcome: JobOutcome) -> str:
    """The job's message, with a sentence on the input records it skipped (if any)."""
    summary = outcome.counts.get("skipped_summary")
    if not summary:
        return outcome.message
    return f"{outcome.message.rstrip()} {summary[0].upper()}{summary[1:]}."


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
EXIT_PARENT_GONE = 3


def die_with_parent(parent: int) -> bool:
    """Be SIGKILLed when the thread of ``parent`` that started this process ends (Linux; elsewhere a
    no-op); False when ``parent`` is no longer this process's parent (it died before the request took)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
                log.warning("cannot ask to die with the runner: %s", os.strerror(ctypes.get_errno()))
        except (OSError, AttributeError) as error:
            log.warning("cannot ask to die with the runner: %s", error)
    return os.getppid() == parent


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parent = None
    if len(args) == 3 and args[1] == "--parent-pid" and args[2].isdigit():
        args, parent = args[:1], int(args[2])
    if len(args) != 1:
        print("usage: python -m modelwatch.jobs WORK_DIR [--parent-pid PID]", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if parent is not None and not die_with_parent(parent):
        log.error("the runner that started this job (pid %d) is gone: the job does not run", parent)
        return EXIT_PARENT_GONE
    return run_job(Path(args[0]))


if __name__ == "__main__":
    sys.exit(main())
