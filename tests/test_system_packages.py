"""tools/system-packages: what the tests need from the system is installed when missing (as root), or the
one apt-get line to run is printed (any other user). Run with stand-ins for ``id`` and ``apt-get`` on a PATH
that has no Chromium and no initdb."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def bare_path(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    _stub(folder, "apt-get", f'echo "$@" >> {tmp_path / "apt.log"}')
    return folder


def _run(folder: Path, uid: int, **env: str) -> subprocess.CompletedProcess[str]:
    _stub(folder, "id", f"echo {uid}")
    environment = {"PATH": str(folder), **env}
    return subprocess.run(
        ["/bin/bash", str(ROOT / "tools" / "system-packages")],
        capture_output=True, text=True, env=environment, timeout=60, check=False,
    )  # fmt: skip


def _missing() -> list[str]:
    has_postgres = any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return ["chromium"] if has_postgres else ["postgresql", "chromium"]


def test_another_user_is_shown_the_one_line_to_run(bare_path: Path, tmp_path: Path) -> None:
    result = _run(bare_path, 1000)
    assert result.returncode == 1
    assert f"sudo apt-get update && sudo apt-get install -y {' '.join(_missing())}" in result.stderr
    assert not (tmp_path / "apt.log").exists()


def test_root_installs_what_is_missing(bare_path: Path, tmp_path: Path) -> None:
    result = _run(bare_path, 0)
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "apt.log").read_text().splitlines()
    assert calls == ["update -qq", f"install -y -qq {' '.join(_missing())}"]


def test_a_chromium_named_by_the_setting_is_not_installed(bare_path: Path, tmp_path: Path) -> None:
    result = _run(bare_path, 1000, MODELWATCH_TEST_CHROMIUM="/opt/chrome/chrome")
    assert "chromium" not in result.stderr
