"""The demo behind the README's first command: a monitored model, end to end, in about a minute.

1. Start the modelwatch server (REST API + scheduler) on the embedded defaults, data in ``--folder``.
2. Train a small classifier on scikit-learn's breast-cancer dataset and serve it over HTTP behind the
   capture middleware, so every request and response lands in the endpoint's capture folder.
3. Run two baselining jobs on the training data: data quality (the model's answer first, then the
   features) and model quality (its predictions against the true labels), and create a data-quality
   and a model-quality schedule with them.
4. Send the training rows as normal traffic, then as drifted traffic (a few measurements scaled up by
   40–60%), each request with an inference id; upload the true labels of both.
5. Run each schedule once now over each traffic window, wait, and show the outcome: the normal window
   ``Completed``, the drifted one ``CompletedWithViolations`` naming the drifted features and the
   quality metrics that dropped.

Everything keeps running (the dashboard at ``/ui/``, API docs at ``/docs``) until Ctrl-C or SIGTERM,
which stop it alike: the model server, the capture sink (which writes what it has) and the modelwatch
server shut down, and the command exits 0. A stop signal before the demo has shown its results stops it
the same way, then exits with 130 (Ctrl-C) or 143 (SIGTERM, 128 + 15), without a traceback.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

__all__ = ["DRIFTED_FEATURES", "DemoResult", "run_demo"]

FEATURES = [
    "mean_radius",
    "mean_texture",
    "mean_perimeter",
    "mean_area",
    "mean_smoothness",
    "mean_compactness",
    "mean_concavity",
    "mean_concave_points",
    "mean_symmetry",
    "mean_fractal_dimension",
]
DRIFTED_FEATURES = {"mean_radius": 1.4, "mean_texture": 1.5, "mean_area": 1.6}
ENDPOINT, SCHEDULE, BASELINE = "breast-cancer", "breast-cancer-data-quality", "breast-cancer-baseline"
QUALITY_SCHEDULE = "breast-cancer-model-quality"
_OPEN = ("Pending", "InProgress", "Stopping")


@dataclass(frozen=True)
class DemoResult:
    api_url: str
    executions: dict[str, dict[str, Any]]  # "normal" / "drifted" -> data-quality execution detail
    violations: dict[str, list[dict[str, Any]]]
    quality: dict[str, dict[str, Any]]  # "normal" / "drifted" -> model-quality execution detail
    quality_violations: dict[str, list[dict[str, Any]]]


def _train(folder: Path) -> tuple[Callable[[np.ndarray], str], np.ndarray, np.ndarray, Path, Path]:
    """The model (rows -> CSV answer "label,probability" per row), the rows, their true labels, and the
    data-quality and model-quality baseline datasets."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    x = x[:, : len(FEATURES)]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)
    x = np.asarray([[float(f"{v:.6g}") for v in row] for row in x])  # as the requests will send them
    train = folder / "data" / "train.csv"
    train.parent.mkdir(parents=True, exist_ok=True)

    def answer(rows: np.ndarray) -> list[str]:
        probabilities = model.predict_proba(rows)[:, 1]
        return [f"{int(p >= 0.5)},{p:.6f}" for p in probabilities]

    answers = answer(x)
    lines = ["prediction,probability," + ",".join(FEATURES)]
    lines += [f"{a}," + ",".join(f"{v:.6g}" for v in row) for a, row in zip(answers, x, strict=True)]
    train.write_text("\n".join(lines) + "\n")
    quality = folder / "data" / "validation.csv"
    quality.write_text(
        "prediction,probability,label\n" + "".join(f"{a},{t}\n" for a, t in zip(answers, y, strict=True))
    )
    return lambda rows: "\n".join(answer(rows)), x, y, train, quality


def _model_app(predict: Callable[[np.ndarray], str], capture_uri: str) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from modelwatch.capture import CaptureMiddleware
    from modelwatch.capture.config import DataCaptureConfig

    async def invocations(request: Request) -> Response:
        rows = [line.split(",") for line in (await request.body()).decode().splitlines() if line]
        return Response(predict(np.asarray(rows, dtype=float)), media_type="text/csv")

    app = Starlette(routes=[Route("/invocations", invocations, methods=["POST"])])
    app.add_middleware(
        CaptureMiddleware,
        endpoint=ENDPOINT,
        config=DataCaptureConfig(destination_uri=capture_uri, flush_seconds=0.2),
    )
    return app


def _start(run: Callable[[], None], ready: Callable[[], bool]) -> threading.Thread:
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not ready():
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("a demo server did not start")
        time.sleep(0.05)
    return thread


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
    return response.json() if response.content else {}


