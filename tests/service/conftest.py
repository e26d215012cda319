"""Fixtures of the service tests: a migrated database, a baseline, capture records at chosen times."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from modelwatch.examples import example_dataset
from modelwatch.monitors.data_quality import suggest_baseline
from modelwatch.service.db import Database, open_database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def credit_baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """statistics.json and constraints.json of the bundled credit dataset (label first)."""
    out = tmp_path_factory.mktemp("baseline")
    result = suggest_baseline(str(example_dataset()), str(out), format="csv", header=True, workers=1)
    return result.statistics_uri, result.constraints_uri
