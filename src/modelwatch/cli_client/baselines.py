"""``modelwatch baselines``: see :mod:`modelwatch.cli_client`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import (
    EXIT_ERROR,
    AllOption,
    DataFormat,
    JsonOption,
    MaxResultsOption,
    NextTokenOption,
    OutputOption,
    TokenOption,
    UrlOption,
    WaitOption,
)
from modelwatch.service.schemas import (
    BaselineJobSpec,
    JobStatus,
    MonitoringType,
)

__all__ = ["baselines_app"]

baselines_app = typer.Typer(
    help="Baselining jobs: profile training data on the server.", no_args_is_help=True
)


class OutputColumnsPosition(StrEnum):
    START = "START"
    END = "END"


BASELINE_COLUMNS = [
    ("name", "name"),
    ("status", "status"),
    ("dataset", "dataset_uri"),
    ("created", "created_at"),
    ("ended", "ended_at"),
]
BASELINE_FILES = ("statistics.json", "constraints.json", "analysis.json", "execution.log")


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
    output_columns_position: Annotated[
        OutputColumnsPosition | None,
        typer.Option(
            "--output-columns-position",
            help="DataQuality, CSV: where the label (model output) column is (default START). END for a "
            "training file 'features..., label': the baseline then lists it first, as capture rows do.",
            show_default=False,
        ),
    ] = None,
    output_uri: Annotated[
        str | None,
        typer.Option("--output-uri", help="Where the files go (default: {storage}/baselines/NAME)."),
    ] = None,
    monitoring_type: Annotated[
        MonitoringType, typer.Option("--type", help="What to baseline.")
    ] = MonitoringType.DATA_QUALITY,
    problem_type: Annotated[str | None, typer.Option("--problem-type", help="ModelQuality.")] = None,
    inference_attribute: Annotated[
        str | None, typer.Option("--inference-attribute", help="ModelQuality: predicted label column.")
    ] = None,
    probability_attribute: Annotated[
        str | None, typer.Option("--probability-attribute", help="ModelQuality: score column.")
    ] = None,
    probability_threshold: Annotated[
        float | None, typer.Option("--probability-threshold", help="ModelQuality: score cut-off (0.5).")
    ] = None,
    ground_truth_attribute: Annotated[
        str | None, typer.Option("--ground-truth-attribute", help="ModelQuality: true label column.")
    ] = None,
    config: Annotated[
        str | None, typer.Option("--config", help="ModelBias/ModelExplainability: analysis_config.json.")
    ] = None,
    wait: WaitOption = False,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Start a baselining job on the server: statistics.json and constraints.json (DataQuality,
    ModelQuality) or Clarify's analysis.json (ModelBias, ModelExplainability).

    Relative local paths are made absolute before they are sent.

    Example: modelwatch baselines start --name churn-train --dataset train.csv --header
    --output-columns-position END --wait
    """
    if output_columns_position is not None and format not in (None, DataFormat.CSV):
        raise c.usage("is for CSV datasets", "--output-columns-position")
    dataset_format: dict[str, Any] | None = None
    if format is DataFormat.CSV or (format is None and (header or output_columns_position is not None)):
        dataset_format = {"csv": {"header": header}}
        if output_columns_position is not None:
            dataset_format["csv"]["output_columns_position"] = output_columns_position.value
    elif format is DataFormat.JSON:
        dataset_format = {"json": {"line": True}}
    elif format is DataFormat.PARQUET:
        dataset_format = {"parquet": {}}
    data = {"name": name, "dataset_uri": c.absolute(dataset), "output_uri": c.absolute(output_uri)}
    parameters = {
        "problem_type": problem_type,
        "inference_attribute": inference_attribute,
        "probability_attribute": probability_attribute,
        "probability_threshold_attribute": probability_threshold,
        "ground_truth_attribute": ground_truth_attribute,
        "config_uri": c.absolute(config),
    }
    given = {key: value for key, value in parameters.items() if value is not None}
    spec = c.validated(
        BaselineJobSpec,
        {
            **data,
            "monitoring_type": monitoring_type,
            "dataset_format": dataset_format,
            "parameters": given or None,
        },
    )
    with c.api(url, token) as api:
        view = api.start_baseline_job(spec)
        if wait:
            view = c.wait_for(
                lambda: api.describe_baseline_job(name),
                lambda v: v.status not in (JobStatus.IN_PROGRESS, JobStatus.STOPPING),
                name,
            )
    if as_json:
        c.echo_json(c.as_data(view))
    else:
        c.say(f"baselining job {view.name}: {view.status} -> {view.output_uri}")
    if view.status in (JobStatus.FAILED, JobStatus.STOPPED):  # stopped through the SageMaker API
        c.print_error(f"{view.name} {view.status.lower()}: {view.failure_reason}")
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
    with c.api(url, token) as api:
        c.listing(
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
    with c.api(url, token) as api:
        view = api.describe_baseline_job(name)
    c.show(f"baselining job {name}", view, as_json)


@baselines_app.command("download")
def baselines_download(
    name: Annotated[str, typer.Argument(help="Job name.")],
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="statistics.json, constraints.json, analysis.json, execution.log "
            "(default: the baseline files of the job's type)."
        ),
    ] = None,
    output: OutputOption = ".",
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Download a finished baselining job's files into a folder (or one file to stdout with -o -).

    Example: modelwatch baselines download churn-train -o baseline/
    """
    for file in files or []:
        if file not in BASELINE_FILES:
            raise c.usage(f"expected one of {', '.join(BASELINE_FILES)}; got {file!r}", "FILES")
    with c.api(url, token) as api:
        names = files
        if not names:
            clarify = api.describe_baseline_job(name).monitoring_type in (
                MonitoringType.MODEL_BIAS,
                MonitoringType.MODEL_EXPLAINABILITY,
            )
            names = ["analysis.json"] if clarify else list(BASELINE_FILES[:2])
        c.download(lambda file: api.baseline_file(name, file), names, output)
