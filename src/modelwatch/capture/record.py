"""SageMaker's data-capture record: :func:`build_record` makes the dict, :func:`record_line` its bytes.

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
import calendar
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from modelwatch.capture.config import CaptureMode, DataCaptureConfig

__all__ = ["build_record", "encoding_for", "format_inference_time", "record_line"]

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)  # built once: ~3 µs a record


def format_inference_time(moment: datetime) -> str:
    """``moment`` as SageMaker's ``inferenceTime``: UTC, ``YYYY-MM-DDTHH:MM:SSZ`` (naive = UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _second_text(calendar.timegm(moment.utctimetuple()))


@lru_cache(maxsize=8)
def _second_text(epoch_second: int) -> str:
    """The text of one UTC second; records arrive many to a second, so formatting is mostly cached."""
    return datetime.fromtimestamp(epoch_second, UTC).strftime(_TIME_FORMAT)


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


@lru_cache(maxsize=64)
def _media_types(types: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_media_type(t) for t in types)


def encoding_for(content_type: str | None, csv_types: Iterable[str], json_types: Iterable[str]) -> str:
    """``"CSV"``, ``"JSON"`` or ``"BASE64"`` for ``content_type`` (parameters and case ignored)."""
    if not content_type:
        return "BASE64"
    media = _media_type(content_type)
    if media in _media_types(tuple(csv_types)):
        return "CSV"
    if media in _media_types(tuple(json_types)):
        return "JSON"
    return "BASE64"


def _decode_prefix(body: bytes, truncated: bool) -> str | None:
    """``body`` as UTF-8; when truncated, up to 3 trailing bytes of a cut character are dropped."""
    for cut in range(4 if truncated else 1):
        try:
            return body[: len(body) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def _payload(
    mode: CaptureMode, body: bytes, content_type: str | None, config: DataCaptureConfig
) -> tuple[dict[str, str], bool]:
    truncated = len(body) > config.max_payload_bytes
    if truncated:
        body = body[: config.max_payload_bytes]
    encoding = encoding_for(content_type, config.csv_content_types, config.json_content_types)
    text = _decode_prefix(body, truncated) if encoding != "BASE64" else None
    if text is None:
        encoding, text = "BASE64", base64.b64encode(body).decode("ascii")
    payload: dict[str, str] = {}
    if content_type:
        payload["observedContentType"] = content_type
    payload["mode"] = "INPUT" if mode is CaptureMode.INPUT else "OUTPUT"
    payload["data"] = text
    payload["encoding"] = encoding
    return payload, truncated


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
    """One capture record as a dict in SageMaker's key order (see the module docstring)."""
    capture_data: dict[str, dict[str, str]] = {}
    truncated = False
    sides = (
        ("endpointInput", CaptureMode.INPUT, request_body, request_content_type),
        ("endpointOutput", CaptureMode.OUTPUT, response_body, response_content_type),
    )
    for key, mode, body, content_type in sides:
        if mode in config.capture_modes and body is not None:
            capture_data[key], cut = _payload(mode, bytes(body), content_type, config)
            truncated = truncated or cut
    metadata: dict[str, Any] = {"eventId": event_id or str(uuid.uuid4())}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    metadata["inferenceTime"] = format_inference_time(inference_time or datetime.now(UTC))
    if custom_attributes is not None:
        metadata["customAttributes"] = custom_attributes
    if truncated:
        metadata["truncated"] = True
    return {"captureData": capture_data, "eventMetadata": metadata, "eventVersion": "0"}


def record_line(record: dict[str, Any]) -> bytes:
    """``record`` as one compact, LF-terminated JSON line in UTF-8."""
    return _ENCODER.encode(record).encode("utf-8") + b"\n"
