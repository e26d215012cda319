"""Parquet datasets: bounded batches, positional matching and corrupt files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelwatch.errors import DataError, EmptyDatasetError
from modelwatch.io import read_dataset


def _parquet(path: Path, table: pa.Table) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return str(path)


def test_reads_types_and_bounded_batches(tmp_path: Path) -> None:
    uri = _parquet(tmp_path / "a.parquet", pa.table({"x": list(range(100_000)), "y": ["v"] * 100_000}))
    dataset = read_dataset(uri)
    assert dataset.column_names == ["x", "y"]
    batches = list(read_dataset(uri, "parquet", batch_rows=1024).batches())
    assert max(b.num_rows for b in batches) <= 1024
    assert sum(b.num_rows for b in batches) == 100_000
    assert batches[0].schema.field("x").type == pa.int64()


def test_files_are_matched_by_position(tmp_path: Path) -> None:
    _parquet(tmp_path / "d" / "1.parquet", pa.table({"a": [1], "b": ["x"]}))
    _parquet(tmp_path / "d" / "2.parquet", pa.table({"c": [2], "d": ["y"]}))
    rows = [r for b in read_dataset(str(tmp_path / "d"), "parquet").batches() for r in b.to_pylist()]
    assert rows == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


def test_other_column_count_is_data_error(tmp_path: Path) -> None:
    _parquet(tmp_path / "d" / "1.parquet", pa.table({"a": [1]}))
    bad = _parquet(tmp_path / "d" / "2.parquet", pa.table({"a": [1], "b": [2]}))
    with pytest.raises(DataError, match="expected 1 columns, found 2") as info:
        list(read_dataset(str(tmp_path / "d"), "parquet").batches())
    assert info.value.file == bad


def test_corrupt_file_is_data_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"this is not parquet at all")
    with pytest.raises(DataError, match="not a valid Parquet file") as info:
        read_dataset(str(path))
    assert info.value.file == str(path)


def test_truncated_file_is_data_error(tmp_path: Path) -> None:
    good = _parquet(tmp_path / "a.parquet", pa.table({"x": list(range(1000))}))
    data = Path(good).read_bytes()
    bad = tmp_path / "t.parquet"
    bad.write_bytes(data[:100] + data[-8:])
    with pytest.raises(DataError) as info:
        list(read_dataset(str(bad)).batches())
    assert info.value.file == str(bad)


def test_zero_row_and_zero_byte_files_are_empty(tmp_path: Path) -> None:
    _parquet(tmp_path / "d" / "1.parquet", pa.table({"x": pa.array([], pa.int64())}))
    (tmp_path / "d" / "2.parquet").write_bytes(b"")
    with pytest.raises(EmptyDatasetError, match="no data rows"):
        list(read_dataset(str(tmp_path / "d"), "parquet").batches())
