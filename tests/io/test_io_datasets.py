"""read_dataset: format inference, folders, globs and argument errors."""

from __future__ import annotations

import bz2
import gzip
from pathlib import Path

import pytest

from modelwatch.errors import ConfigurationError, EmptyDatasetError, StorageError
from modelwatch.io import DatasetFormat, infer_format, read_dataset


def _write(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", DatasetFormat.CSV),
        ("s3://b/x/A.CSV.GZ", DatasetFormat.CSV),
        ("a.jsonl", DatasetFormat.JSON),
        ("a.json.gz", DatasetFormat.JSON),
        ("a.parquet", DatasetFormat.PARQUET),
    ],
)
def test_infer_format(name: str, expected: DatasetFormat) -> None:
    assert infer_format(name) is expected


def test_unknown_extension_asks_for_a_format() -> None:
    with pytest.raises(ConfigurationError, match="pass one of csv, json, parquet"):
        infer_format("data.txt")


def test_unknown_format_name_is_configuration_error(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.csv", b"1\n")
    with pytest.raises(ConfigurationError, match="unknown dataset format 'xml'"):
        read_dataset(uri, "xml")


def test_batch_rows_must_be_positive(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.csv", b"1\n")
    with pytest.raises(ConfigurationError, match="batch_rows"):
        read_dataset(uri, "csv", batch_rows=0)


def test_format_inferred_for_folder_from_first_file(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "a.csv.gz", gzip.compress(b"1,2\n"))
    _write(tmp_path / "d" / "b.csv.bz2", bz2.compress(b"3,4\n"))
    dataset = read_dataset(str(tmp_path / "d"), header=False)
    assert dataset.format is DatasetFormat.CSV
    assert len(dataset.files) == 2
    assert [r for b in dataset.batches() for r in b.to_pylist()] == [
        {"_c0": "1", "_c1": "2"},
        {"_c0": "3", "_c1": "4"},
    ]


def test_glob_selects_files(tmp_path: Path) -> None:
    _write(tmp_path / "p-1.csv", b"a\n1\n")
    _write(tmp_path / "p-2.csv", b"a\n2\n")
    _write(tmp_path / "q-3.csv", b"a\n3\n")
    dataset = read_dataset(str(tmp_path / "p-*.csv"), "csv", header=True)
    assert [r["a"] for b in dataset.batches() for r in b.to_pylist()] == ["1", "2"]


def test_default_batch_rows_come_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelwatch.settings import get_settings

    monkeypatch.setenv("MODELWATCH_BATCH_ROWS", "2048")
    get_settings.cache_clear()
    try:
        assert read_dataset(_write(tmp_path / "a.csv", b"1\n"), "csv").batch_rows == 2048
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_missing_path_is_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="no such file or directory") as info:
        read_dataset(str(tmp_path / "nope.csv"), "csv")
    assert str(tmp_path / "nope.csv") in str(info.value)


def test_empty_folder_is_empty_dataset_error(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "_SUCCESS", b"")
    with pytest.raises(EmptyDatasetError, match="no data files") as info:
        read_dataset(str(tmp_path / "d"), "csv")
    assert info.value.file == str(tmp_path / "d")


def test_folder_of_empty_files_names_them(tmp_path: Path) -> None:
    first = _write(tmp_path / "d" / "a.jsonl", b"")
    second = _write(tmp_path / "d" / "b.jsonl", b"\n")
    with pytest.raises(EmptyDatasetError, match="2 files") as info:
        read_dataset(str(tmp_path / "d"), "json")
    assert first in str(info.value)
    assert second in str(info.value)


def test_batches_can_be_read_twice(tmp_path: Path) -> None:
    dataset = read_dataset(_write(tmp_path / "a.csv", b"x\n1\n2\n"), "csv", header=True)
    assert [b.num_rows for b in dataset.batches()] == [b.num_rows for b in dataset.batches()] == [2]
