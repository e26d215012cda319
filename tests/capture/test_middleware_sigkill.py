"""A model server with CaptureMiddleware in its own process: SIGKILL loses at most the last flushes.

The server runs ``servers.py --mode middleware`` with ``flush_seconds`` = 0.5. Load comes from a
few client threads, each logging when each of its requests completed. After SIGKILL, every request
that completed more than 2 x flush_seconds before the kill must be on disk, and every file must parse
line by line except possibly a torn last line. After SIGTERM, nothing answered is missing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from servers import free_port, mixed_request, wait_until_up

SERVERS = Path(__file__).with_name("servers.py")
FLUSH_SECONDS = 0.5


class Load:
    """Client threads POSTing mixed requests until stopped; ``done`` maps id → completion time."""

    def __init__(self, url: str, threads: int = 4) -> None:
        self.url = url
        self.done: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]

    def _run(self, worker: int) -> None:
        with httpx.Client(base_url=self.url, timeout=10.0) as client:
            n = 0
            while not self._stop.is_set():
                body, _, headers = mixed_request(n)
                inference_id = f"w{worker}-{n}"
                headers = {**headers, "X-Inference-Id": inference_id}
                headers.pop("X-Amzn-SageMaker-Inference-Id", None)
                try:
                    response = client.post("/invocations", content=body, headers=headers)
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    with self._lock:
                        self.done[inference_id] = time.monotonic()
                n += 1

    def start(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)


def start_server(
    destination: Path, writer: str, counters_file: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, str(SERVERS), "--mode", "middleware", "--port", str(port), "--writer", writer]
    command += ["--destination", str(destination), "--flush-seconds", str(FLUSH_SECONDS)]
    if counters_file is not None:
        command += ["--counters-file", str(counters_file)]
    process = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url)
    except RuntimeError:
        process.kill()
        process.wait()
        raise
    return process, url


def ids_on_disk(root: Path, *, allow_torn_tail: bool) -> list[str]:
    """Inference ids of all records under ``root``; only a file's last line may be torn (if allowed)."""
    ids: list[str] = []
    for path in sorted(root.rglob("*.jsonl")):
        lines = path.read_bytes().split(b"\n")
        complete, tail = lines[:-1], lines[-1]
        assert allow_torn_tail or tail == b"", f"{path} ends with a torn line"
        ids.extend(json.loads(line)["eventMetadata"]["inferenceId"] for line in complete)
    return ids


@pytest.mark.parametrize("writer", ["process", "thread"])
def test_sigkill_loses_only_the_last_flush_interval(tmp_path: Path, writer: str) -> None:
    process, url = start_server(tmp_path, writer)
    load = Load(url).start()
    try:
        time.sleep(3.0)
        killed_at = time.monotonic()
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        load.stop()
        if process.poll() is None:
            process.kill()
            process.wait()
    settled = {i for i, finished in load.done.items() if finished < killed_at - 2 * FLUSH_SECONDS}
    assert len(settled) > 50, "the load produced too few requests to judge"
    on_disk = ids_on_disk(tmp_path, allow_torn_tail=True)
    assert len(on_disk) == len(set(on_disk)), "a record was written twice"
    assert settled <= set(on_disk)


@pytest.mark.parametrize("writer", ["process", "thread"])
def test_sigterm_during_load_loses_nothing(tmp_path: Path, writer: str) -> None:
    counters_file = tmp_path / "counters.json"
    destination = tmp_path / "capture"
    process, url = start_server(destination, writer, counters_file)
    load = Load(url).start()
    try:
        time.sleep(2.0)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        load.stop()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(load.done) > 50
    on_disk = ids_on_disk(destination, allow_torn_tail=False)
    assert sorted(on_disk) == sorted(load.done)
    counters = json.loads(counters_file.read_text())
    assert counters["captured"] == len(on_disk)
    assert counters["dropped"] == 0
