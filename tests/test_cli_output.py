"""Output for scripts: through real pipes, lines are never cut or wrapped, and a command whose optional
dependency is missing says in one line which extra to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.csv as pcsv
import pytest
from rich.table import Table

from modelwatch.examples import drift, example_dataset
from modelwatch.terminal import ScriptFriendlyConsole

LONG = "monthly_average_outstanding_balance_across_all_revolving_credit_accounts_in_the_last_year"


def modelwatch(*args: str, block: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the ``modelwatch`` entry point with stdout and stderr on pipes; ``block`` makes a module
    unimportable, as on an install without the extra that brings it."""
    code = "import sys\n"
    if block:
        code += f"sys.modules[{block!r}] = None\n"
    code += f"sys.argv = ['modelwatch', *{list(args)!r}]\nfrom modelwatch.cli import main\nmain()\n"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=cwd, check=False
    )


def test_a_table_printed_to_a_pipe_keeps_every_cell_whole() -> None:
    import io

    stream = io.StringIO()
    table = Table(LONG, "value")
    table.add_row("mean_are_" + LONG, "0.123456789")
    ScriptFriendlyConsole(file=stream).print(table)
    lines = stream.getvalue().splitlines()
    assert any(LONG in line and "0.123456789" not in line for line in lines)  # the header row, whole
    assert any("mean_are_" + LONG in line and "0.123456789" in line for line in lines)


def test_check_violations_through_a_pipe_are_one_whole_line_each(tmp_path: Path) -> None:
    table = pcsv.read_csv(example_dataset())
    renamed = table.rename_columns([LONG if name == "income" else name for name in table.column_names])
    pcsv.write_csv(renamed, tmp_path / "train.csv")
    drifted = drift(table).rename_columns(renamed.column_names)
    pcsv.write_csv(drifted, tmp_path / "today.csv")
    train = str(tmp_path / "train.csv")
    baseline = modelwatch("baseline", "-d", train, "--header", "-o", str(tmp_path / "b"))
    assert baseline.returncode == 0, baseline.stderr
    result = modelwatch(
        "check", "-d", str(tmp_path / "today.csv"), "--header", "-o", str(tmp_path / "r"), "-q",
        "--baseline-statistics", str(tmp_path / "b" / "statistics.json"),
        "--baseline-constraints", str(tmp_path / "b" / "constraints.json"),
    )  # fmt: skip
    assert result.returncode == 4, result.stderr
    line = next(line for line in result.stdout.splitlines() if LONG in line)
    assert line.startswith(f"  {LONG}: baseline_drift_check: ")
    assert "exceeds" in line and line.rstrip().endswith("threshold: 0.1")  # the description runs to its end


def test_an_error_through_a_pipe_is_one_line_naming_the_whole_path(tmp_path: Path) -> None:
    folder = tmp_path / ("a_rather_long_folder_name_" * 4)
    folder.mkdir()
    missing = folder / "training-data-that-does-not-exist.csv"
    result = modelwatch("baseline", "-d", str(missing), "-o", str(tmp_path / "o"), "-q")
    assert result.returncode == 1
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        next(line for line in result.stderr.splitlines() if str(missing) in line)
    ]


def test_a_usage_error_through_a_pipe_keeps_its_message_on_one_line(tmp_path: Path) -> None:
    result = modelwatch("proxy", "--endpoint", "churn", "--upstream", "http://127.0.0.1:1",
                        "--capture-uri", str(tmp_path), "--sampling", "250.5")  # fmt: skip
    assert result.returncode == 2
    assert "╭" not in result.stderr
    assert "Error: Invalid value for '--sampling': Input should be less than or equal to 100" in (
        result.stderr.splitlines()
    )


@pytest.mark.parametrize(
    ("block", "args", "extra"),
    [
        ("httptools", ["proxy", "--endpoint", "e", "--upstream", "http://127.0.0.1:1", "--capture-uri", "c"],
         "capture"),
        ("uvicorn", ["proxy", "--endpoint", "e", "--upstream", "http://127.0.0.1:1", "--capture-uri", "c"],
         "capture"),
        ("fastapi", ["server", "--port", "1"], "server"),
        ("jinja2", ["server", "--port", "1"], "server"),
        ("fastapi", ["demo", "--no-wait"], "demo"),
        ("s3fs", ["baseline", "-d", "s3://bucket/train.csv", "-o", "out"], "s3"),
    ],
)  # fmt: skip
def test_a_missing_extra_is_one_line_naming_it(
    block: str, args: list[str], extra: str, tmp_path: Path
) -> None:
    result = modelwatch(*args, block=block, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"pip install 'modelwatch[{extra}]'" in lines[0]


def test_the_proxy_does_not_listen_on_the_model_servers_usual_port() -> None:
    from modelwatch.cli import proxy

    assert "8080" not in str(proxy.__defaults__ or ()) and "9000" in str(proxy.__defaults__ or ())
