"""One job, run in its own process: ``python -m modelwatch.service.job WORK_DIR``.

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
"""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from modelwatch.capture.record import format_inference_time
from modelwatch.errors import EmptyDatasetError, ModelwatchError
from modelwatch.io.capture import CaptureRead, capture_files
from modelwatch.io.capture_table import CaptureTable, capture_window_batches
from modelwatch.io.datasets import read_dataset
from modelwatch.io.storage import (
    exists,
    is_local,
    join_uri,
    list_files,
    local_path,
    read_bytes,
    read_text,
    write_text,
)
from modelwatch.monitors.data_quality import (
    CheckResult,
    check_batches,
    data_quality_metrics,
    read_baseline,
    suggest_baseline,
)
from modelwatch.scripts import (
    PreprocessCounts,
    Preprocessor,
    load_preprocessor,
    preprocessed_batches,
    preprocessed_line_batches,
    run_postprocessor,
)
from modelwatch.service.jobspec import (
    FAILURE_FILE,
    JOB_FILE,
    MESSAGE_FILE,
    METRICS_FILE,
    NO_DATA,
    RESULT_FILE,
    JobSpec,
)
from modelwatch.settings import get_settings

__all__ = ["main", "run_job"]

log = logging.getLogger("modelwatch.job")


def _time(text: str | None) -> datetime:
    assert text is not None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _format_of(spec: dict[str, Any] | None) -> tuple[str | None, bool]:
    if not spec:
        return None, False
    if "csv" in spec:
        return "csv", bool((spec["csv"] or {}).get("header", False))
    if "json" in spec:
        return "json", False
    return "parquet", False


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
    for key, name in (
        ("baseline_statistics_uri", "baseline_statistics"),
        ("baseline_constraints_uri", "baseline_constraints"),
    ):
        if definition.get(key):
            env[name] = definition[key]
    env |= definition.get("environment") or {}
    return env


def _local_script(uri: str, work: Path) -> Path:
    """A local path of a script URI (s3:// scripts are downloaded into the work folder)."""
    if is_local(uri):
        return Path(local_path(uri))
    target = work / "scripts" / uri.rstrip("/").rsplit("/", 1)[-1]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(read_bytes(uri))
    return target


class _Outcome:
    def __init__(self) -> None:
        self.counts: dict[str, Any] = {}


def _endpoint_batches(
    job: JobSpec, preprocess: Preprocessor | None, outcome: _Outcome
) -> Callable[[], Iterator[pa.RecordBatch]]:
    assert job.capture_uri and job.endpoint_name
    start, end = _time(job.window_start), _time(job.window_end)
    variant = (job.definition.get("endpoint_input") or {}).get("variant_name")
    files = [
        file
        for name in ([variant] if variant else job.variants)
        for file in capture_files(job.capture_uri, job.endpoint_name, name, start, end)
    ]
    if not files:
        raise EmptyDatasetError(
            f"no capture files of endpoint {job.endpoint_name!r} in [{job.window_start}, {job.window_end})",
            file=join_uri(job.capture_uri, job.endpoint_name),
        )
    log.info(
        "input: %d capture files of %s in [%s, %s)",
        len(files),
        job.endpoint_name,
        job.window_start,
        job.window_end,
    )

    rows = get_settings().batch_rows

    def batches() -> Iterator[pa.RecordBatch]:
        if preprocess is not None:
            counts = PreprocessCounts()
            read = CaptureRead(files, start, end)
            yield from preprocessed_batches(read, preprocess, batch_rows=rows, counts=counts)
            outcome.counts = {
                **asdict(counts),
                "torn_lines": read.torn_lines,
                "outside_window": read.outside_window,
            }
        else:
            table = CaptureTable()
            yield from capture_window_batches(files, start, end, batch_rows=rows, counts=table)
            outcome.counts = asdict(table)

    return batches


def _manifest_files(manifest_uri: str) -> list[str]:
    items = json.loads(read_text(manifest_uri))
    prefix = items[0]["prefix"]
    return [join_uri(prefix, key) for key in items[1:]]


