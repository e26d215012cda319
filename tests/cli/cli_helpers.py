"""Helpers of the client CLI tests (a module of its own: several test folders have a conftest.py)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from typer.testing import Result

from modelwatch.service.db import Database

Cli = Callable[..., Result]
"""The ``cli`` fixture: ``cli("endpoints list --json", code=0) -> Result``."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A running API server: its URL and its database."""

    url: str
    db: Database


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)
