"""Result files: only allow-listed names are served, read from the owner's ``output_uri``.

A name outside the list is a 404 before any storage is touched, so a path like ``../x`` can never
reach a file; the names themselves hold no separator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from fastapi import Response

from modelwatch.errors import ModelwatchError, NotFoundError, StorageError
from modelwatch.io.storage import exists, join_uri, read_bytes

__all__ = [
    "BASELINE_FILES",
    "EXECUTION_FILES",
    "LOG_FILE",
    "FileNotFound",
    "existing_files",
    "file_response",
    "file_responses",
]

LOG_FILE = "execution.log"
BASELINE_FILES = ("statistics.json", "constraints.json", "analysis.json", LOG_FILE)
EXECUTION_FILES = (
    "statistics.json",
    "constraints.json",
    "constraint_violations.json",
    "drift.json",
    "analysis.json",
    "merge_summary.json",
    "cloudwatch_metrics.jsonl",
    "report.html",
    LOG_FILE,
)

_MEDIA_TYPES = {
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".log": "text/plain; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


class FileNotFound(NotFoundError):
    """A file route names a file that is not served, or not there (yet)."""

    def __init__(self, message: str, name: str) -> None:
        ModelwatchError.__init__(self, message)
        self.kind = "file"
        self.name = name


def _media_type(name: str) -> str:
    return next(media for suffix, media in _MEDIA_TYPES.items() if name.endswith(suffix))


def file_response(owner: str, name: str, allowed: Iterable[str], uri: str | None) -> Response:
    """The file ``name`` of ``owner`` (e.g. "monitoring execution 7") read from ``uri``.

    Raises:
        FileNotFound: ``name`` is not in ``allowed``, or nothing is at ``uri``.
    """
    allowed = tuple(allowed)
    if name not in allowed:
        raise FileNotFound(f"{owner} has no file {name!r}; its files are {', '.join(allowed)}", name)
    if uri is None:
        raise FileNotFound(f"{owner} has no {name} (yet)", name)
    try:
        data = read_bytes(uri)
    except StorageError as error:
        if isinstance(error.__cause__, FileNotFoundError | IsADirectoryError) or not _exists(uri):
            raise FileNotFound(f"{owner} has no {name} (yet): {uri} does not exist", name) from None
        raise
    return Response(data, media_type=_media_type(name))


def _exists(uri: str) -> bool:
    with contextlib.suppress(StorageError):
        return exists(uri)
    return False


def existing_files(output_uri: str, names: Iterable[str]) -> list[str]:
    """Which of ``names`` exist in the folder ``output_uri`` (storage errors count as absent)."""
    return [name for name in names if _exists(join_uri(output_uri, name))]


def file_responses(allowed: Iterable[str]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of a file route's answer."""
    media = sorted({_media_type(name).split(";")[0] for name in allowed})
    content = {m: {"schema": {} if m == "application/json" else {"type": "string"}} for m in media}
    return {200: {"description": f"The file: one of {', '.join(allowed)}.", "content": content}}
