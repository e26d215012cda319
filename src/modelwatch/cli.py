"""The ``modelwatch`` command line.

Exit codes: 0 success (and, for ``check``, no violations); 4 ``check`` found violations; 1 the job
failed (bad input, unreadable files — the message names file, line and column); 2 wrong usage.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from modelwatch import __version__
from modelwatch.errors import ModelwatchError
from modelwatch.io.datasets import DatasetFormat

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_VIOLATIONS", "app", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_VIOLATIONS = 4

app = typer.Typer(
    name="modelwatch",
    help="Self-hosted model monitoring, file-compatible with SageMaker Model Monitor.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
err = Console(stderr=True)
out = Console()

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
        err.print(f"[bold red]error:[/] {error}", highlight=False, markup=True)
        raise typer.Exit(EXIT_ERROR) from None


@app.command()
def baseline(
    dataset: DatasetOption,
    output: Annotated[
        str, typer.Option("--output", "-o", help="Folder or s3:// URI for the baseline files.")
    ],
    format: FormatOption = None,
    header: HeaderOption = False,
    workers: WorkersOption = 0,
    quiet: QuietOption = False,
) -> None:
    """Profile training data and write statistics.json and a suggested constraints.json.

    Example: modelwatch baseline --dataset train.csv --header --output baseline/
    """
    from modelwatch.monitors.data_quality import suggest_baseline

    with _job_errors(), _rows_progress("baseline", quiet) as progress:
        result = suggest_baseline(
            dataset, output, format=format, header=header, workers=workers or None, progress=progress
        )
    run = result.run
    out.print(
        f"baseline: {run.rows:,} rows x {len(result.statistics.features)} columns in {run.seconds:.2f}s "
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
def demo(
    folder: Annotated[
        Path, typer.Option("--folder", help="Where the demo writes its data and results.")
    ] = Path("modelwatch-demo"),
) -> None:
    """Baseline the bundled example dataset, then check an unchanged and a drifted copy of it."""
    from modelwatch.demo import run_demo

    with _job_errors():
        run_demo(folder, out)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
