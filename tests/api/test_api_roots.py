"""Probe item 5: an admin token could read any file of the server's user (``dataset_uri:
/proc/self/environ`` → its bytes in statistics.json, readable by read tokens) and run any script.
With ``MODELWATCH_ALLOWED_ROOTS`` set, such paths are refused (422 naming the field)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_data import schedule_spec

from modelwatch.settings import get_settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def data_root(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = data_dir.parent / "training-data"
    root.mkdir(parents=True)
    (root / "train.csv").write_text("a,b\n1,2\n3,4\n")
    monkeypatch.setenv("MODELWATCH_ALLOWED_ROOTS", str(root))
    get_settings.cache_clear()
    yield root
    get_settings.cache_clear()


def _field(answer: httpx.Response) -> str:
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["type"] == "ValidationError" and "outside the allowed roots" in error["message"]
    return str(error["fields"][0]["field"])


async def test_files_outside_the_allowed_roots_are_refused(
    client: httpx.AsyncClient, data_root: Path
) -> None:
    baseline = {"name": "b", "dataset_uri": "/proc/self/environ"}
    assert _field(await client.post("/baselining-jobs", json=baseline)) == "dataset_uri"
    escape = {"name": "b", "dataset_uri": f"{data_root}/../../../proc/self/environ"}
    assert _field(await client.post("/baselining-jobs", json=escape)) == "dataset_uri"
    elsewhere = {"name": "b", "dataset_uri": str(data_root / "train.csv"), "output_uri": "/tmp/x"}
    assert _field(await client.post("/baselining-jobs", json=elsewhere)) == "output_uri"
    ok = await client.post(
        "/baselining-jobs", json={"name": "b", "dataset_uri": str(data_root / "train.csv")}
    )
    assert ok.status_code == 201, ok.text

    assert (await client.post("/endpoints", json={"name": "churn"})).status_code == 201
    spec = schedule_spec()
    spec["definition"]["record_preprocessor_script"] = "/usr/lib/python3/x.py"  # type: ignore[index]
    assert _field(await client.post("/schedules", json=spec)) == "definition.record_preprocessor_script"
    config = {"EnableCapture": True, "InitialSamplingPercentage": 100, "DestinationS3Uri": "/etc"}
    capture = {"name": "other", "data_capture_config": config}
    assert _field(await client.post("/endpoints", json=capture)) == "data_capture_config.DestinationS3Uri"
