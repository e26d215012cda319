"""``modelwatch ground-truth``: upload labels of predictions; see :mod:`modelwatch.cli_client`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import EXIT_ERROR, JsonOption, TokenOption, UrlOption
from modelwatch.errors import ModelwatchError

__all__ = ["ground_truth_app"]

ground_truth_app = typer.Typer(
    help="Ground truth: labels for captured predictions, for model-quality and bias monitoring.",
    no_args_is_help=True,
)


@ground_truth_app.command("upload")
def ground_truth_upload(
    files: Annotated[list[Path], typer.Argument(help="Ground-truth JSON Lines files (SageMaker's format).")],
    endpoint: Annotated[str, typer.Option("--endpoint", help="The endpoint whose predictions they label.")],
    collected_at: Annotated[
        str | None,
        typer.Option("--collected-at", help="When they were collected, ISO 8601 (default: now)."),
    ] = None,
    url: UrlOption = None,
    token: TokenOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check every line of every file, then upload them (nothing is uploaded if a line is invalid).

    A line: {"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"ID"},
    "eventVersion":"0"}, where ID is the capture record's inferenceId (else its eventId).

    Example: modelwatch ground-truth upload --endpoint churn labels-2026-06-01.jsonl
    """
    from modelwatch.io.ground_truth import parse_ground_truth

    moment = c.parse_time(collected_at, "--collected-at")
    bodies: list[tuple[Path, bytes]] = []
    for path in files:
        try:
            body = path.read_bytes()
        except OSError as error:
            raise c.usage(f"cannot read {path}: {error.strerror}", "FILES") from None
        try:
            parse_ground_truth(body, source=str(path)).check()
        except ModelwatchError as error:
            c.print_error(str(error))
            raise typer.Exit(EXIT_ERROR) from None
        bodies.append((path, body))
    uploaded = []
    with c.api(url, token) as api:
        for path, body in bodies:
            views = api.upload_ground_truth(endpoint, body, collected_at=moment)
            uploaded.extend(views)
            if not as_json:
                records = sum(view.records for view in views)
                c.say(f"{path}: {records:,} labels -> {', '.join(view.uri for view in views)}")
    if as_json:
        c.echo_json([c.as_data(view) for view in uploaded])
