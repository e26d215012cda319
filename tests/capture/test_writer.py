"""CaptureWriter on a local destination: real files, a real writer thread."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import pytest

from modelwatch.capture import CaptureWriter, DataCaptureConfig, build_record, record_line
from modelwatch.capture import writer as writer_module
from modelwatch.errors import ConfigurationError, StorageError

NAME = re.compile(r"^\d{2}-\d{2}-\d{3}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\.jsonl$")


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.01)


def config(root: Path, **kwargs: object) -> DataCaptureConfig:
    return DataCaptureConfig(str(root), **kwargs)  # type: ignore[arg-type]


def capture(writer: CaptureWriter, body: bytes = b"1,2,3", **kwargs: object) -> bool:
    return writer.capture(
        request_body=body,
        request_content_type="text/csv",
        response_body=b"0.5",
        response_content_type="text/csv",
        **kwargs,  # type: ignore[arg-type]
    )


def files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.jsonl"))


def test_records_go_to_the_file_of_their_inference_hour(tmp_path: Path) -> None:
    first = datetime(2024, 5, 1, 13, 59, 59, tzinfo=UTC)
    second = first + timedelta(seconds=1)
    cfg = config(tmp_path)
    with CaptureWriter(cfg, endpoint="ep", variant="v1") as writer:
        assert capture(writer, inference_time=first, event_id="e1", inference_id="a")
        assert capture(writer, inference_time=second, event_id="e2")
        assert capture(writer, inference_time=first + timedelta(seconds=-5), event_id="e3")
    found = files(tmp_path)
    assert [p.parent.relative_to(tmp_path).as_posix() for p in found] == [
        "ep/v1/2024/05/01/13",
        "ep/v1/2024/05/01/14",
    ]
    assert all(NAME.match(p.name) for p in found)
    # a late record's file is named after its inference time within that hour
    assert found[0].name.startswith("59-59-000-")

    def line(event: str, when: datetime, **extra: str) -> bytes:
        record = build_record(
            cfg,
            request_body=b"1,2,3",
            request_content_type="text/csv",
            response_body=b"0.5",
            response_content_type="text/csv",
            inference_time=when,
            event_id=event,
            **extra,
        )
        return record_line(record)

    assert found[0].read_bytes() == line("e1", first, inference_id="a") + line(
        "e3", first - timedelta(seconds=5)
    )
    assert found[1].read_bytes() == line("e2", second)
    snapshot = writer.counters.snapshot()
    assert snapshot["captured"] == 3
    assert snapshot["files_written"] == 2
    assert snapshot["bytes_written"] == sum(p.stat().st_size for p in found)


def test_file_name_is_the_open_time_within_the_current_hour(tmp_path: Path) -> None:
    before = datetime.now(UTC)
    with CaptureWriter(config(tmp_path), endpoint="ep") as writer:
        assert capture(writer)
    after = datetime.now(UTC)
    (path,) = files(tmp_path)
    hour = datetime.strptime(path.parent.relative_to(tmp_path / "ep/AllTraffic").as_posix(), "%Y/%m/%d/%H")
    minute, second, milli = (int(x) for x in path.name.split("-")[:3])
    opened = hour.replace(tzinfo=UTC, minute=minute, second=second, microsecond=milli * 1000)
    assert before - timedelta(milliseconds=1) <= opened <= after


def test_roll_by_size(tmp_path: Path) -> None:
    with CaptureWriter(config(tmp_path, roll_bytes=1), endpoint="ep") as writer:
        for _ in range(5):
            assert capture(writer, inference_time=datetime(2024, 1, 1, 0, 0, 1, tzinfo=UTC))
    found = files(tmp_path)
    assert len(found) == 5
    assert all(len(p.read_bytes().splitlines()) == 1 for p in found)
    assert writer.counters.snapshot()["files_written"] == 5


def test_one_drain_across_hours_rolls_by_size_and_keeps_order(tmp_path: Path) -> None:
    # Queued before the thread starts, so one drain (one batch) writes all of them.
    writer = CaptureWriter(config(tmp_path, roll_bytes=1000), endpoint="ep")
    hours = [datetime(2024, 1, 1, 0, 30, tzinfo=UTC), datetime(2024, 1, 1, 1, 30, tzinfo=UTC)]
    for i in range(40):
        assert capture(writer, inference_time=hours[i % 2], event_id=f"e{i:02d}")
    writer.close()
    found = files(tmp_path)
    by_hour: dict[str, list[str]] = {}
    for path in found:
        lines = path.read_bytes().splitlines()
        assert lines and sum(len(line) + 1 for line in lines[:-1]) < 1000  # rolled at the line past 1000
        ids = [re.findall(rb'"eventId":"(e\d+)"', line)[0].decode() for line in lines]
        assert ids == sorted(ids)  # in queue order
        by_hour.setdefault(path.parent.name, []).extend(ids)
    assert sorted(by_hour) == ["00", "01"]
    for hour, parity in (("00", 0), ("01", 1)):
        assert sorted(by_hour[hour]) == [f"e{i:02d}" for i in range(parity, 40, 2)]
    snapshot = writer.counters.snapshot()
    assert snapshot["captured"] == 40 and snapshot["files_written"] == len(found) > 2
    assert snapshot["bytes_written"] == sum(p.stat().st_size for p in found)


def test_roll_by_time_without_close(tmp_path: Path) -> None:
    writer = CaptureWriter(config(tmp_path, roll_seconds=0.2), endpoint="ep")
    writer.start()
    try:
        assert capture(writer)
        wait_for(lambda: writer.counters.snapshot()["files_written"] == 1)
        assert capture(writer)
        wait_for(lambda: writer.counters.snapshot()["files_written"] == 2)
    finally:
        writer.close()
    assert len(files(tmp_path)) == 2


def test_flush_makes_records_readable_before_close(tmp_path: Path) -> None:
    writer = CaptureWriter(config(tmp_path, flush_seconds=0.1, roll_seconds=3600), endpoint="ep")
    writer.start()
    try:
        assert capture(writer, event_id="flushed")

        def on_disk() -> bool:
            found = files(tmp_path)
            return bool(found) and found[0].read_bytes().endswith(b'"eventVersion":"0"}\n')

        wait_for(on_disk)
        assert writer.counters.snapshot()["files_written"] == 0  # still open
        assert b'"eventId":"flushed"' in files(tmp_path)[0].read_bytes()
    finally:
        writer.close()


def test_full_queue_drops_and_counts(tmp_path: Path) -> None:
    writer = CaptureWriter(config(tmp_path, queue_size=2), endpoint="ep")  # not started: nothing drains
    assert capture(writer)
    assert capture(writer)
    assert not capture(writer)
    assert not capture(writer)
    assert writer.counters.snapshot()["dropped"] == 2
    writer.close()
    snapshot = writer.counters.snapshot()
    assert snapshot["captured"] == 2
    assert len(files(tmp_path)[0].read_bytes().splitlines()) == 2


def test_capture_returns_at_once_while_the_writer_is_stuck(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real_open = writer_module.open_append

    def stuck_open(path: str) -> BinaryIO:
        release.wait(30)
        return real_open(path)

    monkeypatch.setattr(writer_module, "open_append", stuck_open)
    writer = CaptureWriter(config(tmp_path, queue_size=3), endpoint="ep")
    writer.start()
    try:
        results = [capture(writer) for _ in range(10)]  # the thread holds one, the queue three
        assert results.count(True) <= 4
        assert results[-1] is False
        assert writer.counters.snapshot()["dropped"] == results.count(False)
    finally:
        release.set()
        writer.close()
    assert writer.counters.snapshot()["captured"] == results.count(True)


def test_disk_guard_pauses_and_resumes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    usage = [0.9]
    caplog.set_level(logging.INFO, logger="modelwatch.capture")
    writer = CaptureWriter(config(tmp_path), endpoint="ep", disk_usage=lambda path: usage[0])
    writer.start()
    try:
        assert writer.paused
        assert not capture(writer)
        assert not capture(writer)
        assert writer.counters.snapshot()["paused"] == 2
        usage[0] = 0.5
        wait_for(lambda: not writer.paused)
        assert capture(writer)
    finally:
        writer.close()
    snapshot = writer.counters.snapshot()
    assert (snapshot["paused"], snapshot["captured"]) == (2, 1)
    messages = [r.getMessage() for r in caplog.records]
    assert any("capture paused" in m and "90%" in m for m in messages)
    assert any("capture resumed" in m for m in messages)


def test_disk_guard_limit_is_inclusive(tmp_path: Path) -> None:
    writer = CaptureWriter(config(tmp_path, disk_usage_limit=0.5), endpoint="ep", disk_usage=lambda p: 0.5)
    assert writer.paused
    writer.close()


def test_unwritable_destination_fails_at_construction(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="capture destination folder is not writable"):
        CaptureWriter(config(blocker / "capture"), endpoint="ep")


def test_bad_endpoint_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="endpoint"):
        CaptureWriter(config(tmp_path), endpoint="a/b")


def test_write_errors_are_counted_and_the_writer_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_open = writer_module.open_append
    full = [True]

    def open_maybe_full(path: str) -> BinaryIO:
        return open("/dev/full", "wb") if full[0] else real_open(path)

    monkeypatch.setattr(writer_module, "open_append", open_maybe_full)
    writer = CaptureWriter(config(tmp_path, flush_seconds=0.05), endpoint="ep")
    writer.start()
    try:
        assert capture(writer)
        wait_for(lambda: writer.counters.snapshot()["write_errors"] >= 1)
        full[0] = False
        assert capture(writer, event_id="after")
    finally:
        writer.close()
    (path,) = files(tmp_path)
    assert b'"eventId":"after"' in path.read_bytes()
    assert any("No space left on device" in r.getMessage() for r in caplog.records)


def test_sample(tmp_path: Path) -> None:
    never = CaptureWriter(config(tmp_path, sampling_percentage=0), endpoint="ep")
    assert [never.sample() for _ in range(20)] == [False] * 20
    assert never.counters.snapshot()["sampled_out"] == 20
    always = CaptureWriter(config(tmp_path, sampling_percentage=100), endpoint="ep")
    assert all(always.sample() for _ in range(20))
    assert always.counters.snapshot()["sampled_out"] == 0
    off = CaptureWriter(config(tmp_path, enable_capture=False), endpoint="ep")
    assert not off.sample()
    assert not capture(off)
    for writer in (never, always, off):
        writer.close()
    assert files(tmp_path) == []


def test_close_is_idempotent_and_later_captures_are_dropped(tmp_path: Path) -> None:
    writer = CaptureWriter(config(tmp_path), endpoint="ep")
    writer.start()
    writer.start()
    assert capture(writer)
    writer.close()
    writer.close()
    assert not capture(writer)
    snapshot = writer.counters.snapshot()
    assert (snapshot["captured"], snapshot["dropped"], snapshot["files_written"]) == (1, 1, 1)


def test_many_threads_counters_exact(tmp_path: Path) -> None:
    with CaptureWriter(config(tmp_path, roll_bytes=10_000), endpoint="ep") as writer:

        def work() -> None:
            for i in range(200):
                assert capture(writer, body=str(i).encode())

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    found = files(tmp_path)
    lines = [line for p in found for line in p.read_bytes().splitlines()]
    snapshot = writer.counters.snapshot()
    assert len(lines) == snapshot["captured"] == 800
    assert snapshot["files_written"] == len(found) > 1
    assert snapshot["bytes_written"] == sum(p.stat().st_size for p in found)


def test_truncated_records_are_counted(tmp_path: Path) -> None:
    with CaptureWriter(config(tmp_path, max_payload_bytes=3), endpoint="ep") as writer:
        assert capture(writer, body=b"12345")
        assert capture(writer, body=b"12")
    assert writer.counters.snapshot()["truncated"] == 1
    lines = files(tmp_path)[0].read_bytes().splitlines()
    assert b'"data":"123","encoding":"CSV"' in lines[0] and b'"truncated":true' in lines[0]
    assert b'"truncated"' not in lines[1]
