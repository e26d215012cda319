"""What the client commands share: options, parsing, printing, the API connection, exit codes."""

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
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from modelwatch.service.schemas import (
    Page,
)
from modelwatch.terminal import console

if TYPE_CHECKING:
    from modelwatch.client import ApiError, Client

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

POLL_SECONDS = 1.0
"""How often ``--wait`` asks the server whether a job has finished."""

DEFAULT_CRON = "cron(0 * ? * * *)"

out = console()
err = console(stderr=True)
M = TypeVar("M", bound=BaseModel)

SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}
"""Context settings of every sub-app: ``-h`` works like ``--help``."""


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


StartOption = Annotated[
    str | None, typer.Option("--start", help="Window start, ISO 8601 (UTC unless a zone is given).")
]
EndOption = Annotated[str | None, typer.Option("--end", help="Window end, ISO 8601 (default: now).")]
LastOption = Annotated[
    str | None, typer.Option("--last", help="Window of this length ending at --end: 30m, 1h, 2d.")
]


def usage(message: str, option: str | None = None) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint=option)


def say(message: str) -> None:
    """One line of output, printed as it is (no markup, no wrapping: scripts may read it)."""
    out.print(message, highlight=False, markup=False, soft_wrap=True)


def print_error(message: str) -> None:
    err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True)


def print_note(message: str) -> None:
    err.print(Text(message), soft_wrap=True)


def print_api_error(error: ApiError) -> None:
    print_error(error.message)
    for field in error.fields:
        print_note(f"  {field.field}: {field.message}")
    if error.status == 401:
        print_note("  hint: pass --token or set MODELWATCH_TOKEN")
    elif error.unreachable:
        print_note("  hint: is `modelwatch server` running? set --url or MODELWATCH_URL")


@contextmanager
def api(url: str | None, token: str | None) -> Iterator[Client]:
    from modelwatch.client import ApiError, Client

    try:
        with Client(url, token) as client:
            yield client
    except ApiError as error:
        print_api_error(error)
        raise typer.Exit(EXIT_UNREACHABLE if error.unreachable else EXIT_ERROR) from None
    except PydanticValidationError as error:  # an answer of another API version
        print_error(f"unexpected answer from the server: {error}")
        raise typer.Exit(EXIT_ERROR) from None


# -- input helpers --------------------------------------------------------------------------------


def absolute(uri: str | None) -> str | None:
    """A relative local path made absolute (the server does not share our working folder); URIs as given."""
    if uri is None or "://" in uri or Path(uri).is_absolute():
        return uri
    return str(Path(uri).resolve())


def field_errors(error: PydanticValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors())


def validated(model: type[M], data: Any, option: str | None = None) -> M:
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        raise usage(field_errors(error), option) from None


def read_spec(model: type[M], path: Path) -> M:
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise usage(f"cannot read {path}: {error.strerror}", "--file") from None
    except ValueError as error:
        raise usage(f"{path} is not JSON: {error}", "--file") from None
    return validated(model, data, "--file")


def parse_time(text: str | None, option: str) -> datetime | None:
    """ISO 8601 (``2026-06-01T10:00``, ``...Z``, ``+02:00``) or ``now``; no zone means UTC."""
    if text is None:
        return None
    if text.strip().lower() == "now":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise usage(f"expected an ISO 8601 time like 2026-06-01T10:00:00Z; got {text!r}", option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str, option: str = "--last") -> timedelta:
    """``90m``, ``1h``, ``1h30m``, ``2d``: a positive duration."""
    parts = re.findall(r"(\d+(?:\.\d+)?)([smhdw])", text.strip().lower())
    if not parts or "".join(n + u for n, u in parts) != text.strip().lower():
        raise usage(f"expected a duration like 30m, 1h, 1h30m or 2d; got {text!r}", option)
    value = sum((timedelta(**{_UNITS[unit]: float(n)}) for n, unit in parts), timedelta())
    if value <= timedelta():
        raise usage(f"must be positive; got {text!r}", option)
    return value