def _batch_transform_batches(
    job: JobSpec, preprocess: Preprocessor | None, outcome: _Outcome
) -> Callable[[], Iterator[pa.RecordBatch]]:
    source = job.definition["batch_transform_input"]
    start, end = _time(job.window_start), _time(job.window_end)
    root = join_uri(source["data_captured_destination_uri"], "input")
    manifests = [
        uri
        for uri in (list_files(root) if exists(root) else [])
        if uri.endswith(".manifest") and start <= (_manifest_hour(uri) or end) < end
    ]
    files = [file for manifest in manifests for file in _manifest_files(manifest)]
    if not files:
        raise EmptyDatasetError(
            f"no batch-transform captures in [{job.window_start}, {job.window_end})",
            file=source["data_captured_destination_uri"],
        )
    format, header = _format_of(source.get("dataset_format"))
    dataset = read_dataset(files, format, header=header)
    if preprocess is None:
        return dataset.batches

    def batches() -> Iterator[pa.RecordBatch]:
        counts = PreprocessCounts()
        yield from preprocessed_line_batches(
            _lines(dataset.files, format or "csv", header), preprocess, counts=counts
        )
        outcome.counts = asdict(counts)

    return batches


def _manifest_hour(uri: str) -> datetime | None:
    parts = uri.rstrip("/").split("/")
    try:
        return datetime(int(parts[-5]), int(parts[-4]), int(parts[-3]), int(parts[-2]), tzinfo=UTC)
    except (ValueError, IndexError):
        return None


def _lines(files: list[str], format: str, header: bool) -> Iterator[tuple[str, int, Any]]:
    for file in files:
        text = read_text(file)
        for number, line in enumerate(text.splitlines(), start=1):
            if (header and number == 1) or not line.strip():
                continue
            yield file, number, json.loads(line) if format == "json" else line


def _run_monitoring(job: JobSpec, work: Path) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    if job.monitoring_type != "DataQuality":
        raise ModelwatchError(f"{job.monitoring_type} executions are not available in this version")
    definition = job.definition
    preprocess = None
    if definition.get("record_preprocessor_script"):
        preprocess = load_preprocessor(_local_script(definition["record_preprocessor_script"], work))
    baseline = None
    if definition.get("baseline_statistics_uri") and definition.get("baseline_constraints_uri"):
        baseline = read_baseline(
            definition["baseline_statistics_uri"], definition["baseline_constraints_uri"]
        )
    outcome = _Outcome()
    factory = _endpoint_batches if job.endpoint_name else _batch_transform_batches
    batches = factory(job, preprocess, outcome)
    result = check_batches(
        batches,
        job.output_uri,
        baseline=baseline,
        source=f"the window [{job.window_start}, {job.window_end})",
    )
    metrics = data_quality_metrics(result)
    if definition.get("post_analytics_processor_script"):
        run_postprocessor(
            _local_script(definition["post_analytics_processor_script"], work),
            logging.getLogger("modelwatch.script"),
        )
    return (
        _message(result),
        {**outcome.counts, "records": result.run.rows, "violations": len(result.violations.violations)},
        metrics,
    )


def _message(result: CheckResult) -> str:
    count = len(result.violations.violations)
    if count:
        return f"CompletedWithViolations: Job completed successfully with {count} violations."
    return "Completed: Job completed successfully with no violations."


def _run_baseline(job: JobSpec) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    assert job.dataset_uri is not None
    format, header = _format_of(job.dataset_format)
    result = suggest_baseline(job.dataset_uri, job.output_uri, format=format, header=header)
    counts = {
        "records": result.run.rows,
        "statistics_uri": result.statistics_uri,
        "constraints_uri": result.constraints_uri,
    }
    return "Completed: Job completed successfully.", counts, []


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
    job = JobSpec(**json.loads((work / JOB_FILE).read_text()))
    os.environ.update(_environment(job))
    started = datetime.now(UTC)
    try:
        if job.kind == "baseline":
            message, counts, metrics = _run_baseline(job)
        else:
            message, counts, metrics = _run_monitoring(job, work)
        _write_metrics(job, work, metrics)
    except ModelwatchError as error:
        reason = (
            f"{NO_DATA}: {error}"
            if isinstance(error, EmptyDatasetError) and job.kind != "baseline"
            else str(error)
        )
        log.error("failed: %s", reason)
        (work / FAILURE_FILE).write_text(reason)
        return 1
    except Exception as error:  # an unexpected bug: keep the traceback in the log, the gist in the reason
        log.error("failed:\n%s", traceback.format_exc())
        (work / FAILURE_FILE).write_text(f"InternalError: {type(error).__name__}: {error}")
        return 1
    (work / RESULT_FILE).write_text(json.dumps(counts))
    (work / MESSAGE_FILE).write_text(message)
    log.info("%s (%.1fs)", message, (datetime.now(UTC) - started).total_seconds())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m modelwatch.service.job WORK_DIR", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    return run_job(Path(args[0]))


if __name__ == "__main__":
    sys.exit(main())
