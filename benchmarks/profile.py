"""Data-quality engine speed and memory: `modelwatch baseline` and `modelwatch check`, whole processes.

Generates the benchmark dataset (N rows x 20 columns: 8 float, 6 int, 4 strings with 5 / 50 / 1,000 /
100,000 distinct values, 2 columns with 5% missing) as CSV and Parquet, and a drifted Parquet copy of
the same shape (``datagen.generate_drifted``), then measures in one run:

* the floor: ``pyarrow.csv.read_csv`` / ``pyarrow.parquet.read_table`` of each file (best of 3);
* ``modelwatch baseline`` of each file, run as a subprocess so its peak RSS is its own (summed over
  its worker processes), against its floor (targets: CSV 2x, Parquet 3x);
* ``modelwatch check`` of the drifted copy against the baseline of the Parquet file, against
  ``modelwatch baseline`` of the same drifted rows (target 1.25x);
* with ``--whylogs-python``: whylogs profiling the same Parquet file in a whole process of that
  interpreter (a throwaway virtualenv with whylogs, numpy<2 and pandas), against ``modelwatch
  baseline`` of it (target: modelwatch at least 10x faster);
* the fixed cost: ``modelwatch --help`` and ``modelwatch baseline`` of a 2-row CSV.

and prints one table: seconds (best of ``--repeat``), ratio, target, peak RSS. ``--rows`` takes several
sizes to show that memory stays flat in row count (target: under 1 GB).
Run: ``python benchmarks/profile.py [--rows 2000000 8000000] [--whylogs-python /tmp/why/bin/python]``.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from datagen import generate, generate_drifted

FLOOR_TARGETS = {"csv": 2.0, "parquet": 3.0}
CHECK_TARGET = 1.25
WHYLOGS_TARGET = 10.0
RSS_LIMIT_MB = 1024
MODELWATCH = [sys.executable, "-m", "modelwatch.cli"]

WHYLOGS_SCRIPT = """
import sys, pyarrow.parquet as pq, whylogs as why
result = None
for batch in pq.ParquetFile(sys.argv[1]).iter_batches(batch_size=500_000):
    view = why.log(batch.to_pandas()).view()
    result = view if result is None else result.merge(view)
result.to_pandas()
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float


def floor_seconds(path: Path, kind: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        if kind == "csv":
            pcsv.read_csv(path)
        else:
            pq.read_table(path)
        best = min(best, time.perf_counter() - started)
    return best


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def timed(command: list[str], ok_codes: tuple[int, ...] = (0,)) -> Run:
    """Wall seconds of one whole process (interpreter start included) and the peak RSS (MB) of its
    process tree, sampled every 20 ms."""
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        peak = max(peak, _tree_rss(watched))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if child.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}): {child.stderr.read()}")
    return Run(seconds, peak / 2**20)


def best(command: list[str], repeat: int, ok_codes: tuple[int, ...] = (0,)) -> Run:
    runs = [timed(command, ok_codes) for _ in range(repeat)]
    return Run(min(r.seconds for r in runs), max(r.peak_mb for r in runs))


def baseline_command(path: Path, kind: str, output: str) -> list[str]:
    command = [*MODELWATCH, "baseline", "-d", str(path), "-f", kind, "-q", "-o", output]
    return [*command, "--header"] if kind == "csv" else command


def row(
    rows: int, what: str, seconds: float, ratio: float | None, target: str, ok: bool, peak: float
) -> None:
    ratio_text = f"{ratio:>6.2f}" if ratio is not None else f"{'':>6}"
    rate = f"{rows / seconds:>11,.0f}" if rows else f"{'':>11}"
    print(
        f"{rows:>10,} {what:<28} {seconds:>8.2f} {rate} {ratio_text} {target:>12} "
        f"{peak:>8,.0f}  {'ok' if ok else 'MISSED'}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[2_000_000])
    parser.add_argument("--data", type=Path, default=Path(".bench"), help="folder for the generated files")
    parser.add_argument("--repeat", type=int, default=2, help="runs per command (best is reported)")
    parser.add_argument("--whylogs-python", help="python of a virtualenv with whylogs (numpy<2, pandas)")
    args = parser.parse_args()
    print(
        f"{'rows':>10} {'what':<28} {'seconds':>8} {'rows/s':>11} {'ratio':>6} {'target':>12} {'RSS MB':>8}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        tiny = Path(scratch) / "tiny.csv"
        tiny.write_text("a,b\n1,x\n2.5,y\n")
        help_run = best([*MODELWATCH, "--help"], 5)
        row(
            0,
            "modelwatch --help",
            help_run.seconds,
            None,
            "< 0.30 s",
            help_run.seconds < 0.3,
            help_run.peak_mb,
        )
        fixed = best(baseline_command(tiny, "csv", str(Path(scratch) / "tiny")), 5)
        row(0, "baseline, 2-row CSV", fixed.seconds, None, "< 0.50 s", fixed.seconds < 0.5, fixed.peak_mb)
        for rows in args.rows:
            csv_path, parquet_path = generate(rows, args.data)
            drifted = generate_drifted(rows, args.data)
            baselines: dict[str, Run] = {}
            for kind, path in (("csv", csv_path), ("parquet", parquet_path)):
                floor = floor_seconds(path, kind)
                row(rows, f"floor: pyarrow read {kind}", floor, None, "", True, 0.0)
                run = baselines[kind] = best(
                    baseline_command(path, kind, str(Path(scratch) / kind)), args.repeat
                )
                ratio = run.seconds / floor
                ok = ratio <= FLOOR_TARGETS[kind] and run.peak_mb < RSS_LIMIT_MB
                row(rows, f"baseline {kind}", run.seconds, ratio, f"<= {FLOOR_TARGETS[kind]:.2f}x floor", ok,
                    run.peak_mb)  # fmt: skip
            parquet_baseline = Path(scratch) / "parquet"
            reference = best(
                baseline_command(drifted, "parquet", str(Path(scratch) / "drifted")), args.repeat
            )
            row(rows, "baseline drifted parquet", reference.seconds, None, "", True, reference.peak_mb)
            check = [
                *MODELWATCH, "check", "-d", str(drifted), "-f", "parquet", "-q",
                "-o", str(Path(scratch) / "check"),
                "--baseline-statistics", str(parquet_baseline / "statistics.json"),
                "--baseline-constraints", str(parquet_baseline / "constraints.json"),
            ]  # fmt: skip
            run = best(check, args.repeat, ok_codes=(0, 4))
            ratio = run.seconds / reference.seconds
            ok = ratio <= CHECK_TARGET and run.peak_mb < RSS_LIMIT_MB
            row(rows, "check drifted parquet", run.seconds, ratio, f"<= {CHECK_TARGET:.2f}x baseline", ok,
                run.peak_mb)  # fmt: skip
            if args.whylogs_python:
                theirs = timed([args.whylogs_python, "-c", WHYLOGS_SCRIPT, str(parquet_path)])
                ratio = theirs.seconds / baselines["parquet"].seconds
                row(rows, "whylogs 1.6 parquet", theirs.seconds, ratio, f">= {WHYLOGS_TARGET:.0f}x slower",
                    ratio >= WHYLOGS_TARGET, theirs.peak_mb)  # fmt: skip


if __name__ == "__main__":
    main()
