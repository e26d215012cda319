"""Capture overhead: the iris model server without capture, with ``CaptureMiddleware``, behind the proxy.

Each set-up runs in its own uvicorn subprocess on loopback (``tests/capture/servers.py``; the proxy's
upstream is the no-capture server), sampling 100 %. Each is loaded with
``wrk -t1 -c16 --latency`` POSTing one CSV row to ``/invocations``, then at one connection (``-c1``) for
latency, in ``--rounds`` interleaved rounds (rotating order) that share ``--seconds`` per set-up. The
box's speed drifts between rounds (a shared VM), so each set-up is compared with the no-capture run of
the same round and the median of those paired differences is the overhead; the medians of the raw
figures are printed too. At one connection, the percentiles are those of all the rounds' requests
pooled (each round reports its 1000 quantiles): a 3 s round's own p99 rests on ~40 requests. After a
graceful shutdown it prints the capture writer's counters (captured, dropped).

The two cores of the VM change speed independently (a server on one core can be 40 % slower than the
same server on the other at the same moment), so the servers compared are pinned (every thread) to
the last CPU, and ``wrk``, the capture sink processes (``CaptureWriter(process=True)``) and the proxy
(whose upstream is the no-capture server) to the first. Even so, sequential rounds stay noisy. The last
table is therefore a same-core A/B: the no-capture and the middleware servers loaded at once by two
``wrk -c16``, ``--ab-rounds`` times; each server's CPU seconds per request (its forwarding thread
included) and the median of the paired ratios; the middleware's sink's CPU per request is printed
apart. Both servers share one core, so each runs slower than alone, but they share its speed and
caches, which cancels the drift.
Run: ``python benchmarks/capture.py [--seconds 30 --rounds 10]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SERVERS = Path(__file__).resolve().parent.parent / "tests" / "capture" / "servers.py"
WRK = "/usr/bin/wrk"
POST_LUA = """wrk.method = "POST"
wrk.body = "5.1,3.5,1.4,0.2\\n"
wrk.headers["Content-Type"] = "text/csv"
"""
# at the end of a run, its latency at every 0.1 % quantile (µs), so the rounds' distributions can be pooled
QUANTILES_LUA = """done = function(summary, latency, requests)
  for i = 1, 1000 do io.write("quantile ", latency:percentile(i / 10), "\\n") end
end
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}
CPUS = sorted(os.sched_getaffinity(0))


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    quantiles_ms: list[float] | None = None  # at 0.1 %, 0.2 %, ... 100 % (with QUANTILES_LUA)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(mode: str, port: int, *extra: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, str(SERVERS), "--mode", mode, "--port", str(port), *extra])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{mode} server on port {port} did not start")


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if match is None:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(name: str, url: str, seconds: int, script: Path, connections: int = 16) -> Result:
    command = [WRK, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url]
    if len(CPUS) > 1:
        command = ["taskset", "-c", str(CPUS[0]), *command]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    quantiles = [float(value) / 1000 for value in re.findall(r"^quantile (\d+)", output, re.MULTILINE)]
    return Result(name, rate, p50, p99, int(errors.group(1)) if errors else 0, quantiles or None)


