"""Fixtures of the capture middleware / proxy tests (helpers live in ``servers.py``).

``upstream`` (function) is the plain iris model app in a background uvicorn thread.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from servers import ServerThread, build_model_app


@pytest.fixture
def upstream() -> Iterator[ServerThread]:
    """The iris model app without capture, served on a free loopback port."""
    with ServerThread(build_model_app()) as server:
        yield server
