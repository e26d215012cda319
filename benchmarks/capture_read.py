"""Reading one hour of captured CSV traffic: the Python reader, the Arrow window reader, plain CSV.

Generates (once, cached under ``.bench/``) one hour of capture files in the SageMaker layout —
``--files`` files of equal shares of ``--records`` records, each a one-column CSV output (a score) and a
``--columns``-column CSV input (3/4 numbers, 1/4 categories) — and the same rows as a plain CSV file
(output column first, no header). Then it times, best of ``--repeat``:

* (a) the reference ``capture_batches(CaptureRead(...))`` (``json.loads`` + ``csv.reader`` per record;
  run once, on ``--python-files`` files, as it is slow);
* (b) the window reader ``capture_window_batches`` (``pyarrow.json`` + ``pyarrow.csv``);
* (c) ``pyarrow.csv.read_csv`` of the plain CSV file, all columns as strings: the floor;

and the data-quality profile (``DatasetProfile.zero(names, top_values=1000)``, ``update`` per batch,
``finalize``) over the batches of (b) and of (c), each end to end (read + profile) and on batches
already in memory. Figures are records/s and MB/s of the file bytes read. It checks that (b) and (c)
give the same rows. Run: ``python benchmarks/capture_read.py [--records 1000000] [--columns 20]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from modelwatch.analysis.profile import DatasetProfile
from modelwatch.io.capture import CaptureRead, capture_files
from modelwatch.io.capture_table import CaptureTable, capture_batches, capture_window_batches

HOUR = datetime(2024, 5, 1, 13, tzinfo=UTC)
ENDPOINT, VARIANT = "bench-endpoint", "AllTraffic"
CACHE = Path(__file__).resolve().parent.parent / ".bench"


@dataclass
class Timing:
    name: str
    seconds: float
    records: int
    megabytes: float

    def line(self) -> str:
        rate = self.records / self.seconds if self.seconds else float("inf")
        speed = self.megabytes / self.seconds if self.seconds else float("inf")
        return f"{self.name:<46} {self.seconds:8.2f} s {rate:>13,.0f} rec/s {speed:8.1f} MB/s"


def _column(rng: np.random.Generator, position: int, rows: int) -> pa.Array:
    kind = position % 4
    if kind == 0:
        return pa.array(rng.normal(position, 1 + position, rows).round(4)).cast(pa.string())
    if kind == 1:
        return pa.array(rng.integers(-100, 10 ** (2 + position % 5), rows)).cast(pa.string())
    if kind == 2:
        return pa.array(rng.exponential(3.0, rows).round(2)).cast(pa.string())
    codes = pa.array(rng.integers(0, 5 * 10 ** (position % 3), rows))
    values = pa.array([f"cat{position}_{k}" for k in range(5 * 10 ** (position % 3))])
    return pa.DictionaryArray.from_arrays(codes, values).cast(pa.string())


def _rows(rng: np.random.Generator, rows: int, columns: int) -> tuple[pa.Array, pa.Array]:
    """The output (a score) and the input lines (``columns`` comma-separated values) of ``rows`` records."""
    output = pa.array(rng.random(rows).round(6)).cast(pa.string())
    inputs = [_column(rng, position, rows) for position in range(columns)]
    return output, pc.binary_join_element_wise(*inputs, ",")


def _lines(rng: np.random.Generator, output: pa.Array, inputs: pa.Array, times: list[str]) -> pa.Array:
    """Compact capture records, key order as SageMaker writes them; the input body ends in a newline."""
    raw = rng.bytes(16 * len(times))
    ids = pa.array([str(uuid.UUID(bytes=raw[i : i + 16], version=4)) for i in range(0, len(raw), 16)])
    parts = [
        '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"',
        inputs,
        '\\n","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8",'
        '"mode":"OUTPUT","data":"',
        output,
        '","encoding":"CSV"}},"eventMetadata":{"eventId":"',
        ids,
        '","inferenceTime":"',
        pa.array(times),
        '"},"eventVersion":"0"}\n',
    ]
    return pc.binary_join_element_wise(*parts, "")


def _write(out: BinaryIO, strings: pa.Array) -> None:
    """Write the strings one after the other (each already ends in a newline)."""
    for offset in range(0, len(strings), 100_000):
        out.write("".join(strings.slice(offset, 100_000).to_pylist()).encode())


def generate(records: int, columns: int, files: int) -> tuple[Path, Path]:
    """The capture tree and the plain CSV file of the benchmark (reused when present)."""
    folder = CACHE / f"capture_{records}_{columns}_{files}"
    plain = folder / "plain.csv"
    if plain.exists():
        return folder, plain
    rng = np.random.default_rng(7)
    hour = folder / ENDPOINT / VARIANT / f"{HOUR:%Y/%m/%d/%H}"
    hour.mkdir(parents=True, exist_ok=True)
    seconds = np.sort(rng.uniform(0, 3600, records)).astype(int)
    with (folder / "plain.tmp").open("wb") as csv_out:
        for index in range(files):
            low, high = records * index // files, records * (index + 1) // files
            output, inputs = _rows(rng, high - low, columns)
            times = [f"{HOUR + timedelta(seconds=int(s)):%Y-%m-%dT%H:%M:%SZ}" for s in seconds[low:high]]
            first = HOUR + timedelta(seconds=int(seconds[low]))
            name = f"{first:%M-%S}-{index:03d}-{uuid.UUID(int=index + 1)}.jsonl"
            with (hour / name).open("wb") as capture_out:
                _write(capture_out, _lines(rng, output, inputs, times))
            rows = pc.binary_join_element_wise(output, inputs, ",")
            _write(csv_out, pc.binary_join_element_wise(rows, "", "\n"))
    json.loads((hour / name).read_text().splitlines()[0])  # the records are valid JSON
    (folder / "plain.tmp").rename(plain)
    return folder, plain


def best(repeat: int, run: Callable[[], int]) -> tuple[float, int]:
    """The least seconds of ``repeat`` runs and the run's result."""
    seconds, result = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        seconds = min(seconds, time.perf_counter() - started)
    return seconds, result


