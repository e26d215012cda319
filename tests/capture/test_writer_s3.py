"""CaptureWriter with an s3:// destination: spool, upload, retries, leftovers (a real moto server)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from modelwatch.capture import CaptureWriter, DataCaptureConfig
from modelwatch.io.capture import read_capture
from modelwatch.io.storage import join_uri, list_files, read_bytes

WHEN = datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.02)


def capture(writer: CaptureWriter, event_id: str) -> bool:
    return writer.capture(
        request_body=b'{"a":1}',
        request_content_type="application/json",
        response_body=b"[0.1]",
        response_content_type="application/json",
        inference_time=WHEN,
        event_id=event_id,
    )


def spool_files(spool: Path) -> list[Path]:
    return sorted(spool.rglob("*.jsonl"))


def create_bucket(endpoint: str, name: str) -> None:
    client = boto3.client("s3", endpoint_url=endpoint, region_name=os.environ["AWS_DEFAULT_REGION"])
    try:
        client.create_bucket(Bucket=name)
    finally:
        client.close()


def test_files_are_uploaded_and_removed_from_the_spool(s3_bucket: str, tmp_path: Path) -> None:
    destination = join_uri(s3_bucket, "datacapture")
    config = DataCaptureConfig(destination, spool_dir=str(tmp_path / "spool"))
    with CaptureWriter(config, endpoint="ep", variant="AllTraffic") as writer:
        assert writer.local_root == str(tmp_path / "spool")
        for i in range(3):
            assert capture(writer, f"e{i}")
    (uri,) = list_files(destination)
    assert uri.startswith(join_uri(destination, "ep/AllTraffic/2024/03/04/05") + "/")
    assert uri.endswith(".jsonl")
    assert read_bytes(uri).count(b"\n") == 3
    assert spool_files(tmp_path / "spool") == []
    snapshot = writer.counters.snapshot()
    assert (snapshot["captured"], snapshot["files_written"], snapshot["upload_failures"]) == (3, 1, 0)
    read = read_capture(destination, "ep", "AllTraffic", WHEN, WHEN.replace(minute=7))
    assert [r["eventMetadata"]["eventId"] for r in read] == ["e0", "e1", "e2"]


def test_failed_upload_is_retried_until_the_bucket_exists(s3_server: str, tmp_path: Path) -> None:
    bucket = f"later-{uuid.uuid4().hex[:12]}"
    config = DataCaptureConfig(f"s3://{bucket}/cap", spool_dir=str(tmp_path), roll_seconds=0.1)
    writer = CaptureWriter(config, endpoint="ep", upload_backoff=(0.05, 0.2))
    writer.start()
    try:
        assert capture(writer, "kept")
        wait_for(lambda: writer.counters.snapshot()["upload_retries"] >= 2)
        assert len(spool_files(tmp_path)) == 1  # nothing lost while the upload fails
        create_bucket(s3_server, bucket)
        wait_for(lambda: writer.counters.snapshot()["files_written"] == 1)
    finally:
        writer.close()
    (uri,) = list_files(f"s3://{bucket}/cap")
    assert b'"eventId":"kept"' in read_bytes(uri)
    assert spool_files(tmp_path) == []
    assert writer.counters.snapshot()["upload_failures"] == 0


def test_unuploaded_files_stay_in_the_spool_and_go_up_at_the_next_start(
    s3_server: str, tmp_path: Path
) -> None:
    bucket = f"missing-{uuid.uuid4().hex[:12]}"
    config = DataCaptureConfig(f"s3://{bucket}", spool_dir=str(tmp_path))
    first = CaptureWriter(config, endpoint="ep", upload_backoff=(0.05, 0.1))
    first.start()
    assert capture(first, "one")
    first.close(timeout=1.0)
    assert first.counters.snapshot()["upload_failures"] == 1
    (left,) = spool_files(tmp_path)
    # a crashed process also leaves a file with a torn last line
    crashed = left.with_name("59-00-000-00000000-0000-4000-8000-000000000000.jsonl")
    crashed.write_bytes(left.read_bytes() + b'{"captureData":{"endpointIn')

    create_bucket(s3_server, bucket)
    second = CaptureWriter(config, endpoint="ep")
    with second:
        assert capture(second, "two")
    assert spool_files(tmp_path) == []
    keys = list_files(f"s3://{bucket}")
    assert len(keys) == 3
    assert second.counters.snapshot()["files_written"] == 3
    read = read_capture(f"s3://{bucket}", "ep", "AllTraffic", WHEN, WHEN.replace(hour=6))
    ids = sorted(r["eventMetadata"]["eventId"] for r in read)
    assert ids == ["one", "one", "two"]
    assert read.torn_lines == 1


def test_open_files_of_a_live_writer_are_not_taken(s3_bucket: str, tmp_path: Path) -> None:
    config = DataCaptureConfig(s3_bucket, spool_dir=str(tmp_path), roll_seconds=3600, flush_seconds=0.05)
    live = CaptureWriter(config, endpoint="ep")
    live.start()
    try:
        assert capture(live, "live")
        wait_for(lambda: len(spool_files(tmp_path)) == 1)
        other = CaptureWriter(config, endpoint="ep")
        other.start()
        other.close()
        assert other.counters.snapshot()["files_written"] == 0
        assert len(spool_files(tmp_path)) == 1
    finally:
        live.close()
    assert live.counters.snapshot()["files_written"] == 1
    assert len(list_files(s3_bucket)) == 1


def test_default_spool_is_under_the_data_dir(
    s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelwatch.settings import get_settings

    monkeypatch.setenv("MODELWATCH_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        writer = CaptureWriter(DataCaptureConfig(s3_bucket), endpoint="ep")
        assert Path(writer.local_root).parent == tmp_path / "capture-spool"
        writer.close()
    finally:
        monkeypatch.delenv("MODELWATCH_DATA_DIR")
        get_settings.cache_clear()
