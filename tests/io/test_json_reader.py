"""JSON Lines datasets: flattening, types, the mixed-type fallback and exact error lines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pytest

from modelwatch.errors import DataError, EmptyDatasetError
from modelwatch.io import _jsonl, read_dataset


def _write(path: Path, data: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def _lines(records: list[object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _batches(uri: str, **kwargs: object) -> list[pa.RecordBatch]:
    return list(read_dataset(uri, "json", **kwargs).batches())  # type: ignore[arg-type]


def test_nested_objects_are_flattened_and_lists_become_json_text(tmp_path: Path) -> None:
    uri = _write(
        tmp_path / "a.jsonl",
        _lines(
            [
                {"id": 1, "score": 0.5, "ok": True, "m": {"a": {"b": "x"}, "c": 2}, "tags": [1, 2]},
                {"id": 2, "score": 1.5, "ok": False, "m": None, "tags": None},
            ]
        ),
    )
    dataset = read_dataset(uri, "json")
    assert dataset.column_names == ["id", "score", "ok", "m.a.b", "m.c", "tags"]
    (batch,) = _batches(uri)
    assert batch.schema.field("id").type == pa.int64()
    assert batch.schema.field("score").type == pa.float64()
    assert batch.to_pylist() == [
        {"id": 1, "score": 0.5, "ok": True, "m.a.b": "x", "m.c": 2, "tags": "[1,2]"},
        {"id": 2, "score": 1.5, "ok": False, "m.a.b": None, "m.c": None, "tags": None},
    ]


def test_date_like_strings_stay_strings(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.jsonl", _lines([{"t": "2020-01-01T00:00:00Z", "d": "2020-01-01"}]))
    (batch,) = _batches(uri)
    assert batch.to_pylist() == [{"t": "2020-01-01T00:00:00Z", "d": "2020-01-01"}]


def test_mixed_types_fall_back_to_strings(tmp_path: Path) -> None:
    uri = _write(
        tmp_path / "a.jsonl", _lines([{"a": 1, "n": 1}, {"a": "x", "n": 2.5}, {"a": True, "n": None}])
    )
    (batch,) = _batches(uri)
    assert batch.schema.field("a").type == pa.string()
    assert batch.schema.field("n").type == pa.float64()
    assert batch.to_pylist() == [{"a": "1", "n": 1.0}, {"a": "x", "n": 2.5}, {"a": "true", "n": None}]


def test_mixed_types_after_first_block_yield_every_row_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_jsonl, "_BLOCK_BYTES", 4096)
    records: list[dict[str, object]] = [{"a": i, "b": f"s{i}"} for i in range(3000)]
    records[2500]["a"] = "oops"
    uri = _write(tmp_path / "a.jsonl", _lines(records))
    rows = [row for b in _batches(uri, batch_rows=1024) for row in b.to_pylist()]
    assert [str(r["a"]) for r in rows] == [str(r["a"]) for r in records]
    assert [r["b"] for r in rows] == [r["b"] for r in records]


def test_missing_keys_are_null_and_files_match_by_key(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "1.jsonl", _lines([{"a": 1, "b": "x"}]))
    _write(tmp_path / "d" / "2.jsonl.gz", gzip.compress(_lines([{"b": "y"}]).encode()))
    rows = [r for b in _batches(str(tmp_path / "d")) for r in b.to_pylist()]
    assert rows == [{"a": 1, "b": "x"}, {"a": None, "b": "y"}]


def test_unknown_key_later_is_data_error_with_line(tmp_path: Path) -> None:
    _write(tmp_path / "d" / "1.jsonl", _lines([{"a": 1}]))
    second = _write(tmp_path / "d" / "2.jsonl", _lines([{"a": 2}, {"a": 3, "z": 1}]))
    with pytest.raises(DataError, match="key 'z'") as info:
        _batches(str(tmp_path / "d"))
    assert (info.value.file, info.value.line) == (second, 2)


def test_malformed_line_is_data_error_with_line(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.jsonl", '{"a": 1}\n{"a": 2}\n\n{"a": \n{"a": 4}\n')
    with pytest.raises(DataError, match="malformed JSON") as info:
        _batches(uri)
    assert (info.value.file, info.value.line) == (uri, 4)


def test_non_object_line_is_data_error(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.jsonl", '{"a": 1}\n[1, 2]\n')
    with pytest.raises(DataError, match="expected a JSON object") as info:
        _batches(uri)
    assert info.value.line == 2


def test_invalid_utf8_is_data_error_with_line(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.jsonl", b'{"a": "ok"}\n{"a": "caf\xe9"}\n')
    with pytest.raises(DataError, match="invalid UTF-8") as info:
        _batches(uri)
    assert (info.value.file, info.value.line) == (uri, 2)


def test_bounded_batches(tmp_path: Path) -> None:
    uri = _write(tmp_path / "a.jsonl", _lines([{"i": i} for i in range(100_000)]))
    batches = _batches(uri, batch_rows=1024)
    assert max(b.num_rows for b in batches) <= 1024
    assert sum(b.num_rows for b in batches) == 100_000


@pytest.mark.parametrize("content", ["", "\n \n"])
def test_empty_file_is_empty_dataset_error(tmp_path: Path, content: str) -> None:
    uri = _write(tmp_path / "a.jsonl", content)
    with pytest.raises(EmptyDatasetError) as info:
        read_dataset(uri, "json")
    assert info.value.file == uri