def pooled(results: list[Result], percent: float) -> float:
    """The ``percent`` percentile (ms) of all the rounds' requests together: each round's 1000 quantiles
    stand for 1/1000 of its requests each."""
    weighted = sorted(
        (value, result.requests_per_second / 1000)
        for result in results
        for value in result.quantiles_ms or []
    )
    target, total = percent / 100 * sum(weight for _, weight in weighted), 0.0
    for value, weight in weighted:
        total += weight
        if total >= target:
            return value
    return weighted[-1][0]


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=int, default=30, help="wrk seconds per set-up, split over the rounds"
    )
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds; medians are reported")
    parser.add_argument("--ab-rounds", type=int, default=10, help="same-core A/B rounds of 5 s (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        script = folder / "post.lua"
        script.write_text(POST_LUA)
        latency_script = folder / "latency.lua"
        latency_script.write_text(POST_LUA + QUANTILES_LUA)
        plain_port, middleware_port, proxy_port = free_port(), free_port(), free_port()
        upstream = f"http://127.0.0.1:{plain_port}"
        plain = start("plain", plain_port)
        middleware = start(
            "middleware", middleware_port, "--destination", str(folder / "mw"),
            "--counters-file", str(folder / "mw.json"),
        )  # fmt: skip
        proxy = start(
            "proxy", proxy_port, "--upstream", upstream, "--destination", str(folder / "proxy"),
            "--counters-file", str(folder / "proxy.json"),
        )  # fmt: skip
        urls = {
            "no capture": f"{upstream}/invocations",
            "middleware": f"http://127.0.0.1:{middleware_port}/invocations",
            "proxy": f"http://127.0.0.1:{proxy_port}/invocations",
        }
        # The VM's cores run at different speeds: the servers compared share the last one; the load
        # generators, the capture sinks and the proxy (whose upstream is the no-capture server) the first.
        pin_layout(servers=[plain, middleware], generator_side=[proxy])
        per_round = max(1, args.seconds // args.rounds)
        loaded: dict[str, list[Result]] = {name: [] for name in urls}
        single: dict[str, list[Result]] = {name: [] for name in urls}
        try:
            for round_ in range(
                args.rounds
            ):  # interleaved, rotating order: the machine's drift hits all alike
                names = list(urls)[round_ % 3 :] + list(urls)[: round_ % 3]
                for name in names:
                    loaded[name].append(run_wrk(name, urls[name], per_round, script))
                    single[name].append(run_wrk(name, urls[name], per_round, latency_script, 1))
            results = [_median(name, loaded[name]) for name in urls]
            ab = same_core_ab(
                [(plain, urls["no capture"]), (middleware, urls["middleware"])], script, args.ab_rounds
            )
        finally:
            for process in (middleware, proxy, plain):
                stop(process)
        counters = {
            "middleware": json.loads((folder / "mw.json").read_text()),
            "proxy": json.loads((folder / "proxy.json").read_text()),
        }
    names = list(urls)

    def paired(runs: dict[str, list[Result]], name: str, value: str, relative: bool = False) -> float:
        pairs = zip(runs[name], runs[names[0]], strict=True)
        if relative:
            return statistics.median((getattr(a, value) / getattr(b, value) - 1) * 100 for a, b in pairs)
        return statistics.median(getattr(a, value) - getattr(b, value) for a, b in pairs)

    print(
        f"wrk -t1 -c16, {args.rounds} interleaved rounds of {per_round}s, POST one CSV row, sampling 100 %; "
        "raw figures are medians over the rounds, overheads are medians of each round's difference"
    )
    print(f"{'set-up':<12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'req/s vs none':>15}{'p50 +ms':>10}"
          f"{'non-2xx':>9}{'captured':>10}{'dropped':>9}")  # fmt: skip
    for result in results:
        found = counters.get(result.name, {})
        print(
            f"{result.name:<12}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}{result.p99_ms:>10.2f}"
            f"{paired(loaded, result.name, 'requests_per_second', relative=True):>14.1f}%"
            f"{paired(loaded, result.name, 'p50_ms'):>10.2f}{result.errors:>9}"
            f"{found.get('captured', '-'):>10}{found.get('dropped', '-'):>9}"
        )
    print(
        f"\nlatency at one connection (wrk -c1), {args.rounds} rounds of {per_round}s, percentiles of all "
        "the rounds' requests pooled"
    )
    print(f"{'set-up':<12}{'requests':>10}{'p50 ms':>10}{'p99 ms':>10}{'p50 +ms':>10}{'p99 +ms':>10}")
    for name in names:
        p50, p99 = pooled(single[name], 50), pooled(single[name], 99)
        requests = sum(r.requests_per_second for r in single[name]) * per_round
        print(
            f"{name:<12}{requests:>10.0f}{p50:>10.3f}{p99:>10.3f}"
            f"{p50 - pooled(single[names[0]], 50):>10.3f}{p99 - pooled(single[names[0]], 99):>10.3f}"
        )
    if ab:
        plain_us = statistics.median(a[0] for a, _ in ab)
        middleware_us = statistics.median(b[0] for _, b in ab)
        sink_us = statistics.median(b[1] for _, b in ab)
        ratio = statistics.median((b[0] / a[0] - 1) * 100 for a, b in ab)
        print(
            f"\nsame-core A/B, {len(ab)} rounds of 5 s: server CPU per request (median) no capture "
            f"{plain_us:.0f} us, middleware {middleware_us:.0f} us; middleware / no capture {ratio:+.1f} % "
            f"(rounds: {', '.join(f'{(b[0] / a[0] - 1) * 100:+.1f}' for a, b in ab)}); "
            f"the middleware's capture sink process, on the other core: {sink_us:.0f} us per request"
        )
    print("targets: middleware < 5 % fewer req/s and < 0.5 ms more at p99; proxy < 1 ms more at p50")


def _pin(pid: int, cpus: set[int]) -> None:
    """Pin every thread of process ``pid`` to ``cpus``."""
    import psutil

    for thread in psutil.Process(pid).threads():
        os.sched_setaffinity(thread.id, cpus)


def pin_layout(servers: list[subprocess.Popen[bytes]], generator_side: list[subprocess.Popen[bytes]]) -> None:
    """Pin every thread of ``servers`` to the last CPU, and their child processes (capture sinks) and
    ``generator_side`` (with their children) to the first, where the load generators run."""
    import psutil

    if len(CPUS) < 2:
        return
    for process in servers:
        _pin(process.pid, {CPUS[-1]})
    for process in servers + generator_side:
        for child in psutil.Process(process.pid).children(recursive=True):
            _pin(child.pid, {CPUS[0]})
    for process in generator_side:
        _pin(process.pid, {CPUS[0]})


def same_core_ab(
    servers: list[tuple[subprocess.Popen[bytes], str]], script: Path, rounds: int
) -> list[tuple[tuple[float, float], ...]]:
    """CPU µs per request of each server (pinned to the last CPU by ``pin_layout``, loaded at once) and
    of its capture sink process (on the first CPU, with the load generators)."""
    import psutil

    if rounds <= 0 or len(CPUS) < 2:
        return []
    sinks = [psutil.Process(process.pid).children(recursive=True) for process, _ in servers]

    def cpu(handle: psutil.Process) -> float:
        try:
            return float(sum(handle.cpu_times()[:2]))
        except psutil.NoSuchProcess:
            return 0.0

    found: list[tuple[tuple[float, float], ...]] = []
    for _ in range(rounds):
        handles = [psutil.Process(process.pid) for process, _ in servers]
        before = [
            (cpu(handle), sum(map(cpu, children))) for handle, children in zip(handles, sinks, strict=True)
        ]
        loads = [
            subprocess.Popen(
                ["taskset", "-c", str(CPUS[0]), WRK, "-t1", "-c16", "-d5s", "-s", str(script), url],
                stdout=subprocess.PIPE,
                text=True,
            )
            for _, url in servers
        ]
        outputs = [load.communicate()[0] for load in loads]
        after = [
            (cpu(handle), sum(map(cpu, children))) for handle, children in zip(handles, sinks, strict=True)
        ]
        requests = [
            float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
            for out in outputs
        ]
        found.append(
            tuple(
                ((a[0] - b[0]) / n * 1e6, (a[1] - b[1]) / n * 1e6)
                for a, b, n in zip(after, before, requests, strict=True)
            )
        )
    return found


def _median(name: str, results: list[Result]) -> Result:
    def middle(values: list[float]) -> float:
        return statistics.median(values)

    return Result(
        name,
        middle([r.requests_per_second for r in results]),
        middle([r.p50_ms for r in results]),
        middle([r.p99_ms for r in results]),
        sum(r.errors for r in results),
    )


if __name__ == "__main__":
    main()
