"""Regenerate the bundled example dataset src/modelwatch/examples/credit.csv (deterministic)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

ROWS = 4_000


def main() -> None:
    rng = np.random.default_rng(20261127)
    age = rng.integers(21, 75, size=ROWS)
    income = np.round(rng.lognormal(mean=10.8, sigma=0.45, size=ROWS), 2)
    credit_score = np.clip(rng.normal(680, 60, size=ROWS).round(), 300, 850).astype(int)
    loan_amount = np.round(rng.gamma(shape=2.0, scale=6_000, size=ROWS), 2)
    utilisation = np.round(rng.beta(2, 5, size=ROWS), 4)
    employment = rng.choice(
        ["salaried", "self-employed", "retired", "student"], p=[0.6, 0.2, 0.15, 0.05], size=ROWS
    )
    region = rng.choice(["north", "south", "east", "west"], p=[0.3, 0.3, 0.2, 0.2], size=ROWS)
    risk = -4 + 3 * utilisation - (credit_score - 680) / 80 + loan_amount / income
    defaulted = (rng.uniform(size=ROWS) < 1 / (1 + np.exp(-risk))).astype(int)
    table = pa.table(
        {
            "defaulted": defaulted,
            "age": age,
            "income": income,
            "credit_score": credit_score,
            "loan_amount": loan_amount,
            "utilisation": utilisation,
            "employment": employment,
            "region": region,
        }
    )
    target = Path(__file__).resolve().parents[1] / "src" / "modelwatch" / "examples" / "credit.csv"
    pcsv.write_csv(table, target, pcsv.WriteOptions(quoting_style="none", include_header=False))
    body = target.read_text()
    target.write_text(",".join(table.column_names) + "\n" + body)
    print(f"wrote {ROWS} rows to {target}")


if __name__ == "__main__":
    main()
