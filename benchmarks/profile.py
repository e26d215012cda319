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

and prints one table: wall and CPU (user + system, process tree) seconds, best of ``--repeat``; the
wall ratio against the target and the CPU ratio beside it (less disturbed by other load); peak RSS.
``--rows`` takes several sizes to show that memory stays flat in row count (target: under 1 GB).
Run: ``python benchmarks/profile.py [--rows 2000000 8000000] [--whylogs-python /tmp/why/bin/python]``.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
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
    cpu: float = 0.0  # user + system seconds of the whole process tree


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def floor_run(path: Path, kind: str, repeat: int = 3) -> Run:
    """The pyarrow read of the file in this process: best wall seconds and best CPU seconds."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        if kind == "csv":
            pcsv.read_csv(path)
        else:
            pq.read_table(path)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
    return Run(best, 0.0, best_cpu)


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def timed(command: list[str], ok_codes: tuple[int, ...] = (0,)) -> Run:
    """Wall seconds of one whole process (interpreter start included) and the peak RSS (MB) of its
    process tree, sampled every 20 ms."""
    started, started_cpu = time.perf_counter(), _children_cpu()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        peak = max(peak, _tree_rss(watched))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if child.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(command)} failed ({child.returncode}): {child.stderr.read()}")
    return Run(seconds, peak / 2**20, _children_cpu() - started_cpu)


def best(command: list[str], repeat: int, ok_codes: tuple[int, ...] = (0,)) -> Run:
    runs = [timed(command, ok_codes) for _ in range(repeat)]
    return Run(min(r.seconds for r in runs), max(r.peak_mb for r in runs), min(r.cpu for r in runs))


def baseline_command(path: Path, kind: str, output: str) -> list[str]:
    command = [*MODELWATCH, "baseline", "-d", str(path), "-f", kind, "-q", "-o", output]
    return [*command, "--header"] if kind == "csv" else command


def row(rows: int, what: str, run: Run, reference: Run | None, target: str, ok: bool | None) -> None:
    """One line: wall and CPU seconds, rows/s, the wall ratio to ``reference`` (the verdict's) and the
    CPU ratio (the same comparison of user + system time, which other load on the machine disturbs
    less), peak RSS, verdict."""
    ratio = f"{run.seconds / reference.seconds:>6.2f}" if reference else f"{'':>6}"
    cpu_ratio = f"{run.cpu / reference.cpu:>6.2f}" if reference and reference.cpu else f"{'':>6}"
    rate = f"{rows / run.seconds:>11,.0f}" if rows else f"{'':>11}"
    verdict = "" if ok is None else "ok" if ok else "MISSED"
    print(
        f"{rows:>10,} {what:<26} {run.seconds:>7.2f} {run.cpu:>7.2f} {rate} {ratio} {cpu_ratio} "
        f"{target:>18} {run.peak_mb:>7,.0f}  {verdict}",
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
        f"{'rows':>10} {'what':<26} {'wall s':>7} {'CPU s':>7} {'rows/s':>11} {'ratio':>6} {'CPU r':>6} "
        f"{'target (wall)':>18} {'RSS MB':>7}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        tiny = Path(scratch) / "tiny.csv"
        tiny.write_text("a,b\n1,x\n2.5,y\n")
        run = best([*MODELWATCH, "--help"], 5)
        row(0, "modelwatch --help", run, None, "< 0.30 s", run.seconds < 0.3)
        run = best(baseline_command(tiny, "csv", str(Path(scratch) / "tiny")), 5)
        row(0, "baseline, 2-row CSV", run, None, "< 0.50 s", run.seconds < 0.5)
        for rows in args.rows:
            csv_path, parquet_path = generate(rows, args.data)
            drifted = generate_drifted(rows, args.data)
            baselines: dict[str, Run] = {}
            for kind, path in (("csv", csv_path), ("parquet", parquet_path)):
                floor = floor_run(path, kind)
                row(rows, f"floor: pyarrow read {kind}", floor, None, "", None)
                run = baselines[kind] = best(
                    baseline_command(path, kind, str(Path(scratch) / kind)), args.repeat
                )
                target = FLOOR_TARGETS[kind]
                ok = run.seconds / floor.seconds <= target and run.peak_mb < RSS_LIMIT_MB
                row(rows, f"baseline {kind}", run, floor, f"<= {target:.2f}x floor", ok)
            parquet_baseline = Path(scratch) / "parquet"
            reference = best(
                baseline_command(drifted, "parquet", str(Path(scratch) / "drifted")), args.repeat
            )
            row(rows, "baseline drifted parquet", reference, None, "", reference.peak_mb < RSS_LIMIT_MB)
            check = [
                *MODELWATCH, "check", "-d", str(drifted), "-f", "parquet", "-q",
                "-o", str(Path(scratch) / "check"),
                "--baseline-statistics", str(parquet_baseline / "statistics.json"),
                "--baseline-constraints", str(parquet_baseline / "constraints.json"),
            ]  # fmt: skip
            run = best(check, args.repeat, ok_codes=(0, 4))
            ok = run.seconds / reference.seconds <= CHECK_TARGET and run.peak_mb < RSS_LIMIT_MB
            row(rows, "check drifted parquet", run, reference, f"<= {CHECK_TARGET:.2f}x baseline", ok)
            if args.whylogs_python:
                theirs = timed([args.whylogs_python, "-c", WHYLOGS_SCRIPT, str(parquet_path)])
                mine = baselines["parquet"]
                ok = theirs.seconds / mine.seconds >= WHYLOGS_TARGET
                row(rows, "whylogs 1.6 parquet", theirs, mine, f">= {WHYLOGS_TARGET:.0f}x modelwatch", ok)


if __name__ == "__main__":
    main()
