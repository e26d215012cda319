"""Fixtures for the tests of ``modelwatch.formats``: the golden SageMaker files and test data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "sagemaker-sdk"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def golden() -> Callable[[str], str]:
    """Return a reader of golden files under ``tests/golden/sagemaker-sdk`` (exact bytes as UTF-8)."""

    def read(relative: str) -> str:
        return (GOLDEN / relative).read_bytes().decode("utf-8")

    return read


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of test data files (the Java ``Double.toString`` oracle)."""
    return DATA
