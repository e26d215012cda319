"""``POST /endpoints/{name}/ground-truth``: labels are checked line by line and land in hour folders."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from modelwatch.io.ground_truth import read_ground_truth

pytestmark = pytest.mark.anyio

JSONL = {"Content-Type": "application/x-ndjson"}


def _label(event_id: str, label: str) -> str:
    return json.dumps(
        {
            "groundTruthData": {"data": label, "encoding": "CSV"},
            "eventMetadata": {"eventId": event_id},
            "eventVersion": "0",
        }
    )


async def test_an_upload_lands_in_the_hour_folder_of_its_collection_time(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    assert (await client.post("/endpoints", json={"name": "churn"})).status_code == 201
    body = "\n".join(_label(f"id-{i}", str(i % 2)) for i in range(5)) + "\n"
    answer = await client.post(
        "/endpoints/churn/ground-truth",
        content=body,
        headers=JSONL,
        params={"collected_at": "2026-06-03T14:25:00Z"},
    )
    assert answer.status_code == 201, answer.text
    view = answer.json()
    assert view["records"] == 5 and view["collected_at"].startswith("2026-06-03T14:25:00")
    prefix = data_dir / "storage" / "ground-truth" / "churn"
    assert Path(view["uri"]).parent == prefix / "2026" / "06" / "03" / "14"
    assert Path(view["uri"]).read_text() == body
    labels = read_ground_truth(
        str(prefix), datetime(2026, 6, 3, 14, tzinfo=UTC), datetime(2026, 6, 3, 15, tzinfo=UTC)
    )
    table, _ = labels.latest()
    assert sorted(table.column("event_id").to_pylist()) == [f"id-{i}" for i in range(5)]


async def test_an_upload_with_bad_lines_lists_them_and_stores_nothing(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    assert (await client.post("/endpoints", json={"name": "churn"})).status_code == 201
    body = "\n".join([_label("a", "1"), "{not json", _label("", "0"), _label("b", "0")]) + "\n"
    answer = await client.post("/endpoints/churn/ground-truth", content=body, headers=JSONL)
    assert answer.status_code == 400
    message = answer.json()["error"]["message"]
    assert "2 of 4 ground-truth lines are invalid" in message
    assert "line 2:" in message and "line 3:" in message and "eventMetadata.eventId" in message
    assert not (data_dir / "storage" / "ground-truth").exists()


async def test_labels_of_an_unknown_endpoint_are_refused(client: httpx.AsyncClient) -> None:
    answer = await client.post("/endpoints/nope/ground-truth", content=_label("a", "1"), headers=JSONL)
    assert answer.status_code == 404
    empty = await client.post("/endpoints", json={"name": "churn"})
    assert empty.status_code == 201
    nothing = await client.post("/endpoints/churn/ground-truth", content=b"\n\n", headers=JSONL)
    assert nothing.status_code == 400 and "no ground-truth records" in nothing.json()["error"]["message"]
