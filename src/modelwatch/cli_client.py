"""``modelwatch endpoints|baselines|schedules|executions|metrics|tokens``: commands for a modelwatch server.

All but ``tokens`` talk to the REST API through :class:`modelwatch.client.Client`: ``--url`` (env
``MODELWATCH_URL``, default ``http://127.0.0.1:8000``) and ``--token`` (env ``MODELWATCH_TOKEN``) say
where and as whom; ``--json`` prints the server's JSON for scripts instead of tables and panels.
``tokens`` works on the metadata database directly (``--database-url``, default the settings').

Exit codes: 0 success; 1 the server answered an error (4xx/5xx; its message and field errors go to
stderr) or a waited-for job failed; 2 wrong usage (unknown option, bad value, unreadable spec file);
3 the server cannot be reached.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError
from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from modelwatch.errors import ModelwatchError
from modelwatch.service.schemas import (
    BaselineJobSpec,
    EndpointSpec,
    ExecutionStatus,
    ExecutionView,
    JobDefinition,
    JobStatus,
    MonitoringType,
    Page,
    ScheduleSpec,
    ScheduleStatus,
    ScheduleUpdate,
)

if TYPE_CHECKING:
    from modelwatch.client import ApiError, Client
    from modelwatch.service.db import Database
    from modelwatch.service.tokens import TokenInfo

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_UNREACHABLE", "EXIT_USAGE", "register_client_commands"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

POLL_SECONDS = 1.0
"""How often ``--wait`` asks the server whether a job has finished."""

DEFAULT_CRON = "cron(0 * ? * * *)"

out = Console()
err = Console(stderr=True)
M = TypeVar("M", bound=BaseModel)

_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
endpoints_app = typer.Typer(help="Register, list and delete monitored endpoints.", no_args_is_help=True)
baselines_app = typer.Typer(
    help="Baselining jobs: profile training data on the server.", no_args_is_help=True
)
schedules_app = typer.Typer(
    help="Monitoring schedules: create, change, pause, run now.", no_args_is_help=True
)
executions_app = typer.Typer(help="Monitoring executions and their result files.", no_args_is_help=True)
metrics_app = typer.Typer(help="The CloudWatch-style metrics that executions emit.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens (on the database, not over HTTP).", no_args_is_help=True)


class ScheduleSort(StrEnum):
    NAME = "Name"
    CREATION_TIME = "CreationTime"
    STATUS = "Status"


class ExecutionSort(StrEnum):
    CREATION_TIME = "CreationTime"
    SCHEDULED_TIME = "ScheduledTime"
    STATUS = "Status"


class SortOrder(StrEnum):
    ASCENDING = "Ascending"
    DESCENDING = "Descending"


class DataFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


# -- common options -------------------------------------------------------------------------------

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="MODELWATCH_URL",
        help="Server URL (default: http://127.0.0.1:8000).",
        show_default=False,
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", envvar="MODELWATCH_TOKEN", help="API token (mw_...).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the server's JSON answer (for scripts).")]
MaxResultsOption = Annotated[
    int | None, typer.Option("--max-results", min=1, max=100, help="Items per page.", show_default=False)
]
NextTokenOption = Annotated[
    str | None,
    typer.Option("--next-token", help="Continue a listing where a page ended.", show_default=False),
]
AllOption = Annotated[bool, typer.Option("--all", help="Follow every page.")]
OutputOption = Annotated[
    str, typer.Option("--output", "-o", help="Folder for the files, or - to write one file to stdout.")
]
WaitOption = Annotated[bool, typer.Option("--wait", help="Wait until the job ends; exit 1 if it fails.")]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Metadata database; default MODELWATCH_DATABASE_URL or SQLite."),
]


def _usage(message: str, option: str | None = None) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint=option)


def _say(message: str) -> None:
    """One line of output, printed as it is (no markup, no wrapping: scripts may read it)."""
    out.print(message, highlight=False, markup=False, soft_wrap=True)


def _error(message: str) -> None:
    err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


def _note(message: str) -> None:
    err.print(Text(message), soft_wrap=True)


def _report(error: ApiError) -> None:
    _error(error.message)
    for field in error.fields:
        _note(f"  {field.field}: {field.message}")
    if error.status == 401:
        _note("  hint: pass --token or set MODELWATCH_TOKEN")
    elif error.unreachable:
        _note("  hint: is `modelwatch server` running? set --url or MODELWATCH_URL")


@contextmanager
def _api(url: str | None, token: str | None) -> Iterator[Client]:
    from modelwatch.client import ApiError, Client

    try:
        with Client(url, token) as client:
            yield client
    except ApiError as error:
        _report(error)
        raise typer.Exit(EXIT_UNREACHABLE if error.unreachable else EXIT_ERROR) from None
    except PydanticValidationError as error:  # an answer of another API version
        _error(f"unexpected answer from the server: {error}")
        raise typer.Exit(EXIT_ERROR) from None


# -- input helpers --------------------------------------------------------------------------------


def _absolute(uri: str | None) -> str | None:
    """A relative local path made absolute (the server does not share our working folder); URIs as given."""
    if uri is None or "://" in uri or Path(uri).is_absolute():
        return uri
    return str(Path(uri).resolve())


def _field_errors(error: PydanticValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors())


def _model(model: type[M], data: Any, option: str | None = None) -> M:
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        raise _usage(_field_errors(error), option) from None


def _read_spec(model: type[M], path: Path) -> M:
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise _usage(f"cannot read {path}: {error.strerror}", "--file") from None
    except ValueError as error:
        raise _usage(f"{path} is not JSON: {error}", "--file") from None
    return _model(model, data, "--file")


def _time(text: str | None, option: str) -> datetime | None:
    """ISO 8601 (``2026-06-01T10:00``, ``...Z``, ``+02:00``) or ``now``; no zone means UTC."""
    if text is None:
        return None
    if text.strip().lower() == "now":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _usage(f"expected an ISO 8601 time like 2026-06-01T10:00:00Z; got {text!r}", option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _duration(text: str, option: str = "--last") -> timedelta:
    """``90m``, ``1h``, ``1h30m``, ``2d``: a positive duration."""
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhdw])", text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != text.strip().lower():
        raise _usage(f"expected a duration like 30m, 1h, 1h30m or 2d; got {text!r}", option)
    value = sum((timedelta(**{_UNITS[unit]: float(n)}) for n, unit in parts), timedelta())
    if value <= timedelta():
        raise _usage(f"must be positive; got {text!r}", option)
    return value


def _window(
    start: str | None, end: str | None, last: str | None, default_last: str | None
) -> tuple[datetime | None, datetime | None]:
    if last and start:
        raise _usage("give --last or --start, not both", "--last")
    until = _time(end, "--end")
    since = _time(start, "--start")
    span = last or (None if since else default_last)
    if span:
        until = until or datetime.now(UTC).replace(microsecond=0)
        since = until - _duration(span)
    elif since and not until and default_last:
        until = datetime.now(UTC).replace(microsecond=0)
    return since, until


# -- output helpers -------------------------------------------------------------------------------


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _data(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _get(data: Mapping[str, Any], key: str) -> Any:
    value: Any = data
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, f"{prefix}{key}.")
        elif value not in (None, {}, []):
            yield f"{prefix}{key}", value


_WHOLE = frozenset({"name", "schedule_name", "status"})
"""Table columns never folded (the first one neither): what people scan for."""


def _table(title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    cells = [[_cell(_get(row, key)) for _, key in columns] for row in rows]
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for index, (header, key) in enumerate(columns):
        whole = index == 0 or key in _WHOLE
        widest = max((len(line[index]) for line in cells), default=0)
        table.add_column(header, overflow="fold", min_width=widest if whole else None)
    for line in cells:
        table.add_row(*(Text(cell) for cell in line))
    out.print(table)


def _panel(title: str, data: Mapping[str, Any]) -> None:
    rows = list(_flatten(data))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True, min_width=max((len(key) for key, _ in rows), default=1))
    grid.add_column(overflow="fold")
    for key, value in rows:
        grid.add_row(key, Text(_cell(value)))
    out.print(Panel(grid, title=title, title_align="left", expand=False))


def _show(title: str, model: BaseModel, as_json: bool) -> None:
    if as_json:
        _echo_json(_data(model))
    else:
        _panel(title, _data(model))


def _listing(
    fetch: Callable[..., Page[Any]],
    filters: Mapping[str, Any],
    paging: tuple[int | None, str | None, bool],
    *,
    title: str,
    columns: Sequence[tuple[str, str]],
    as_json: bool,
) -> None:
    from modelwatch.client import iterate

    max_results, next_token, every = paging
    if every:
        items, token = list(iterate(fetch, **filters, max_results=max_results)), None
    else:
        page = fetch(**filters, max_results=max_results, next_token=next_token)
        items, token = page.items, page.next_token
    rows = [_data(item) for item in items]
    if as_json:
        _echo_json({"items": rows, "next_token": token})
        return
    _table(title, rows, columns)
    if token:
        _note(f"more: --next-token {token} (or --all)")


def _download(fetch: Callable[[str], bytes], files: Sequence[str], output: str) -> None:
    if output == "-":
        if len(files) != 1:
            raise _usage("name exactly one FILE to write it to stdout", "--output")
        typer.echo(fetch(files[0]), nl=False)
        return
    for name in files:
        if name in ("", ".", "..") or Path(name).name != name:
            raise _usage(f"{name!r} is not a file name", "FILES")
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        data = fetch(name)
        (folder / name).write_bytes(data)
        _say(f"{folder / name} ({len(data):,} bytes)")


def _wait(describe: Callable[[], M], finished: Callable[[M], bool], label: str) -> M:
    status = err.status(f"waiting for {label}") if err.is_terminal else None
    if status is not None:
        status.start()
    try:
        while not finished(view := describe()):
            time.sleep(POLL_SECONDS)
        return view
    finally:
        if status is not None:
            status.stop()


# -- endpoints ------------------------------------------------------------------------------------

ENDPOINT_COLUMNS = [
    ("name", "name"),
    ("variants", "variants"),
    ("status", "status"),
    ("capture", "capture_uri"),
    ("created", "created_at"),
]


@endpoints_app.command("create")
def endpoints_create(
    name: Annotated[str, typer.Option("--name", help="Endpoint name (1–63 letters, digits, hyphens).")],
    variants: Annotated[
        list[str] | None, typer.Option("--variant", help="A variant, repeatable (default: AllTraffic).")
    ] = None,
    sampling: Annotated[
        float | None, typer.Option("--sampling", min=0, max=100, help="Percentage of requests captured.")
    ] = None,
    capture_uri: Annotated[
        str | None, typer.Option("--capture-uri", help="Capture destination (default: {storage}/capture).")
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register an endpoint whose captured traffic is monitored.

    Example: modelwatch endpoints create --name churn --variant AllTraffic --sampling 50
    """
    config: dict[str, Any] | None = None
    if sampling is not None or capture_uri is not None:
        config = {"EnableCapture": True, "InitialSamplingPercentage": 100.0 if sampling is None else sampling}
        if capture_uri is not None:
            config["DestinationS3Uri"] = _absolute(capture_uri)
    data: dict[str, Any] = {"name": name, "data_capture_config": config}
    if variants:
        data["variants"] = variants
    spec = _model(EndpointSpec, data)
    with _api(url, token) as api:
        view = api.create_endpoint(spec)
    if as_json:
        _echo_json(_data(view))
    else:
        _say(f"endpoint {view.name} created; capture -> {view.capture_uri}")


