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


def test_arrow_allocates_from_jemalloc_after_tuning_where_the_build_has_it() -> None:
    script = (
        "import pyarrow as pa\n"
        "from modelwatch.engines.allocator import tune_allocator\n"
        "before = pa.default_memory_pool().backend_name\n"
        "try:\n"
        "    pa.jemalloc_memory_pool()\n"
        "    expected = 'jemalloc'\n"
        "except NotImplementedError:\n"
        "    expected = before\n"
        "tune_allocator()\n"
        "print(pa.default_memory_pool().backend_name, expected)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    backend, expected = result.stdout.split()
    assert backend == expected
