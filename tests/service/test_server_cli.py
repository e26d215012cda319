"""`modelwatch server` serves the API and scheduler, refuses the network without tokens, stops on SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_server_command_serves_the_api_and_stops_on_sigint(data_dir: Path) -> None:
    port = _free_port()
    env = {**os.environ, "MODELWATCH_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "modelwatch.cli", "server", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert health.status_code == 200
        created = httpx.post(f"http://127.0.0.1:{port}/api/v1/endpoints", json={"name": "churn"}, timeout=10)
        assert created.status_code == 201, created.text
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    assert b"API docs" in output


def test_the_server_refuses_the_network_without_a_token(data_dir: Path) -> None:
    env = {**os.environ, "MODELWATCH_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "modelwatch.cli", "server", "--host", "0.0.0.0", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert b"refusing to listen on 0.0.0.0" in result.stderr + result.stdout
