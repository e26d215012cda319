"""``modelwatch executions``: see :mod:`modelwatch.cli_client`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    EXIT_ERROR,
    AllOption,
    ExecutionSort,
    JsonOption,
    MaxResultsOption,
    NextTokenOption,
    OutputOption,
    SortOrder,
    TokenOption,
    UrlOption,
)
from modelwatch.service.schemas import (
    ExecutionStatus,
    MonitoringType,
)

__all__ = ["executions_app"]

executions_app = typer.Typer(help="Monitoring executions and their result files.", no_args_is_help=True)


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
        "scheduled_after": c.parse_time(after, "--after"),
        "scheduled_before": c.parse_time(before, "--before"),
        "sort_by": sort_by.value,
        "sort_order": sort_order.value,
    }
    with c.api(url, token) as api:
        c.listing(
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
    with c.api(url, token) as api:
        detail = api.describe_execution(execution_id)
    if as_json:
        c.echo_json(detail)
        return
    links = {"files": detail.pop("files", None) or {}, "log": detail.pop("log", None)}
    c.print_panel(f"execution {execution_id}", detail)
    names = _result_files(links)
    if names:
        c.say(f"files: {', '.join(names)}  (modelwatch executions download {execution_id})")


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
    with c.api(url, token) as api:
        view = api.stop_execution(execution_id)
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(f"execution {view.id}: {view.status}")


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
    with c.api(url, token) as api:
        names = files or _result_files(api.describe_execution(execution_id))
        if not names:
            c.print_error(f"execution {execution_id} has no result files yet")
            raise typer.Exit(EXIT_ERROR)
        c.download(lambda file: api.execution_file(execution_id, file), names, output)
