"""What to capture and where: :class:`DataCaptureConfig`, SageMaker's ``DataCaptureConfig`` for our writer.

:meth:`DataCaptureConfig.from_sagemaker` reads the dict of ``CreateEndpointConfig`` (``EnableCapture``,
``InitialSamplingPercentage``, ``DestinationS3Uri``, ``CaptureOptions``, ``CaptureContentTypeHeader``).
As in SageMaker, a dict without ``CaptureContentTypeHeader`` captures every payload base64-encoded, and
``InputAndOutput`` means both modes. ``KmsKeyId`` is accepted and ignored.

Every invalid value is a :class:`~modelwatch.errors.ConfigurationError` whose message names the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from modelwatch.errors import ConfigurationError

__all__ = ["CaptureMode", "DataCaptureConfig"]


class CaptureMode(StrEnum):
    """Which side of an invocation is captured (SageMaker's ``CaptureMode``)."""

    INPUT = "Input"
    OUTPUT = "Output"


_BOTH = frozenset({CaptureMode.INPUT, CaptureMode.OUTPUT})

# SageMaker's API values, plus the Python SDK's REQUEST / RESPONSE spelling.
_MODE_NAMES: dict[str, frozenset[CaptureMode]] = {
    "input": frozenset({CaptureMode.INPUT}),
    "request": frozenset({CaptureMode.INPUT}),
    "output": frozenset({CaptureMode.OUTPUT}),
    "response": frozenset({CaptureMode.OUTPUT}),
    "inputandoutput": _BOTH,
}


def _content_types(header: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = header.get(key, ())
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(
            f"DataCaptureConfig.CaptureContentTypeHeader.{key} must be a list of content types; got {value!r}"
        )
    return tuple(value)


def _require(condition: bool, name: str, expected: str, value: object) -> None:
    if not condition:
        raise ConfigurationError(f"DataCaptureConfig.{name} must be {expected}; got {value!r}")


@dataclass(frozen=True)
class DataCaptureConfig:
    """Settings of one capture writer (see the fields' comments; validated on construction)."""

    destination_uri: str  # local folder or s3://bucket/prefix: root of the capture tree
    enable_capture: bool = True
    sampling_percentage: float = 100.0  # 0–100
    capture_modes: frozenset[CaptureMode] = field(default=_BOTH)
    csv_content_types: tuple[str, ...] = ("text/csv",)
    json_content_types: tuple[str, ...] = ("application/json",)
    max_payload_bytes: int = 6 * 1024 * 1024  # larger payloads are truncated (see capture.record)
    roll_seconds: float = 60.0  # a capture file is closed after this long ...
    roll_bytes: int = 64 * 1024 * 1024  # ... or this size
    flush_seconds: float = 1.0  # open files are flushed and fsync'ed at least this often
    queue_size: int = 10_000  # records waiting for the writer; beyond: dropped and counted
    disk_usage_limit: float = 0.75  # capture pauses while the local disk/spool is this full
    spool_dir: str | None = None  # local spool for s3:// destinations

    def __post_init__(self) -> None:
        _require(
            isinstance(self.destination_uri, str) and bool(self.destination_uri.strip()),
            "destination_uri",
            "a non-empty local path or s3:// URI",
            self.destination_uri,
        )
        pct = self.sampling_percentage
        _require(
            isinstance(pct, int | float) and not isinstance(pct, bool) and 0 <= pct <= 100,
            "sampling_percentage",
            "a number from 0 to 100",
            pct,
        )
        modes = frozenset(CaptureMode(m) for m in self.capture_modes) if self._modes_valid() else None
        _require(modes is not None, "capture_modes", "a set of CaptureMode", self.capture_modes)
        object.__setattr__(self, "capture_modes", modes)
        for name in ("csv_content_types", "json_content_types"):
            value = getattr(self, name)
            _require(
                isinstance(value, list | tuple) and all(isinstance(v, str) for v in value),
                name,
                "a tuple of content-type strings",
                value,
            )
            object.__setattr__(self, name, tuple(value))
        for name in ("max_payload_bytes", "roll_bytes", "queue_size"):
            value = getattr(self, name)
            _require(
                isinstance(value, int) and not isinstance(value, bool) and value > 0,
                name,
                "an integer > 0",
                value,
            )
        for name in ("roll_seconds", "flush_seconds"):
            value = getattr(self, name)
            _require(
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and value > 0,
                name,
                "a finite number of seconds > 0",
                value,
            )
        limit = self.disk_usage_limit
        _require(
            isinstance(limit, int | float) and not isinstance(limit, bool) and 0 < limit <= 1,
            "disk_usage_limit",
            "a fraction in (0, 1]",
            limit,
        )
        _require(
            self.spool_dir is None or (isinstance(self.spool_dir, str) and bool(self.spool_dir)),
            "spool_dir",
            "None or a local folder",
            self.spool_dir,
        )

    def _modes_valid(self) -> bool:
        try:
            return all(CaptureMode(m) in _BOTH for m in self.capture_modes)
        except (TypeError, ValueError):
            return False

    @classmethod
    def from_sagemaker(cls, config: Mapping[str, Any], **overrides: Any) -> DataCaptureConfig:
        """The config of SageMaker's ``DataCaptureConfig`` dict; ``overrides`` set our extra fields.

        Raises:
            ConfigurationError: a required key is missing or a value is invalid (the message names it).
        """
        for key in ("InitialSamplingPercentage", "DestinationS3Uri"):
            if key not in config:
                raise ConfigurationError(f"DataCaptureConfig.{key} is required")
        options = config.get("CaptureOptions", [{"CaptureMode": "InputAndOutput"}])
        modes: set[CaptureMode] = set()
        for option in options if isinstance(options, list) else [options]:
            mode = option.get("CaptureMode") if isinstance(option, Mapping) else None
            found = _MODE_NAMES.get(str(mode).lower())
            if found is None:
                raise ConfigurationError(
                    f"DataCaptureConfig.CaptureOptions: unknown CaptureMode {mode!r}; "
                    "expected Input, Output or InputAndOutput"
                )
            modes |= found
        header = config.get("CaptureContentTypeHeader")
        if header is None:
            csv_types: tuple[str, ...] = ()
            json_types: tuple[str, ...] = ()
        elif isinstance(header, Mapping):
            csv_types = _content_types(header, "CsvContentTypes")
            json_types = _content_types(header, "JsonContentTypes")
        else:
            raise ConfigurationError(
                f"DataCaptureConfig.CaptureContentTypeHeader must be an object; got {header!r}"
            )
        return cls(
            destination_uri=config["DestinationS3Uri"],
            enable_capture=bool(config.get("EnableCapture", True)),
            sampling_percentage=config["InitialSamplingPercentage"],
            capture_modes=frozenset(modes),
            csv_content_types=csv_types,
            json_content_types=json_types,
            **overrides,
        )
