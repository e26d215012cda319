"""docs/check-steps.md says what the commands do: its block runs, its options and properties exist."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from typer.main import get_command

from modelwatch.check_steps import CheckStatus, CheckStepOutcome, CheckType, StepOptions
from modelwatch.cli import app

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "check-steps.md").read_text()


def _block(after: str, language: str) -> str:
    section = DOC.split(after, 1)[1]
    found = re.search(rf"```{language}\n(.*?)\n```", section, flags=re.S)
    assert found is not None, f"no {language} block after {after!r}"
    return found.group(1)


def test_the_try_it_block_runs(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-e", "-c", _block("## Try it", "bash")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout[done.stdout.index("{") :])
    assert printed["CheckStatus"] == "Passed"
    assert printed["BaselineUsedForDriftCheckConstraints"] == "baselines/v1/constraints.json"
    assert json.loads((tmp_path / "baselines" / "v1" / "baseline.json").read_text())["RegisterNewBaseline"]


def test_the_documented_properties_are_the_written_ones() -> None:
    documented = json.loads(_block("`baseline.json` (and `--json`):", "json"))
    outcome = CheckStepOutcome(
        CheckType.DATA_QUALITY,
        StepOptions(),
        CheckStatus.PASSED,
        calculated_constraints="c",
        calculated_statistics="s",
    )
    assert list(documented) == list(outcome.properties())
    assert documented["CheckStatus"] in {status.value for status in CheckStatus}


def test_every_documented_option_exists() -> None:
    commands = get_command(app).commands  # type: ignore[attr-defined]  # the root is a group
    options = {
        name: {opt for param in commands[name].params for opt in (*param.opts, *param.secondary_opts)}
        for name in ("quality-check", "clarify-check")
    }
    usage = DOC.split("## The commands", 1)[1].split("```", 2)[1]
    for command, text in re.findall(
        r"modelwatch (quality-check|clarify-check)(.*?)(?=modelwatch |\Z)", usage, re.S
    ):
        for option in re.findall(r"--[a-z][a-z-]+", text):
            assert option in options[command], (
                f"{command} {option} is in docs/check-steps.md, not in the command"
            )
