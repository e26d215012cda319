"""``modelwatch baselines start --output-columns-position``: the server's baselining job puts a training
file with the label last in capture order (outputs first)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pcsv
from cli_helpers import Cli, Served, as_json

from modelwatch.cli_client import EXIT_ERROR, EXIT_USAGE
from modelwatch.examples import example_dataset

FEATURES = ["age", "income", "credit_score", "loan_amount", "utilisation", "employment", "region"]


def _training_csv(folder: Path) -> Path:
    path = folder / "train.csv"
    pcsv.write_csv(pcsv.read_csv(example_dataset()).select([*FEATURES, "defaulted"]), path)
    return path


def test_end_is_sent_as_sagemakers_dataset_format_and_the_label_comes_first(
    server_with_scheduler: Served, cli: Cli, tmp_path: Path
) -> None:
    train = str(_training_csv(tmp_path))
    started = cli("baselines start --name train --header --output-columns-position END --wait -d", train)
    assert "baselining job train: Completed" in started.stdout
    view = as_json(cli("baselines describe train --json"))
    assert view["dataset_format"] == {"csv": {"header": True, "output_columns_position": "END"}}
    statistics = json.loads(cli("baselines download train statistics.json -o -").stdout)
    assert [f["name"] for f in statistics["features"]] == ["defaulted", *FEATURES]


def test_without_the_option_nothing_changes(server_with_scheduler: Served, cli: Cli, tmp_path: Path) -> None:
    cli("baselines start --name plain --header --wait -d", str(_training_csv(tmp_path)))
    assert as_json(cli("baselines describe plain --json"))["dataset_format"] == {"csv": {"header": True}}
    statistics = json.loads(cli("baselines download plain statistics.json -o -").stdout)
    assert [f["name"] for f in statistics["features"]] == [*FEATURES, "defaulted"]


def test_the_option_is_for_csv_data_quality_baselines(server: Served, cli: Cli, tmp_path: Path) -> None:
    train = str(_training_csv(tmp_path))
    wrong = cli(
        "baselines start --name j --format json --output-columns-position END -d", train, code=EXIT_USAGE
    )
    assert "--output-columns-position" in wrong.stderr
    quality = cli(
        "baselines start --name q --type ModelQuality --problem-type BinaryClassification "
        "--inference-attribute defaulted --ground-truth-attribute defaulted --header "
        "--output-columns-position END -d",
        train,
        code=EXIT_ERROR,
    )
    assert "dataset_format.csv.output_columns_position" in quality.stderr
