"""User pre- and post-processing scripts: SageMaker's ``record_preprocessor_script`` and
``post_analytics_processor_script`` contract (spec 4.4, 4.5).

These functions run inside a monitoring execution's own subprocess, never in the service, so loading
and running arbitrary user code is what they are for.

A **pre-processing script** defines ``preprocess_handler(inference_record)`` or
``preprocess_handler(inference_record, logger)`` (the ``logging.getLogger("modelwatch.script")`` logger
is passed as ``logger=`` iff the handler has a parameter of that name). It receives:

* for ``sagemakerCaptureJson`` / ``sagemakerMergeJson`` data an :class:`InferenceRecord`; records whose
  ``eventMetadata.invocationSource`` is ``"ShadowExperiment"`` are skipped before the handler;
* for ``csv`` data the raw line (without its newline), for ``json`` (JSON Lines) data the parsed value.

It returns a **flat dict** ``{column: value}`` — one row — or ``[]`` to drop the record. Values may be
``None`` (a null), ``str``, ``int``, ``float`` or ``bool``; they become strings (``true``/``false`` for
booleans) because columns are strings whose types are inferred later, as for CSV datasets. Keys that are
not strings become the strings ``json.dumps`` would make of them (``1`` → ``"1"``). Nested values, values
``json.dumps`` cannot write and any other return value (``None``, a non-empty list, a string, ...) are a
:class:`~modelwatch.errors.ScriptError`, as is an exception in the handler.

**Columns.** Rows are yielded as Arrow batches of string columns, ``batch_rows`` rows at a time, and
every batch of one run has the same columns:

1. the columns are the union of the keys of the rows of the **first batch**, in first-seen order (a row
   without a key of the union gets a null there);
2. once the first batch is yielded the columns are fixed; a later row with a key outside them is a
   :class:`~modelwatch.errors.ScriptError` naming the key and the record (return every key for every
   record, with ``None`` where a value is missing). A later row without some of the keys gets nulls.

(Rows whose dicts have no keys at all wait for the first key; if no row of the run has any key there are
no columns and no batches, and those rows are counted as dropped.)

A **post-processing script** defines ``postprocess_handler()``; it is called once, with no arguments,
after the analysis succeeded, and its return value is ignored.

Error messages name the script, the line of the script where it failed (the deepest frame of the
traceback inside the script) and the exception as ``Type: message``; pre-processing errors also name the
record (its ``eventId``, or the file and line of the batch data).
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import json
import logging
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa

from modelwatch.errors import ConfigurationError, DataError, ScriptError

__all__ = [
    "SCRIPT_LOGGER",
    "CapturePayload",
    "EventMetadata",
    "InferenceRecord",
    "PreprocessCounts",
    "Preprocessor",
    "load_preprocessor",
    "preprocessed_batches",
    "preprocessed_line_batches",
    "run_postprocessor",
]

SCRIPT_LOGGER = "modelwatch.script"
"""The name of the logger handed to handlers that take a ``logger`` parameter."""

SHADOW_EXPERIMENT = "ShadowExperiment"
PREPROCESS_HANDLER = "preprocess_handler"
POSTPROCESS_HANDLER = "postprocess_handler"

# What a user script may raise that becomes a ScriptError (a script calling sys.exit() included).
_USER_ERRORS = (Exception, SystemExit)

_module_numbers = itertools.count(1)
_log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------------
# What preprocess_handler receives for capture and merged records


class CapturePayload:
    """One payload of a record: ``captureData.endpointInput`` / ``endpointOutput`` /
    ``batchTransformOutput`` or the top-level ``groundTruthData``. Attributes are spelled as SageMaker
    spells them (``observedContentType``); ``observed_content_type`` is an alias."""

    __slots__ = ("data", "encoding", "mode", "observedContentType")

    def __init__(self, payload: dict[str, Any]) -> None:
        self.data: str | None = payload.get("data")
        self.encoding: str | None = payload.get("encoding")
        self.observedContentType: str | None = payload.get("observedContentType")
        self.mode: str | None = payload.get("mode")

    @property
    def observed_content_type(self) -> str | None:
        return self.observedContentType

    def __repr__(self) -> str:
        return f"CapturePayload(mode={self.mode!r}, encoding={self.encoding!r}, data={self.data!r})"


class EventMetadata:
    """``eventMetadata`` of a record; ``event_time`` is its ``inferenceTime`` string."""

    __slots__ = ("custom_attribute", "event_id", "event_time", "inference_id", "invocation_source")

    def __init__(self, metadata: dict[str, Any]) -> None:
        self.event_id: str | None = metadata.get("eventId")
        self.event_time: str | None = metadata.get("inferenceTime")
        self.inference_id: str | None = metadata.get("inferenceId")
        self.custom_attribute: list[str] | None = metadata.get("customAttributes")
        self.invocation_source: str | None = metadata.get("invocationSource")

    def __repr__(self) -> str:
        return f"EventMetadata(event_id={self.event_id!r}, event_time={self.event_time!r})"


def _payload(value: Any) -> CapturePayload | None:
    return CapturePayload(value) if isinstance(value, dict) else None


class InferenceRecord:
    """What ``preprocess_handler`` receives for ``sagemakerCaptureJson`` and ``sagemakerMergeJson`` data.

    A payload that the record lacks is ``None``. ``ground_truth`` is the merged record's top-level
    ``groundTruthData``; ``event_dict`` and :meth:`as_dict` give the raw record.
    """

    __slots__ = (
        "batch_transform_output",
        "endpoint_input",
        "endpoint_output",
        "event_dict",
        "event_metadata",
        "event_version",
        "ground_truth",
    )

    def __init__(self, record: dict[str, Any]) -> None:
        capture = record.get("captureData")
        if not isinstance(capture, dict):
            capture = {}
        metadata = record.get("eventMetadata")
        self.event_metadata = EventMetadata(metadata if isinstance(metadata, dict) else {})
        self.endpoint_input = _payload(capture.get("endpointInput"))
        self.endpoint_output = _payload(capture.get("endpointOutput"))
        self.batch_transform_output = _payload(capture.get("batchTransformOutput"))
        self.ground_truth = _payload(record.get("groundTruthData"))
        self.event_version: str | None = record.get("eventVersion")
        self.event_dict: dict[str, Any] = record

    def as_dict(self) -> dict[str, Any]:
        """The raw record."""
        return self.event_dict

    def __repr__(self) -> str:
        return f"InferenceRecord(event_id={self.event_metadata.event_id!r})"


# --------------------------------------------------------------------------------------------------
# Loading a script


def _exception_text(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _script_line(exc: BaseException, filename: str) -> int | None:
    """The line of the deepest traceback frame inside the script (None if no frame is)."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == filename:
            line = lineno
    return line


