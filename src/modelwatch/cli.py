"""The ``modelwatch`` command line.

Exit codes: 0 success (and, for ``check``, no violations); 4 ``check`` found violations; 1 the job
failed (bad input, unreadable files — the message names file, line and column); 2 wrong usage.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from rich.text import Text
from typer.core import TyperGroup

from modelwatch import __version__
from modelwatch.cli_options import (
    GroundTruthAttributeOption,
    InferenceAttributeOption,
    OutputColumnsPositionOption,
    ProbabilityAttributeOption,
    ProbabilityThresholdOption,
    ProblemTypeOption,
)
from modelwatch.errors import ModelwatchError
from modelwatch.extras import install_hint
from modelwatch.io.dataset_format import DatasetFormat
from modelwatch.terminal import console, markup_mode

__all__ = ["DEFERRED_HELP", "EXIT_ERROR", "EXIT_OK", "EXIT_VIOLATIONS", "app", "deferred_commands", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_VIOLATIONS = 4

DEFERRED_HELP = {
    "quality-check": (
        "SageMaker Pipelines' QualityCheckStep: calculate the data- or model-quality baseline of a dataset\n"
        "(statistics.json, constraints.json) and check the dataset against a supplied baseline\n"
        "(constraint_violations.json). Writes baseline.json naming the calculated baseline and the one to\n"
        "check against next. Exits 4 on violations."
    ),
    "clarify-check": (
        "SageMaker Pipelines' ClarifyCheckStep: calculate the bias (data-bias: pre-training, model-bias:\n"
        "post-training metrics) or explainability (global SHAP) baseline of a dataset, Clarify's\n"
        "analysis.json, and check it for drift against a supplied analysis.json "
        "(constraint_violations.json).\n"
        "Writes baseline.json naming the calculated baseline and the one to check against next. Exits 4 on\n"
        "violations."
    ),
    "endpoints": "Register, list and delete monitored endpoints.",
    "baselines": "Baselining jobs: profile training data on the server.",
    "schedules": "Monitoring schedules: create, change, pause, run now.",
    "executions": "Monitoring executions and their result files.",
    "ground-truth": "Ground truth: labels for captured predictions, for model-quality and bias monitoring.",
    "metrics": "The CloudWatch-style metrics that executions emit.",
    "alerts": "Monitoring alerts, their history and the statistics of metric series.",
    "alarms": "Metric alarms (CloudWatch-style) on the stored metric series.",
    "channels": "Notification channels: webhook, slack, email.",
    "tokens": "API tokens (on the database, not over HTTP).",
    "access-keys": "Access keys of the SageMaker API (SigV4; on the database, not over HTTP).",
}
"""The commands of :mod:`modelwatch.check_steps` and :mod:`modelwatch.cli_client`, in order, with the
first paragraph of their help: ``modelwatch --help`` lists them without importing those packages
(about 0.3 s of pydantic, fsspec and settings); a test keeps the texts equal to the real ones."""


@functools.cache
def deferred_commands() -> TyperGroup:
    """The deferred commands, built as Typer builds sub-commands of ``app``."""
    from modelwatch.check_steps import register_check_step_commands
    from modelwatch.cli_client import register_client_commands

    extra = typer.Typer(rich_markup_mode=markup_mode())
    register_check_step_commands(extra)
    register_client_commands(extra)
    group = typer.main.get_command(extra)
    assert isinstance(group, TyperGroup)
    return group


class _Deferred:
    """A deferred command as ``--help`` lists it (name and help); :meth:`load` gives the real one."""

    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self.short_help: str | None = None
        self.hidden = False
        self.deprecated = False
        self.rich_help_panel: str | None = None

    def get_short_help_str(self, limit: int = 45) -> str:
        """Click's short help of the real command, from the same text."""
        return str(TyperGroup.get_short_help_str(self, limit))  # type: ignore[arg-type]  # reads help fields only

    def load(self) -> Any:
        return deferred_commands().commands[self.name]


class _Commands(dict[str, Any]):
    """The root group's commands; indexing loads a deferred command (as :meth:`_RootGroup.get_command`)."""

    def __getitem__(self, name: str) -> Any:
        command = super().__getitem__(name)
        if isinstance(command, _Deferred):
            command = command.load()
            self[name] = command
        return command


class _RootGroup(TyperGroup):
    """``modelwatch``'s group: its own commands, then the deferred ones, loaded when used, not listed."""

    _listing = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(self.commands)
        for name, help_text in DEFERRED_HELP.items():
            self.commands.setdefault(name, _Deferred(name, help_text))

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Deferred):
            return command if self._listing else self.commands[cmd_name]
        return command


