"""The allocator settings apply once per process and report whether glibc took them."""

from __future__ import annotations

import subprocess
import sys

from modelwatch.engines.allocator import tune_allocator


def test_tune_allocator_is_idempotent() -> None:
    first = tune_allocator()
    assert tune_allocator() == first


def test_glibc_accepts_the_settings() -> None:
    script = "from modelwatch.engines.allocator import tune_allocator; print(tune_allocator())"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    expected = "True" if sys.platform.startswith("linux") else result.stdout.strip()
    assert result.stdout.strip() == expected
