"""Fixtures of the service tests: a migrated database, a baseline, capture records at chosen times."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.csv as pcsv
import pytest

from modelwatch.examples import drift, example_dataset
from modelwatch.monitors.data_quality import suggest_baseline
from modelwatch.service.db import Database, open_database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def credit_baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """statistics.json and constraints.json of the bundled credit dataset (label first)."""
    out = tmp_path_factory.mktemp("baseline")
    result = suggest_baseline(str(example_dataset()), str(out), format="csv", header=True, workers=1)
    return result.statistics_uri, result.constraints_uri


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
