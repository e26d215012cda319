"""``modelwatch schedules``: see :mod:`modelwatch.cli_client`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    DEFAULT_CRON,
    EXIT_ERROR,
    AllOption,
    EndOption,
    JsonOption,
    LastOption,
    MaxResultsOption,
    NextTokenOption,
    ScheduleSort,
    SortOrder,
    StartOption,
    TokenOption,
    UrlOption,
    WaitOption,
)
from modelwatch.service.schemas import (
    ExecutionStatus,
    ExecutionView,
    JobDefinition,
    MonitoringType,
    ScheduleSpec,
    ScheduleStatus,
    ScheduleUpdate,
)

__all__ = ["schedules_app"]

schedules_app = typer.Typer(
    help="Monitoring schedules: create, change, pause, run now.", no_args_is_help=True
)


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
        "baseline_statistics_uri": c.absolute(statistics),
        "baseline_constraints_uri": c.absolute(constraints),
        "record_preprocessor_script": c.absolute(preprocessor),
        "post_analytics_processor_script": c.absolute(postprocessor),
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
    monitoring_type: Annotated[
        MonitoringType, typer.Option("--type", help="What the schedule monitors.")
    ] = MonitoringType.DATA_QUALITY,
    problem_type: Annotated[
        str | None,
        typer.Option(
            "--problem-type", help="ModelQuality: BinaryClassification, MulticlassClassification, Regression."
        ),
    ] = None,
    inference_attribute: Annotated[
        str | None,
        typer.Option("--inference-attribute", help="Predicted label in the response: index or JSONPath."),
    ] = None,
    probability_attribute: Annotated[
        str | None, typer.Option("--probability-attribute", help="Score in the response: index or JSONPath.")
    ] = None,
    probability_threshold: Annotated[
        float | None, typer.Option("--probability-threshold", help="Score cut-off of a binary model (0.5).")
    ] = None,
    ground_truth_uri: Annotated[
        str | None, typer.Option("--ground-truth-uri", help="Where labels are (default: uploaded ones).")
    ] = None,
    config: Annotated[
        str | None, typer.Option("--config", help="ModelBias/ModelExplainability: analysis_config.json.")
    ] = None,
    image_uri: Annotated[
        str | None,
        typer.Option("--image-uri", help="A custom monitoring container's image (docs/custom-monitors.md)."),
    ] = None,
    entrypoint: Annotated[
        list[str] | None,
        typer.Option("--entrypoint", help="Custom container: an entrypoint item (repeat for each)."),
    ] = None,
    container_args: Annotated[
        list[str] | None,
        typer.Option("--container-arg", help="Custom container: an argument (repeat for each)."),
    ] = None,
    runtime: Annotated[
        str | None,
        typer.Option("--runtime", help="Custom container: process, docker, podman or auto (server default)."),
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a monitoring schedule, from a ScheduleSpec JSON file or from flags.

    Relative local paths are made absolute before they are sent. --baseline-constraints is the baseline's
    constraints.json (DataQuality, ModelQuality) or analysis.json (ModelBias, ModelExplainability).

    Example: modelwatch schedules create --name churn-hourly --endpoint churn
    --baseline-statistics baseline/statistics.json --baseline-constraints baseline/constraints.json

    Model quality: modelwatch schedules create --name churn-quality --endpoint churn --type ModelQuality
    --problem-type BinaryClassification --inference-attribute 0 --probability-attribute 1
    --start-offset -P3D --end-offset -P1D --baseline-constraints quality/constraints.json

    Custom container: modelwatch schedules create --name churn-custom --endpoint churn
    --image-uri my-monitor:1 --runtime process --entrypoint python3 --entrypoint monitor.py
    """
    container = {
        "image_uri": image_uri,
        "entrypoint": entrypoint or None,
        "arguments": container_args or None,
        "runtime": runtime,
    }
    if image_uri is None and any(v is not None for v in container.values()):
        raise c.usage("--entrypoint, --container-arg and --runtime need --image-uri", "--image-uri")
    typed = {
        "problem_type": problem_type,
        "ground_truth_uri": c.absolute(ground_truth_uri),
        "config_uri": c.absolute(config),
    }
    attributes = {
        "inference_attribute": inference_attribute,
        "probability_attribute": probability_attribute,
        "probability_threshold_attribute": probability_threshold,
    }
    if file is not None:
        flags = (name, endpoint, cron, statistics, constraints, preprocessor, postprocessor, max_runtime)
        given = (*flags, start_offset, end_offset, *typed.values(), *attributes.values(), image_uri)
        if any(flag is not None for flag in given):
            raise c.usage("give either --file or the flags, not both", "--file")
        spec = c.read_spec(ScheduleSpec, file)
    else:
        if name is None or endpoint is None:
            raise c.usage("--name and --endpoint are required without --file", "--name/--endpoint")
        source = {k: v for k, v in attributes.items() if v is not None}
        definition = {
            "endpoint_input": {"endpoint_name": endpoint, **_offsets(start_offset, end_offset), **source},
            **_definition_changes(statistics, constraints, preprocessor, postprocessor, max_runtime),
            **{k: v for k, v in typed.items() if v is not None},
        }
        if image_uri is not None:
            definition["container"] = {k: v for k, v in container.items() if v is not None}
        expression = cron or DEFAULT_CRON
        spec = c.validated(
            ScheduleSpec,
            {
                "name": name,
                "monitoring_type": monitoring_type,
                "schedule_expression": expression,
                "definition": definition,
            },
        )
    with c.api(url, token) as api:
        view = api.create_schedule(spec)
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(f"schedule {view.name} ({view.schedule_expression}): {view.status}")


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
    with c.api(url, token) as api:
        c.listing(
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
    with c.api(url, token) as api:
        view = api.describe_schedule(name)
    c.show(f"schedule {name}", view, as_json)


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
            raise c.usage("give either --file or the flags, not both", "--file")
        update = c.read_spec(ScheduleUpdate, file)
    elif not (changes or offsets or cron is not None):
        raise c.usage("nothing to change: give --file or at least one flag")
    with c.api(url, token) as api:
        if file is None:
            data: dict[str, Any] = {"schedule_expression": cron} if cron is not None else {}
            if changes or offsets:
                definition = c.as_data(api.describe_schedule(name).definition)
                source = "endpoint_input" if definition.get("endpoint_input") else "batch_transform_input"
                definition[source] = {**definition[source], **offsets}
                data["definition"] = c.validated(JobDefinition, {**definition, **changes})
            update = c.validated(ScheduleUpdate, data)
        view = api.update_schedule(name, update)
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(f"schedule {view.name} updated ({view.schedule_expression}): {view.status}")


def _schedule_action(name: str, url: str | None, token: str | None, as_json: bool, action: str) -> None:
    with c.api(url, token) as api:
        view = api.start_schedule(name) if action == "start" else api.stop_schedule(name)
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(f"schedule {view.name}: {view.status}")


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
    with c.api(url, token) as api:
        api.delete_schedule(name)
    c.say(f"schedule {name} deleted")


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
    since, until = c.parse_window(start, end, last, default_last="1h")
    assert since is not None and until is not None
    with c.api(url, token) as api:
        view = api.run_now(name, since, until)
        if wait:
            execution_id = view.id
            view = c.wait_for(
                lambda: api.execution(execution_id), lambda v: v.status.finished, f"execution {view.id}"
            )
    _execution_outcome(view, as_json)


def _execution_outcome(view: ExecutionView, as_json: bool) -> None:
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        violations = "" if view.violation_count is None else f", {view.violation_count} violations"
        window = (
            f"{c.format_cell(view.window_start.isoformat())} – {c.format_cell(view.window_end.isoformat())}"
        )
        c.say(f"execution {view.id} of {view.schedule_name}: {view.status}{violations} (window {window})")
    if view.status in (ExecutionStatus.FAILED, ExecutionStatus.STOPPED):
        reason = view.failure_reason or view.exit_message or view.status
        c.print_error(f"execution {view.id}: {reason}")
        raise typer.Exit(EXIT_ERROR)
