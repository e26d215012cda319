"""The layering of ../shared/DESIGN.md, checked on every import under src/modelwatch (lazy ones and those
under ``TYPE_CHECKING`` included): a package imports only packages of a lower layer, or its own.

``KNOWN`` lists the upward imports that exist today, each to be folded (issue 18); the test is a ratchet:
a new upward import fails it, and so does a listed one that is gone (remove it from the list).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).parents[1] / "src"

LAYERS: dict[str, float] = {
    # the foundations every layer may use
    "errors": 0,
    "": 0.5,  # modelwatch/__init__.py: the version and the errors
    "settings": 1,
    "lazy": 1,
    "terminal": 1,
    "cli_options": 1,  # command-line options that several commands declare alike
    "extras": 1,
    "io": 2,
    "examples": 2,
    "capture": 3,  # an endpoint embeds it without the service: io and the foundations only
    "formats": 3,
    "analysis": 4,
    "checks": 5,
    "engines": 6,
    "scripts": 6,
    "monitors": 7,
    "reports": 7,
    "jobs": 8,
    "service": 9,
    "web": 10.5,  # what api and ui share: the request's session, parameter types, file serving
    "client": 10,
    "api": 11,
    "ui": 11,  # api and ui are siblings: neither imports the other
    "sagemaker_api": 11,  # SageMaker's JSON 1.1 API, a sibling of api and ui
    "cli_client": 11,
    "server": 12,
    "demo": 13,
    "check_steps": 13.5,  # modelwatch quality-check / clarify-check: the Pipelines check steps
    "cli": 14,
}

KNOWN: set[tuple[str, str]] = set()
"""(importing module, imported package) pairs that break the layering today."""


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(src: Path) -> dict[str, set[str]]:
    """Every ``modelwatch.*`` module that each module under ``src/modelwatch`` imports, anywhere in it."""
    found: dict[str, set[str]] = {}
    for path in sorted((src / "modelwatch").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        package = parts[:-1]  # what relative imports start from, for a module and an __init__ alike
        module = ".".join(parts if parts[-1] != "__init__" else parts[:-1])
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - node.level + 1]
                targets.add(".".join([*base, *([node.module] if node.module else [])]))
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets.add(node.module)
        found[module] = {t for t in targets if t == "modelwatch" or t.startswith("modelwatch.")}
    return found


def upward_imports(src: Path) -> set[tuple[str, str]]:
    """(module, imported package) for each import of a package that is not below the module's own."""
    broken = set()
    for module, targets in imports(src).items():
        own = _package(module)
        for target in targets:
            other = _package(target)
            if other != own and LAYERS[other] >= LAYERS[own]:
                broken.add((module, other))
    return broken


def test_every_package_has_a_layer() -> None:
    packages = {_package(module) for module in imports(SRC)}
    assert packages <= set(LAYERS), f"give these a layer: {sorted(packages - set(LAYERS))}"


def test_no_import_runs_up_the_layers() -> None:
    broken = upward_imports(SRC)
    assert sorted(broken - KNOWN) == [], "new upward imports"
    assert sorted(KNOWN - broken) == [], "folded: remove them from KNOWN"


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    """The check itself: a deliberate upward import (io importing the service) is found."""
    for name, text in {
        "modelwatch/__init__.py": "",
        "modelwatch/io/__init__.py": "",
        "modelwatch/io/reader.py": "def f():\n    from modelwatch.service import runner\n",
        "modelwatch/service/__init__.py": "from ..io import reader\n",
        "modelwatch/api/app.py": "from modelwatch.ui import pages\n",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert upward_imports(tmp_path) == {("modelwatch.io.reader", "service"), ("modelwatch.api.app", "ui")}


SCHEMA_MODULES = {"modelwatch.service.schemas", "modelwatch.service.alert_schemas"}
"""The service's request and answer models: pydantic only, what an HTTP client may import."""


ON_THE_DATABASE = {f"modelwatch.cli_client.{name}" for name in ("tokens", "access_keys", "database")}
"""The CLI client's modules that work on the database directly (``modelwatch tokens``, ``access-keys``)."""


def test_the_http_client_and_its_commands_reach_the_service_only_through_its_schemas() -> None:
    """``client.py`` and ``cli_client/`` talk HTTP; the modules of ``ON_THE_DATABASE`` work on the
    database by design (they run where the database is, before any token or key exists)."""
    found = imports(SRC)
    clients = [m for m in found if m == "modelwatch.client" or m.startswith("modelwatch.cli_client")]
    reaching = {
        (module, target)
        for module in clients
        if module not in ON_THE_DATABASE
        for target in found[module]
        if _package(target) == "service" and target not in SCHEMA_MODULES
    }
    assert clients and reaching == set()


def test_the_architecture_page_names_every_layer_and_only_files_that_exist() -> None:
    """docs/architecture.md lists exactly the packages of ``LAYERS``; every module it names exists."""
    text = (SRC.parent / "docs" / "architecture.md").read_text()
    table = text.split("## Layers", 1)[1].split("##", 1)[0]
    rows = [line.split("|") for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    named = {name for row in rows[1:] for name in re.findall(r"`([a-z_]+)`", row[2])}
    assert named == set(LAYERS) - {""}
    for path in re.findall(r"`([a-z_]+/[a-z_/]+\.py)`", text):
        if path.startswith("tests/"):
            assert (SRC.parent / path).is_file(), path
            continue
        assert (SRC / "modelwatch" / path).is_file(), path
    for module in re.findall(r"`((?:io|jobs|service|analysis|checks)\.[a-z_]+)`", text):
        assert (SRC / "modelwatch" / (module.replace(".", "/") + ".py")).is_file(), module


def private_imports(src: Path) -> set[str]:
    """``module: imported.name`` for each private name (``_x``) one module imports from another."""
    found = set()
    for path in sorted((src / "modelwatch").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        package = parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ImportFrom):
                continue
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            private = [a.name for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
            if target.startswith("modelwatch") and private:
                found |= {f"{'.'.join(parts)}: {target}.{name}" for name in private}
    return found


def test_no_module_imports_another_modules_private_names(tmp_path: Path) -> None:
    """A helper another module needs is public API of its module (``_private`` modules may be imported)."""
    assert sorted(private_imports(SRC)) == []
    (tmp_path / "modelwatch/monitors").mkdir(parents=True)
    (tmp_path / "modelwatch/monitors/merge.py").write_text("from ..io.capture import _inference_time\n")
    assert private_imports(tmp_path) == {"modelwatch.monitors.merge: modelwatch.io.capture._inference_time"}
