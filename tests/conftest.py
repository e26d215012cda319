"""Shared fixtures.

``s3_server`` (session)
    Starts a real S3 API server (``moto_server``) on a free local port, waits until it answers,
    points modelwatch at it for the session (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY`` = ``testing``, ``AWS_DEFAULT_REGION`` = ``us-east-1``; the previous
    values come back at the end of the session), clears the ``get_settings`` cache, yields the
    endpoint URL (``http://127.0.0.1:<port>``) and stops the server at the end.

``s3_bucket`` (function)
    Creates a fresh, empty bucket on ``s3_server`` for one test and returns its URI (``s3://name``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelwatch.settings import get_settings

_S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto_command(port: int) -> list[str]:
    script = Path(sys.executable).with_name("moto_server")
    if script.exists():
        return [str(script), "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers, even if with an error status
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto_server did not answer at {url} within {timeout} s")


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A real S3 API server for the session; yields its endpoint URL (see the module docstring)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(_moto_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(url, process)
        with pytest.MonkeyPatch.context() as patch:
            for name, value in {**_S3_ENV, "AWS_ENDPOINT_URL": url}.items():
                patch.setenv(name, value)
            patch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
            patch.delenv("MODELWATCH_S3_ENDPOINT_URL", raising=False)
            get_settings.cache_clear()
            yield url
        get_settings.cache_clear()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3_bucket(s3_server: str) -> str:
    """A fresh empty bucket on ``s3_server``; returns ``s3://<name>``."""
    import boto3

    name = f"test-{uuid.uuid4().hex[:16]}"
    client = boto3.client("s3", endpoint_url=s3_server, region_name=os.environ["AWS_DEFAULT_REGION"])
    try:
        client.create_bucket(Bucket=name)
    finally:
        client.close()
    return f"s3://{name}"
