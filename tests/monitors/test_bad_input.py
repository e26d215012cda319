"""Bad input gives a correct profile or a clear error naming file, line and column — never a traceback."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
from typer.testing import CliRunner

from modelwatch.cli import EXIT_ERROR, EXIT_OK, app
from modelwatch.errors import DataError, EmptyDatasetError, StorageError
from modelwatch.monitors.data_quality import suggest_baseline
from modelwatch.settings import get_settings

runner = CliRunner()


def baseline(path: Path, tmp_path: Path, *, header: bool = True) -> dict:
    suggest_baseline(str(path), str(tmp_path / "out"), format="csv", header=header)
    return json.loads((tmp_path / "out" / "statistics.json").read_text())


def cli_error(path: Path, tmp_path: Path) -> str:
    result = runner.invoke(
        app, ["baseline", "-d", str(path), "-f", "csv", "--header", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == EXIT_ERROR, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"nope\.csv"):
        baseline(tmp_path / "nope.csv", tmp_path)
    assert "nope.csv" in cli_error(tmp_path / "nope.csv", tmp_path)


@pytest.mark.parametrize("content", ["", "a,b,c\n"], ids=["empty", "header-only"])
def test_empty_and_header_only_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text(content)
    with pytest.raises(EmptyDatasetError, match=r"data\.csv"):
        baseline(path, tmp_path)
    assert "data.csv" in cli_error(path, tmp_path)


def test_ragged_rows_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n")
    with pytest.raises(DataError) as caught:
        baseline(path, tmp_path)
    assert caught.value.line == 4 and caught.value.file is not None and "ragged.csv" in caught.value.file
    message = cli_error(path, tmp_path)
    assert "ragged.csv" in message and "line 4" in message


def test_non_utf8_bytes_name_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,city\nann,Paris\nbob,K\xf6ln\n".encode("latin-1"))
    with pytest.raises(DataError) as caught:
        baseline(path, tmp_path)
    assert caught.value.line == 3 and caught.value.column == "city"
    assert "UTF-8" in cli_error(path, tmp_path)


def test_all_null_column_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "nulls.csv"
    path.write_text("a,b\n1,\n2,\n3,\n")
    features = baseline(path, tmp_path)["features"]
    assert features[1]["name"] == "b" and features[1]["inferred_type"] == "Unknown"
    assert features[1]["string_statistics"]["common"] == {"num_present": 0, "num_missing": 3}


def test_mixed_types_make_a_string_column_with_all_values_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The first non-numeric value comes in the third batch: a second pass recounts the categories."""
    caplog.set_level(logging.INFO, logger="modelwatch")
    monkeypatch.setenv("MODELWATCH_BATCH_ROWS", "1024")
    get_settings.cache_clear()
    path = tmp_path / "mixed.csv"
    rows = [str(i % 500) for i in range(3000)] + ["oops"] + ["2.5"] * 10
    path.write_text("v\n" + "\n".join(rows) + "\n")
    try:
        suggest_baseline(str(path), str(tmp_path / "out"), format="csv", header=True, workers=1)
    finally:
        get_settings.cache_clear()
    feature = json.loads((tmp_path / "out" / "statistics.json").read_text())["features"][0]
    assert feature["inferred_type"] == "String"
    assert "second pass for mixed-type columns: ['v']" in caplog.text
    stats = feature["string_statistics"]
    assert stats["common"]["num_present"] == 3011
    assert stats["distinct_count"] == 502.0
    counts = {b["value"]: b["count"] for b in stats["distribution"]["categorical"]["buckets"]}
    assert counts["2.5"] == 10 and counts["oops"] == 1 and counts["7"] == 6


def test_column_names_with_spaces_and_upper_case_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text("Customer Age,ZIP code\n31,AB1\n45,CD2\n")
    names = [f["name"] for f in baseline(path, tmp_path)["features"]]
    assert names == ["Customer Age", "ZIP code"]


def test_a_million_distinct_strings_stay_bounded(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    ids = pa.array([f"id-{i:07d}" for i in np.random.default_rng(0).permutation(1_000_000)])
    pcsv.write_csv(pa.table({"id": ids}), path)
    result = runner.invoke(app, ["baseline", "-d", str(path), "--header", "-o", str(tmp_path / "o"), "-q"])
    assert result.exit_code == EXIT_OK, result.output
    stats = json.loads((tmp_path / "o" / "statistics.json").read_text())["features"][0]["string_statistics"]
    assert stats["common"]["num_present"] == 1_000_000
    assert abs(stats["distinct_count"] - 1_000_000) / 1_000_000 < 0.05  # HLL estimate
    assert len(stats["distribution"]["categorical"]["buckets"]) <= 1000