def parse_window(
    start: str | None, end: str | None, last: str | None, default_last: str | None
) -> tuple[datetime | None, datetime | None]:
    if last and start:
        raise usage("give --last or --start, not both", "--last")
    until = parse_time(end, "--end")
    since = parse_time(start, "--start")
    span = last or (None if since else default_last)
    if span:
        until = until or datetime.now(UTC).replace(microsecond=0)
        since = until - parse_duration(span)
    elif since and not until and default_last:
        until = datetime.now(UTC).replace(microsecond=0)
    return since, until


# -- output helpers -------------------------------------------------------------------------------


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def as_data(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def format_cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return (moment.astimezone(UTC) if moment.tzinfo else moment).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list):
        return ", ".join(format_cell(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def get_path(data: Mapping[str, Any], key: str) -> Any:
    value: Any = data
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            yield from flatten(value, f"{prefix}{key}.")
        elif value not in (None, {}, []):
            yield f"{prefix}{key}", value


_WHOLE = frozenset({"name", "schedule_name", "status"})
"""Table columns never folded (the first one neither): what people scan for."""


def print_table(title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    cells = [[format_cell(get_path(row, key)) for _, key in columns] for row in rows]
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for index, (header, key) in enumerate(columns):
        whole = index == 0 or key in _WHOLE
        widest = max((len(line[index]) for line in cells), default=0)
        table.add_column(header, overflow="fold", min_width=widest if whole else None)
    for line in cells:
        table.add_row(*(Text(cell) for cell in line))
    out.print(table)


def print_panel(title: str, data: Mapping[str, Any]) -> None:
    rows = list(flatten(data))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True, min_width=max((len(key) for key, _ in rows), default=1))
    grid.add_column(overflow="fold")
    for key, value in rows:
        grid.add_row(key, Text(format_cell(value)))
    out.print(Panel(grid, title=title, title_align="left", expand=False))


def show(title: str, model: BaseModel, as_json: bool) -> None:
    if as_json:
        echo_json(as_data(model))
    else:
        print_panel(title, as_data(model))


def listing(
    fetch: Callable[..., Page[Any]],
    filters: Mapping[str, Any],
    paging: tuple[int | None, str | None, bool],
    *,
    title: str,
    columns: Sequence[tuple[str, str]],
    as_json: bool,
    shown: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """One page (or with ``--all`` every page) of a listing as a table, or as JSON for ``--json``;
    ``shown`` derives a table row from an item's data (the JSON stays the server's)."""
    from modelwatch.client import iterate

    max_results, next_token, every = paging
    if every:
        items, token = list(iterate(fetch, **filters, max_results=max_results)), None
    else:
        page = fetch(**filters, max_results=max_results, next_token=next_token)
        items, token = page.items, page.next_token
    rows = [as_data(item) for item in items]
    if as_json:
        echo_json({"items": rows, "next_token": token})
        return
    print_table(title, [shown(row) for row in rows] if shown else rows, columns)
    if token:
        print_note(f"more: --next-token {token} (or --all)")


def download(fetch: Callable[[str], bytes], files: Sequence[str], output: str) -> None:
    if output == "-":
        if len(files) != 1:
            raise usage("name exactly one FILE to write it to stdout", "--output")
        typer.echo(fetch(files[0]), nl=False)
        return
    for name in files:
        if name in ("", ".", "..") or Path(name).name != name:
            raise usage(f"{name!r} is not a file name", "FILES")
    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        data = fetch(name)
        (folder / name).write_bytes(data)
        say(f"{folder / name} ({len(data):,} bytes)")


def wait_for(describe: Callable[[], M], finished: Callable[[M], bool], label: str) -> M:
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


ChannelOption = Annotated[
    list[str] | None,
    typer.Option("--channel", help="A notification channel, repeatable.", show_default=False),
]
ReminderOption = Annotated[
    str | None, typer.Option("--reminder", help="Remind every so long while alerting: 30m, 4h, 1d.")
]
NoReminderOption = Annotated[bool, typer.Option("--no-reminder", help="Send no reminders.")]


def seconds(text: str | None, option: str) -> int | None:
    """A duration option (30m, 4h, 1d) in whole seconds; None when not given."""
    return None if text is None else int(parse_duration(text, option).total_seconds())
