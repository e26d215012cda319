"""Parts are shared among the worker processes by bytes, in order, not by count."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from modelwatch.engines.local import balanced_groups, part_weights
from modelwatch.io.datasets import DatasetFormat, read_dataset
from modelwatch.io.parts import DatasetPart


def _parts(tmp_path: Path, row_groups: list[tuple[int, ...]]) -> list[DatasetPart]:
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"x": np.arange(4000, dtype=np.float64)}), path, row_group_size=1000)
    dataset = read_dataset(str(path), DatasetFormat.PARQUET, header=True)
    return [DatasetPart(dataset, str(path), row_groups=groups) for groups in row_groups]


def test_row_group_parts_weigh_their_share_of_the_file(tmp_path: Path) -> None:
    parts = _parts(tmp_path, [(0,), (1,), (2, 3)])
    weights = part_weights(parts)
    size = (tmp_path / "x.parquet").stat().st_size
    assert weights == [size / 4, size / 4, size / 2]


def test_three_parts_of_one_two_and_one_share_are_cut_evenly(tmp_path: Path) -> None:
    """Row groups [0], [1], [2, 3] on 2 workers: [0] + [1] against [2, 3], not [0] against the rest."""
    parts = _parts(tmp_path, [(0,), (1,), (2, 3)])
    groups = balanced_groups(parts, part_weights(parts), 2)
    assert [[p.row_groups for p in group] for group in groups] == [[(0,), (1,)], [(2, 3)]]


def test_groups_keep_order_and_drop_empty_ones() -> None:
    parts = [object(), object(), object()]
    groups = balanced_groups(parts, [10.0, 1.0, 1.0], 3)
    assert groups == [[parts[0]], [parts[1], parts[2]]]
    assert [p for g in balanced_groups(parts, [1.0, 1.0, 1.0], 2) for p in g] == parts


def test_zero_weights_fall_back_to_counts() -> None:
    parts = [object(), object(), object(), object()]
    assert balanced_groups(parts, [0.0] * 4, 2) == [parts[:2], parts[2:]]
