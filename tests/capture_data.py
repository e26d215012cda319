"""Test data of the service tests: credit rows and capture records written at chosen times."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.csv as pcsv

from modelwatch.examples import drift, example_dataset


def credit_rows(drifted: bool = False, count: int = 400) -> list[list[str]]:
    """Rows of the bundled dataset (or its drifted copy) as strings, label first."""
    table = pcsv.read_csv(example_dataset())
    if drifted:
        table = drift(table)
    table = table.slice(0, count)
    columns = [column.to_pylist() for column in table.columns]
    return [[str(column[i]) for column in columns] for i in range(table.num_rows)]


def capture_line(row: list[str], moment: datetime, *, shadow: bool = False) -> str:
    """One capture record of a credit row: the label as the output, the features as the input."""
    metadata: dict[str, object] = {
        "eventId": str(uuid.uuid4()),
        "inferenceTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if shadow:
        metadata["invocationSource"] = "ShadowExperiment"
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
        "eventMetadata": metadata,
        "eventVersion": "0",
    }
    return json.dumps(record, separators=(",", ":"))


def write_capture(
    root: Path, endpoint: str, hour: datetime, rows: list[list[str]], variant: str = "AllTraffic"
) -> Path:
    """One capture file of ``rows`` inside ``hour`` (records spread over its first minutes)."""
    folder = root / endpoint / variant / f"{hour:%Y/%m/%d/%H}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"00-00-000-{uuid.uuid4()}.jsonl"
    lines = [capture_line(row, hour.replace(minute=i % 60)) for i, row in enumerate(rows)]
    path.write_text("".join(line + "\n" for line in lines))
    return path
