"""Global Kernel SHAP: a local scikit-learn model vs the same model behind a local HTTP endpoint.

Explains ``--rows`` rows of ``--features`` features with ``--num-samples`` coalitions per row against a
k-means background of ``--clusters`` rows, three ways:

* ``shap``: the reference, ``shap.KernelExplainer(...).shap_values(rows)`` (one model call per row);
* ``local``: :func:`modelwatch.analysis.attributions.explain` with a :class:`LocalPredictor`;
* ``http``: the same with an :class:`HttpPredictor` POSTing ``text/csv`` to a uvicorn server (a subprocess
  on loopback serving the same pickled model; it parses with pyarrow and answers one score per line),
  ``--request-rows`` rows per request, ``--concurrency`` requests in flight from as many worker
  processes (``--workers processes``, the default) or threads, ``--max-pending`` batches queued beyond
  the one being prepared.

The data is ``make_classification`` output: full-precision floats (~19 characters a value in CSV, the
worst case for a text payload) unless ``--decimals`` rounds it like typical tabular data.

Local and HTTP runs alternate ``--repeat`` times. The box's speed drifts by up to ±40 % from one
run to the next (a shared VM), so each HTTP run is compared with the local run just before it and the
headline is the median of those paired overheads; the fastest run of each is shown too. It prints
seconds, model calls, HTTP requests, CPU seconds of this process, of the predictor's worker processes
and of the server, and the largest difference between the three sets of SHAP values (same seed: they
should agree to ~1e-12).
Run: ``python benchmarks/explainability.py [--rows 1000 --features 20 --num-samples 100]``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(order=True)
class Run:
    seconds: float
    cpu: float = field(compare=False)
    thread_cpu: float = field(compare=False)
    server_cpu: float = field(compare=False)
    worker_cpu: float = field(compare=False)
    stats: Any = field(compare=False)
    values: np.ndarray = field(compare=False)


def worker_cpu(server: Any) -> dict[int, float]:
    """CPU seconds of each process this one started (the predictor's workers), the server left out."""
    import psutil

    cpu = {}
    for child in psutil.Process().children(recursive=True):
        if server is None or child.pid != server.pid:
            with contextlib.suppress(psutil.NoSuchProcess):
                cpu[child.pid] = sum(child.cpu_times()[:2])
    return cpu


def timed(run: Any, stats: Any, server: Any = None) -> Run:
    """Time ``run()``: wall seconds, CPU seconds of this process, of this thread, of the server and of
    the predictor's worker processes."""
    server_cpu = sum(server.cpu_times()[:2]) if server is not None else 0.0
    workers = worker_cpu(server)
    start, cpu, thread_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    attributions = run()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    thread_cpu = time.thread_time() - thread_cpu
    server_cpu = sum(server.cpu_times()[:2]) - server_cpu if server is not None else 0.0
    workers_cpu = sum(v - workers.get(pid, 0.0) for pid, v in worker_cpu(server).items())
    return Run(seconds, cpu, thread_cpu, server_cpu, workers_cpu, stats, attributions.local_values[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_model(kind: str, rows: int, features: int, decimals: int | None = None) -> tuple[Any, np.ndarray]:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    x, y = make_classification(
        n_samples=2 * rows, n_features=features, n_informative=max(2, features // 2), random_state=0
    )
    if decimals is not None:
        x = np.round(x, decimals)
    model = LogisticRegression(max_iter=1000) if kind == "logistic" else HistGradientBoostingClassifier()
    return model.fit(x, y), x


# --------------------------------------------------------------------------------------------------
# the model server (run in a subprocess with --serve)


def serve(model_file: str, port: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv
    import uvicorn

    with open(model_file, "rb") as handle:
        model = pickle.load(handle)
    options = pcsv.ReadOptions(autogenerate_column_names=True, use_threads=False)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = bytearray()
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        if scope["path"] == "/ping":
            status, payload = 200, b"ok"
        else:
            table = pcsv.read_csv(io.BytesIO(bytes(body)), read_options=options)
            matrix = np.column_stack([column.to_numpy() for column in table.columns])
            scores = model.predict_proba(matrix)[:, 1]
            text = pc.cast(pa.array(scores), pa.string()).to_pylist()
            status, payload = 200, ("\n".join(text) + "\n").encode()
        headers = [(b"content-type", b"text/csv"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off")


def start_server(model: Any) -> tuple[subprocess.Popen[bytes], str, str]:
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as handle:
        pickle.dump(model, handle)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--model-file", handle.name, "--port", str(port)]
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1):
                return process, f"http://127.0.0.1:{port}/invocations", handle.name
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the model server did not start")


# --------------------------------------------------------------------------------------------------
# the benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--num-samples", type=int, default=100)
    parser.add_argument("--clusters", type=int, default=10, help="k-means background rows")
    parser.add_argument("--model", choices=("logistic", "gbm"), default="logistic")
    parser.add_argument("--request-rows", type=int, default=10000, help="rows per HTTP request")
    parser.add_argument("--concurrency", type=int, default=2, help="HTTP requests in flight")
    parser.add_argument("--workers", choices=("processes", "threads"), default="processes")
    parser.add_argument("--max-pending", type=int, default=2, help="batches in flight beyond the current one")
    parser.add_argument("--decimals", type=int, help="round the data (default: full-precision floats)")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved (local, http) pairs")
    parser.add_argument("--no-reference", action="store_true", help="skip plain shap.KernelExplainer")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model-file", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.model_file, args.port)
        return

    import psutil
    import shap

    from modelwatch.analysis.attributions import explain
    from modelwatch.analysis.shap_config import ShapConfig, summarize_background
    from modelwatch.monitors.predictor import HttpPredictor, LocalPredictor, PredictorStats

    model, data = build_model(args.model, args.rows, args.features, args.decimals)
    rows = data[args.rows :]
    background = summarize_background(data[: args.rows], args.clusters)
    config = ShapConfig(num_samples=args.num_samples, seed=0)
    print(
        f"{args.rows} rows x {args.features} features, num_samples={args.num_samples}, "
        f"{args.clusters} background rows, {args.model} model, "
        f"{'full-precision' if args.decimals is None else f'{args.decimals}-decimal'} data, "
        f"{os.cpu_count()} CPUs"
    )
    results: dict[str, np.ndarray] = {}

    if not args.no_reference:
        calls = [0]

        def reference_model(x: np.ndarray) -> np.ndarray:
            calls[0] += 1
            return model.predict_proba(x)[:, 1]

        np.random.seed(0)
        start = time.perf_counter()
        explainer = shap.KernelExplainer(reference_model, background.to_shap())
        results["shap"] = explainer.shap_values(rows, nsamples=args.num_samples, silent=True, l1_reg=False)
        print(f"shap   {time.perf_counter() - start:8.2f} s  {calls[0]:6d} model calls")

    process, url, model_file = start_server(model)
    local_runs: list[Run] = []
    http_runs: list[Run] = []
    try:
        options = {"concurrency": args.concurrency, "max_pending": args.max_pending, "workers": args.workers}
        with HttpPredictor(url, max_rows_per_request=args.request_rows, **options) as http:
            http(rows[:10])  # open the connections
            server = psutil.Process(process.pid)
            for _ in range(args.repeat):  # interleaved, so that both see the same background load
                local = LocalPredictor(model)
                local_runs.append(
                    timed(functools.partial(explain, local, rows, background, config), local.stats, server)
                )
                http.stats = PredictorStats()
                run = functools.partial(explain, http, rows, background, config)
                http_runs.append(timed(run, http.stats, server))
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.unlink(model_file)
    results["local"] = local_runs[0].values
    results["http"] = http_runs[0].values
    best_local, best_http = min(local_runs), min(http_runs)
    stats = best_http.stats
    print(
        f"local  {best_local.seconds:8.2f} s  {best_local.stats.calls:6d} model calls  "
        f"{best_local.stats.rows:9d} rows  CPU {best_local.cpu:.2f} s"
    )
    print(
        f"http   {best_http.seconds:8.2f} s  {stats.calls:6d} model calls  {stats.rows:9d} rows  "
        f"{stats.requests} requests of <= {args.request_rows} rows, concurrency {args.concurrency} "
        f"({args.workers}), "
        f"{stats.bytes_sent / 1e6:.1f} MB sent; CPU {best_http.cpu:.2f} s (calling thread "
        f"{best_http.thread_cpu:.2f} s) + workers {best_http.worker_cpu:.2f} s + server "
        f"{best_http.server_cpu:.2f} s"
    )
    pairs = zip(local_runs, http_runs, strict=True)
    paired = sorted((h.seconds - loc.seconds) / loc.seconds * 100 for loc, h in pairs)
    overhead = float(np.median(paired))
    best = (best_http.seconds - best_local.seconds) / best_local.seconds * 100
    medians = [float(np.median([r.seconds for r in runs])) for runs in (local_runs, http_runs)]
    of_medians = (medians[1] - medians[0]) / medians[0] * 100
    print(
        f"runs: local {', '.join(f'{r.seconds:.2f}' for r in local_runs)} s, http "
        f"{', '.join(f'{r.seconds:.2f}' for r in http_runs)} s; paired overheads "
        f"{', '.join(f'{p:+.0f}' for p in paired)} %; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"HTTP overhead: {overhead:+.1f} % of the local time (median of {len(paired)} interleaved pairs; "
        f"median http vs median local {of_medians:+.1f} %; fastest vs fastest {best:+.1f} %; target < 30 %)"
    )
    names = list(results)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            print(f"max |{a} - {b}| = {np.max(np.abs(results[a] - results[b])):.3g}")


if __name__ == "__main__":
    main()
