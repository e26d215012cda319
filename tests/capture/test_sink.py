"""CaptureWriter(process=True): records written by a real sink process, its counters, its failures."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_writer import capture, config, files, wait_for

from modelwatch.capture import CaptureWriter


def sink_pid(writer: CaptureWriter) -> int:
    process = writer._sink._process  # type: ignore[union-attr]
    assert process is not None
    return int(process.pid)


def lines_of(root: Path) -> list[bytes]:
    return sorted(line for path in files(root) for line in path.read_bytes().splitlines())


def test_a_sink_process_writes_what_a_writer_thread_writes(tmp_path: Path) -> None:
    moment = datetime(2024, 3, 1, 10, 0, 5, 123000, tzinfo=UTC)
    writers = {
        mode: CaptureWriter(
            config(tmp_path / mode, max_payload_bytes=20), endpoint="ep", process=mode == "process"
        )
        for mode in ("thread", "process")
    }
    for writer in writers.values():
        writer.start()
        for i in range(500):
            body = b"x" * (i % 40)  # some over max_payload_bytes: truncated
            assert capture(writer, body=body, event_id=f"e{i}", inference_id=f"i{i}", inference_time=moment)
    wait_for(lambda: writers["process"].counters.snapshot()["captured"] == 500)  # reported while running
    for writer in writers.values():
        writer.close()
    assert lines_of(tmp_path / "process") == lines_of(tmp_path / "thread")
    assert len(lines_of(tmp_path / "process")) == 500
    snapshots = {mode: writer.counters.snapshot() for mode, writer in writers.items()}
    assert snapshots["process"] == snapshots["thread"]
    assert snapshots["process"]["truncated"] == sum(1 for i in range(500) if i % 40 > 20)
    [path] = files(tmp_path / "process")
    assert path.parent.relative_to(tmp_path / "process").as_posix() == "ep/AllTraffic/2024/03/01/10"


def test_a_sink_runs_at_idle_priority_ignores_stop_signals_and_ends_at_close(tmp_path: Path) -> None:
    writer = CaptureWriter(config(tmp_path), endpoint="ep", process=True)
    writer.start()
    try:
        assert capture(writer, event_id="before")
        wait_for(lambda: writer.counters.snapshot()["captured"] == 1)
        threads = [int(tid) for tid in os.listdir(f"/proc/{sink_pid(writer)}/task")]
        assert len(threads) >= 3  # reading, writing, reporting: all only on CPU time requests do not want
        assert {os.sched_getscheduler(tid) for tid in threads} == {os.SCHED_IDLE}
        for sig in (signal.SIGTERM, signal.SIGINT):
            os.kill(sink_pid(writer), sig)
        assert capture(writer, event_id="after")
    finally:
        writer.close()
    assert len(lines_of(tmp_path)) == 2
    assert writer.counters.snapshot()["captured"] == 2


def test_a_dead_sink_is_replaced_and_what_it_lost_is_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = CaptureWriter(config(tmp_path, flush_seconds=0.1), endpoint="ep", process=True)
    writer.start()
    try:
        assert capture(writer, event_id="first")
        # flushed (a SIGKILL cannot take it back) and reported
        wait_for(lambda: len(lines_of(tmp_path)) == writer.counters.snapshot()["captured"] == 1)
        first = sink_pid(writer)
        os.kill(first, signal.SIGKILL)
        # the first frame after the kill is dropped; a new sink starts 1 s later, at the next frame
        wait_for(lambda: capture(writer, event_id="probe") and writer.counters.snapshot()["dropped"] >= 1)
        wait_for(lambda: capture(writer, event_id="last") and writer.counters.snapshot()["captured"] >= 2)
        assert sink_pid(writer) != first
    finally:
        writer.close()
    snapshot = writer.counters.snapshot()
    written = lines_of(tmp_path)
    assert snapshot["captured"] == len(written)
    assert any(b'"eventId":"last"' in line for line in written)
    assert any("capture sink" in r.getMessage() and "is gone" in r.getMessage() for r in caplog.records)