@endpoints_app.command("list")
def endpoints_list(
    name_contains: Annotated[
        str | None, typer.Option("--name-contains", help="Only names containing this.")
    ] = None,
    max_results: MaxResultsOption = None,
    next_token: NextTokenOption = None,
    every: AllOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List endpoints by name.

    Example: modelwatch endpoints list --name-contains churn
    """
    with _api(url, token) as api:
        _listing(
            api.list_endpoints,
            {"name_contains": name_contains},
            (max_results, next_token, every),
            title="endpoints",
            columns=ENDPOINT_COLUMNS,
            as_json=as_json,
        )


@endpoints_app.command("describe")
def endpoints_describe(
    name: Annotated[str, typer.Argument(help="Endpoint name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an endpoint: variants, capture config and destination.

    Example: modelwatch endpoints describe churn
    """
    with _api(url, token) as api:
        view = api.describe_endpoint(name)
    _show(f"endpoint {name}", view, as_json)


@endpoints_app.command("delete")
def endpoints_delete(
    name: Annotated[str, typer.Argument(help="Endpoint name.")],
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Delete an endpoint (its captured files stay). Its schedules must be deleted first.

    Example: modelwatch endpoints delete churn
    """
    with _api(url, token) as api:
        api.delete_endpoint(name)
    _say(f"endpoint {name} deleted")


# -- baselining jobs ------------------------------------------------------------------------------

BASELINE_COLUMNS = [
    ("name", "name"),
    ("status", "status"),
    ("dataset", "dataset_uri"),
    ("created", "created_at"),
    ("ended", "ended_at"),
]
BASELINE_FILES = ("statistics.json", "constraints.json", "execution.log")


@baselines_app.command("start")
def baselines_start(
    name: Annotated[str, typer.Option("--name", help="Job name (1–63 letters, digits, hyphens).")],
    dataset: Annotated[
        str, typer.Option("--dataset", "-d", help="Training data: file, folder, glob, s3://.")
    ],
    format: Annotated[
        DataFormat | None, typer.Option("--format", "-f", help="Data format (default: from the extension).")
    ] = None,
    header: Annotated[
        bool, typer.Option("--header/--no-header", help="CSV: the first line holds names.")
    ] = False,
    output_uri: Annotated[
        str | None,
        typer.Option("--output-uri", help="Where the files go (default: {storage}/baselines/NAME)."),
    ] = None,
    wait: WaitOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Start a baselining job: the server profiles the data into statistics.json and constraints.json.

    Relative local paths are made absolute before they are sent.

    Example: modelwatch baselines start --name churn-train --dataset train.csv --header --wait
    """
    dataset_format: dict[str, Any] | None = None
    if format is DataFormat.CSV or (format is None and header):
        dataset_format = {"csv": {"header": header}}
    elif format is DataFormat.JSON:
        dataset_format = {"json": {"line": True}}
    elif format is DataFormat.PARQUET:
        dataset_format = {"parquet": {}}
    data = {"name": name, "dataset_uri": _absolute(dataset), "output_uri": _absolute(output_uri)}
    spec = _model(BaselineJobSpec, {**data, "dataset_format": dataset_format})
    with _api(url, token) as api:
        view = api.start_baseline_job(spec)
        if wait:
            view = _wait(
                lambda: api.describe_baseline_job(name), lambda v: v.status != JobStatus.IN_PROGRESS, name
            )
    if as_json:
        _echo_json(_data(view))
    else:
        _say(f"baselining job {view.name}: {view.status} -> {view.output_uri}")
    if view.status == JobStatus.FAILED:
        _error(f"{view.name} failed: {view.failure_reason}")
        raise typer.Exit(EXIT_ERROR)


@baselines_app.command("list")
def baselines_list(
    status: Annotated[JobStatus | None, typer.Option("--status", help="Only jobs in this status.")] = None,
    max_results: MaxResultsOption = None,
    next_token: NextTokenOption = None,
    every: AllOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List baselining jobs, newest first.

    Example: modelwatch baselines list --status Completed
    """
    with _api(url, token) as api:
        _listing(
            api.list_baseline_jobs,
            {"status": status},
            (max_results, next_token, every),
            title="baselining jobs",
            columns=BASELINE_COLUMNS,
            as_json=as_json,
        )


@baselines_app.command("describe")
def baselines_describe(
    name: Annotated[str, typer.Argument(help="Job name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a baselining job: status, failure reason, the URIs of its files.

    Example: modelwatch baselines describe churn-train
    """
    with _api(url, token) as api:
        view = api.describe_baseline_job(name)
    _show(f"baselining job {name}", view, as_json)


@baselines_app.command("download")
def baselines_download(
    name: Annotated[str, typer.Argument(help="Job name.")],
    files: Annotated[
        list[str] | None,
        typer.Argument(help="statistics.json, constraints.json, execution.log (default: the first two)."),
    ] = None,
    output: OutputOption = ".",
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Download a finished baselining job's files into a folder (or one file to stdout with -o -).

    Example: modelwatch baselines download churn-train -o baseline/
    """
    names = files or list(BASELINE_FILES[:2])
    for file in names:
        if file not in BASELINE_FILES:
            raise _usage(f"expected one of {', '.join(BASELINE_FILES)}; got {file!r}", "FILES")
    with _api(url, token) as api:
        _download(lambda file: api.baseline_file(name, file), names, output)


# -- schedules ------------------------------------------------------------------------------------

SCHEDULE_COLUMNS = [
    ("name", "name"),
    ("endpoint", "endpoint_name"),
    ("expression", "schedule_expression"),
    ("status", "status"),
    ("last execution", "last_execution_status"),
    ("created", "created_at"),
]
StatisticsOption = Annotated[
    str | None, typer.Option("--baseline-statistics", help="The baseline's statistics.json.")
]
ConstraintsOption = Annotated[
    str | None, typer.Option("--baseline-constraints", help="The baseline's constraints.json.")
]
PreprocessorOption = Annotated[
    str | None, typer.Option("--preprocessor", help="Record preprocessor script (preprocess_handler).")
]
PostprocessorOption = Annotated[
    str | None, typer.Option("--postprocessor", help="Post-analytics processor script.")
]
StartOffsetOption = Annotated[
    str | None, typer.Option("--start-offset", help="Window start offset, ISO 8601, e.g. -PT2H.")
]
EndOffsetOption = Annotated[
    str | None, typer.Option("--end-offset", help="Window end offset, ISO 8601, e.g. -PT1H.")
]
MaxRuntimeOption = Annotated[
    int | None, typer.Option("--max-runtime", min=1, max=86_400, help="Seconds before a run is stopped.")
]


def _definition_changes(
    statistics: str | None,
    constraints: str | None,
    preprocessor: str | None,
    postprocessor: str | None,
    max_runtime: int | None,
) -> dict[str, Any]:
    values = {
        "baseline_statistics_uri": _absolute(statistics),
        "baseline_constraints_uri": _absolute(constraints),
        "record_preprocessor_script": _absolute(preprocessor),
        "post_analytics_processor_script": _absolute(postprocessor),
        "max_runtime_seconds": max_runtime,
    }
    return {key: value for key, value in values.items() if value is not None}


def _offsets(start: str | None, end: str | None) -> dict[str, str]:
    return {k: v for k, v in (("start_time_offset", start), ("end_time_offset", end)) if v is not None}


@schedules_app.command("create")
def schedules_create(
    file: Annotated[
        Path | None, typer.Option("--file", help="A ScheduleSpec JSON file (instead of the flags below).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Schedule name.")] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="The monitored endpoint.")] = None,
    cron: Annotated[
        str | None,
        typer.Option(
            "--cron", help=f"Schedule expression: cron(...) or 5-field cron (default: {DEFAULT_CRON})."
        ),
    ] = None,
    statistics: StatisticsOption = None,
    constraints: ConstraintsOption = None,
    preprocessor: PreprocessorOption = None,
    postprocessor: PostprocessorOption = None,
    start_offset: StartOffsetOption = None,
    end_offset: EndOffsetOption = None,
    max_runtime: MaxRuntimeOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a monitoring schedule, from a ScheduleSpec JSON file or, for data quality, from flags.

    Relative local paths are made absolute before they are sent.

    Example: modelwatch schedules create --name churn-hourly --endpoint churn
    --baseline-statistics baseline/statistics.json --baseline-constraints baseline/constraints.json
    """
    if file is not None:
        flags = (name, endpoint, cron, statistics, constraints, preprocessor, postprocessor, max_runtime)
        if any(flag is not None for flag in (*flags, start_offset, end_offset)):
            raise _usage("give either --file or the flags, not both", "--file")
        spec = _read_spec(ScheduleSpec, file)
    else:
        if name is None or endpoint is None:
            raise _usage("--name and --endpoint are required without --file", "--name/--endpoint")
        definition = {
            "endpoint_input": {"endpoint_name": endpoint, **_offsets(start_offset, end_offset)},
            **_definition_changes(statistics, constraints, preprocessor, postprocessor, max_runtime),
        }
        expression = cron or DEFAULT_CRON
        spec = _model(
            ScheduleSpec, {"name": name, "schedule_expression": expression, "definition": definition}
        )
    with _api(url, token) as api:
        view = api.create_schedule(spec)
    if as_json:
        _echo_json(_data(view))
    else:
        _say(f"schedule {view.name} ({view.schedule_expression}): {view.status}")


@schedules_app.command("list")
def schedules_list(
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Only this endpoint's.")] = None,
    status: Annotated[ScheduleStatus | None, typer.Option("--status", help="Only in this status.")] = None,
    monitoring_type: Annotated[
        MonitoringType | None, typer.Option("--type", help="Only of this monitoring type.")
    ] = None,
    name_contains: Annotated[
        str | None, typer.Option("--name-contains", help="Only names containing this.")
    ] = None,
    sort_by: Annotated[ScheduleSort, typer.Option("--sort-by")] = ScheduleSort.CREATION_TIME,
    sort_order: Annotated[SortOrder, typer.Option("--sort-order")] = SortOrder.DESCENDING,
    max_results: MaxResultsOption = None,
    next_token: NextTokenOption = None,
    every: AllOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List monitoring schedules with the status of their last execution.

    Example: modelwatch schedules list --endpoint churn --status Scheduled
    """
    filters = {
        "endpoint_name": endpoint,
        "status": status,
        "monitoring_type": monitoring_type,
        "name_contains": name_contains,
        "sort_by": sort_by.value,
        "sort_order": sort_order.value,
    }
    with _api(url, token) as api:
        _listing(
            api.list_schedules,
            filters,
            (max_results, next_token, every),
            title="schedules",
            columns=SCHEDULE_COLUMNS,
            as_json=as_json,
        )


@schedules_app.command("describe")
def schedules_describe(
    name: Annotated[str, typer.Argument(help="Schedule name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a schedule: expression, status, its full job definition.

    Example: modelwatch schedules describe churn-hourly
    """
    with _api(url, token) as api:
        view = api.describe_schedule(name)
    _show(f"schedule {name}", view, as_json)


@schedules_app.command("update")
def schedules_update(
    name: Annotated[str, typer.Argument(help="Schedule name.")],
    file: Annotated[
        Path | None, typer.Option("--file", help="A ScheduleUpdate JSON file (instead of the flags below).")
    ] = None,
    cron: Annotated[str | None, typer.Option("--cron", help="New schedule expression.")] = None,
    statistics: StatisticsOption = None,
    constraints: ConstraintsOption = None,
    preprocessor: PreprocessorOption = None,
    postprocessor: PostprocessorOption = None,
    start_offset: StartOffsetOption = None,
    end_offset: EndOffsetOption = None,
    max_runtime: MaxRuntimeOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a schedule: the flags given replace those values; later slots use them.

    Example: modelwatch schedules update churn-hourly --cron "cron(0 0/2 ? * * *)" --max-runtime 1800
    """
    changes = _definition_changes(statistics, constraints, preprocessor, postprocessor, max_runtime)
    offsets = _offsets(start_offset, end_offset)
    if file is not None:
        if changes or offsets or cron is not None:
            raise _usage("give either --file or the flags, not both", "--file")
        update = _read_spec(ScheduleUpdate, file)
    elif not (changes or offsets or cron is not None):
        raise _usage("nothing to change: give --file or at least one flag")
    with _api(url, token) as api:
        if file is None:
            data: dict[str, Any] = {"schedule_expression": cron} if cron is not None else {}
            if changes or offsets:
                definition = _data(api.describe_schedule(name).definition)
                source = "endpoint_input" if definition.get("endpoint_input") else "batch_transform_input"
                definition[source] = {**definition[source], **offsets}
                data["definition"] = _model(JobDefinition, {**definition, **changes})
            update = _model(ScheduleUpdate, data)
        view = api.update_schedule(name, update)
    if as_json:
        _echo_json(_data(view))
    else:
        _say(f"schedule {view.name} updated ({view.schedule_expression}): {view.status}")


def _schedule_action(name: str, url: str | None, token: str | None, as_json: bool, action: str) -> None:
    with _api(url, token) as api:
        view = api.start_schedule(name) if action == "start" else api.stop_schedule(name)
    if as_json:
        _echo_json(_data(view))
    else:
        _say(f"schedule {view.name}: {view.status}")


@schedules_app.command("start")
def schedules_start(
    name: Annotated[str, typer.Argument(help="Schedule name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Resume a stopped schedule; slots missed while it was stopped are not run.

    Example: modelwatch schedules start churn-hourly
    """
    _schedule_action(name, url, token, as_json, "start")


@schedules_app.command("stop")
def schedules_stop(
    name: Annotated[str, typer.Argument(help="Schedule name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop planning executions (a running one finishes; pending ones are stopped).

    Example: modelwatch schedules stop churn-hourly
    """
    _schedule_action(name, url, token, as_json, "stop")


@schedules_app.command("delete")
def schedules_delete(
    name: Annotated[str, typer.Argument(help="Schedule name.")],
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Delete a schedule; its open executions are stopped, their history is kept.

    Example: modelwatch schedules delete churn-hourly
    """
    with _api(url, token) as api:
        api.delete_schedule(name)
    _say(f"schedule {name} deleted")


StartOption = Annotated[
    str | None, typer.Option("--start", help="Window start, ISO 8601 (UTC unless a zone is given).")
]
EndOption = Annotated[str | None, typer.Option("--end", help="Window end, ISO 8601 (default: now).")]
LastOption = Annotated[
    str | None, typer.Option("--last", help="Window of this length ending at --end: 30m, 1h, 2d.")
]


@schedules_app.command("run")
def schedules_run(
    name: Annotated[str, typer.Argument(help="Schedule name.")],
    start: StartOption = None,
    end: EndOption = None,
    last: LastOption = None,
    wait: WaitOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a schedule's job once, now, over a window (default: the last hour).

    Example: modelwatch schedules run churn-hourly --last 2h --wait
    """
    since, until = _window(start, end, last, default_last="1h")
    assert since is not None and until is not None
    with _api(url, token) as api:
        view = api.run_now(name, since, until)
        if wait:
            execution_id = view.id
            view = _wait(
                lambda: api.execution(execution_id), lambda v: v.status.finished, f"execution {view.id}"
            )
    _execution_outcome(view, as_json)


def _execution_outcome(view: ExecutionView, as_json: bool) -> None:
    if as_json:
        _echo_json(_data(view))
    else:
        violations = "" if view.violation_count is None else f", {view.violation_count} violations"
        window = f"{_cell(view.window_start.isoformat())} – {_cell(view.window_end.isoformat())}"
        _say(f"execution {view.id} of {view.schedule_name}: {view.status}{violations} (window {window})")
    if view.status in (ExecutionStatus.FAILED, ExecutionStatus.STOPPED):
        reason = view.failure_reason or view.exit_message or view.status
        _error(f"execution {view.id}: {reason}")
        raise typer.Exit(EXIT_ERROR)


# -- executions -----------------------------------------------------------------------------------

EXECUTION_COLUMNS = [
    ("id", "id"),
    ("schedule", "schedule_name"),
    ("status", "status"),
    ("window start", "window_start"),
    ("window end", "window_end"),
    ("violations", "violation_count"),
]
IdArgument = Annotated[int, typer.Argument(help="Execution id.")]


@executions_app.command("list")
def executions_list(
    schedule: Annotated[str | None, typer.Option("--schedule", help="Only this schedule's.")] = None,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Only this endpoint's.")] = None,
    status: Annotated[ExecutionStatus | None, typer.Option("--status", help="Only in this status.")] = None,
    monitoring_type: Annotated[
        MonitoringType | None, typer.Option("--type", help="Only of this monitoring type.")
    ] = None,
    after: Annotated[
        str | None, typer.Option("--after", help="Scheduled after this time (ISO 8601).")
    ] = None,
    before: Annotated[str | None, typer.Option("--before", help="Scheduled before this time.")] = None,
    sort_by: Annotated[ExecutionSort, typer.Option("--sort-by")] = ExecutionSort.CREATION_TIME,
    sort_order: Annotated[SortOrder, typer.Option("--sort-order")] = SortOrder.DESCENDING,
    max_results: MaxResultsOption = None,
    next_token: NextTokenOption = None,
    every: AllOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List monitoring executions, newest first.

    Example: modelwatch executions list --schedule churn-hourly --status CompletedWithViolations
    """
    filters = {
        "schedule_name": schedule,
        "endpoint_name": endpoint,
        "status": status,
        "monitoring_type": monitoring_type,
        "scheduled_after": _time(after, "--after"),
        "scheduled_before": _time(before, "--before"),
        "sort_by": sort_by.value,
        "sort_order": sort_order.value,
    }
    with _api(url, token) as api:
        _listing(
            api.list_executions,
            filters,
            (max_results, next_token, every),
            title="executions",
            columns=EXECUTION_COLUMNS,
            as_json=as_json,
        )


@executions_app.command("describe")
def executions_describe(
    execution_id: IdArgument,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show an execution: status, window, counts, failure reason and its result files.

    Example: modelwatch executions describe 42
    """
    with _api(url, token) as api:
        detail = api.describe_execution(execution_id)
    if as_json:
        _echo_json(detail)
        return
    links = {"files": detail.pop("files", None) or {}, "log": detail.pop("log", None)}
    _panel(f"execution {execution_id}", detail)
    names = _result_files(links)
    if names:
        _say(f"files: {', '.join(names)}  (modelwatch executions download {execution_id})")


def _result_files(detail: Mapping[str, Any]) -> list[str]:
    names = list(detail.get("files") or {})
    if detail.get("log") and "execution.log" not in names:
        names.append("execution.log")
    return names


@executions_app.command("stop")
def executions_stop(
    execution_id: IdArgument,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Stop an execution: a pending one at once, a running one within seconds.

    Example: modelwatch executions stop 42
    """
    with _api(url, token) as api:
        view = api.stop_execution(execution_id)
    if as_json:
        _echo_json(_data(view))
    else:
        _say(f"execution {view.id}: {view.status}")


@executions_app.command("download")
def executions_download(
    execution_id: IdArgument,
    files: Annotated[
        list[str] | None,
        typer.Argument(help="e.g. constraint_violations.json, drift.json (default: every file there is)."),
    ] = None,
    output: OutputOption = ".",
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Download an execution's result files into a folder (or one file to stdout with -o -).

    Example: modelwatch executions download 42 constraint_violations.json -o - | jq .violations
    """
    with _api(url, token) as api:
        names = files or _result_files(api.describe_execution(execution_id))
        if not names:
            _error(f"execution {execution_id} has no result files yet")
            raise typer.Exit(EXIT_ERROR)
        _download(lambda file: api.execution_file(execution_id, file), names, output)


# -- metrics --------------------------------------------------------------------------------------


@metrics_app.command("list")
def metrics_list(
    schedule: Annotated[str, typer.Argument(help="Schedule name.")],
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the names of the metrics a schedule's executions have emitted.

    Example: modelwatch metrics list churn-hourly
    """
    with _api(url, token) as api:
        names = api.metric_names(schedule)
    if as_json:
        _echo_json({"names": names})
    else:
        for name in names:
            _say(name)


@metrics_app.command("show")
def metrics_show(
    schedule: Annotated[str, typer.Argument(help="Schedule name.")],
    name: Annotated[str, typer.Argument(help="Metric name, e.g. feature_baseline_drift_age.")],
    start: StartOption = None,
    end: Annotated[str | None, typer.Option("--end", help="Only points before this time.")] = None,
    last: LastOption = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10_000, help="At most this many points.")
    ] = 1000,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show the points of one metric, oldest first (the newest LIMIT of them).

    Example: modelwatch metrics show churn-hourly feature_baseline_drift_age --last 7d
    """
    since, until = _window(start, end, last, default_last=None)
    with _api(url, token) as api:
        points = api.metric(schedule, name, start=since, end=until, limit=limit)
    rows = [_data(point) for point in points]
    if as_json:
        _echo_json({"points": rows})
    else:
        columns = [("time", "timestamp"), ("value", "value"), ("execution", "execution_id")]
        _table(f"{schedule}: {name}", rows, columns)


# -- tokens ---------------------------------------------------------------------------------------


@contextmanager
def _database(url: str | None) -> Iterator[Database]:
    from modelwatch.service.db import open_database

    try:
        db = open_database(url)
    except ModelwatchError as error:
        _error(str(error))
        raise typer.Exit(EXIT_ERROR) from None
    try:
        yield db
    except ModelwatchError as error:
        _error(str(error))
        raise typer.Exit(EXIT_ERROR) from None
    finally:
        db.dispose()


class TokenScope(StrEnum):
    READ = "read"
    ADMIN = "admin"


def _stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _token_data(info: TokenInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "scope": info.scope.value,
        "created_at": _stamp(info.created_at),
        "last_used_at": _stamp(info.last_used_at),
        "revoked_at": _stamp(info.revoked_at),
    }


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="Token name (1–63 letters, digits, hyphens).")],
    scope: Annotated[TokenScope, typer.Option("--scope", help="read: every GET; admin: everything.")],
    database_url: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API token and print its secret, once: it is stored only as a digest.

    Example: export MODELWATCH_TOKEN=$(modelwatch tokens create ci --scope admin)
    """
    from modelwatch.service.tokens import create_token

    with _database(database_url) as db, db.session() as session:
        info, secret = create_token(session, name, scope.value)
    if as_json:
        _echo_json({**_token_data(info), "secret": secret})
        return
    err.print(
        f"token {info.name} ({info.scope.value}) created; its secret is shown only now:", highlight=False
    )
    typer.echo(secret)


@tokens_app.command("list")
def tokens_list(database_url: DatabaseOption = None, as_json: JsonOption = False) -> None:
    """List API tokens (names and scopes; secrets are never stored).

    Example: modelwatch tokens list
    """
    from modelwatch.service.tokens import list_tokens

    with _database(database_url) as db, db.session() as session:
        rows = [_token_data(info) for info in list_tokens(session)]
    if as_json:
        _echo_json({"items": rows})
        return
    columns = [
        ("name", "name"),
        ("scope", "scope"),
        ("created", "created_at"),
        ("last used", "last_used_at"),
        ("revoked", "revoked_at"),
    ]
    _table("tokens", rows, columns)


@tokens_app.command("revoke")
def tokens_revoke(
    name: Annotated[str, typer.Argument(help="Token name.")],
    database_url: DatabaseOption = None,
) -> None:
    """Revoke an API token at once. With no active token left, the API is open (loopback only).

    Example: modelwatch tokens revoke ci
    """
    from modelwatch.service.tokens import revoke_token

    with _database(database_url) as db, db.session() as session:
        info = revoke_token(session, name)
    _say(f"token {info.name} revoked")


def register_client_commands(app: typer.Typer) -> None:
    """Add the client sub-commands to the ``modelwatch`` app."""
    for name, sub in (
        ("endpoints", endpoints_app),
        ("baselines", baselines_app),
        ("schedules", schedules_app),
        ("executions", executions_app),
        ("metrics", metrics_app),
        ("tokens", tokens_app),
    ):
        app.add_typer(sub, name=name, context_settings=_SETTINGS)
