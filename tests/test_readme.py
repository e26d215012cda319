"""The README starts with the two set-up commands, and CI runs the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_readme_opens_with_the_demo_and_the_test_command() -> None:
    blocks = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)
    demo, tests = blocks[0].strip(), blocks[1].strip()
    assert demo.endswith("modelwatch demo")
    assert tests.endswith("python -m pytest")
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_public_api_matches_all() -> None:
    import pkgutil

    import modelwatch

    submodules = {module.name for module in pkgutil.iter_modules(modelwatch.__path__)}
    public = {name for name in vars(modelwatch) if not name.startswith("_")}
    assert public - submodules == set(modelwatch.__all__) - {"__version__"}
