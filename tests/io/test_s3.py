"""s3:// URIs against a real S3 API server (moto_server, see tests/conftest.py)."""

from __future__ import annotations

import gzip
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelwatch.errors import DataError, StorageError
from modelwatch.io import (
    exists,
    join_uri,
    list_files,
    read_bytes,
    read_dataset,
    read_text,
    write_bytes,
    write_text,
)


def _rows(uri: str, fmt: str | None, **kwargs: object) -> list[dict[str, object]]:
    dataset = read_dataset(uri, fmt, **kwargs)  # type: ignore[arg-type]
    return [row for batch in dataset.batches() for row in batch.to_pylist()]


def test_write_read_and_list(s3_bucket: str) -> None:
    uri = join_uri(s3_bucket, "dir", "sub", "a.txt")
    write_text(uri, "hello")
    write_bytes(join_uri(s3_bucket, "dir", "_SUCCESS"), b"")
    write_bytes(join_uri(s3_bucket, "dir", "b.bin"), b"\x00\x01")
    assert read_text(uri) == "hello"
    assert exists(uri)
    assert not exists(join_uri(s3_bucket, "nope"))
    assert list_files(join_uri(s3_bucket, "dir")) == [join_uri(s3_bucket, "dir", "b.bin"), uri]
    assert list_files(join_uri(s3_bucket, "dir", "*.bin")) == [join_uri(s3_bucket, "dir", "b.bin")]
    write_text(uri, "replaced")
    assert read_bytes(uri) == b"replaced"


def test_missing_key_is_storage_error(s3_bucket: str) -> None:
    uri = join_uri(s3_bucket, "missing", "x.csv")
    with pytest.raises(StorageError, match="no such file or directory") as info:
        list_files(uri)
    assert info.value.uri == uri
    with pytest.raises(StorageError, match="no such file or directory"):
        read_bytes(uri)


def test_csv_prefix_with_gzip(s3_bucket: str) -> None:
    write_text(join_uri(s3_bucket, "csv", "part-0.csv"), "a,b\n1,x\n")
    write_bytes(join_uri(s3_bucket, "csv", "part-1.csv.gz"), gzip.compress(b"a,b\n2,\n"))
    assert _rows(join_uri(s3_bucket, "csv") + "/", "csv", header=True) == [
        {"a": "1", "b": "x"},
        {"a": "2", "b": None},
    ]


def test_csv_error_names_s3_file_and_line(s3_bucket: str) -> None:
    uri = join_uri(s3_bucket, "bad.csv")
    write_text(uri, "a,b\n1,2\n3,4,5\n")
    with pytest.raises(DataError, match="expected 2 fields, found 3") as info:
        _rows(uri, "csv", header=True)
    assert (info.value.file, info.value.line) == (uri, 3)


def test_jsonl_prefix(s3_bucket: str) -> None:
    records = [{"id": i, "m": {"v": i / 2}} for i in range(3)]
    text = "".join(json.dumps(r) + "\n" for r in records)
    write_text(join_uri(s3_bucket, "j", "a.jsonl"), text)
    write_bytes(join_uri(s3_bucket, "j", "b.jsonl.gz"), gzip.compress(text.encode()))
    rows = _rows(join_uri(s3_bucket, "j"), None)
    assert rows == [{"id": i, "m.v": i / 2} for i in range(3)] * 2


def test_parquet_prefix(s3_bucket: str) -> None:
    sink = io.BytesIO()
    pq.write_table(pa.table({"x": [1, 2, 3]}), sink)
    write_bytes(join_uri(s3_bucket, "p", "a.parquet"), sink.getvalue())
    assert _rows(join_uri(s3_bucket, "p"), "parquet") == [{"x": 1}, {"x": 2}, {"x": 3}]
