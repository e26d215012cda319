"""modelwatch's app served in a process of its own, for the benchmarks that drive it over HTTP.

``start_server(database_url, folder, app="api")`` starts ``python benchmarks/served_app.py`` and waits for
``/api/v1/health``; ``app`` is ``api`` (the REST API alone) or ``server`` (``modelwatch server``'s app:
the API, the dashboard and the SageMaker API).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

import httpx

from modelwatch.service.db import open_database

__all__ = ["start_server"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(database_url: str, port: int, app: str) -> None:
    """Run the app over ``database_url`` on ``port`` (the server process)."""
    import uvicorn

    if app == "server":
        from modelwatch.server import create_app
    else:
        from modelwatch.api import create_app

    served = create_app(open_database(database_url, upgrade=False))
    uvicorn.run(served, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(
    database_url: str, folder: Path, app: Literal["api", "server"] = "api"
) -> tuple[subprocess.Popen[bytes], str]:
    """The server process and its URL, once it answers (within 60 s)."""
    port = _free_port()
    env = {**os.environ, "MODELWATCH_DATA_DIR": str(folder)}
    command = [sys.executable, __file__, database_url, str(port), app]
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {app} server exited with code {process.returncode}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the {app} server did not start within 60 s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("port", type=int)
    parser.add_argument("app", choices=["api", "server"])
    parsed = parser.parse_args()
    serve(parsed.database_url, parsed.port, parsed.app)
