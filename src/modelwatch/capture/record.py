"""SageMaker's data-capture record: :func:`capture_line` writes one as its bytes, :func:`build_record`
gives it as a dict, :func:`record_line` turns a dict back into a line.

A line is compact JSON (``separators=(",", ":")``, ``ensure_ascii=False``), LF-terminated, with
SageMaker's key order::

    {"captureData":{"endpointInput":{"observedContentType":…,"mode":"INPUT","data":…,"encoding":…},
                    "endpointOutput":{…,"mode":"OUTPUT",…}},
     "eventMetadata":{"eventId":…,"inferenceId":…,"inferenceTime":"YYYY-MM-DDTHH:MM:SSZ",
                      "customAttributes":…,"truncated":true},
     "eventVersion":"0"}

Choices where SageMaker is undocumented (documented in ``docs/compatibility.md``):

* **Encoding.** The content type without its parameters (``text/csv; charset=utf-8`` → ``text/csv``),
  compared case-insensitively with the configured CSV types gives ``CSV``, with the JSON types
  ``JSON``; anything else ``BASE64`` (base64 of the raw bytes). A CSV/JSON body that is not valid UTF-8
  is recorded as ``BASE64``. ``observedContentType`` is the header verbatim.
* **No content type.** A missing or empty content type gives ``BASE64`` and the key
  ``observedContentType`` is left out.
* **No body.** A body of ``None`` (e.g. no response because the model failed) leaves that payload object
  out, as does a mode that is not in ``capture_modes``.
* **Truncation.** A body over ``max_payload_bytes`` is cut to its first ``max_payload_bytes`` bytes
  (for CSV/JSON, back to the last whole UTF-8 character) and then encoded as usual, and
  ``eventMetadata`` gets ``"truncated":true`` after its other keys. The key is absent otherwise.
* **customAttributes** is the ``X-Amzn-SageMaker-Custom-Attributes`` header as one string, verbatim
  (the InvokeEndpoint API's type), placed after ``inferenceTime``; absent when not given.
* **inferenceTime** is the given time in UTC (a naive ``datetime`` is taken as UTC), second precision.
"""

from __future__ import annotations

import base64
import json
import math
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any

from modelwatch.capture.config import CaptureMode, DataCaptureConfig

__all__ = ["build_record", "capture_line", "encoding_for", "format_inference_time", "record_line"]

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# A JSON string literal with json.dumps(ensure_ascii=False)'s escapes (the C function it calls).
_quote: Any = encode_basestring


