"""No module-level import cycles among modelwatch's modules (issue 18), in capture/ and ui/ at least.

Every ``import`` and ``from ... import`` that runs when a module is imported counts: those in the module
body and in its top-level ``if``/``try``/``with`` blocks and class bodies, but not those inside
functions (run later, on first call) nor under ``if TYPE_CHECKING:`` (never run). Relative imports
are resolved; ``from package import name`` depends on the package and, when ``name`` is a module, on
that module too. The cycles are the strongly connected components of that graph with more than one
module (a package importing its own modules in its ``__init__`` is not one).

The packages whose cycles fail this test are ``CHECKED``; run ``pytest -s`` on this file to print the
cycles found elsewhere (being removed by the rest of issue 18).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import modelwatch

ROOT = Path(modelwatch.__file__).parent
CHECKED = ("modelwatch.capture", "modelwatch.ui")


def _module_name(root: Path, path: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, *, deferred: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements under ``node`` that run when it runs; with ``deferred``, also those in
    functions (run on first call). Never those under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.orelse:
                yield from _imports(ast.Module(body=[statement], type_ignores=[]), deferred=deferred)
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) and not deferred:
            continue
        else:
            yield from _imports(child, deferred=deferred)


def import_graph(root: Path, *, deferred: bool = False) -> dict[str, set[str]]:
    """Each module of the package at ``root`` and the modules of that package it imports at import time
    (with ``deferred``, also inside its functions)."""
    paths = {_module_name(root, path): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(), str(path)), deferred=deferred):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = package
                for _ in range(node.level - 1 if node.level else 0):
                    base = base.rpartition(".")[0]
                source = (
                    node.module if not node.level else ".".join(part for part in (base, node.module) if part)
                )
                assert source is not None
                targets = [source, *(f"{source}.{alias.name}" for alias in node.names)]
            # a package importing its own modules (``from pkg import a`` in pkg/__init__.py) is no cycle
            graph[name].update(target for target in targets if target in paths and target != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with a cycle (Tarjan's algorithm, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


def _in(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _in_checked(module: str) -> bool:
    return any(_in(module, package) for package in CHECKED)


def test_capture_and_ui_have_no_import_cycles() -> None:
    found = cycles(import_graph(ROOT))
    checked = [component for component in found if any(_in_checked(m) for m in component)]
    others = [component for component in found if component not in checked]
    print(f"import-time cycles outside {', '.join(CHECKED)}: {others or 'none'}")
    assert checked == [], "module-level import cycles:\n" + "\n".join(" <-> ".join(c) for c in checked)


@pytest.mark.parametrize("package", CHECKED)
def test_no_cycle_inside_capture_or_ui_even_through_deferred_imports(package: str) -> None:
    """An import inside a function does not break a cycle, it hides it: within each checked package
    no module may import (even lazily) one that imports it back. (A cycle through another package,
    such as api <-> ui, is the layering contracts' business; it is printed here.)"""
    graph = import_graph(ROOT, deferred=True)
    inside = {m: {t for t in targets if _in(t, package)} for m, targets in graph.items() if _in(m, package)}
    found = cycles(inside)
    crossing = [c for c in cycles(graph) if any(_in(m, package) for m in c) and c not in found]
    print(f"cycles through {package} and other packages, deferred imports included: {crossing or 'none'}")
    assert found == [], "import cycles (deferred imports included):\n" + "\n".join(
        " <-> ".join(c) for c in found
    )


def _package(tmp_path: Path, modules: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, source in {"__init__": "", **modules}.items():
        path = root.joinpath(*name.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.parent / "__init__.py").touch()
        path.write_text(source)
    return root


def test_a_cycle_through_a_relative_import_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "sub.a": "from pkg.sub.b import thing\n",
            "sub.b": "from . import c\n",
            "sub.c": "import os\nfrom ..sub import a\n",
            "lone": "from pkg.sub import a\n",
        },
    )
    assert cycles(import_graph(root)) == [["pkg.sub.a", "pkg.sub.b", "pkg.sub.c"]]


@pytest.mark.parametrize(
    "deferred",
    [
        "def load():\n    from pkg.a import x\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import x\n",
        "import typing\nif typing.TYPE_CHECKING:\n    import pkg.a\n",
    ],
)
def test_imports_in_functions_or_for_type_checking_make_no_import_time_cycle(
    tmp_path: Path, deferred: str
) -> None:
    root = _package(tmp_path, {"a": "from pkg.b import y\n", "b": deferred})
    assert cycles(import_graph(root)) == []
    expected = [] if "TYPE_CHECKING" in deferred else [["pkg.a", "pkg.b"]]
    assert cycles(import_graph(root, deferred=True)) == expected


def test_an_import_in_a_try_block_or_a_class_body_counts(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {"a": "try:\n    import pkg.b\nexcept ImportError:\n    pass\n", "b": "class B:\n    import pkg.a\n"},
    )
    assert cycles(import_graph(root)) == [["pkg.a", "pkg.b"]]
