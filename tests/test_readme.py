"""The README starts with the two set-up commands, and CI runs the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_readme_opens_with_the_demo_and_the_test_command() -> None:
    blocks = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)
    demo, tests = blocks[0].strip(), blocks[1].strip()
    assert demo.endswith("modelwatch demo")
    assert tests == "tools/test"
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == f"exec {tests}"  # CI ends with the README's test command, and passes its exit status
    assert (ROOT / "tools" / "test").read_text().rstrip().endswith('exec .venv/bin/python -m pytest "$@"')


def test_ci_proves_the_demos_install_in_a_fresh_virtualenv() -> None:
    """tools/fresh-installs installs exactly what the README's first command installs, then runs the demo."""
    demo = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)[0]
    target = re.search(r"pip install -q (-e '[^']+')", demo)
    assert target is not None
    fresh = (ROOT / "tools" / "fresh-installs").read_text()
    assert f"venv demo {target.group(1)}" in fresh
    assert "tools/fresh-installs" in (ROOT / ".ci" / "run").read_text()


def test_public_api_matches_all() -> None:
    import pkgutil

    import modelwatch

    submodules = {module.name for module in pkgutil.iter_modules(modelwatch.__path__)}
    public = {name for name in vars(modelwatch) if not name.startswith("_")}
    assert public - submodules == set(modelwatch.__all__) - {"__version__"}