app = typer.Typer(
    name="modelwatch",
    help="Self-hosted model monitoring, file-compatible with SageMaker Model Monitor.",
    cls=_RootGroup,
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=markup_mode(),
)
err = console(stderr=True)
out = console()

DatasetOption = Annotated[
    str,
    typer.Option("--dataset", "-d", help="File, folder, glob or s3:// URI of the data.", show_default=False),
]
FormatOption = Annotated[
    DatasetFormat | None,
    typer.Option("--format", "-f", help="Data format; inferred from the file extension when omitted."),
]
HeaderOption = Annotated[
    bool,
    typer.Option("--header/--no-header", help="CSV: the first line holds column names (else _c0, _c1, ...)."),
]
WorkersOption = Annotated[
    int,
    typer.Option("--workers", "-w", min=0, help="Worker processes for large inputs; 0 = one per CPU core."),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


def _version(value: bool) -> None:
    if value:
        out.print(f"modelwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens, to stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@contextmanager
def _rows_progress(label: str, quiet: bool) -> Iterator[Callable[[int], None] | None]:
    if quiet or not err.is_terminal:
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn  # only with a terminal

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda rows: progress.advance(task, rows)


@contextmanager
def _job_errors() -> Iterator[None]:
    try:
        yield
    except ModelwatchError as error:
        err.print(Text.assemble(("error: ", "bold red"), str(error)), highlight=False)
        raise typer.Exit(EXIT_ERROR) from None


class BaselineType(StrEnum):
    DATA_QUALITY = "data-quality"
    MODEL_QUALITY = "model-quality"
    BIAS = "bias"
    EXPLAINABILITY = "explainability"


@app.command()
def baseline(
    dataset: DatasetOption,
    output: Annotated[
        str, typer.Option("--output", "-o", help="Folder or s3:// URI for the baseline files.")
    ],
    format: FormatOption = None,
    header: HeaderOption = False,
    kind: Annotated[
        BaselineType | None,
        typer.Option(
            "--type",
            help="What to baseline (default: data-quality; model-quality when --problem-type is given).",
            show_default=False,
        ),
    ] = None,
    problem_type: Annotated[
        ProblemTypeOption | None,
        typer.Option("--problem-type", help="Model quality: the model's problem type.", show_default=False),
    ] = None,
    inference_attribute: InferenceAttributeOption = None,
    probability_attribute: ProbabilityAttributeOption = None,
    probability_threshold_attribute: ProbabilityThresholdOption = None,
    ground_truth_attribute: GroundTruthAttributeOption = None,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", help="Bias, explainability: Clarify's analysis_config.json.", show_default=False
        ),
    ] = None,
    output_columns_position: Annotated[
        OutputColumnsPositionOption,
        typer.Option(
            "--output-columns-position",
            help="Data quality: where the label (model output) column is. END for a training file "
            "'features..., label': the baseline then lists it first, as capture rows do.",
        ),
    ] = OutputColumnsPositionOption.START,
    workers: WorkersOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Baseline a dataset: data quality (statistics.json + suggested constraints.json), model quality
    of labelled predictions (statistics.json + constraints.json), or bias / explainability (Clarify's
    analysis.json). Attributes are column names (with --header), column indexes ("0") or JSONPaths.

    Examples: modelwatch baseline --dataset train.csv --header --output baseline/

    modelwatch baseline --dataset train.csv --header --output-columns-position END --output baseline/
    (train.csv is "features..., label"; the baseline lists the label first, as capture rows do)

    modelwatch baseline --problem-type BinaryClassification --inference-attribute prediction
    --probability-attribute probability --ground-truth-attribute label --dataset validation.csv
    --format csv --header --output quality-baseline/
    """
    kind = kind or (BaselineType.MODEL_QUALITY if problem_type else BaselineType.DATA_QUALITY)
    if kind is not BaselineType.DATA_QUALITY and output_columns_position is OutputColumnsPositionOption.END:
        raise typer.BadParameter(
            "only data-quality baselines are put in capture order", param_hint="--output-columns-position"
        )
    if kind is BaselineType.MODEL_QUALITY:
        if problem_type is None or ground_truth_attribute is None:
            raise typer.BadParameter("model quality needs --problem-type and --ground-truth-attribute")
        _quality_baseline(
            dataset,
            output,
            format,
            header,
            problem_type,
            inference_attribute,
            probability_attribute,
            probability_threshold_attribute,
            ground_truth_attribute,
        )
        return
    if kind in (BaselineType.BIAS, BaselineType.EXPLAINABILITY):
        if config is None:
            raise typer.BadParameter(
                f"{kind.value} needs --config analysis_config.json", param_hint="--config"
            )
        _clarify_baseline(kind, dataset, output, format, header, config)
        return
    from modelwatch.monitors.data_quality import OutputColumnsPosition, suggest_baseline

    with _job_errors(), _rows_progress("baseline", quiet) as progress:
        result = suggest_baseline(
            dataset,
            output,
            format=format,
            header=header,
            workers=workers or None,
            progress=progress,
            output_columns_position=OutputColumnsPosition(output_columns_position.value),
        )
    run = result.run
    out.print(
        f"baseline: {run.rows:,} rows x {len(result.statistics.features)} columns in {run.seconds:.2f}s "
        f"-> {result.statistics_uri}, {result.constraints_uri}",
        highlight=False,
    )


def _clarify_baseline(
    kind: BaselineType, dataset: str, output: str, format: DatasetFormat | None, header: bool, config: str
) -> None:
    if kind is BaselineType.BIAS:
        from modelwatch.monitors.clarify_config import read_analysis_config
        from modelwatch.monitors.model_bias import suggest_bias_baseline

        with _job_errors():
            bias = suggest_bias_baseline(
                dataset, read_analysis_config(config), output, dataset_format=format or "csv", header=header
            )
        out.print(f"bias baseline: {bias.rows:,} rows -> {bias.analysis_uri}", highlight=False)
        return
    from modelwatch.jobs.model_explainability import explain_dataset

    with _job_errors():
        result = explain_dataset(dataset, output, config, dataset_format=format, header=header)
    attributions = result.attributions
    out.print(
        f"explainability baseline: {attributions.rows:,} rows, {attributions.model_calls:,} model calls "
        f"-> {result.analysis_uri}",
        highlight=False,
    )


def _quality_baseline(
    dataset: str,
    output: str,
    format: DatasetFormat | None,
    header: bool,
    problem_type: ProblemTypeOption,
    inference_attribute: str | None,
    probability_attribute: str | None,
    probability_threshold_attribute: float | None,
    ground_truth_attribute: str,
) -> None:
    from modelwatch.monitors.model_quality import QualityAttributes, suggest_quality_baseline

    attributes = QualityAttributes(
        inference_attribute=inference_attribute,
        probability_attribute=probability_attribute,
        probability_threshold_attribute=probability_threshold_attribute,
        ground_truth_attribute=ground_truth_attribute,
    )
    with _job_errors():
        result = suggest_quality_baseline(
            dataset,
            output,
            problem_type=problem_type.value,
            attributes=attributes,
            dataset_format=format,
            header=header,
        )
    metrics = result.statistics.metrics
    shown = ", ".join(
        f"{name} {metrics[name].value:.4g}"
        for name in ("accuracy", "auc", "f1", "rmse", "r2")
        if name in metrics
    )
    out.print(
        f"model-quality baseline ({problem_type.value}): {result.statistics.item_count:,} rows; {shown} "
        f"-> {result.statistics_uri}, {result.constraints_uri}",
        highlight=False,
    )


@app.command()
def check(
    dataset: DatasetOption,
    baseline_statistics: Annotated[
        str, typer.Option("--baseline-statistics", "-s", help="The baseline's statistics.json.")
    ],
    baseline_constraints: Annotated[
        str, typer.Option("--baseline-constraints", "-c", help="The baseline's constraints.json.")
    ],
    output: Annotated[str, typer.Option("--output", "-o", help="Folder or s3:// URI for the results.")],
    format: FormatOption = None,
    header: HeaderOption = False,
    workers: WorkersOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Check current data against a baseline: writes statistics.json, constraints.json,
    constraint_violations.json and drift.json. Exits 0 without violations, 4 with violations, 1 on errors.

    Example: modelwatch check -d today.csv --header -s baseline/statistics.json
    -c baseline/constraints.json -o results/
    """
    from modelwatch.monitors.data_quality import run_check

    with _job_errors(), _rows_progress("check", quiet) as progress:
        result = run_check(
            dataset,
            output,
            baseline_statistics=baseline_statistics,
            baseline_constraints=baseline_constraints,
            format=format,
            header=header,
            workers=workers or None,
            progress=progress,
        )
    for violation in result.violations.violations:
        out.print(
            f"  {violation.feature_name}: {violation.constraint_check_type}: {violation.description}",
            highlight=False,
            markup=False,
        )
    count = len(result.violations.violations)
    out.print(
        f"check: {result.run.rows:,} rows, {count} violation{'s' * (count != 1)} -> {result.violations_uri}",
        highlight=False,
    )
    raise typer.Exit(EXIT_VIOLATIONS if count else EXIT_OK)


@app.command()
def proxy(
    endpoint: Annotated[
        str, typer.Option("--endpoint", help="Endpoint name: the first folder of the capture tree.")
    ],
    upstream: Annotated[
        str, typer.Option("--upstream", help="URL of the model server, e.g. http://127.0.0.1:8080.")
    ],
    capture_uri: Annotated[
        str, typer.Option("--capture-uri", "--destination", help="Folder or s3:// URI for the capture files.")
    ],
    variant: Annotated[
        str, typer.Option("--variant", help="Variant name: the second folder.")
    ] = "AllTraffic",
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT to listen on (not 8080, the usual model-server port).")
    ] = "127.0.0.1:9000",
    sampling: Annotated[
        float, typer.Option("--sampling", min=0, max=100, help="Percentage of requests captured.")
    ] = 100.0,
    capture_mode: Annotated[
        str, typer.Option("--capture-mode", help="Input, Output or InputAndOutput.")
    ] = "InputAndOutput",
    csv_content_types: Annotated[
        list[str] | None,
        typer.Option("--csv-content-type", help="Content types captured as CSV (repeatable)."),
    ] = None,
    json_content_types: Annotated[
        list[str] | None,
        typer.Option("--json-content-type", help="Content types captured as JSON (repeatable)."),
    ] = None,
    paths: Annotated[
        list[str] | None,
        typer.Option("--path", help="Only capture these paths (repeatable); default: every POST."),
    ] = None,
    connect_timeout: Annotated[float, typer.Option(help="Seconds to connect to the upstream.")] = 5.0,
    read_timeout: Annotated[
        float | None, typer.Option(help="Seconds to wait for upstream data; none by default.")
    ] = None,
) -> None:
    """Run a reverse proxy in front of any HTTP model server, capturing requests and responses.

    Everything passes through unchanged and streamed; sampled exchanges are written in SageMaker's
    capture format under CAPTURE_URI/ENDPOINT/VARIANT/yyyy/mm/dd/HH/. Ctrl-C or SIGTERM drains and exits.

    Example: modelwatch proxy --endpoint churn --upstream http://127.0.0.1:8080 --listen 0.0.0.0:9000
    --capture-uri capture/
    """
    from modelwatch.capture.config import CaptureMode, DataCaptureConfig
    from modelwatch.capture.proxy import serve_proxy

    modes = {
        "Input": {CaptureMode.INPUT},
        "Output": {CaptureMode.OUTPUT},
        "InputAndOutput": {CaptureMode.INPUT, CaptureMode.OUTPUT},
    }
    if capture_mode not in modes:
        raise typer.BadParameter(
            f"expected Input, Output or InputAndOutput; got {capture_mode!r}", param_hint="--capture-mode"
        )
    with _job_errors():
        config = DataCaptureConfig(
            destination_uri=capture_uri,
            sampling_percentage=sampling,
            capture_modes=frozenset(modes[capture_mode]),
            csv_content_types=tuple(csv_content_types or ("text/csv",)),
            json_content_types=tuple(json_content_types or ("application/json",)),
        )
        err.print(f"proxy: {listen} -> {upstream}, capturing {sampling:g}% to {capture_uri}", highlight=False)
        counters = serve_proxy(
            endpoint,
            variant,
            upstream,
            listen,
            config,
            paths=paths or None,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
    out.print("proxy stopped: " + ", ".join(f"{k}={v}" for k, v in counters.items()), highlight=False)


@app.command("capture-batch")
def capture_batch_command(
    input_uri: Annotated[
        str, typer.Option("--input", help="The transform job's input (file, folder or s3://).")
    ],
    output_uri: Annotated[str, typer.Option("--output", help="The transform job's output.")],
    capture_uri: Annotated[str, typer.Option("--capture-uri", help="Destination of the capture manifests.")],
    job: Annotated[str, typer.Option("--job", help="Transform job (or endpoint) name.")],
    content_type: Annotated[
        str, typer.Option("--content-type", help="text/csv, application/json or application/jsonlines.")
    ] = "text/csv",
    generate_inference_id: Annotated[
        bool, typer.Option(help="Add SageMaker's inference id and time to every output record.")
    ] = False,
) -> None:
    """Record a batch transform run as SageMaker's BatchDataCaptureConfig does (input/output manifests).

    Example: modelwatch capture-batch --input in/ --output out/ --capture-uri capture/ --job nightly
    --generate-inference-id
    """
    from modelwatch.capture.batch import capture_batch

    with _job_errors():
        result = capture_batch(
            input_uri,
            output_uri,
            capture_uri,
            endpoint_or_job=job,
            content_type=content_type,  # type: ignore[arg-type]  # the option's choices are the Literal's values
            generate_inference_id=generate_inference_id,
        )
    out.print(
        f"capture-batch: {result.input_files} input and {result.output_files} output files, "
        f"{result.tagged_records} records given inference ids -> {result.input_manifest_uri}, "
        f"{result.output_manifest_uri}",
        highlight=False,
    )


@app.command()
def server(
    host: Annotated[str, typer.Option("--host", help="Address to listen on; non-loopback needs a token.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Metadata database; default MODELWATCH_DATABASE_URL or SQLite."),
    ] = None,
    no_scheduler: Annotated[
        bool,
        typer.Option("--no-scheduler", help="Serve the API only (run `modelwatch scheduler` elsewhere)."),
    ] = False,
    shutdown_timeout: Annotated[
        float, typer.Option("--shutdown-timeout", min=0, help="Seconds running executions get to finish.")
    ] = 30.0,
) -> None:
    """Run the REST API (docs at /docs) and the scheduler on the embedded defaults or from settings.

    Listening beyond loopback needs an API token (modelwatch tokens create NAME --scope admin).

    Ctrl-C or SIGTERM stops accepting requests and lets running executions finish, then stops the rest.

    Example: modelwatch server --port 8000
    """
    from modelwatch.server import build_server

    with _job_errors():
        built = build_server(
            host,
            port,
            database_url=database_url,
            scheduler=not no_scheduler,
            shutdown_timeout=shutdown_timeout,
        )
    err.print(
        f"server: {built.url} (API docs: {built.url}/docs; Ctrl-C to stop)", highlight=False, soft_wrap=True
    )
    built.run()


@app.command()
def scheduler(
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Metadata database; default MODELWATCH_DATABASE_URL or SQLite."),
    ] = None,
    interval: Annotated[
        float | None,
        typer.Option("--interval", min=0.1, help="Seconds between ticks; default from settings."),
    ] = None,
    max_concurrent: Annotated[
        int | None,
        typer.Option("--max-concurrent", min=1, help="Executions run at once; default one per core."),
    ] = None,
) -> None:
    """Run the scheduler loop on its own: plan due slots and run executions and baselining jobs.

    Several schedulers can share one PostgreSQL database; each slot still runs exactly once.

    Ctrl-C lets running executions finish (up to 30 s) and stops the rest.

    Example: modelwatch scheduler --database-url postgresql+psycopg://mw:pw@db/modelwatch
    """
    import signal
    import threading

    from modelwatch.service.db import open_database, redacted_url
    from modelwatch.service.runner import Runner
    from modelwatch.service.scheduler import Scheduler

    with _job_errors():
        db = open_database(database_url)
    runner = Runner(db, capacity=max_concurrent)
    loop = Scheduler(db, runner, interval=interval)
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: loop.stop())
    err.print(
        f"scheduler: running on {redacted_url(db.url)} (Ctrl-C to stop)", highlight=False, soft_wrap=True
    )
    thread = threading.Thread(target=loop.run_forever, name="scheduler", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        loop.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
        thread.join()
        err.print("scheduler: stopping; waiting for running executions", highlight=False)
        runner.shutdown(timeout=30)
        db.dispose()


@app.command()
def demo(
    folder: Annotated[
        Path, typer.Option("--folder", help="Where the demo keeps its database, capture and results.")
    ] = Path("modelwatch-demo"),
    port: Annotated[int, typer.Option("--port", help="Port of the modelwatch server (API and docs).")] = 8000,
    model_port: Annotated[int, typer.Option("--model-port", help="Port of the demo model server.")] = 8080,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Keep serving until Ctrl-C.")] = True,
) -> None:
    """Run a monitored model end to end: server, capture, baseline, schedule, normal and drifted traffic.

    Starts the modelwatch server on the embedded defaults, serves a scikit-learn model behind the capture
    middleware, baselines it, sends normal then drifted traffic, runs a data-quality execution over each
    traffic window and shows which one drifted. Ctrl-C stops everything.
    """
    from modelwatch.demo import run_demo

    with _job_errors():
        run_demo(folder, out, port=port, model_port=model_port, keep_running=wait)


def main() -> None:
    try:
        app()
    except ModuleNotFoundError as error:
        command = next((arg for arg in sys.argv[1:] if not arg.startswith("-")), None)
        hint = install_hint(error.name or "", command) if error.name else None
        if hint is None:
            raise
        err.print(Text.assemble(("error: ", "bold red"), hint), highlight=False)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