def _wait(
    api: httpx.Client, path: str, done: Callable[[dict[str, Any]], bool], timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = _check(api.get(path))
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not finish within {timeout:g} s: {body}")
        time.sleep(0.25)


def _labels(labels: np.ndarray, prefix: str) -> str:
    """Ground truth of the requests ``{prefix}-{i}`` (SageMaker's format)."""
    return "".join(
        json.dumps(
            {
                "groundTruthData": {"data": str(int(label)), "encoding": "CSV"},
                "eventMetadata": {"eventId": f"{prefix}-{i}"},
                "eventVersion": "0",
            }
        )
        + "\n"
        for i, label in enumerate(labels)
    )


def _send(model_url: str, rows: np.ndarray, prefix: str) -> tuple[datetime, datetime]:
    """POST one CSV row per request, with the inference id ``{prefix}-{i}``; returns the window
    [first second, last second + 1 s)."""
    start = datetime.now(UTC).replace(microsecond=0)
    with httpx.Client(base_url=model_url, timeout=30) as client:
        for i, row in enumerate(rows):
            body = ",".join(f"{v:.6g}" for v in row)
            headers = {"Content-Type": "text/csv", "X-Amzn-SageMaker-Inference-Id": f"{prefix}-{i}"}
            client.post("/invocations", content=body, headers=headers).raise_for_status()
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep(max((end - datetime.now(UTC)).total_seconds(), 0) + 0.5)  # next window starts later; flushes
    return start, end


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as Ctrl-C raises KeyboardInterrupt."""


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM stops the demo as Ctrl-C does; a second one is ignored while it stops."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_demo(
    folder: Path,
    console: Console,
    *,
    port: int = 8000,
    model_port: int = 8080,
    keep_running: bool = True,
) -> DemoResult:
    """Run the demo (see the module docstring); with ``keep_running`` serve until Ctrl-C or SIGTERM.

    Raises:
        SystemExit: 143 (SIGTERM) or 130 (Ctrl-C) when stopped before it showed its results, once all
            is shut down.
    """
    with _sigterm_as_interrupt():
        try:
            return _run_demo(folder, console, port, model_port, keep_running)
        except _Terminated:
            console.print("stopped by SIGTERM")
            raise SystemExit(128 + signal.SIGTERM) from None
        except KeyboardInterrupt:
            console.print("stopped by Ctrl-C")
            raise SystemExit(128 + signal.SIGINT) from None


def _run_demo(folder: Path, console: Console, port: int, model_port: int, keep_running: bool) -> DemoResult:
    import os

    import uvicorn

    from modelwatch.capture.proxy import GracefulServer
    from modelwatch.server import build_server
    from modelwatch.settings import get_settings

    folder = folder.resolve()
    os.environ["MODELWATCH_DATA_DIR"] = str(folder)
    os.environ.pop("MODELWATCH_DATABASE_URL", None)
    os.environ.pop("MODELWATCH_STORAGE_URI", None)
    get_settings.cache_clear()
    started = time.monotonic()

    def step(text: str) -> None:
        console.print(f"[dim]{time.monotonic() - started:5.1f}s[/] {text}", highlight=False)

    server = build_server("127.0.0.1", port)
    assert server.scheduler is not None  # build_server made one (scheduler=True)
    server.scheduler.interval = 0.5
    server_thread = _start(server.run, lambda: server.http.started)
    api_url = server.url
    step(f"[bold]modelwatch server[/] on {api_url}: dashboard {api_url}/ui/, API docs {api_url}/docs")
    model_server, model_thread = None, None
    try:
        with httpx.Client(base_url=f"{api_url}/api/v1", timeout=30) as api:
            predict, x, y, train, validation = _train(folder)
            endpoint = api.get(f"/endpoints/{ENDPOINT}")
            if endpoint.status_code == 404:
                endpoint = api.post("/endpoints", json={"name": ENDPOINT})
            capture_uri = _check(endpoint)["capture_uri"]
            model_server = GracefulServer(
                uvicorn.Config(
                    _model_app(predict, capture_uri), host="127.0.0.1", port=model_port, log_level="warning"
                )
            )
            model_thread = _start(model_server.run, lambda: model_server.started)
            model_url = f"http://127.0.0.1:{model_port}"
            step(
                f"[bold]model[/] trained on {len(x)} rows, served at {model_url}/invocations, "
                f"captured to {capture_uri}"
            )

            stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
            data = _baseline(api, f"{BASELINE}-{stamp}", {"dataset_uri": str(train)})
            step(f"[bold]data-quality baseline[/] {data['statistics_uri']}")
            parameters = {
                "problem_type": "BinaryClassification",
                "inference_attribute": "prediction",
                "probability_attribute": "probability",
                "ground_truth_attribute": "label",
            }
            quality = _baseline(
                api,
                f"{BASELINE}-quality-{stamp}",
                {"dataset_uri": str(validation), "monitoring_type": "ModelQuality", "parameters": parameters},
            )
            step(f"[bold]model-quality baseline[/] {quality['statistics_uri']}")

            _schedule(
                api,
                SCHEDULE,
                "DataQuality",
                {
                    "endpoint_input": {"endpoint_name": ENDPOINT},
                    "baseline_statistics_uri": data["statistics_uri"],
                    "baseline_constraints_uri": data["constraints_uri"],
                },
            )
            _schedule(
                api,
                QUALITY_SCHEDULE,
                "ModelQuality",
                {
                    "endpoint_input": {
                        "endpoint_name": ENDPOINT,
                        "inference_attribute": "0",
                        "probability_attribute": "1",
                    },
                    "problem_type": "BinaryClassification",
                    "baseline_constraints_uri": quality["constraints_uri"],
                },
            )
            step(f"[bold]schedules[/] hourly data-quality and model-quality checks of {ENDPOINT}")

            drifted = x.copy()
            for feature, factor in DRIFTED_FEATURES.items():
                drifted[:, FEATURES.index(feature)] *= factor
            windows = {"normal": _send(model_url, x, "normal")}
            step(f"[bold]traffic[/] {len(x)} normal requests (the training rows)")
            windows["drifted"] = _send(model_url, drifted, "drifted")
            step(f"[bold]traffic[/] {len(x)} drifted requests ({', '.join(DRIFTED_FEATURES)} scaled up)")
            for label in windows:
                body = _labels(y, label).encode()
                headers = {"Content-Type": "application/x-ndjson"}
                _check(api.post(f"/endpoints/{ENDPOINT}/ground-truth", content=body, headers=headers))
            step(f"[bold]ground truth[/] the true labels of the {2 * len(x)} requests uploaded")

            details, violations = _run_now(api, SCHEDULE, windows)
            quality_details, quality_violations = _run_now(api, QUALITY_SCHEDULE, windows)
        _report(console, "Data quality", details, violations, "feature_name")
        _report(console, "Model quality", quality_details, quality_violations, "metric_name")
        _links(console, api_url, details, folder)
        step("[bold]done[/]")
        result = DemoResult(api_url, details, violations, quality_details, quality_violations)
        if keep_running:
            try:
                console.print("Everything keeps running; press [bold]Ctrl-C[/] to stop.")
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM (_Terminated): a normal end
                console.print("stopping")
        return result
    finally:
        if model_server is not None and model_thread is not None:
            model_server.should_exit = True
            model_thread.join(15)
        server.stop()
        server_thread.join(60)


def _baseline(api: httpx.Client, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    _check(
        api.post("/baselining-jobs", json={"name": name, "dataset_format": {"csv": {"header": True}}, **spec})
    )
    job = _wait(api, f"/baselining-jobs/{name}", lambda b: b["status"] != "InProgress")
    if job["status"] != "Completed":
        raise RuntimeError(f"the baselining job {name} failed: {job['failure_reason']}")
    return job


def _schedule(api: httpx.Client, name: str, kind: str, definition: dict[str, Any]) -> None:
    api.delete(f"/schedules/{name}")
    spec = {
        "name": name,
        "monitoring_type": kind,
        "schedule_expression": "cron(0 * ? * * *)",
        "definition": definition,
    }
    _check(api.post("/schedules", json=spec))


def _run_now(
    api: httpx.Client, schedule: str, windows: dict[str, tuple[datetime, datetime]]
) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Run ``schedule`` once over each window; the executions when they end, and their violations."""
    details: dict[str, dict[str, Any]] = {}
    for label, (start, end) in windows.items():
        body = {"window_start": start.isoformat(), "window_end": end.isoformat()}
        details[label] = _check(api.post(f"/schedules/{schedule}/executions", json=body))
        time.sleep(1.0)  # on-demand runs are keyed by the second
    for label, view in details.items():
        details[label] = _wait(
            api,
            f"/executions/{view['id']}",
            lambda b: b["status"] not in ("Pending", "InProgress", "Stopping"),
        )
    violations = {
        label: _check(api.get(f"/executions/{d['id']}/files/constraint_violations.json"))["violations"]
        if "constraint_violations.json" in d.get("files", {})
        else []
        for label, d in details.items()
    }
    return details, violations


def _report(
    console: Console,
    title: str,
    details: dict[str, dict[str, Any]],
    violations: dict[str, list[dict[str, Any]]],
    key: str,
) -> None:
    table = Table(title=title)
    table.add_column("traffic")
    table.add_column("window (UTC)", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("violations", justify="right")
    table.add_column("features" if key == "feature_name" else "metrics")
    for label, detail in details.items():
        names = sorted({v[key] for v in violations[label]})
        window = f"{detail['window_start'][11:19]}–{detail['window_end'][11:19]}"
        style = "green" if detail["status"] == "Completed" else "red"
        table.add_row(
            label, window, f"[{style}]{detail['status']}[/]", str(len(violations[label])), ", ".join(names)
        )
    console.print(table)
    for label, detail in details.items():
        if detail.get("failure_reason"):
            console.print(f"{label}: failure: {detail['failure_reason']}")


def _links(console: Console, api_url: str, details: dict[str, dict[str, Any]], folder: Path) -> None:
    for label, detail in details.items():
        console.print(f"{label}: results in {detail['output_uri']}")
    console.print(f"dashboard: {api_url}/ui/   API: {api_url}/api/v1/executions   docs: {api_url}/docs")
    console.print(f"data: {folder}")
