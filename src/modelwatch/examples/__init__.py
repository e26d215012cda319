"""Bundled example data: 4,000 loan applications (``credit.csv``) and a drifted copy of them."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["drift", "example_dataset"]


def example_dataset() -> Path:
    """The bundled example: 4,000 loan applications (label first, as SageMaker expects)."""
    return Path(str(files("modelwatch.examples").joinpath("credit.csv")))


def drift(table: pa.Table, seed: int = 7) -> pa.Table:
    """A drifted copy: incomes up 40%, utilisation up by 0.25, applicants 12 years older, and a
    region mix moved towards 'east'. The other columns are unchanged."""
    rng = np.random.default_rng(seed)
    region = table.column("region").to_numpy(zero_copy_only=False).copy()
    region[rng.uniform(size=len(region)) < 0.5] = "east"
    return (
        table.set_column(
            table.schema.get_field_index("income"), "income", pc.round(pc.multiply(table["income"], 1.4), 2)
        )
        .set_column(
            table.schema.get_field_index("utilisation"),
            "utilisation",
            pc.round(pc.add(table["utilisation"], 0.25), 4),
        )
        .set_column(table.schema.get_field_index("age"), "age", pc.add(table["age"], 12))
        .set_column(table.schema.get_field_index("region"), "region", pa.array(region))
    )
