"""``modelwatch.reports`` builds pages and charts from result files with no web framework: it imports
nothing from the layers above it (ui, api, service, server, cli), nor FastAPI or Starlette; and the
service no longer reaches up into the dashboard for its report."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "modelwatch"
ABOVE_REPORTS = (
    "modelwatch.ui",
    "modelwatch.api",
    "modelwatch.service",
    "modelwatch.server",
    "modelwatch.cli",
    "modelwatch.cli_client",
    "fastapi",
    "starlette",
)


def _imports(source: str, package: str) -> set[str]:
    """Every module that ``source`` (a module of ``package``) imports, at the top or inside a function,
    relative imports resolved."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _upward(source: str, package: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        name
        for name in _imports(source, package)
        if any(name == top or name.startswith(top + ".") for top in forbidden)
    )


def _package(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).parts[:-1])


@pytest.mark.parametrize("path", sorted((SRC / "reports").glob("*.py")), ids=lambda p: p.name)
def test_reports_import_nothing_above_them(path: Path) -> None:
    assert _upward(path.read_text(), _package(path), ABOVE_REPORTS) == []


@pytest.mark.parametrize("path", sorted((SRC / "service").rglob("*.py")), ids=lambda p: p.name)
def test_service_does_not_import_the_dashboard(path: Path) -> None:
    assert _upward(path.read_text(), _package(path), ("modelwatch.ui",)) == []


def test_an_upward_import_is_caught() -> None:
    source = "from ..ui.pages import render_page\n\ndef f():\n    import modelwatch.api.deps\n"
    assert _upward(source, "modelwatch.reports", ABOVE_REPORTS) == [
        "modelwatch.api.deps",
        "modelwatch.ui.pages",
        "modelwatch.ui.pages.render_page",
    ]
