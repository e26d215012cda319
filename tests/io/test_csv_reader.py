"""CSV datasets: strings as in the file, Spark's naming, positional matching, exact error lines."""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from modelwatch.errors import DataError, EmptyDatasetError
from modelwatch.io import _csv as csv_module
from modelwatch.io import read_dataset


def _write(path: Path, data: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def _rows(uri: str, **kwargs: object) -> list[dict[str, object]]:
    dataset = read_dataset(uri, "csv", **kwargs)  # type: ignore[arg-type]
    return [row for batch in dataset.batches() for row in batch.to_pylist()]


def test_header_values_are_strings_verbatim_and_empty_is_null(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.csv", 'Name, Age ,x\n alice ,"3,5",1.0\n"",NA,\n"he said ""hi""",07,-\n')
    dataset = read_dataset(uri, "csv", header=True)
    assert dataset.column_names == ["Name", " Age ", "x"]
    batches = list(dataset.batches())
    assert all(b.schema.types == [pa.string()] * 3 for b in batches)
    assert [r for b in batches for r in b.to_pylist()] == [
        {"Name": " alice ", " Age ": "3,5", "x": "1.0"},
        {"Name": None, " Age ": "NA", "x": None},
        {"Name": 'he said "hi"', " Age ": "07", "x": "-"},
    ]


def test_without_header_columns_are_named_like_spark(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.csv", "1,2\r\n3,4\r\n")
    dataset = read_dataset(uri, "csv")
    assert dataset.column_names == ["_c0", "_c1"]
    assert _rows(uri) == [{"_c0": "1", "_c1": "2"}, {"_c0": "3", "_c1": "4"}]


def test_duplicate_and_empty_header_names_get_positions(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.csv", "a,b,A,,c\n1,2,3,4,5\n")
    assert read_dataset(uri, "csv", header=True).column_names == ["a0", "b", "A2", "_c3", "c"]


def test_renaming_that_still_clashes_is_a_data_error() -> None:
    with pytest.raises(DataError, match="still clash"):
        csv_module.safe_header(["a", "a", "a0"])


def test_bom_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.csv", b"\xef\xbb\xbfx,y\n\n1,2\n\n3,4\n")
    assert _rows(uri, header=True) == [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}]


def test_files_are_matched_by_position(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "part-1.csv", "a,b\n1,2\n")
    _write(tmp_path / "d" / "part-2.csv", "other,names\n3,4\n")
    dataset = read_dataset(str(tmp_path / "d"), "csv", header=True)
    assert dataset.column_names == ["a", "b"]
    assert [r for b in dataset.batches() for r in b.to_pylist()] == [
        {"a": "1", "b": "2"},
        {"a": "3", "b": "4"},
    ]


def test_file_with_other_column_count_is_data_error_naming_it(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "part-1.csv", "a,b\n1,2\n")
    bad = _write(tmp_path / "d" / "part-2.csv", "a,b,c\n3,4,5\n")
    with pytest.raises(DataError, match="expected 2 fields, found 3") as info:
        _rows(str(tmp_path / "d"), header=True)
    assert info.value.file == bad
    assert info.value.line == 1


def test_gzip_is_decompressed(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.csv.gz", gzip.compress(b"a,b\n1,2\n"))
    assert _rows(uri, header=True) == [{"a": "1", "b": "2"}]


def test_batches_are_bounded(tmp_path: Path) -> None:
    uri = _write(tmp_path / "big.csv", "x,y\n" + "".join(f"{i},{i * 2}\n" for i in range(100_000)))
    batches = list(read_dataset(uri, "csv", header=True, batch_rows=1024).batches())
    assert max(b.num_rows for b in batches) <= 1024
    assert sum(b.num_rows for b in batches) == 100_000
    assert batches[-1].column(1)[-1].as_py() == str(99_999 * 2)


def test_rows_across_chunk_boundaries_and_error_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_module, "CHUNK_BYTES", 1000)
    lines = ["a,b,c,d,e,f"] + [f"{i},{i},{i},{i},{i},{i}" for i in range(5000)]
    lines[3001] = lines[3001] + ",extra"
    uri = _write(tmp_path / "r.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataError, match="expected 6 fields, found 7") as info:
        _rows(uri, header=True)
    assert (info.value.file, info.value.line) == (uri, 3002)
    lines[3001] = "1,2,3,4,5,6"
    uri = _write(tmp_path / "ok.csv", "\n".join(lines) + "\n")
    rows = _rows(uri, header=True)
    assert len(rows) == 5000
    assert rows[2999]["f"] == "2999"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a,b,c,d,e,f\n1,2,3,4,5,6\n1,2,3,4,5,6,7\n", 3, "expected 6 fields, found 7"),
        ("a,b,c,d,e,f\n1,2,3,4,5,6\n\n1,2,3\n", 4, "expected 6 fields, found 3"),
    ],
)
def test_ragged_rows_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    uri = _write(tmp_path / "r.csv", text)
    with pytest.raises(DataError, match=message) as info:
        _rows(uri, header=True)
    assert (info.value.file, info.value.line) == (uri, line)
    assert f"line {line}" in str(info.value)


def test_ragged_row_without_header_counts_from_first_line(tmp_path: Path) -> None:
    uri = _write(tmp_path / "r.csv", "1,2\n3\n")
    with pytest.raises(DataError, match="expected 2 fields, found 1") as info:
        _rows(uri)
    assert info.value.line == 2


def test_invalid_utf8_names_line_and_column(tmp_path: Path) -> None:
    uri = _write(tmp_path / "u.csv", b"id,name\n1,ok\n2,caf\xe9\n")
    with pytest.raises(DataError, match="invalid UTF-8") as info:
        _rows(uri, header=True)
    assert (info.value.file, info.value.line, info.value.column) == (uri, 3, "name")


def test_invalid_utf8_in_header(tmp_path: Path) -> None:
    uri = _write(tmp_path / "u.csv", b"id,n\xffme\n1,2\n")
    with pytest.raises(DataError, match="invalid UTF-8") as info:
        read_dataset(uri, "csv", header=True)
    assert info.value.line == 1


@pytest.mark.parametrize("content", ["", "\n\n", "a,b\n"])
def test_empty_or_header_only_file_is_empty_dataset_error(tmp_path: Path, content: str) -> None:
    uri = _write(tmp_path / "e.csv", content)
    with pytest.raises(EmptyDatasetError) as info:
        list(read_dataset(uri, "csv", header=True).batches())
    assert info.value.file == uri


def test_folder_of_header_only_files_names_them(tmp_path: Path) -> None:
    first = _write(tmp_path / "d" / "1.csv", "a,b\n")
    second = _write(tmp_path / "d" / "2.csv", "")
    with pytest.raises(EmptyDatasetError, match="no data rows") as info:
        list(read_dataset(str(tmp_path / "d"), "csv", header=True).batches())
    assert first in str(info.value)
    assert second in str(info.value)


def test_empty_files_are_skipped_among_others(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "1.csv", "")
    _write(tmp_path / "d" / "2.csv", "x\n1\n")
    assert _rows(str(tmp_path / "d"), header=True) == [{"x": "1"}]


def test_stopping_early_releases_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_module, "CHUNK_BYTES", 64)
    uri = _write(tmp_path / "a.csv", "x\n" + "".join(f"{i}\n" for i in range(1000)))
    batches = read_dataset(uri, "csv", header=True, batch_rows=1024).batches()
    first = next(batches)
    batches.close()
    assert first.column(0)[0].as_py() == "0"
    assert not [t for t in threading.enumerate() if t.name == "modelwatch-prefetch"]