def _load_module(path: str | Path) -> tuple[ModuleType, str]:
    """Compile and run the script as a fresh module; returns it and the file name its code carries."""
    script = str(path)
    source_path = Path(path)
    try:
        source = source_path.read_bytes()
    except OSError as exc:
        raise ScriptError(f"cannot be read: {exc.strerror or exc}", script=script) from exc
    filename = str(source_path.resolve())
    stem = re.sub(r"\W", "_", source_path.stem)
    name = f"_modelwatch_script_{next(_module_numbers)}_{stem}"
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise ScriptError(
            f"cannot be loaded: SyntaxError: {exc.msg}", script=script, line=exc.lineno
        ) from exc
    except ValueError as exc:  # e.g. a null byte in the source
        raise ScriptError(f"cannot be loaded: {_exception_text(exc)}", script=script) from exc
    spec = importlib.util.spec_from_loader(name, loader=None, origin=filename)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__file__ = filename
    sys.modules[name] = module  # so that dataclasses, pickle and the like work inside the script
    try:
        exec(code, module.__dict__)
    except _USER_ERRORS as exc:
        sys.modules.pop(name, None)
        raise ScriptError(
            f"cannot be loaded: {_exception_text(exc)}", script=script, line=_script_line(exc, filename)
        ) from exc
    return module, filename


