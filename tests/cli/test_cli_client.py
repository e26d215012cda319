"""The server commands end to end: the CLI against a real API server (uvicorn on a loopback port)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Cli, Served, as_json, free_port
from typer.testing import CliRunner

from capture_data import write_capture
from modelwatch.cli import app
from modelwatch.cli_client import EXIT_ERROR, EXIT_UNREACHABLE, EXIT_USAGE
from modelwatch.examples import example_dataset
from modelwatch.monitors.data_quality import suggest_baseline

GROUPS = {
    "endpoints": ["create", "list", "describe", "delete"],
    "baselines": ["start", "list", "describe", "download"],
    "schedules": ["create", "list", "describe", "update", "start", "stop", "delete", "run"],
    "executions": ["list", "describe", "stop", "download"],
    "metrics": ["list", "show"],
    "ground-truth": ["upload"],
    "alerts": ["list", "update", "history", "statistics"],
    "alarms": ["create", "list", "describe", "update", "delete"],
    "channels": ["create", "list", "describe", "delete"],
    "tokens": ["create", "list", "revoke"],
    "access-keys": ["create", "list", "delete"],
}
HOUR = datetime(2026, 6, 1, 10, tzinfo=UTC)
ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize(
    "command", [[group] for group in GROUPS] + [[g, c] for g, cs in GROUPS.items() for c in cs]
)
def test_every_server_command_has_help_with_an_example(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    if len(command) == 2:
        assert "Example:" in result.output and "modelwatch " in result.output


def test_every_server_command_is_documented_and_tested() -> None:
    from typer.core import TyperGroup
    from typer.main import get_command

    root = get_command(app)
    assert isinstance(root, TyperGroup)
    section = (ROOT / "docs" / "cli.md").read_text().split("## Server commands", 1)[1]
    for group, commands in GROUPS.items():
        sub = root.commands[group]
        assert isinstance(sub, TyperGroup)
        assert sorted(sub.commands) == sorted(commands)
        rows = "\n".join(line for line in section.splitlines() if f"`modelwatch {group} " in line)
        for command in commands:
            assert re.search(rf"\b{command}\b", rows), f"modelwatch {group} {command} is not in docs/cli.md"


@pytest.fixture(scope="module")
def baseline_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("baseline")
    result = suggest_baseline(str(example_dataset()), str(folder), format="csv", header=True, workers=1)
    return result.statistics_uri, result.constraints_uri


def _schedule(cli: Cli, baseline: tuple[str, str], *extra: str) -> Any:
    files = ("--baseline-statistics", baseline[0], "--baseline-constraints", baseline[1])
    return as_json(cli("schedules create --name churn-hourly --endpoint churn --json", *files, *extra))


# -- endpoints ------------------------------------------------------------------------------------


def test_endpoints_create_list_describe_delete(server: Served, cli: Cli, tmp_path: Path) -> None:
    assert "endpoint churn created" in cli("endpoints create --name churn").stdout
    capture = str(tmp_path / "capture")
    created = as_json(
        cli(
            "endpoints create --name fraud --variant A --variant B --sampling 50 --json --capture-uri",
            capture,
        )
    )
    assert created["variants"] == ["A", "B"]
    assert created["capture_uri"] == capture
    assert created["data_capture_config"]["InitialSamplingPercentage"] == 50

    listed = as_json(cli("endpoints list --json"))
    assert [e["name"] for e in listed["items"]] == ["churn", "fraud"] and listed["next_token"] is None
    table = cli("endpoints list").stdout
    assert "churn" in table and "fraud" in table
    first = as_json(cli("endpoints list --max-results 1 --json"))
    assert [e["name"] for e in first["items"]] == ["churn"]
    second = as_json(cli("endpoints list --max-results 1 --json --next-token", first["next_token"]))
    assert [e["name"] for e in second["items"]] == ["fraud"]
    assert len(as_json(cli("endpoints list --max-results 1 --all --json"))["items"]) == 2
    assert "--next-token" in cli("endpoints list --max-results 1").stderr
    matching = as_json(cli("endpoints list --name-contains fr --json"))
    assert [e["name"] for e in matching["items"]] == ["fraud"]

    panel = cli("endpoints describe fraud").stdout
    assert "capture_uri" in panel and "InitialSamplingPercentage" in panel
    assert as_json(cli("endpoints describe churn --json"))["variants"] == ["AllTraffic"]

    assert "endpoint fraud deleted" in cli("endpoints delete fraud").stdout
    failed = cli("endpoints describe fraud", code=EXIT_ERROR)
    assert "endpoint 'fraud' does not exist" in failed.stderr
    assert failed.stdout == ""


def test_a_conflict_and_a_local_validation_error(server: Served, cli: Cli) -> None:
    cli("endpoints create --name churn")
    assert "already exists" in cli("endpoints create --name churn", code=EXIT_ERROR).stderr
    assert "name" in cli("endpoints create --name not_valid!", code=EXIT_USAGE).stderr


def test_an_unreachable_server_exits_3_and_names_the_url(cli: Cli) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = cli("endpoints list --url", url, code=EXIT_UNREACHABLE)
    assert url in result.stderr and "MODELWATCH_URL" in result.stderr


# -- schedules ------------------------------------------------------------------------------------


def test_schedules_create_list_describe_update_stop_start_delete(
    server: Served, cli: Cli, baseline_files: tuple[str, str]
) -> None:
    cli("endpoints create --name churn")
    created = _schedule(cli, baseline_files, "--start-offset", "-PT2H", "--end-offset", "-PT1H")
    assert created["status"] == "Scheduled"
    assert created["schedule_expression"] == "cron(0 * ? * * *)"
    definition = created["definition"]
    assert definition["endpoint_input"]["start_time_offset"] == "-PT2H"
    assert definition["baseline_statistics_uri"] == baseline_files[0]

    assert "churn-hourly" in cli("schedules list").stdout
    listed = as_json(cli("schedules list --endpoint churn --status Scheduled --json"))
    assert [s["name"] for s in listed["items"]] == ["churn-hourly"]
    assert as_json(cli("schedules list --status Stopped --json"))["items"] == []
    assert "definition.endpoint_input.endpoint_name" in cli("schedules describe churn-hourly").stdout

    changes = "--cron 'cron(0 0/2 ? * * *)' --max-runtime 600 --end-offset=-PT30M --json"
    updated = as_json(cli(f"schedules update churn-hourly {changes}"))
    assert updated["schedule_expression"] == "cron(0 0/2 ? * * *)"
    assert updated["definition"]["max_runtime_seconds"] == 600
    assert updated["definition"]["endpoint_input"]["start_time_offset"] == "-PT2H"
    assert updated["definition"]["endpoint_input"]["end_time_offset"] == "-PT30M"
    assert "nothing to change" in cli("schedules update churn-hourly", code=EXIT_USAGE).stderr

    assert "Stopped" in cli("schedules stop churn-hourly").stdout
    assert as_json(cli("schedules start churn-hourly --json"))["status"] == "Scheduled"
    assert "schedule churn-hourly deleted" in cli("schedules delete churn-hourly").stdout
    assert "does not exist" in cli("schedules describe churn-hourly", code=EXIT_ERROR).stderr


def test_schedules_create_and_update_from_spec_files(
    server: Served, cli: Cli, baseline_files: tuple[str, str], tmp_path: Path
) -> None:
    cli("endpoints create --name churn")
    spec = {
        "name": "from-file",
        "schedule_expression": "cron(0 6 ? * * *)",
        "definition": {
            "endpoint_input": {"endpoint_name": "churn"},
            "baseline_statistics_uri": baseline_files[0],
            "baseline_constraints_uri": baseline_files[1],
        },
    }
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    assert (
        "schedule from-file (cron(0 6 ? * * *)): Scheduled"
        in cli("schedules create --file", str(path)).stdout
    )
    (tmp_path / "update.json").write_text(json.dumps({"schedule_expression": "cron(0 12 ? * * *)"}))
    updated = as_json(cli("schedules update from-file --json --file", str(tmp_path / "update.json")))
    assert updated["schedule_expression"] == "cron(0 12 ? * * *)"

    (tmp_path / "bad.json").write_text(json.dumps({**spec, "schedule_expression": ""}))
    assert "schedule_expression" in cli("schedules create --file", str(tmp_path / "bad.json"), code=2).stderr
    (tmp_path / "broken.json").write_text("{")
    assert "is not JSON" in cli("schedules create --file", str(tmp_path / "broken.json"), code=2).stderr
    assert "not both" in cli("schedules create --name x --file", str(path), code=EXIT_USAGE).stderr
    assert "--name" in cli("schedules create --endpoint churn", code=EXIT_USAGE).stderr


def test_server_field_errors_are_printed(server: Served, cli: Cli, tmp_path: Path) -> None:
    cli("endpoints create --name churn")
    missing = str(tmp_path / "missing.json")
    result = cli(
        "schedules create --name dq --endpoint churn",
        *("--baseline-statistics", missing, "--baseline-constraints", missing),
        code=EXIT_ERROR,
    )
    assert "definition.baseline_statistics_uri" in result.stderr
    assert "does not exist" in result.stderr
    no_endpoint = cli("schedules create --name dq --endpoint nope", code=EXIT_ERROR)
    assert "endpoint 'nope' does not exist" in no_endpoint.stderr


def test_an_endpoint_with_schedules_cannot_be_deleted(
    server: Served, cli: Cli, baseline_files: tuple[str, str]
) -> None:
    cli("endpoints create --name churn")
    _schedule(cli, baseline_files)
    assert "delete them first" in cli("endpoints delete churn", code=EXIT_ERROR).stderr


# -- run now, executions, metrics (no runner: executions stay Pending) ----------------------------


def test_run_now_lists_describes_and_stops_an_execution(
    server: Served, cli: Cli, baseline_files: tuple[str, str]
) -> None:
    cli("endpoints create --name churn")
    _schedule(cli, baseline_files)
    run = as_json(
        cli("schedules run churn-hourly --start 2026-06-01T10:00:00Z --end 2026-06-01T11:00 --json")
    )
    assert run["status"] == "Pending"
    assert (run["window_start"], run["window_end"]) == ("2026-06-01T10:00:00Z", "2026-06-01T11:00:00Z")
    number = str(run["id"])

    listed = as_json(cli("executions list --schedule churn-hourly --json"))
    assert [e["id"] for e in listed["items"]] == [run["id"]]
    assert "churn-hourly" in cli("executions list").stdout
    assert as_json(cli("executions list --status Completed --json"))["items"] == []
    after = as_json(cli("executions list --after 2000-01-01 --sort-by ScheduledTime --json"))
    assert len(after["items"]) == 1

    detail = as_json(cli("executions describe --json", number))
    assert detail["id"] == run["id"] and detail["files"] == {} and detail["log"] is None
    assert "window_start" in cli("executions describe", number).stdout
    assert "no result files" in cli("executions download", number, code=EXIT_ERROR).stderr

    assert f"execution {number}: Stopped" in cli("executions stop", number).stdout
    assert "does not exist" in cli("executions describe 999", code=EXIT_ERROR).stderr
    assert as_json(cli("metrics list churn-hourly --json")) == {"names": []}
    assert as_json(cli("metrics show churn-hourly x --last 1d --json")) == {"points": []}
    assert "does not exist" in cli("metrics list nope", code=EXIT_ERROR).stderr


def test_run_now_window_options(server: Served, cli: Cli, baseline_files: tuple[str, str]) -> None:
    cli("endpoints create --name churn")
    _schedule(cli, baseline_files)
    run = as_json(cli("schedules run churn-hourly --last 90m --json"))
    start = datetime.fromisoformat(run["window_start"])
    end = datetime.fromisoformat(run["window_end"])
    assert end - start == timedelta(minutes=90)
    assert abs(end - datetime.now(UTC)) < timedelta(minutes=5)
    assert "--last" in cli("schedules run churn-hourly --last 1y", code=EXIT_USAGE).stderr
    both = cli("schedules run churn-hourly --last 1h --start 2026-01-01", code=EXIT_USAGE)
    assert "not both" in both.stderr
    assert "--start" in cli("schedules run churn-hourly --start yesterday", code=EXIT_USAGE).stderr
    empty = cli("schedules run churn-hourly --start 2026-06-01T11:00Z --end 2026-06-01T10:00Z", code=1)
    assert "window_end" in empty.stderr


# -- the whole loop, with a scheduler and job runner ----------------------------------------------


def test_baseline_schedule_run_download_and_metrics(
    server_with_scheduler: Served, cli: Cli, tmp_path: Path
) -> None:
    started = cli("baselines start --name credit --header --wait --dataset", str(example_dataset()))
    assert "baselining job credit: Completed" in started.stdout
    assert [b["name"] for b in as_json(cli("baselines list --json"))["items"]] == ["credit"]
    assert "credit" in cli("baselines list --status Completed").stdout
    assert as_json(cli("baselines describe credit --json"))["statistics_uri"]
    assert "statistics_uri" in cli("baselines describe credit").stdout
    assert "statistics.json" in cli("baselines download credit -o", str(tmp_path / "baseline")).stdout
    baseline = (str(tmp_path / "baseline/statistics.json"), str(tmp_path / "baseline/constraints.json"))
    assert "features" in json.loads(cli("baselines download credit constraints.json -o -").stdout)
    assert "expected one of" in cli("baselines download credit x.json", code=EXIT_USAGE).stderr

    endpoint = as_json(cli("endpoints create --name churn --json"))
    rows = [line.split(",") for line in example_dataset().read_text().splitlines()[1:201]]
    write_capture(Path(endpoint["capture_uri"]), "churn", HOUR, rows)
    _schedule(cli, baseline)
    window = ("--start", HOUR.isoformat(), "--end", (HOUR + timedelta(hours=1)).isoformat())
    execution = as_json(cli("schedules run churn-hourly --wait --json", *window))
    assert execution["status"] in ("Completed", "CompletedWithViolations"), execution["failure_reason"]
    assert execution["record_count"] == 200
    number = str(execution["id"])

    detail = as_json(cli("executions describe --json", number))
    assert {"statistics.json", "constraint_violations.json"} <= set(detail["files"])
    assert detail["log"]
    assert "files:" in cli("executions describe", number).stdout
    folder = tmp_path / "results"
    cli("executions download", number, "-o", str(folder))
    downloaded = {p.name for p in folder.iterdir()}
    assert {"statistics.json", "constraint_violations.json", "execution.log"} <= downloaded
    violations = cli("executions download", number, "constraint_violations.json", "-o", "-")
    assert "violations" in json.loads(violations.stdout)
    two = cli("executions download", number, "a.json", "b.json", "-o", "-", code=EXIT_USAGE)
    assert "exactly one" in two.stderr

    assert "feature_data_income" in as_json(cli("metrics list churn-hourly --json"))["names"]
    assert "feature_data_income" in cli("metrics list churn-hourly").stdout
    points = as_json(cli("metrics show churn-hourly feature_data_income --json"))["points"]
    assert [p["execution_id"] for p in points] == [execution["id"]]
    shown = cli("metrics show churn-hourly feature_data_income --start 2026-06-01")
    assert "feature_data_income" in shown.stdout
    later = cli("metrics show churn-hourly feature_data_income --start 2030-01-01 --json")
    assert as_json(later)["points"] == []


def test_a_failed_job_exits_1_when_waited_for(
    server_with_scheduler: Served, cli: Cli, tmp_path: Path
) -> None:
    result = cli("baselines start --name broken --wait --dataset", str(tmp_path / "no.csv"), code=EXIT_ERROR)
    assert "baselining job broken: Failed" in result.stdout
    assert "broken failed" in result.stderr


# -- model quality --------------------------------------------------------------------------------


def test_ground_truth_upload_and_a_model_quality_baseline_and_schedule(
    server_with_scheduler: Served, cli: Cli, tmp_path: Path, data_dir: Path
) -> None:
    cli("endpoints create --name churn")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "".join(
            json.dumps(
                {
                    "groundTruthData": {"data": str(i % 2), "encoding": "CSV"},
                    "eventMetadata": {"eventId": f"id-{i}"},
                    "eventVersion": "0",
                }
            )
            + "\n"
            for i in range(10)
        )
    )
    uploaded = cli(f"ground-truth upload --endpoint churn {labels} --collected-at 2026-06-03T14:00:00Z")
    assert f"{labels}: 10 labels -> " in uploaded.stdout
    folder = data_dir / "storage" / "ground-truth" / "churn" / "2026" / "06" / "03" / "14"
    [stored] = folder.iterdir()
    assert stored.read_text() == labels.read_text()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"groundTruthData":{"data":"1","encoding":"CSV"},"eventVersion":"0"}\n')
    refused = cli(f"ground-truth upload --endpoint churn {bad}", code=EXIT_ERROR)
    assert (
        f"{bad}" in refused.stderr
        and "line 1" in refused.stderr
        and "eventMetadata.eventId" in refused.stderr
    )

    dataset = tmp_path / "validation.csv"
    dataset.write_text(
        "prediction,probability,label\n" + "".join(f"{i % 2},0.{i % 10},{i % 3 % 2}\n" for i in range(50))
    )
    quality = "--type ModelQuality --problem-type BinaryClassification"
    attributes = (
        "--inference-attribute prediction --probability-attribute probability --ground-truth-attribute label"
    )
    job = as_json(
        cli(f"baselines start --name mq {quality} {attributes} --dataset {dataset} --header --wait --json")
    )
    assert job["status"] == "Completed" and job["parameters"]["problem_type"] == "BinaryClassification"
    out = tmp_path / "downloaded"
    cli(f"baselines download mq -o {out}")
    assert sorted(p.name for p in out.iterdir()) == ["constraints.json", "statistics.json"]

    created = as_json(
        cli(
            f"schedules create --name quality --endpoint churn {quality} --inference-attribute 0",
            "--probability-attribute",
            "1",
            "--start-offset=-P3D",
            "--end-offset=-P1D",
            "--baseline-constraints",
            job["constraints_uri"],
            "--json",
        )
    )
    assert created["monitoring_type"] == "ModelQuality"
    assert created["definition"]["endpoint_input"]["probability_attribute"] == "1"
    assert created["definition"]["problem_type"] == "BinaryClassification"