def format_inference_time(moment: datetime) -> str:
    """``moment`` as SageMaker's ``inferenceTime``: UTC, ``YYYY-MM-DDTHH:MM:SSZ`` (naive = UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _second_text(math.floor(moment.timestamp()))


@lru_cache(maxsize=8)
def _second_text(epoch_second: int) -> str:
    """The text of one UTC second; records arrive many to a second, so formatting is mostly cached."""
    return datetime.fromtimestamp(epoch_second, UTC).strftime(_TIME_FORMAT)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


@lru_cache(maxsize=64)
def _media_types(types: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_media_type(t) for t in types)


@lru_cache(maxsize=256)
def _encoding(content_type: str, csv_types: tuple[str, ...], json_types: tuple[str, ...]) -> str:
    media = _media_type(content_type)
    if media in _media_types(csv_types):
        return "CSV"
    if media in _media_types(json_types):
        return "JSON"
    return "BASE64"


def encoding_for(content_type: str | None, csv_types: Iterable[str], json_types: Iterable[str]) -> str:
    """``"CSV"``, ``"JSON"`` or ``"BASE64"`` for ``content_type`` (parameters and case ignored)."""
    if not content_type:
        return "BASE64"
    return _encoding(content_type, tuple(csv_types), tuple(json_types))


def _decode_prefix(body: bytes, truncated: bool) -> str | None:
    """``body`` as UTF-8; when truncated, up to 3 trailing bytes of a cut character are dropped."""
    for cut in range(4 if truncated else 1):
        try:
            return body[: len(body) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def _payload(mode: str, body: bytes, content_type: str | None, config: DataCaptureConfig) -> tuple[str, bool]:
    """One payload object as JSON text (``mode`` is ``INPUT`` or ``OUTPUT``) and whether it was cut."""
    truncated = len(body) > config.max_payload_bytes
    if truncated:
        body = body[: config.max_payload_bytes]
    encoding = (
        _encoding(content_type, config.csv_content_types, config.json_content_types)
        if content_type
        else "BASE64"
    )
    text = _decode_prefix(body, truncated) if encoding != "BASE64" else None
    if text is None:
        encoding, text = "BASE64", base64.b64encode(body).decode("ascii")
    head = f'{{"observedContentType":{_quote(content_type)},' if content_type else "{"
    return f'{head}"mode":"{mode}","data":{_quote(text)},"encoding":"{encoding}"}}', truncated


_VARIANT = {f"{n:x}": f"{8 | n & 3:x}" for n in range(16)}  # RFC 4122 variant bits 10xx


def _uuid4() -> str:
    """A random (version 4) UUID as text, like ``str(uuid.uuid4())`` in a third of its time."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def capture_line(
    config: DataCaptureConfig,
    *,
    request_body: bytes | None,
    request_content_type: str | None,
    response_body: bytes | None,
    response_content_type: str | None,
    inference_id: str | None = None,
    custom_attributes: str | None = None,
    inference_time: datetime | None = None,
    event_id: str | None = None,
) -> tuple[bytes, bool]:
    """One capture record as its compact, LF-terminated JSON line in UTF-8 (see the module docstring),
    and whether a payload was truncated. Built as text, the same bytes as ``json.dumps`` of
    :func:`build_record`'s dict, in a few microseconds."""
    sides: list[str] = []
    truncated = False
    if request_body is not None and CaptureMode.INPUT in config.capture_modes:
        text, truncated = _payload("INPUT", bytes(request_body), request_content_type, config)
        sides.append('"endpointInput":' + text)
    if response_body is not None and CaptureMode.OUTPUT in config.capture_modes:
        text, cut = _payload("OUTPUT", bytes(response_body), response_content_type, config)
        sides.append('"endpointOutput":' + text)
        truncated = truncated or cut
    metadata = '"eventId":' + (_quote(event_id) if event_id else f'"{_uuid4()}"')
    if inference_id is not None:
        metadata += ',"inferenceId":' + _quote(inference_id)
    metadata += f',"inferenceTime":"{format_inference_time(inference_time or datetime.now(UTC))}"'
    if custom_attributes is not None:
        metadata += ',"customAttributes":' + _quote(custom_attributes)
    if truncated:
        metadata += ',"truncated":true'
    line = f'{{"captureData":{{{",".join(sides)}}},"eventMetadata":{{{metadata}}},"eventVersion":"0"}}\n'
    return line.encode("utf-8"), truncated


def build_record(
    config: DataCaptureConfig,
    *,
    request_body: bytes | None,
    request_content_type: str | None,
    response_body: bytes | None,
    response_content_type: str | None,
    inference_id: str | None = None,
    custom_attributes: str | None = None,
    inference_time: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """One capture record as a dict in SageMaker's key order: :func:`capture_line`, parsed."""
    line, _ = capture_line(
        config,
        request_body=request_body,
        request_content_type=request_content_type,
        response_body=response_body,
        response_content_type=response_content_type,
        inference_id=inference_id,
        custom_attributes=custom_attributes,
        inference_time=inference_time,
        event_id=event_id,
    )
    record: dict[str, Any] = json.loads(line)
    return record


def record_line(record: dict[str, Any]) -> bytes:
    """``record`` as one compact, LF-terminated JSON line in UTF-8."""
    return _ENCODER.encode(record).encode("utf-8") + b"\n"
