"""The public surface of modelwatch.checks is its __all__."""

from __future__ import annotations

import pytest

import modelwatch.checks as checks
import modelwatch.checks.distance as distance
import modelwatch.checks.suggest as suggest


@pytest.mark.parametrize("module", [checks, distance, suggest])
def test_all_names_exist_and_are_unique(module) -> None:
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name


def test_all_lists_every_public_import() -> None:
    public = {
        name
        for name, value in vars(checks).items()
        if not name.startswith("_") and not isinstance(value, type(checks))
    }
    assert public == set(checks.__all__)
