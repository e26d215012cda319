"""docs/api.md lists exactly the routes the app serves."""

from __future__ import annotations

import re
from pathlib import Path

from modelwatch.api import API_PREFIX, create_app

DOC = Path(__file__).parents[2] / "docs" / "api.md"


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    documented = set()
    for method, paths in re.findall(r"^\| (GET|POST|PATCH|DELETE|PUT) \| (.+?) \|", DOC.read_text(), re.M):
        documented |= {(method, _shape(path)) for path in re.findall(r"`([^`]+)`", paths)}
    served = {
        (method.upper(), _shape(path.removeprefix(API_PREFIX)))
        for path, operations in create_app().openapi()["paths"].items()
        for method in operations
    }
    assert served == documented