def _handler_line(handler: Callable[..., Any], filename: str) -> int | None:
    code = getattr(handler, "__code__", None)
    return code.co_firstlineno if code is not None and code.co_filename == filename else None


def _handler(module: ModuleType, name: str, form: str, script: str) -> Callable[..., Any]:
    handler = getattr(module, name, None)
    if not callable(handler):
        raise ScriptError(f"defines no {form}", script=script)
    return handler


def _signature(handler: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return inspect.signature(handler)
    except (TypeError, ValueError):  # some builtins have none; call them as they are
        return None


# --------------------------------------------------------------------------------------------------
# Pre-processing


class _Failure(Exception):
    """A pre-processing failure before the record it happened on is known to the message."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _key(key: Any) -> str:
    if isinstance(key, str):
        return str(key)
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)  # what json.dumps makes of a non-string key: 1 → "1", True → "true"
    raise _Failure(
        f"preprocess_handler returned a key of type {type(key).__name__} ({key!r}); column names must "
        "be strings",
        None,
    )


def _cell(key: Any, value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, (dict, list, tuple)):
        message = f"preprocess_handler returned a nested value for key {key!r}; return a flat dict"
        raise _Failure(message, None)
    raise _Failure(
        f"preprocess_handler returned a value of type {type(value).__name__} for key {key!r}, which "
        "json.dumps cannot write; return str, int, float, bool or None",
        None,
    )


@dataclass(frozen=True)
class Preprocessor:
    """A loaded ``preprocess_handler``. Calling it with one argument (an :class:`InferenceRecord`, a CSV
    line or a parsed JSON value) gives the row as ``{column: string or None}``, or ``None`` when the
    handler dropped the record by returning ``[]``. ``where`` names the record in error messages."""

    script: str
    handler: Callable[..., Any] = field(repr=False)
    takes_logger: bool = False
    filename: str = field(default="", repr=False)  # the resolved path that the script's code carries
    _call: Callable[[Any], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        call = self.handler
        if self.takes_logger:
            call = partial(call, logger=logging.getLogger(SCRIPT_LOGGER))
        object.__setattr__(self, "_call", call)

    def __call__(self, argument: Any, *, where: str | None = None) -> dict[str, str | None] | None:
        try:
            return self._row(argument)
        except _Failure as failure:
            if where is None and isinstance(argument, InferenceRecord):
                where = _record_where(argument.event_dict, None)
            raise self._error(failure, where) from failure.__cause__

    def _row(self, argument: Any) -> dict[str, str | None] | None:
        try:
            result = self._call(argument)
        except _USER_ERRORS as exc:
            raise _Failure(
                f"There is an exception raised in preprocessor script: {_exception_text(exc)}",
                _script_line(exc, self.filename),
            ) from exc
        if isinstance(result, dict):
            try:
                return {
                    (key if type(key) is str else _key(key)): (
                        value if value is None or type(value) is str else _cell(key, value)
                    )
                    for key, value in result.items()
                }
            except _Failure as failure:
                failure.line = _handler_line(self.handler, self.filename)
                raise
        if isinstance(result, list) and not result:
            return None
        raise _Failure(
            f"preprocess_handler returned {type(result).__name__}; expected a flat dict or [] to drop "
            "the record",
            _handler_line(self.handler, self.filename),
        )

    def _error(self, failure: _Failure, where: str | None) -> ScriptError:
        message = f"{failure.message} (at {where})" if where else failure.message
        return ScriptError(message, script=self.script, line=failure.line)


def load_preprocessor(path: str | Path) -> Preprocessor:
    """Load a pre-processing script as a fresh module and bind its ``preprocess_handler``.

    Raises :class:`ScriptError` when the script cannot be read or compiled, raises while it is
    imported, defines no handler, or has a handler that cannot take one record argument.
    """
    script = str(path)
    module, filename = _load_module(path)
    handler = _handler(module, PREPROCESS_HANDLER, "preprocess_handler(inference_record[, logger])", script)
    signature = _signature(handler)
    takes_logger = signature is not None and "logger" in signature.parameters
    if signature is not None:
        try:
            signature.bind(None, **({"logger": None} if takes_logger else {}))
        except TypeError as exc:
            raise ScriptError(
                f"preprocess_handler{signature} cannot be called as "
                f"preprocess_handler(inference_record{', logger=logger' if takes_logger else ''}): {exc}",
                script=script,
                line=_handler_line(handler, filename),
            ) from exc
    return Preprocessor(script, handler, takes_logger, filename)


@dataclass
class PreprocessCounts:
    """What :func:`preprocessed_batches` / :func:`preprocessed_line_batches` saw, filled in while they
    run. ``records`` counts every record or line read, so at the end
    ``records == rows + dropped + shadow_skipped``."""

    records: int = 0
    rows: int = 0  # rows yielded in batches
    dropped: int = 0  # records the handler dropped by returning []
    shadow_skipped: int = 0  # capture records of shadow-variant traffic, never given to the handler


class _Rows:
    """Rows waiting to become a batch, and the columns (see the module docstring)."""

    def __init__(self, batch_rows: int) -> None:
        if batch_rows < 1:
            raise ConfigurationError(f"batch_rows must be at least 1, got {batch_rows}")
        self.batch_rows = batch_rows
        self.names: dict[str, None] = {}  # the columns in first-seen order
        self.fixed = False
        self.pending: list[dict[str, str | None]] = []

    def add(self, row: dict[str, str | None]) -> bool:
        """Add a row; True when a batch is ready."""
        names = self.names
        if not row.keys() <= names.keys():
            if self.fixed:
                new = [key for key in row if key not in names]
                shown = ", ".join(repr(name) for name in itertools.islice(names, 8))
                more = ", ..." if len(names) > 8 else ""
                raise _Failure(
                    f"preprocess_handler returned new key(s) {', '.join(map(repr, new))} after the "
                    f"columns were fixed by the first batch of rows ({len(names)} columns: {shown}{more}); "
                    "return every key for every record, with None where a value is missing",
                    None,
                )
            names.update(dict.fromkeys(row))
        self.pending.append(row)
        return len(self.pending) >= self.batch_rows and bool(names)

    def flush(self, counts: PreprocessCounts) -> Iterator[pa.RecordBatch]:
        if not self.names:
            return
        self.fixed = True
        names = list(self.names)
        pending, self.pending = self.pending, []
        for start in range(0, len(pending), self.batch_rows):
            chunk = pending if len(pending) <= self.batch_rows else pending[start : start + self.batch_rows]
            columns = [pa.array([row.get(name) for row in chunk], pa.string()) for name in names]
            yield pa.RecordBatch.from_arrays(columns, names=names)
            counts.rows += len(chunk)

    def finish(self, counts: PreprocessCounts) -> Iterator[pa.RecordBatch]:
        yield from self.flush(counts)
        counts.dropped += len(self.pending)  # rows without any key in a run without any column
        self.pending = []


def _batches(
    preprocess: Preprocessor,
    items: Iterable[tuple[Any, Any]],
    describe: Callable[[Any], str],
    batch_rows: int,
    counts: PreprocessCounts,
) -> Iterator[pa.RecordBatch]:
    rows = _Rows(batch_rows)
    to_row = preprocess._row
    for argument, context in items:
        try:
            row = to_row(argument)
            if row is None:
                counts.dropped += 1
                continue
            ready = rows.add(row)
        except _Failure as failure:
            raise preprocess._error(failure, describe(context)) from failure.__cause__
        if ready:
            yield from rows.flush(counts)
    yield from rows.finish(counts)


def _record_where(record: dict[str, Any], number: int | None) -> str:
    metadata = record.get("eventMetadata")
    event_id = metadata.get("eventId") if isinstance(metadata, dict) else None
    if event_id is not None:
        return f"record eventId {event_id!r}"
    return f"record {number} (no eventId)" if number is not None else "a record without eventId"


def _describe_record(context: tuple[dict[str, Any], int]) -> str:
    return _record_where(*context)


def _capture_items(
    records: Iterable[dict[str, Any]], counts: PreprocessCounts
) -> Iterator[tuple[InferenceRecord, tuple[dict[str, Any], int]]]:
    for number, record in enumerate(records, 1):
        counts.records += 1
        if not isinstance(record, dict):
            raise DataError(f"capture record {number} is a JSON {type(record).__name__}, not an object")
        metadata = record.get("eventMetadata")
        if isinstance(metadata, dict) and metadata.get("invocationSource") == SHADOW_EXPERIMENT:
            counts.shadow_skipped += 1
            continue
        yield InferenceRecord(record), (record, number)


def preprocessed_batches(
    records: Iterable[dict[str, Any]],
    preprocess: Preprocessor,
    *,
    batch_rows: int = 65_536,
    counts: PreprocessCounts | None = None,
) -> Iterator[pa.RecordBatch]:
    """Arrow batches of string columns made by ``preprocess`` from capture or merged records.

    Shadow-experiment records are skipped before the handler; the others reach it as
    :class:`InferenceRecord`. Columns follow the rule of the module docstring.
    """
    counts = counts if counts is not None else PreprocessCounts()
    yield from _batches(preprocess, _capture_items(records, counts), _describe_record, batch_rows, counts)


def _describe_line(context: tuple[str, int]) -> str:
    return f"{context[0]}, line {context[1]}"


def _line_items(
    lines: Iterable[tuple[str, int, Any]], counts: PreprocessCounts
) -> Iterator[tuple[Any, tuple[str, int]]]:
    for file, line, value in lines:
        counts.records += 1
        yield value, (file, line)


def preprocessed_line_batches(
    lines: Iterable[tuple[str, int, str | object]],
    preprocess: Preprocessor,
    *,
    batch_rows: int = 65_536,
    counts: PreprocessCounts | None = None,
) -> Iterator[pa.RecordBatch]:
    """Arrow batches of string columns made by ``preprocess`` from batch data.

    ``lines`` gives ``(file, line number, value)``: the raw line (without its newline) for CSV data, the
    parsed value for JSON Lines. The handler receives the value; columns follow the module docstring.
    """
    counts = counts if counts is not None else PreprocessCounts()
    yield from _batches(preprocess, _line_items(lines, counts), _describe_line, batch_rows, counts)


# --------------------------------------------------------------------------------------------------
# Post-processing


def run_postprocessor(path: str | Path, logger: logging.Logger | None = None) -> None:
    """Load a post-processing script and call its ``postprocess_handler()`` once, with no arguments.

    Raises :class:`ScriptError` when the script does not load, defines no handler, has a handler that
    needs arguments, or the handler raises.
    """
    log = logger if logger is not None else _log
    script = str(path)
    module, filename = _load_module(path)
    handler = _handler(module, POSTPROCESS_HANDLER, "postprocess_handler()", script)
    signature = _signature(handler)
    if signature is not None:
        try:
            signature.bind()
        except TypeError as exc:
            raise ScriptError(
                f"postprocess_handler{signature} cannot be called with no arguments: {exc}",
                script=script,
                line=_handler_line(handler, filename),
            ) from exc
    log.info("running postprocess_handler() of %s", script)
    try:
        handler()
    except _USER_ERRORS as exc:
        raise ScriptError(
            f"There is an exception raised in postprocessor script: {_exception_text(exc)}",
            script=script,
            line=_script_line(exc, filename),
        ) from exc
    log.info("postprocess_handler() of %s finished", script)
