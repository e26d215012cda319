"""The hourly layout that capture, ground truth and batch-transform manifests share:
``{base}/yyyy/mm/dd/HH/{file}``, one folder per UTC hour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from modelwatch.errors import StorageError
from modelwatch.io.storage import filesystem, in_scheme

__all__ = ["hour_files", "hours", "utc"]

_HOUR = timedelta(hours=1)


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive ``datetime`` is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def hours(start: datetime, end: datetime) -> list[datetime]:
    """The starts of the hours that overlap ``[start, end)``."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    found = []
    while hour < end:
        found.append(hour)
        hour += _HOUR
    return found


def _visible(relative: str) -> bool:
    return not any(part.startswith((".", "_")) for part in relative.split("/") if part)


def hour_files(
    base_uri: str, start: datetime, end: datetime, *, keep: Callable[[str], bool] = lambda path: True
) -> list[str]:
    """The files below the hour folders ``{base}/yyyy/mm/dd/HH/`` of the hours that overlap
    ``[start, end)``, hour by hour and then by name, as URIs; hidden files and folders (``.x``, ``_x``)
    and those ``keep`` refuses are left out. Missing folders are skipped.

    Raises:
        StorageError: the storage cannot be listed.
    """
    fs, base = filesystem(base_uri)
    files: list[str] = []
    for hour in hours(utc(start), utc(end)):
        folder = f"{base.rstrip('/')}/{hour:%Y/%m/%d/%H}"
        try:
            found = fs.find(folder, detail=False)
        except FileNotFoundError:
            continue
        except OSError as error:
            raise StorageError(f"cannot list: {error}", uri=in_scheme(base_uri, folder)) from error
        names = sorted(p for p in found if _visible(p[len(folder) :]) and keep(p))
        files.extend(in_scheme(base_uri, p) for p in names)
    return files
