"""The demo behind the README's first command: a monitored model, end to end, in about a minute.

1. Start the modelwatch server (REST API + scheduler) on the embedded defaults, data in ``--folder``.
2. Train a small classifier on scikit-learn's breast-cancer dataset and serve it over HTTP behind the
   capture middleware, so every request and response lands in the endpoint's capture folder.
3. Run a baselining job on the training data (the model's predictions first, then the features) and
   create an hourly data-quality schedule with that baseline.
4. Send normal traffic, then drifted traffic (a few measurements scaled up by 40–60%).
5. Run one execution now over each traffic window, wait for them, and show the outcome: the normal
   window ``Completed``, the drifted one ``CompletedWithViolations`` naming the drifted features.

Everything keeps running (the dashboard at ``/ui/``, API docs at ``/docs``) until Ctrl-C.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
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
REQUESTS = 800


@dataclass(frozen=True)
class DemoResult:
    api_url: str
    executions: dict[str, dict[str, Any]]  # "normal" / "drifted" -> execution detail
    violations: dict[str, list[dict[str, Any]]]


def _train(folder: Path) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray, Path]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    x = x[:, : len(FEATURES)]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)
    train = folder / "data" / "train.csv"
    train.parent.mkdir(parents=True, exist_ok=True)
    predictions = model.predict(x)
    lines = ["prediction," + ",".join(FEATURES)]
    lines += [f"{p}," + ",".join(f"{v:.6g}" for v in row) for p, row in zip(predictions, x, strict=True)]
    train.write_text("\n".join(lines) + "\n")
    return model.predict, x, train


def _model_app(predict: Callable[[np.ndarray], np.ndarray], capture_uri: str) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from modelwatch.capture import CaptureMiddleware
    from modelwatch.capture.config import DataCaptureConfig

    async def invocations(request: Request) -> Response:
        rows = [line.split(",") for line in (await request.body()).decode().splitlines() if line]
        labels = predict(np.asarray(rows, dtype=float))
        return Response("\n".join(str(label) for label in labels), media_type="text/csv")

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


def _send(model_url: str, rows: np.ndarray) -> tuple[datetime, datetime]:
    """POST one CSV row per request; returns the window [first second, last second + 1 s)."""
    start = datetime.now(UTC).replace(microsecond=0)
    with httpx.Client(base_url=model_url, timeout=30) as client:
        for row in rows:
            body = ",".join(f"{v:.6g}" for v in row)
            client.post("/invocations", content=body, headers={"Content-Type": "text/csv"}).raise_for_status()
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    time.sleep(max((end - datetime.now(UTC)).total_seconds(), 0) + 0.5)  # next window starts later; flushes
    return start, end


def run_demo(
    folder: Path,
    console: Console,
    *,
    port: int = 8000,
    model_port: int = 8080,
    keep_running: bool = True,
) -> DemoResult:
    """Run the demo (see the module docstring); with ``keep_running`` serve until Ctrl-C."""
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
    server.scheduler.interval = 0.5  # type: ignore[union-attr]
    server_thread = _start(server.run, lambda: server.http.started)
    api_url = server.url
    step(f"[bold]modelwatch server[/] on {api_url}: dashboard {api_url}/ui/, API docs {api_url}/docs")
    model_server, model_thread = None, None
    try:
        with httpx.Client(base_url=f"{api_url}/api/v1", timeout=30) as api:
            predict, x, train = _train(folder)
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

            name = f"{BASELINE}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
            _check(
                api.post(
                    "/baselining-jobs",
                    json={
                        "name": name,
                        "dataset_uri": str(train),
                        "dataset_format": {"csv": {"header": True}},
                    },
                )
            )
            job = _wait(api, f"/baselining-jobs/{name}", lambda b: b["status"] != "InProgress")
            if job["status"] != "Completed":
                raise RuntimeError(f"the baselining job failed: {job['failure_reason']}")
            step(f"[bold]baseline[/] {job['statistics_uri']}")

            api.delete(f"/schedules/{SCHEDULE}")
            definition = {
                "endpoint_input": {"endpoint_name": ENDPOINT},
                "baseline_statistics_uri": job["statistics_uri"],
                "baseline_constraints_uri": job["constraints_uri"],
            }
            _check(
                api.post(
                    "/schedules",
                    json={
                        "name": SCHEDULE,
                        "schedule_expression": "cron(0 * ? * * *)",
                        "definition": definition,
                    },
                )
            )
            step(f"[bold]schedule[/] {SCHEDULE}: hourly data-quality checks of {ENDPOINT}")

            rng = np.random.default_rng(0)
            normal = x[rng.integers(0, len(x), REQUESTS)]
            drifted = x[rng.integers(0, len(x), REQUESTS)].copy()
            for feature, factor in DRIFTED_FEATURES.items():
                drifted[:, FEATURES.index(feature)] *= factor
            windows = {"normal": _send(model_url, normal)}
            step(f"[bold]traffic[/] {REQUESTS} normal requests")
            windows["drifted"] = _send(model_url, drifted)
            step(f"[bold]traffic[/] {REQUESTS} drifted requests ({', '.join(DRIFTED_FEATURES)} scaled up)")

            details: dict[str, dict[str, Any]] = {}
            for label, (start, end) in windows.items():
                view = _check(
                    api.post(
                        f"/schedules/{SCHEDULE}/executions",
                        json={"window_start": start.isoformat(), "window_end": end.isoformat()},
                    )
                )
                details[label] = view
                time.sleep(1.0)  # on-demand runs are keyed by the second
            for label, view in details.items():
                details[label] = _wait(
                    api,
                    f"/executions/{view['id']}",
                    lambda b: b["status"] not in ("Pending", "InProgress", "Stopping"),
                )
            violations = {
                label: _check(api.get(f"/executions/{d['id']}/files/constraint_violations.json"))[
                    "violations"
                ]
                if "constraint_violations.json" in d.get("files", {})
                else []
                for label, d in details.items()
            }
        _report(console, api_url, details, violations, folder)
        step("[bold]done[/]")
        result = DemoResult(api_url, details, violations)
        if keep_running:
            console.print("Everything keeps running; press [bold]Ctrl-C[/] to stop.")
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                console.print("stopping")
        return result
    finally:
        if model_server is not None and model_thread is not None:
            model_server.should_exit = True
            model_thread.join(15)
        server.stop()
        server_thread.join(60)


def _report(
    console: Console,
    api_url: str,
    details: dict[str, dict[str, Any]],
    violations: dict[str, list[dict[str, Any]]],
    folder: Path,
) -> None:
    table = Table(title="Executions")
    table.add_column("traffic")
    table.add_column("window (UTC)", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("violations", justify="right")
    table.add_column("features")
    for label, detail in details.items():
        features = sorted({v["feature_name"] for v in violations[label]})
        window = f"{detail['window_start'][11:19]}–{detail['window_end'][11:19]}"
        style = "green" if detail["status"] == "Completed" else "red"
        table.add_row(
            label, window, f"[{style}]{detail['status']}[/]", str(len(violations[label])), ", ".join(features)
        )
    console.print(table)
    for label, detail in details.items():
        console.print(f"{label}: results in {detail['output_uri']}")
        if detail.get("failure_reason"):
            console.print(f"  failure: {detail['failure_reason']}")
    console.print(f"dashboard: {api_url}/ui/   API: {api_url}/api/v1/executions   docs: {api_url}/docs")
    console.print(f"data: {folder}")
