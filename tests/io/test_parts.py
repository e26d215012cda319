"""Parts of a large file cover every row exactly once, in order; errors in any part name the right line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from modelwatch.engines.local import profile_dataset
from modelwatch.errors import DataError
from modelwatch.io import parts as parts_module
from modelwatch.io.datasets import read_dataset
from modelwatch.io.parts import plan_parts


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts_module, "PART_BYTES", 4096)


def table(rows: int) -> pa.Table:
    rng = np.random.default_rng(rows)
    return pa.table(
        {
            "id": pa.array(np.arange(rows)),
            "x": pa.array(rng.normal(size=rows).round(4)),
            "c": pa.array(rng.choice(["a", "b", "c"], size=rows)),
        }
    )


@pytest.mark.parametrize("header", [True, False])
def test_csv_parts_cover_every_line_once_in_order(tmp_path: Path, small_parts: None, header: bool) -> None:
    path = tmp_path / "data.csv"
    pcsv.write_csv(table(5000), path, pcsv.WriteOptions(include_header=header))
    dataset = read_dataset(str(path), "csv", header=header)
    parts = plan_parts(dataset, workers=2)
    assert len(parts) == 4
    ids = [int(v) for part in parts for batch in part.batches() for v in batch.column(0).to_pylist()]
    assert ids == list(range(5000))


def test_parquet_parts_are_row_groups(tmp_path: Path, small_parts: None) -> None:
    path = tmp_path / "data.parquet"
    pq.write_table(table(20000), path, row_group_size=2000)
    parts = plan_parts(read_dataset(str(path)), workers=2)
    assert len(parts) == 4 and all(p.row_groups for p in parts)
    ids = [int(v) for part in parts for batch in part.batches() for v in batch.column(0).to_pylist()]
    assert ids == list(range(20000))


def test_parallel_profile_equals_serial_profile(tmp_path: Path, small_parts: None) -> None:
    path = tmp_path / "data.csv"
    pcsv.write_csv(table(6000), path)
    dataset = read_dataset(str(path), "csv", header=True)
    serial = profile_dataset(dataset, workers=1)
    parallel = profile_dataset(dataset, workers=2)
    assert parallel.parts == 4 and parallel.workers == 2 and serial.parts == 1
    for a, b in zip(serial.statistics.features, parallel.statistics.features, strict=True):
        assert (a.name, a.inferred_type, a.num_present, a.type_counts) == (
            b.name,
            b.inferred_type,
            b.num_present,
            b.type_counts,
        )
        if a.numerical and b.numerical:
            assert (a.numerical.min, a.numerical.max) == (b.numerical.min, b.numerical.max)
            assert a.numerical.mean == pytest.approx(b.numerical.mean, rel=1e-12)
            assert a.numerical.std_dev == pytest.approx(b.numerical.std_dev, rel=1e-12)
        if a.string and b.string:
            assert a.string.buckets == b.string.buckets


def test_error_in_a_later_part_names_its_line(tmp_path: Path, small_parts: None) -> None:
    path = tmp_path / "data.csv"
    lines = ["a,b"] + [f"{i},{i}" for i in range(3000)]
    lines[2500] = "1,2,3"  # line 2501 of the file
    path.write_text("\n".join(lines) + "\n")
    dataset = read_dataset(str(path), "csv", header=True)
    assert len(plan_parts(dataset, workers=2)) > 1
    with pytest.raises(DataError) as caught:
        profile_dataset(dataset, workers=2)
    assert caught.value.line == 2501
    assert "expected 2 fields, found 3" in str(caught.value)
