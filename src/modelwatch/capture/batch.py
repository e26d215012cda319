"""Batch-transform capture: SageMaker's input/output manifests and ``GenerateInferenceId``.

:func:`capture_batch` records one transform run as SageMaker's ``BatchDataCaptureConfig`` does: two
manifests, not copies of the data::

    {destination}/input/yyyy/mm/dd/HH/{endpoint_or_job}.manifest
    {destination}/output/yyyy/mm/dd/HH/{endpoint_or_job}.manifest

``yyyy/mm/dd/HH`` is the UTC hour of the job start. A manifest is a compact JSON array: first
``{"prefix": "<input or output folder>/"}``, then the keys of the files under it, relative to the
prefix, sorted (hidden files such as ``_SUCCESS`` left out). The file name ``{job}.manifest`` is our
choice (SageMaker's name is undocumented); a re-run of the same job name replaces its manifests.

:func:`add_inference_ids` applies ``GenerateInferenceId`` to transform output, streaming line by line:
CSV lines get two trailing columns, a random UUID4 and the job start time ``YYYY-MM-DDTHH:MM:SSZ``;
each JSON / JSON Lines line that is an object gets the keys ``SageMakerInferenceId`` and
``SageMakerInferenceTime`` after its own; a line holding another JSON value ``v`` becomes
``{"SageMakerOutput":v,"SageMakerInferenceId":…,"SageMakerInferenceTime":…}`` (our choice). Blank lines
and line endings are kept. JSON output must hold one document per line (a pretty-printed document is a
:class:`~modelwatch.errors.DataError` naming the file and line).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO, Literal

from modelwatch.capture.record import format_inference_time
from modelwatch.errors import ConfigurationError, DataError, StorageError
from modelwatch.io.storage import (
    atomic_local_file,
    filesystem,
    is_local,
    join_uri,
    list_files,
    local_path,
    open_input,
    write_text,
)

__all__ = ["BatchCaptureResult", "TransformContentType", "add_inference_ids", "capture_batch"]

TransformContentType = Literal["text/csv", "application/json", "application/jsonlines"]
_CONTENT_TYPES = ("text/csv", "application/json", "application/jsonlines")
_JOB_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


@dataclass(frozen=True)
class BatchCaptureResult:
    """What :func:`capture_batch` wrote."""

    input_manifest_uri: str
    output_manifest_uri: str
    input_files: int
    output_files: int
    tagged_records: int  # output records given an inference id (0 without generate_inference_id)
    job_start: datetime


def _normalize(uri: str) -> str:
    """``uri`` without a trailing slash; local paths made absolute (``file://`` kept)."""
    if is_local(uri):
        path = os.path.abspath(local_path(uri))
        return f"file://{path}" if uri.startswith("file://") else path
    return uri.rstrip("/")


def _manifest(uri: str) -> tuple[list[object], list[str]]:
    """The manifest of the folder or file ``uri`` and the files it lists."""
    base = _normalize(uri)
    files = [_normalize(f) for f in list_files(uri)]
    prefix = base.rsplit("/", 1)[0] if files == [base] else base
    keys = [f[len(prefix) + 1 :] for f in files]
    return [{"prefix": prefix + "/"}, *keys], files


def capture_batch(
    input_uri: str,
    output_uri: str,
    destination_uri: str,
    *,
    endpoint_or_job: str,
    content_type: TransformContentType,
    generate_inference_id: bool = False,
    job_start: datetime | None = None,
) -> BatchCaptureResult:
    """Write the input and output manifests of a transform run (see the module docstring).

    With ``generate_inference_id`` the output files are first rewritten in place by
    :func:`add_inference_ids`. ``job_start`` defaults to now; a naive time is taken as UTC.

    Raises:
        ConfigurationError: a bad job name or content type.
        StorageError: the input or output does not exist, or a manifest cannot be written.
        DataError: a JSON output line is not valid JSON (with ``generate_inference_id``).
    """
    if not _JOB_NAME.match(endpoint_or_job):
        raise ConfigurationError(
            f"endpoint_or_job must be a SageMaker name (letters, digits, '-', ≤63); got {endpoint_or_job!r}"
        )
    if content_type not in _CONTENT_TYPES:
        raise ConfigurationError(
            f"content_type must be one of {', '.join(_CONTENT_TYPES)}; got {content_type!r}"
        )
    start = job_start or datetime.now(UTC)
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    start = start.replace(microsecond=0)
    input_manifest, input_files = _manifest(input_uri)
    output_manifest, output_files = _manifest(output_uri)
    tagged = 0
    if generate_inference_id:
        for file in output_files:
            tagged += add_inference_ids(file, file, content_type=content_type, job_start=start)
    name = f"{endpoint_or_job}.manifest"
    hour = f"{start:%Y/%m/%d/%H}"
    input_target = join_uri(destination_uri, "input", hour, name)
    output_target = join_uri(destination_uri, "output", hour, name)
    write_text(input_target, json.dumps(input_manifest, separators=(",", ":"), ensure_ascii=False))
    write_text(output_target, json.dumps(output_manifest, separators=(",", ":"), ensure_ascii=False))
    return BatchCaptureResult(input_target, output_target, len(input_files), len(output_files), tagged, start)


@contextlib.contextmanager
def _atomic_output(uri: str) -> Iterator[BinaryIO]:
    """A binary file whose content replaces ``uri`` when the block ends without an error."""
    try:
        if is_local(uri):
            with atomic_local_file(os.path.abspath(local_path(uri))) as out:
                yield out
        else:
            fs, path = filesystem(uri)
            with tempfile.NamedTemporaryFile(suffix=".out") as out:
                yield out  # type: ignore[misc]  # a temporary file opened "w+b" is a BinaryIO
                out.flush()
                fs.put_file(out.name, path)
    except (StorageError, DataError):
        raise
    except OSError as error:
        raise StorageError(f"cannot write: {error.strerror or error}", uri=uri) from error


def _split_ending(line: bytes) -> tuple[bytes, bytes]:
    if line.endswith(b"\r\n"):
        return line[:-2], b"\r\n"
    if line.endswith(b"\n"):
        return line[:-1], b"\n"
    return line, b""


def add_inference_ids(
    source_uri: str,
    target_uri: str,
    *,
    content_type: TransformContentType,
    job_start: datetime,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> int:
    """Copy transform output ``source_uri`` to ``target_uri`` (may be the same) with inference ids.

    Returns the number of records tagged. See the module docstring for the format.

    Raises:
        DataError: a JSON line is not valid JSON (names the file and line).
        StorageError: the source cannot be read or the target written.
    """
    when = format_inference_time(job_start)
    csv = content_type == "text/csv"
    tagged = 0
    with open_input(source_uri) as source, _atomic_output(target_uri) as target:
        for number, line in enumerate(source, start=1):
            body, ending = _split_ending(line)
            if not body.strip():
                target.write(line)
                continue
            if csv:
                target.write(body + f",{new_id()},{when}".encode() + ending)
            else:
                try:
                    value = json.loads(body)
                except (ValueError, UnicodeDecodeError) as error:
                    raise DataError(f"not valid JSON: {error}", file=source_uri, line=number) from error
                obj = value if isinstance(value, dict) else {"SageMakerOutput": value}
                obj["SageMakerInferenceId"] = new_id()
                obj["SageMakerInferenceTime"] = when
                target.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + ending)
            tagged += 1
    return tagged
