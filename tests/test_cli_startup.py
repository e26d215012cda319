"""Start-up: ``modelwatch --help`` and a small ``modelwatch baseline`` import only what they use.

Which modules a command loads is checked rather than how long it takes (no timing asserts); the
figures are in the benchmark (``benchmarks/profile.py``) and the issue.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from modelwatch.cli import DEFERRED_HELP, deferred_commands

_LOADED = """
import sys
from modelwatch.cli import app
try:
    app({args!r}, prog_name="modelwatch")
except SystemExit as stop:
    assert not stop.code, stop.code
heavy = {heavy!r}
print(sorted(m for m in heavy if m in sys.modules))
"""


def _loaded(args: list[str], heavy: list[str]) -> list[str]:
    script = textwrap.dedent(_LOADED.format(args=args, heavy=heavy))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])  # a list literal of module names


def test_help_lists_the_deferred_commands_with_their_real_help() -> None:
    real = deferred_commands().commands
    assert list(DEFERRED_HELP) == list(real)
    for name, text in DEFERRED_HELP.items():
        assert text == (real[name].help or "").split("\n\n")[0].strip(), name


def test_help_imports_no_reader_no_client_no_check_step() -> None:
    heavy = ["pyarrow", "pandas", "numba", "scipy", "fsspec", "pydantic_settings", "sqlalchemy"]
    heavy += ["modelwatch.check_steps", "modelwatch.cli_client", "modelwatch.io.datasets", "rich.progress"]
    assert _loaded(["--help"], heavy) == []


def test_small_baseline_imports_no_pandas_compiler_scipy_or_service(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,x\n2.5,y\n")
    args = ["baseline", "-d", str(data), "--header", "-o", str(tmp_path / "out"), "-q"]
    heavy = ["pandas", "numba", "llvmlite", "scipy", "sqlalchemy"]
    heavy += ["modelwatch.service", "modelwatch.cli_client"]
    assert _loaded(args, heavy) == []
    assert (tmp_path / "out" / "statistics.json").exists()
