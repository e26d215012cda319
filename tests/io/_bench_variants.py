"""Temporary: compare CSV reading strategies (run on a many-core machine)."""
import os, sys, time
import numpy as np, pyarrow as pa, pyarrow.csv as pc

path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/big.csv"
if not os.path.exists(path):
    rng = np.random.default_rng(0); n = 1_300_000; cols = {}
    for i in range(20):
        k = i % 4
        cols[f"c{i}"] = [rng.normal(size=n).round(6), rng.integers(0, 100000, n),
                         pa.array(np.array(["alpha", "beta", "gamma", "delta"])[rng.integers(0, 4, n)]),
                         rng.uniform(0, 1000, n).round(3)][k]
    pc.write_csv(pa.table(cols), path, write_options=pc.WriteOptions(quoting_style="none"))
size = os.path.getsize(path)
names = [f"f{i}" for i in range(20)]
def conv():
    return pc.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                             strings_can_be_null=True, quoted_strings_can_be_null=True)
def t(label, fn):
    best = 1e9
    for _ in range(3):
        s = time.perf_counter(); fn(); best = min(best, time.perf_counter() - s)
    print(f"{label:45s} {best:6.3f}s {size / best / 1e6:7.0f} MB/s", flush=True)
def drain(r):
    n = 0
    for b in r: n += b.num_rows
    assert n == 1_300_000, n
t("read_csv (default, type inference)", lambda: pc.read_csv(path))
t("read_csv (all strings)", lambda: pc.read_csv(path, read_options=pc.ReadOptions(column_names=names, skip_rows=1), convert_options=conv()))
for nv in (False, True):
    for bs in (1 << 20, 4 << 20, 16 << 20):
        t(f"open_csv strings nv={nv} bs={bs >> 20}MB", lambda: drain(pc.open_csv(path, read_options=pc.ReadOptions(column_names=names, skip_rows=1, block_size=bs), parse_options=pc.ParseOptions(newlines_in_values=nv), convert_options=conv())))
def chunked(cs, nv):
    ro = pc.ReadOptions(column_names=names, block_size=1 << 20)
    po = pc.ParseOptions(newlines_in_values=nv)
    n = 0
    with open(path, "rb") as f:
        f.readline(); rest = b""
        while True:
            data = f.read(cs); buf = rest + data
            if data:
                cut = buf.rfind(b"\n")
                rest = buf[cut + 1:]; buf = buf[:cut + 1]
            if buf:
                n += pc.read_csv(pa.py_buffer(buf), read_options=ro, parse_options=po, convert_options=conv()).num_rows
            if not data: break
    assert n == 1_300_000
for nv in (False, True):
    for cs in (16 << 20, 64 << 20):
        t(f"chunked read_csv nv={nv} chunk={cs >> 20}MB", lambda: chunked(cs, nv))
