"""Baseline speed and memory: `modelwatch baseline` vs the pyarrow read of the same file.

Generates the benchmark dataset (2,000,000 rows x 20 columns: 8 float, 6 int, 4 strings with
5 / 50 / 1,000 / 100,000 distinct values, 2 columns with 5% missing) as CSV and Parquet, then times:

* the floor: ``pyarrow.csv.read_csv`` / ``pyarrow.parquet.read_table`` of each file;
* ``modelwatch baseline`` of each file, run as a subprocess so its peak RSS is its own (summed over
  its worker processes);

and prints rows/s, the ratio to the floor (for the whole command, and for the job as it reports its
own time, without the interpreter's start) and peak RSS. ``--rows`` takes several sizes to show that
memory stays flat in row count. Run: ``python benchmarks/profile.py [--rows 2000000 8000000]``.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from datagen import generate

TARGETS = {"csv": 2.5, "parquet": 4.0}
RSS_LIMIT_MB = 1536


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


def baseline_run(path: Path, kind: str) -> tuple[float, float, float]:
    """Wall seconds of one `modelwatch baseline` command (interpreter start included), the job's own
    seconds as it reports them, and the peak RSS (MB) of its whole process tree, sampled every 20 ms."""
    with tempfile.TemporaryDirectory() as output:
        command = [
            sys.executable,
            "-m",
            "modelwatch.cli",
            "baseline",
            "-d",
            str(path),
            "-f",
            kind,
            "-q",
            "-o",
            output,
        ]
        if kind == "csv":
            command.append("--header")
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        watched = psutil.Process(child.pid)
        peak = 0
        while child.poll() is None:
            peak = max(peak, _tree_rss(watched))
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        out = child.stdout.read() if child.stdout else ""
        if child.returncode:
            raise SystemExit(f"baseline failed: {out}")
    job = float(re.search(r"in ([0-9.]+)s", out).group(1))  # type: ignore[union-attr]
    return seconds, job, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, nargs="+", default=[2_000_000])
    parser.add_argument("--data", type=Path, default=Path(".bench"), help="folder for the generated files")
    parser.add_argument("--repeat", type=int, default=2, help="baseline runs per file (best is reported)")
    args = parser.parse_args()
    print(
        f"{'rows':>10} {'format':>8} {'floor s':>8} {'command s':>10} {'job s':>6} {'rows/s':>11} "
        f"{'ratio':>6} {'job ratio':>9} {'target':>6} {'peak RSS MB':>12}"
    )
    for rows in args.rows:
        csv_path, parquet_path = generate(rows, args.data)
        for kind, path in (("csv", csv_path), ("parquet", parquet_path)):
            floor = floor_seconds(path, kind)
            runs = [baseline_run(path, kind) for _ in range(args.repeat)]
            seconds = min(s for s, _, _ in runs)
            job = min(j for _, j, _ in runs)
            peak = max(m for _, _, m in runs)
            ratio = seconds / floor
            verdict = "ok" if ratio <= TARGETS[kind] and peak < RSS_LIMIT_MB else "MISSED"
            print(
                f"{rows:>10,} {kind:>8} {floor:>8.2f} {seconds:>10.2f} {job:>6.2f} {rows / seconds:>11,.0f} "
                f"{ratio:>6.2f} {job / floor:>9.2f} {TARGETS[kind]:>5.1f}x {peak:>12,.0f}  {verdict}"
            )


if __name__ == "__main__":
    main()
