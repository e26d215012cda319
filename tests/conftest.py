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
import shutil
import socket
import subprocess
import sys
import tempfile
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


# -- PostgreSQL -----------------------------------------------------------------------------------


def _postgres_bin() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``: on PATH, else Debian's /usr/lib/postgresql/N/bin (newest)."""
    on_path = shutil.which("initdb")
    found = [Path(on_path)] if on_path else sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        pytest.fail(
            "PostgreSQL binaries (initdb) found neither on PATH nor under /usr/lib/postgresql: run the "
            "README's test command (it installs them), apt-get install postgresql, or set "
            "MODELWATCH_TEST_DATABASE_URL"
        )
    return found[-1].parent


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server on 127.0.0.1 for the session; yields a URL without a database name.

    ``MODELWATCH_TEST_DATABASE_URL`` (a server URL) is used instead when set.
    """
    given = os.environ.get("MODELWATCH_TEST_DATABASE_URL")
    if given:
        yield given.rsplit("/", 1)[0]
        return
    pg = _postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="modelwatch-pg-"))  # pytest's tmp folders are private to root
    if os.geteuid() == 0:
        subprocess.run(["chown", "postgres", str(root)], check=True)
    data, port = root / "data", _free_port()
    subprocess.run(
        _as_postgres(
            [str(pg / "initdb"), "-D", str(data), "-U", "mw", "-A", "trust", "-E", "UTF8", "--no-sync"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off"
    subprocess.run(
        _as_postgres(
            [str(pg / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o", options, "start"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql+psycopg://mw@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on ``postgres_server``; returns its SQLAlchemy URL."""
    import sqlalchemy as sa

    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{postgres_server}/{name}"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh ``MODELWATCH_DATA_DIR`` (database, storage, work folders) for one test."""
    folder = tmp_path / "modelwatch"
    monkeypatch.setenv("MODELWATCH_DATA_DIR", str(folder))
    for name in ("MODELWATCH_DATABASE_URL", "MODELWATCH_STORAGE_URI"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    """The URL of a fresh metadata database: SQLite under ``data_dir``, then PostgreSQL."""
    if request.param == "sqlite":
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{data_dir / 'modelwatch.db'}"
    return str(request.getfixturevalue("postgres_url"))
