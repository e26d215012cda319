"""Custom monitoring jobs: a container of one's own run under SageMaker's container contract.

The job lays out SageMaker's ``/opt/ml`` in a local folder (``{work}/opt-ml``): the window's capture
files under ``processing/input/endpoint/{endpoint}/{variant}/yyyy/mm/dd/HH/`` (as the analyzer sees
them), the baseline files under ``processing/baseline/{stats,constraints}/``, the preprocessing and
postprocessing scripts under ``processing/input/{name}_input/`` and ``config/resourceconfig.json``.
It runs the container (:mod:`modelwatch.jobs.containers.runtime`) with the contract's environment
(spec/model-monitor.md 4.1) and then reads what the container left:

* exit code ≠ 0: the execution fails with ``AlgorithmError: {the message file}`` (``/opt/ml/output/
  message``), or, without one, ``AlgorithmError: the container exited with code N: {last stderr lines}``;
* ``processing/output/constraint_violations.json`` (optional): ``{"violations": [{feature_name,
  constraint_check_type, description}, ...]}``; a malformed file fails the execution, naming it;
* ``output/metrics/cloudwatch/*.jsonl``: PutMetricData-shaped lines, stored as the execution's metric
  series (the timestamp and dimensions are the execution's, as for the built-in monitors);
* every file under ``processing/output`` is copied to the execution's output URI.

Violations give ``CompletedWithViolations`` (and the schedule's alert), as for the built-in monitors.
The max runtime and stop requests are the runner's: it ends the job's process group, which holds a
``process`` container; a docker or podman container is killed by name when the job is terminated.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

from modelwatch.errors import DataError, EmptyDatasetError, ModelwatchError
from modelwatch.io.capture import capture_files
from modelwatch.io.storage import exists, join_uri, list_files, read_bytes, write_bytes
from modelwatch.jobs import JobOutcome, completion_message
from modelwatch.jobs.containers.runtime import (
    CONTAINER_ROOT,
    PROCESS_IMAGE_PREFIX,
    Launch,
    choose_runtime,
    container_command,
    process_command,
    process_environment,
)
from modelwatch.jobs.definitions import ContainerSpec, JobDefinition
from modelwatch.jobs.inputs import parse_time
from modelwatch.jobs.spec import JobSpec
from modelwatch.settings import get_settings

__all__ = ["ENDPOINT_INPUT", "OUTPUT", "contract_environment", "run_baseline", "run_monitoring"]

log = logging.getLogger("modelwatch.job")

ENDPOINT_INPUT = f"{CONTAINER_ROOT}/processing/input/endpoint"
OUTPUT = f"{CONTAINER_ROOT}/processing/output"
STATISTICS = f"{CONTAINER_ROOT}/processing/baseline/stats/statistics.json"
CONSTRAINTS = f"{CONTAINER_ROOT}/processing/baseline/constraints/constraints.json"
MESSAGE = "output/message"  # below the root
METRICS_DIR = "output/metrics/cloudwatch"
VIOLATIONS = "constraint_violations.json"
STDERR_TAIL = 20  # lines of the container's output in a failure reason without a message file
REASON_CHARS = 1024  # SageMaker's FailureReason limit


def contract_environment(job: JobSpec, definition: JobDefinition) -> dict[str, str]:
    """The container's environment (spec 4.1), container paths as the container sees them."""
    env = {
        "dataset_format": json.dumps(
            {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
        ),
        "dataset_source": ENDPOINT_INPUT,
        "output_path": OUTPUT,
        "publish_cloudwatch_metrics": "Enabled",
        "sagemaker_monitoring_schedule_name": job.name,
        "output_message_file": f"{CONTAINER_ROOT}/{MESSAGE}",
        "cloudwatch_metrics_directory": f"{CONTAINER_ROOT}/{METRICS_DIR}",
    }
    if job.window_start and job.window_end:
        env |= {"start_time": job.window_start, "end_time": job.window_end, "metric_time": job.window_start}
    if job.endpoint_name:
        env |= {"sagemaker_endpoint_name": job.endpoint_name, "endpoint_name": job.endpoint_name}
    if definition.baseline_statistics_uri:
        env["baseline_statistics"] = STATISTICS
    if definition.baseline_constraints_uri:
        env["baseline_constraints"] = CONSTRAINTS
    for uri, name in (
        (definition.record_preprocessor_script, "record_preprocessor_script"),
        (definition.post_analytics_processor_script, "post_analytics_processor_script"),
    ):
        if uri:
            env[name] = f"{CONTAINER_ROOT}/processing/input/{name}_input/{_file_name(uri)}"
    return env | definition.environment


def _file_name(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def _local(root: Path, container_path: str) -> Path:
    return root / container_path[len(CONTAINER_ROOT) + 1 :]


def _place(uri: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(read_bytes(uri))


def _prepare(job: JobSpec, definition: JobDefinition, root: Path, env: dict[str, str]) -> int:
    """Lay out ``/opt/ml`` under ``root``; returns the number of capture files placed.

    Raises:
        EmptyDatasetError: the window has no capture files.
    """
    for folder in ("processing/output", "output/metrics/cloudwatch", "config"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    if definition.endpoint_input is None or not job.capture_uri or not job.endpoint_name:
        raise ModelwatchError(
            "a custom monitoring container reads an endpoint's capture; batch transform inputs are "
            "not supported for custom containers in this version"
        )
    start, end = parse_time(job.window_start), parse_time(job.window_end)
    variants = [definition.variant_name] if definition.variant_name else job.variants
    base = join_uri(job.capture_uri, job.endpoint_name)
    placed = 0
    for variant in variants:
        for uri in capture_files(job.capture_uri, job.endpoint_name, variant, start, end):
            relative = uri[len(base) :].lstrip("/")
            _place(uri, _local(root, ENDPOINT_INPUT) / job.endpoint_name / relative)
            placed += 1
    if not placed:
        raise EmptyDatasetError(
            f"no capture files of endpoint {job.endpoint_name!r} in [{job.window_start}, {job.window_end})",
            file=base,
        )
    for source, variable in (
        (definition.baseline_statistics_uri, "baseline_statistics"),
        (definition.baseline_constraints_uri, "baseline_constraints"),
        (definition.record_preprocessor_script, "record_preprocessor_script"),
        (definition.post_analytics_processor_script, "post_analytics_processor_script"),
    ):
        if source and env.get(variable, "").startswith(CONTAINER_ROOT + "/"):
            _place(source, _local(root, env[variable]))
    (root / "config" / "resourceconfig.json").write_text(
        json.dumps({"current_host": "algo-1", "hosts": ["algo-1"]})
    )
    return placed


def _launch(job: JobSpec, container: ContainerSpec, root: Path, env: dict[str, str]) -> Launch:
    return Launch(
        name=f"modelwatch-{job.name}-{job.execution_id or 0}",
        image=container.image_uri,
        root=root,
        environment=env,
        entrypoint=container.entrypoint,
        arguments=list(container.arguments or []),
        network=container.network_enabled,
        instance_type=container.instance_type,
    )


def _wanted(container: ContainerSpec) -> str:
    """The runtime asked for: the definition's, else the server's; a ``process:`` image runs locally."""
    if container.image_uri.startswith(PROCESS_IMAGE_PREFIX):  # a Python module, never an engine's image
        return "process"
    return container.runtime or get_settings().container_runtime


def _run(launch: Launch, wanted: str, output: Path) -> int:
    """Run the container, its stdout and stderr into ``output``; its exit code."""
    runtime = choose_runtime(wanted)
    if runtime == "process":
        argv, env = process_command(launch), process_environment(launch)
    else:
        argv, env = container_command(runtime, launch), None
    log.info("container (%s): %s", runtime, " ".join(argv))

    def kill_container(signum: int, frame: FrameType | None) -> None:
        if runtime != "process":  # the engine's CLI dies with the job; its container would not
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run([runtime, "kill", launch.name], timeout=5, capture_output=True)
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, kill_container)
    try:
        with open(output, "wb") as sink:
            try:
                return subprocess.run(
                    argv, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                ).returncode
            except (OSError, ValueError) as error:  # not found, not executable, a NUL in the environment
                raise ModelwatchError(f"AlgorithmError: cannot start {argv[0]!r}: {error}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _failure(root: Path, output: Path, code: int) -> str:
    message = root / MESSAGE
    if message.exists() and message.read_text(errors="replace").strip():
        reason = f"AlgorithmError: {message.read_text(errors='replace').strip()}"
    else:
        lines = output.read_text(errors="replace").strip().splitlines()[-STDERR_TAIL:]
        reason = f"AlgorithmError: the container exited with code {code}" + (
            ": " + "\n".join(lines) if lines else ""
        )
    return reason[:REASON_CHARS]


def read_violations(path: Path) -> list[dict[str, Any]]:
    """The violations of a container's ``constraint_violations.json`` ([] when it wrote none).

    Raises:
        DataError: the file is not JSON, or not ``{"violations": [{...}, ...]}`` (the file named).
    """
    if not path.exists():
        return []
    try:
        document = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise DataError(f"not valid JSON: {error}", file=VIOLATIONS) from None
    violations = document.get("violations") if isinstance(document, dict) else None
    if not isinstance(violations, list) or not all(isinstance(item, dict) for item in violations):
        raise DataError('expected {"violations": [{...}, ...]}', file=VIOLATIONS)
    for number, item in enumerate(violations):
        for key in ("feature_name", "constraint_check_type", "description"):
            if not isinstance(item.get(key), str):
                raise DataError(f"violations[{number}].{key} must be a string", file=VIOLATIONS)
    return violations


def read_metrics(folder: Path) -> list[dict[str, Any]]:
    """The metrics of the ``*.jsonl`` files in ``folder`` (MetricName and Value or StatisticValues,
    optional Unit); the timestamp and dimensions are left to the job.

    Raises:
        DataError: a line is not a metric (file and line named).
    """
    metrics = []
    for file in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(file.read_text(errors="replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as error:
                raise DataError(f"not valid JSON: {error}", file=file.name, line=number) from None
            if not isinstance(item, dict) or not isinstance(item.get("MetricName"), str):
                raise DataError("a metric needs a MetricName", file=file.name, line=number)
            value = item.get("Value")
            if not isinstance(value, int | float) and not isinstance(item.get("StatisticValues"), dict):
                raise DataError(
                    "a metric needs a number Value or StatisticValues", file=file.name, line=number
                )
            metrics.append(
                {key: item[key] for key in ("MetricName", "Value", "StatisticValues", "Unit") if key in item}
            )
    return metrics


def _publish(folder: Path, output_uri: str) -> None:
    """Copy every file under ``folder`` to ``output_uri``, keeping relative paths."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            write_bytes(join_uri(output_uri, *path.relative_to(folder).parts), path.read_bytes())


def run_monitoring(job: JobSpec, work: Path) -> JobOutcome:
    """Run the definition's container on the window; see the module docstring."""
    definition = job.monitor
    container = definition.container
    if container is None:
        raise ModelwatchError("a custom monitoring job needs a container in its definition")
    root = work / "opt-ml"
    env = contract_environment(job, definition)
    files = _prepare(job, definition, root, env)
    output = work / "container.log"
    code = _run(_launch(job, container, root, env), _wanted(container), output)
    sys.stderr.write(output.read_text(errors="replace"))
    sys.stderr.flush()
    if code != 0:
        raise ModelwatchError(_failure(root, output, code))
    results = _local(root, OUTPUT)
    violations = read_violations(results / VIOLATIONS)
    metrics = read_metrics(root / METRICS_DIR)
    _publish(results, job.output_uri)
    message = completion_message(len(violations))
    written = root / MESSAGE
    if not violations and written.exists() and written.read_text().startswith("CompletedWithViolations"):
        message = written.read_text().strip()
    return JobOutcome(message, {"violations": len(violations), "capture_files": files}, metrics)


def _place_input(uri: str, target: Path) -> int:
    """Copy the files under prefix ``uri`` (or the one file ``uri``) into ``target``; how many."""
    files = list_files(uri)
    if not files and exists(uri):
        _place(uri, target / _file_name(uri))
        return 1
    base = uri.rstrip("/")
    for file in files:
        _place(file, target / file[len(base) :].lstrip("/"))
    return len(files)


def run_baseline(job: JobSpec) -> JobOutcome:
    """A processing job of a custom container (``CreateProcessingJob``): its inputs placed at their local
    paths, the container run, every file of its outputs' local paths copied to their URIs. The result
    names the ``statistics.json`` / ``constraints.json`` it wrote, if it wrote them."""
    processing = job.parameters.processing
    if processing is None:
        raise ModelwatchError("custom containers run monitoring jobs and processing jobs only")
    container = processing.container
    # a baselining job is not given the runner's work folder: the layout lives in a folder of its own
    with tempfile.TemporaryDirectory(prefix="modelwatch-processing-") as temporary:
        work = Path(temporary)
        root = work / "opt-ml"
        for name in ("processing", "output", "config"):
            (root / name).mkdir(parents=True, exist_ok=True)
        for channel in processing.inputs:
            count = _place_input(channel.uri, _local(root, channel.local_path))
            log.info("input: %d files of %s at %s", count, channel.uri, channel.local_path)
        for channel in processing.outputs:
            _local(root, channel.local_path).mkdir(parents=True, exist_ok=True)
        output = work / "container.log"
        launch = Launch(
            name=f"modelwatch-{job.name}",
            image=container.image_uri,
            root=root,
            environment=dict(processing.environment),
            entrypoint=container.entrypoint,
            arguments=list(container.arguments or []),
            network=container.network_enabled,
            instance_type=container.instance_type,
        )
        code = _run(launch, _wanted(container), output)
        sys.stderr.write(output.read_text(errors="replace"))
        sys.stderr.flush()
        if code != 0:
            raise ModelwatchError(_failure(root, output, code))
        counts: dict[str, Any] = {}
        for channel in processing.outputs:
            written_folder = _local(root, channel.local_path)
            _publish(written_folder, channel.uri)
            for name, key in (("statistics.json", "statistics_uri"), ("constraints.json", "constraints_uri")):
                if (written_folder / name).is_file() and key not in counts:
                    counts[key] = join_uri(channel.uri, name)
        written = root / MESSAGE
        message = written.read_text().strip() if written.exists() else ""
    return JobOutcome(message or "Completed: the processing job's container exited with code 0", counts)
