"""The demo behind the README's first command: baseline a bundled dataset, check a drifted copy."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from rich.console import Console
from rich.table import Table

from modelwatch.monitors.data_quality import run_check, suggest_baseline

__all__ = ["drift", "example_dataset", "run_demo"]


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


def _write_csv(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="none"))


def run_demo(folder: Path, console: Console) -> None:
    source = example_dataset()
    table = pcsv.read_csv(source)
    current, drifted = folder / "data" / "current.csv", folder / "data" / "drifted.csv"
    _write_csv(table, current)
    _write_csv(drift(table), drifted)
    console.print(f"[bold]1. Baseline[/] of the bundled dataset {source} ({table.num_rows:,} rows)")
    baseline = suggest_baseline(str(source), str(folder / "baseline"), header=True)
    console.print(f"   wrote {baseline.statistics_uri}\n   wrote {baseline.constraints_uri}")
    for step, (label, data) in enumerate((("unchanged copy", current), ("drifted copy", drifted)), start=2):
        output = folder / "results" / data.stem
        console.print(f"[bold]{step}. Check[/] of the {label} {data}")
        result = run_check(
            str(data),
            str(output),
            baseline_statistics=baseline.statistics_uri,
            baseline_constraints=baseline.constraints_uri,
            header=True,
        )
        console.print(f"   wrote {result.violations_uri} and {result.drift_uri}")
        if not result.violations.violations:
            console.print("   [green]no violations[/]")
            continue
        grid = Table(
            "feature", "check", "description", title=f"{len(result.violations.violations)} violations"
        )
        for v in result.violations.violations:
            grid.add_row(v.feature_name, v.constraint_check_type, v.description)
        console.print(grid)
    console.print(f"All files are under {folder.resolve()}")