def count_rows(batches: Iterator[pa.RecordBatch]) -> int:
    return sum(batch.num_rows for batch in batches)


def plain_batches(path: Path, columns: int, batch_rows: int) -> Iterator[pa.RecordBatch]:
    types = {f"f{i}": pa.string() for i in range(columns + 1)}
    table = pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(autogenerate_column_names=True),
        convert_options=pcsv.ConvertOptions(column_types=types),
    )
    yield from table.combine_chunks().to_batches(max_chunksize=batch_rows)  # batches as (b) makes them


def profiled(batches: Iterator[pa.RecordBatch]) -> int:
    profile: DatasetProfile | None = None
    for batch in batches:
        if profile is None:
            profile = DatasetProfile.zero([f"_c{i}" for i in range(batch.num_columns)], top_values=1000)
        profile.update(batch)
    assert profile is not None
    return profile.finalize().item_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the hour")
    parser.add_argument("--columns", type=int, default=20, help="CSV input columns (the output has one)")
    parser.add_argument("--files", type=int, default=10, help="capture files the hour is split into")
    parser.add_argument("--batch-rows", type=int, default=65_536, help="rows per batch for every reader")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each Arrow timing; the best counts")
    parser.add_argument("--python-files", type=int, default=None, help="files the reference reader reads")
    args = parser.parse_args(argv)

    folder, plain = generate(args.records, args.columns, args.files)
    start, end = HOUR, HOUR + timedelta(hours=1)
    files = capture_files(str(folder), ENDPOINT, VARIANT, start, end)
    capture_mb = sum(Path(f).stat().st_size for f in files) / 1e6
    plain_mb = plain.stat().st_size / 1e6
    print(
        f"{args.records:,} records x {args.columns + 1} columns in {len(files)} files: "
        f"{capture_mb:,.1f} MB of capture JSON, {plain_mb:,.1f} MB as plain CSV"
    )
    rows = args.batch_rows

    some = files[: args.python_files] if args.python_files else files
    some_mb = sum(Path(f).stat().st_size for f in some) / 1e6
    counts = CaptureTable()
    python_s, python_rows = best(
        1, lambda: count_rows(capture_batches(CaptureRead(some, start, end), batch_rows=rows, counts=counts))
    )
    fast_s, fast_rows = best(
        args.repeat, lambda: count_rows(capture_window_batches(files, start, end, batch_rows=rows))
    )
    plain_s, plain_rows = best(args.repeat, lambda: count_rows(plain_batches(plain, args.columns, rows)))
    timings = [
        Timing(f"(a) python reader, {len(some)} files", python_s, python_rows, some_mb),
        Timing("(b) window reader (pyarrow.json + csv)", fast_s, fast_rows, capture_mb),
        Timing("(c) pyarrow.csv.read_csv of plain CSV", plain_s, plain_rows, plain_mb),
    ]

    fast_table = pa.Table.from_batches(capture_window_batches(files, start, end, batch_rows=rows))
    plain_table = pa.Table.from_batches(plain_batches(plain, args.columns, rows))
    same = fast_table.rename_columns(plain_table.column_names).equals(plain_table)
    fast_memory = fast_table.to_batches(max_chunksize=rows)
    plain_memory = plain_table.to_batches(max_chunksize=rows)
    del fast_table, plain_table

    fast_end = best(args.repeat, lambda: profiled(capture_window_batches(files, start, end, batch_rows=rows)))
    plain_end = best(args.repeat, lambda: profiled(plain_batches(plain, args.columns, rows)))
    fast_profile = best(args.repeat, lambda: profiled(iter(fast_memory)))
    plain_profile = best(args.repeat, lambda: profiled(iter(plain_memory)))
    timings += [
        Timing("profile only, batches of (b)", fast_profile[0], fast_profile[1], capture_mb),
        Timing("profile only, batches of (c)", plain_profile[0], plain_profile[1], plain_mb),
        Timing("(b) + profile, end to end", fast_end[0], fast_end[1], capture_mb),
        Timing("(c) + profile, end to end", plain_end[0], plain_end[1], plain_mb),
    ]
    for timing in timings:
        print(timing.line())
    print(f"same rows in (b) and (c): {same}; reference counts: {counts}")
    print(f"window reader / plain CSV, read only:      {fast_s / plain_s:6.2f}x")
    print(f"window reader / plain CSV, read + profile: {fast_end[0] / plain_end[0]:6.2f}x  (target <= 2)")
    print(
        f"python reader / window reader, per record: {(python_s / python_rows) / (fast_s / fast_rows):6.1f}x"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
