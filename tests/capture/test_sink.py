"""CaptureWriter(process=True): records written by a real sink process, its counters, its failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_writer import capture, config, files, wait_for

from modelwatch.capture import CaptureWriter, sink


def sink_pid(writer: CaptureWriter) -> int:
    """The sink process that takes the writer's frames now."""
    return writer._sink.pids[0]  # type: ignore[union-attr]


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


@pytest.mark.parametrize(
    ("body_size", "why"), [(200, "KiB unread"), (64 * 1024, "its pipe stayed full")], ids=["behind", "full"]
)
def test_a_starved_background_sink_hands_over_to_a_nice_one_and_back_losing_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    body_size: int,
    why: str,
) -> None:
    # behind: its oldest unread frame is older than STARVED_SECONDS; full: a frame cannot go into its
    # full pipe within STARVED_SECONDS (it gets part of one, which it drops: the new sink gets it whole)
    monkeypatch.setattr(sink, "STARVED_SECONDS", 1.0)
    monkeypatch.setattr(sink, "CALM_SECONDS", 0.5)
    writer = CaptureWriter(config(tmp_path, flush_seconds=0.1), endpoint="ep", process=True)
    handle = writer._sink
    assert handle is not None
    sent = 0

    def one() -> bool:
        nonlocal sent
        sent += 1
        return capture(writer, body=b"x" * body_size, event_id=f"e{sent}")

    writer.start()
    try:
        wait_for(lambda: one() and writer.counters.snapshot()["captured"] >= 1)
        starved = sink_pid(writer)
        assert handle.background
        os.kill(starved, signal.SIGSTOP)  # a background sink that gets no CPU: its pipe fills
        try:
            wait_for(lambda: one() and handle.background is False)
            taking_over = sink_pid(writer)
            assert taking_over != starved and starved in handle.pids  # it finishes later
            assert os.sched_getscheduler(taking_over) == os.SCHED_OTHER  # once it has its settings:
            wait_for(
                lambda: os.getpriority(os.PRIO_PROCESS, taking_over) > os.getpriority(os.PRIO_PROCESS, 0)
            )
        finally:
            os.kill(starved, signal.SIGCONT)
        # the nice sink keeps up for CALM_SECONDS: a background sink takes over again
        wait_for(lambda: one() and handle.background is True and sink_pid(writer) != taking_over)
        wait_for(lambda: os.sched_getscheduler(sink_pid(writer)) == os.SCHED_IDLE)
        wait_for(lambda: handle.pids == [sink_pid(writer)])  # the other two wrote what they had and ended
    finally:
        writer.close()
    written = lines_of(tmp_path)
    assert sorted(line.split(b'"eventId":"')[1].split(b'"')[0].decode() for line in written) == sorted(
        f"e{i}" for i in range(1, sent + 1)
    )
    snapshot = writer.counters.snapshot()
    assert snapshot["captured"] == len(written) == sent
    assert snapshot["dropped"] == 0
    assert any("gets no CPU" in r.getMessage() and why in r.getMessage() for r in caplog.records)


SERVER_KILLED_BY_SIGTERM = """
import sys, time
from modelwatch.capture import CaptureWriter, DataCaptureConfig

writer = CaptureWriter(DataCaptureConfig(sys.argv[1], flush_seconds=0.1), endpoint="ep", process=True)
writer.start()
for i in range(50):
    writer.capture(request_body=b"1,2", request_content_type="text/csv", response_body=b"0.5",
                   response_content_type="text/csv", event_id=f"e{i}")
while writer.counters.snapshot()["captured"] < 50:  # the sink has them all
    time.sleep(0.01)
print("ready", flush=True)
time.sleep(60)
"""


def test_a_server_ended_by_sigterm_leaves_no_traceback_and_loses_no_record(tmp_path: Path) -> None:
    # the server dies of SIGTERM's default action: its sink sees the end of its pipe, writes what it has,
    # and its last report finds no reader (a broken pipe), which it takes quietly
    with subprocess.Popen(
        [sys.executable, "-c", SERVER_KILLED_BY_SIGTERM, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as server:
        assert server.stdout is not None and server.stderr is not None
        assert server.stdout.readline() == b"ready\n"
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == -signal.SIGTERM
        errors = server.stderr.read().decode()  # the end of file comes when the sink has exited too
    assert "Traceback" not in errors and "Error" not in errors, errors
    assert len(lines_of(tmp_path)) == 50
