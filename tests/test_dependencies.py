"""Every third-party import is declared where an install needs it (a module that installs only through
another package's dependencies breaks a fresh install of that extra, as ``yarl`` once did)."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

from modelwatch.extras import MODULE_EXTRAS

ROOT = Path(__file__).parents[1]
SRC = ROOT / "src" / "modelwatch"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[\s\[<>=!~;(]", requirement.strip(), maxsplit=1)[0]).lower()


def _declared(extra: str | None) -> set[str]:
    """Distributions that ``pip install 'modelwatch[extra]'`` asks for by name (self-references followed)."""
    names = {_name(r) for r in PROJECT["dependencies"]}
    todo = [extra] if extra else []
    seen: set[str] = set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for requirement in PROJECT["optional-dependencies"][current]:
            match = re.fullmatch(r"modelwatch\[([\w,]+)\]", requirement.strip())
            if match:
                todo.extend(match.group(1).split(","))
            else:
                names.add(_name(requirement))
    return names


def _imports(folder: Path) -> dict[str, str]:
    """Top-level third-party modules imported under ``folder``, each with one place that imports it."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module.split(".")[0]]
            else:
                continue
            for module in modules:
                if module not in sys.stdlib_module_names and module not in {"modelwatch", "__future__"}:
                    found.setdefault(module, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def _providers(module: str) -> set[str]:
    return {_name(d) for d in metadata.packages_distributions().get(module, [])}


def test_every_import_is_declared_in_a_dependency_or_an_extra() -> None:
    everything = set().union(*(_declared(extra) for extra in PROJECT["optional-dependencies"]))
    undeclared = {m: where for m, where in _imports(SRC).items() if not _providers(m) & everything}
    assert undeclared == {}


@pytest.mark.parametrize(("folder", "extra"), [("capture", "capture"), ("api", "server"), ("ui", "server")])
def test_a_package_imports_only_what_its_extra_declares(folder: str, extra: str) -> None:
    """``capture`` installs alone with its extra (an endpoint embeds it without the service)."""
    declared = _declared(extra)
    optional = {"s3fs", "botocore", "psycopg", "shap"}  # named by their own extras, imported lazily
    missing = {
        m: where
        for m, where in _imports(SRC / folder).items()
        if m not in optional and not _providers(m) & declared
    }
    assert missing == {}


def test_the_install_hints_name_the_extra_that_declares_the_module() -> None:
    for module, extra in MODULE_EXTRAS.items():
        assert _providers(module) & _declared(extra), f"{module} is not declared in the {extra!r} extra"
