"""Helpers of the client CLI tests (a module of its own: several test folders have a conftest.py)."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import Result

from modelwatch.service.db import Database

Cli = Callable[..., Result]
"""The ``cli`` fixture: ``cli("endpoints list --json", code=0) -> Result``."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A running API server: its URL and its database."""

    url: str
    db: Database


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def write_capture(root: Path, endpoint: str, hour: datetime, rows: list[list[str]]) -> None:
    """Capture records of ``rows`` (label first) inside ``hour``: the label is the output."""
    folder = root / endpoint / "AllTraffic" / f"{hour:%Y/%m/%d/%H}"
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, row in enumerate(rows):
        moment = hour.replace(minute=i % 60).astimezone(UTC)
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": ",".join(row[1:]),
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": row[0],
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {"eventId": str(uuid.uuid4()), "inferenceTime": f"{moment:%Y-%m-%dT%H:%M:%SZ}"},
            "eventVersion": "0",
        }
        lines.append(json.dumps(record) + "\n")
    (folder / f"00-00-000-{uuid.uuid4()}.jsonl").write_text("".join(lines))
