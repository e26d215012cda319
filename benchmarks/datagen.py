"""Generate the benchmark dataset: N rows x 20 columns (8 float, 6 int, 4 strings, and a float and an int
column with 5% missing values)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

CHUNK = 500_000


def make_chunk(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {}
    for i in range(8):
        columns[f"f{i}"] = pa.array(rng.normal(loc=i, scale=1 + i, size=rows).round(6))
    for i in range(6):
        low = -1000 if i % 2 else 0
        columns[f"i{i}"] = pa.array(rng.integers(low, 10 ** (i + 2), size=rows))
    for name, distinct in (("s5", 5), ("s50", 50), ("s1k", 1_000), ("s100k", 100_000)):
        codes = rng.integers(0, distinct, size=rows)
        dictionary = pa.array([f"{name}_value_{k}" for k in range(distinct)])
        columns[name] = pa.DictionaryArray.from_arrays(pa.array(codes), dictionary).cast(pa.string())
    columns["m_float"] = pa.array(rng.exponential(size=rows).round(4), mask=rng.uniform(size=rows) < 0.05)
    columns["m_int"] = pa.array(rng.integers(0, 500, size=rows), mask=rng.uniform(size=rows) < 0.05)
    return pa.table(columns)


def generate(rows: int, folder: Path) -> tuple[Path, Path]:
    """Write ``rows`` rows as CSV (with header) and Parquet; return both paths (reused if present)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / f"bench20_{rows}.csv", folder / f"bench20_{rows}.parquet"
    if csv_path.exists() and parquet_path.exists():
        return csv_path, parquet_path
    first = make_chunk(min(rows, CHUNK), 0)
    with (
        pcsv.CSVWriter(csv_path, first.schema) as csv_out,
        pq.ParquetWriter(parquet_path, first.schema) as pq_out,
    ):
        done, seed = 0, 0
        while done < rows:
            chunk = first if seed == 0 else make_chunk(min(rows - done, CHUNK), seed)
            csv_out.write_table(chunk)
            pq_out.write_table(chunk)
            done += chunk.num_rows
            seed += 1
    return csv_path, parquet_path


def drift_chunk(rows: int, seed: int) -> pa.Table:
    """A chunk of the same columns with drift: shifted and scaled floats, one category taking over."""
    table = make_chunk(rows, 10_000 + seed)
    rng = np.random.default_rng(20_000 + seed)
    f0 = pa.array(rng.normal(loc=0.5, scale=1.5, size=rows).round(6))
    s5 = pa.array(np.where(rng.uniform(size=rows) < 0.7, "s5_value_0", "s5_value_1"))
    table = table.set_column(table.schema.get_field_index("f0"), "f0", f0)
    return table.set_column(table.schema.get_field_index("s5"), "s5", s5)


def generate_drifted(rows: int, folder: Path) -> Path:
    """Write a drifted copy (``drift_chunk``) of ``rows`` rows as Parquet; return its path (reused)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench20_drifted_{rows}.parquet"
    if path.exists():
        return path
    first = drift_chunk(min(rows, CHUNK), 0)
    with pq.ParquetWriter(path, first.schema) as out:
        done, seed = 0, 0
        while done < rows:
            chunk = first if seed == 0 else drift_chunk(min(rows - done, CHUNK), seed)
            out.write_table(chunk)
            done += chunk.num_rows
            seed += 1
    return path
