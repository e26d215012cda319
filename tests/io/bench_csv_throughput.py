"""Throughput of the streaming CSV reader against pyarrow.csv.read_csv (not a test; run by hand:
``python tests/io/bench_csv_throughput.py [file.csv] [--variants]``)."""

import os
import sys
import time
import types

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))
try:
    import pydantic_settings  # noqa: F401
except ImportError:  # a bare machine: stand in for modelwatch.settings
    stub = types.ModuleType("modelwatch.settings")
    cfg = types.SimpleNamespace(batch_rows=262_144, s3_region=None, resolved_s3_endpoint_url=lambda: None)
    stub.get_settings = lambda: cfg
    sys.modules["modelwatch.settings"] = stub

import numpy as np
import pyarrow as pa
import pyarrow.csv as pc

from modelwatch.io import read_dataset

path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench20.csv"
if not os.path.exists(path):
    rng = np.random.default_rng(0)
    n = 1_400_000
    pick = np.array(["alpha", "beta", "gamma", "delta"])
    cols = {}
    for i in range(20):
        gen = [
            lambda: rng.normal(size=n).round(6),
            lambda: rng.integers(0, 100000, n),
            lambda: pa.array(pick[rng.integers(0, 4, n)]),
            lambda: rng.uniform(0, 1000, n).round(3),
        ][i % 4]
        cols[f"c{i}"] = gen()
    pc.write_csv(pa.table(cols), path, write_options=pc.WriteOptions(quoting_style="none"))
size = os.path.getsize(path)
names = [f"f{i}" for i in range(20)]


def best(label, fn, reps=3):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    t = min(times)
    print(f"{label:48s} {t:7.3f}s {size / t / 1e6:7.0f} MB/s", flush=True)
    return t


def drain():
    rows = 0
    for batch in read_dataset(path, "csv", header=True).batches():
        rows += batch.num_rows
    assert rows > 1_000_000


strings = pc.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
print(f"file: {size / 1e6:.0f} MB, cores: {os.cpu_count()}")
floor = best("pyarrow.csv.read_csv (default, inferred types)", lambda: pc.read_csv(path))
best(
    "pyarrow.csv.read_csv (all strings)",
    lambda: pc.read_csv(
        path, read_options=pc.ReadOptions(column_names=names, skip_rows=1), convert_options=strings
    ),
)
best(
    "pyarrow.csv.open_csv streaming (all strings)",
    lambda: sum(
        b.num_rows
        for b in pc.open_csv(
            path,
            read_options=pc.ReadOptions(column_names=names, skip_rows=1, block_size=4 << 20),
            convert_options=strings,
        )
    ),
)
ours = best("modelwatch read_dataset(...).batches()", drain)
print(f"ratio modelwatch / read_csv(default) = {ours / floor:.2f}")
if "--variants" in sys.argv:
    import modelwatch.io._csv as csv_module

    for prefetching in (True, False):
        if not prefetching:
            csv_module.prefetch = lambda items, depth=1: items
        for mb in (4, 8, 16, 32, 64):
            csv_module.CHUNK_BYTES = mb << 20
            best(f"  variant chunk={mb}MB prefetch={prefetching}", drain)
    import gzip
    import shutil

    with open(path, "rb") as src, gzip.open(path + ".gz", "wb", compresslevel=1) as dst:
        shutil.copyfileobj(src, dst)
    csv_module.CHUNK_BYTES = 16 << 20
    best("pyarrow.csv.read_csv of .gz", lambda: pc.read_csv(path + ".gz"), reps=1)
    path = path + ".gz"
    best("modelwatch of .gz (MB/s of uncompressed size)", drain, reps=1)
