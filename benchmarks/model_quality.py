"""Model-quality monitoring end to end: ground-truth merge + binary metrics, modelwatch against pandas.

Generates (once, cached under ``.bench/``) ``--rows`` captured binary-classification predictions in the
SageMaker capture layout — hourly folders over ``--hours`` hours, ``--files-per-hour`` files each; every
record has an ``inferenceId``, a 6-column CSV input and a CSV output payload, the probability (``0.83``)
— and one label per prediction (``"1"`` with the probability's chance) in ground-truth hour folders of
the hours after, in shuffled order. Then it times, each in a fresh subprocess (best of ``--repeat``;
peak RSS of that process from ``wait4``):

* **modelwatch**: ``merge_window`` (labels until the last label hour) +
  ``extract_field`` of attribute ``"0"`` + ``quality_statistics(ProblemType.BINARY, ...)`` with
  threshold 0.5 (``--write-merged`` also writes the merged files);
* **pandas + scikit-learn**: ``json.loads`` of every capture and label line into pandas frames,
  the window filter, ``drop_duplicates(keep="last")`` of the labels, ``merge`` on the id, then
  ``accuracy_score``, ``precision_score``, ``recall_score``, ``f1_score``, ``roc_auc_score`` and
  ``confusion_matrix``;

and the import-only cost of each (interpreter + libraries), so the figures can be read net of it. It
checks that both find the same number of matches and the same metrics.
Run: ``python benchmarks/model_quality.py [--rows 1000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

HOUR = datetime(2024, 5, 1, 0, tzinfo=UTC)
ENDPOINT, VARIANT = "bench-mq", "AllTraffic"
CACHE = Path(__file__).resolve().parent.parent / ".bench"
METRICS = ("accuracy", "precision", "recall", "f1", "auc")


# --- data -----------------------------------------------------------------------------------------------


def _write(path: Path, lines: Any) -> None:
    """Write an Arrow string array of lines (each already ends in a newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for offset in range(0, len(lines), 100_000):
            out.write("".join(lines.slice(offset, 100_000).to_pylist()).encode())


def generate(rows: int, hours: int, files_per_hour: int) -> Path:
    """The capture and ground-truth trees of the benchmark (reused when present)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    folder = CACHE / f"model_quality_{rows}_{hours}_{files_per_hour}"
    done = folder / "done"
    if done.exists():
        return folder
    rng = np.random.default_rng(11)
    raw = rng.bytes(32 * rows)
    ids = [str(uuid.UUID(bytes=raw[i : i + 16], version=4)) for i in range(0, 16 * rows, 16)]
    events = [str(uuid.UUID(bytes=raw[i : i + 16], version=4)) for i in range(16 * rows, 32 * rows, 16)]
    inference_ids = pa.array(ids)
    probability = rng.beta(2, 3, rows).round(6)
    label = (rng.random(rows) < probability).astype(np.int8)
    seconds = np.sort(rng.uniform(0, 3600 * hours, rows)).astype(np.int64)
    times = pa.array(int(HOUR.timestamp()) + seconds, pa.timestamp("s", tz="UTC"))
    time_text = pc.strftime(times, "%Y-%m-%dT%H:%M:%SZ")
    features = [pa.array(rng.normal(i, 1 + i, rows).round(3)).cast(pa.string()) for i in range(5)]
    features.append(pa.array(rng.choice(["north", "south", "east", "west"], rows)))
    lines = pc.binary_join_element_wise(
        '{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"',
        pc.binary_join_element_wise(*features, ","),
        '","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv; charset=utf-8",'
        '"mode":"OUTPUT","data":"',
        pa.array(probability).cast(pa.string()),
        '","encoding":"CSV"}},"eventMetadata":{"eventId":"',
        pa.array(events),
        '","inferenceId":"',
        inference_ids,
        '","inferenceTime":"',
        time_text,
        '"},"eventVersion":"0"}\n',
        "",
    )
    hour_of = seconds // 3600
    for hour in range(hours):
        rows_of = np.flatnonzero(hour_of == hour)
        moment = HOUR + timedelta(hours=hour)
        for part, chunk in enumerate(np.array_split(rows_of, files_per_hour)):
            if not chunk.size:
                continue
            name = f"{part:02d}-00-000-{uuid.UUID(int=hour * 1000 + part + 1)}.jsonl"
            path = folder / "capture" / ENDPOINT / VARIANT / f"{moment:%Y/%m/%d/%H}" / name
            _write(path, lines.take(pa.array(chunk)))
    order = rng.permutation(rows)
    labels = pc.binary_join_element_wise(
        '{"groundTruthData":{"data":"',
        pa.array(label).cast(pa.string()),
        '","encoding":"CSV"},"eventMetadata":{"eventId":"',
        inference_ids,
        '"},"eventVersion":"0"}\n',
        "",
    ).take(pa.array(order))
    label_hours = hours + 2
    for hour, chunk in enumerate(np.array_split(np.arange(rows), label_hours)):
        moment = HOUR + timedelta(hours=hour + 1)
        for part, piece in enumerate(np.array_split(chunk, 2)):
            path = folder / "ground-truth" / ENDPOINT / f"{moment:%Y/%m/%d/%H}" / f"{part:02d}-00-000.jsonl"
            _write(path, labels.take(pa.array(piece)))
    (folder / "window.json").write_text(
        json.dumps(
            {
                "start": HOUR.isoformat(),
                "end": (HOUR + timedelta(hours=hours)).isoformat(),
                "labels_until": (HOUR + timedelta(hours=label_hours + 1)).isoformat(),
            }
        )
    )
    done.write_text("ok")
    return folder


# --- the two contenders (each runs in its own process) ----------------------------------------------


def run_modelwatch(folder: Path, window: dict[str, datetime], write_merged: bool) -> dict[str, Any]:
    import pyarrow as pa
    import pyarrow.compute as pc

    from modelwatch.formats.model_quality import ProblemType
    from modelwatch.io.payload_fields import extract_field
    from modelwatch.monitors.merge import merge_window
    from modelwatch.monitors.model_quality import quality_statistics

    result = merge_window(
        capture_uri=str(folder / "capture"),
        endpoint=ENDPOINT,
        variant=VARIANT,
        start=window["start"],
        end=window["end"],
        ground_truth_uri=str(folder / "ground-truth" / ENDPOINT),
        labels_until=window["labels_until"],
        output_uri=str(folder / "merged") if write_merged else None,
    )
    table = result.table
    text = extract_field(table.column("output_data"), table.column("output_encoding"), "0")
    probabilities = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
    labels = pc.cast(table.column("ground_truth"), pa.int64()).to_numpy()
    predictions = (probabilities >= 0.5).astype(np.int64)
    statistics = quality_statistics(
        ProblemType.BINARY, labels=labels, predictions=predictions, probabilities=probabilities, threshold=0.5
    )
    matrix = statistics.confusion_matrix.counts if statistics.confusion_matrix is not None else {}
    return {
        "matched": result.counts.matched,
        "metrics": {name: statistics.metrics[name].value for name in METRICS},
        "confusion": [[matrix.get(a, {}).get(p, 0) for p in ("0", "1")] for a in ("0", "1")],
    }


def _records(paths: list[Path]) -> list[Any]:
    records = []
    for path in paths:
        with path.open("rb") as lines:
            records.extend(json.loads(line) for line in lines if line.strip())
    return records


def run_pandas(folder: Path, window: dict[str, datetime], write_merged: bool) -> dict[str, Any]:
    import pandas as pd
    from sklearn.metrics import (
        accuracy_score,
        confusion_matrix,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    captured = _records(sorted((folder / "capture").rglob("*.jsonl")))
    predictions = pd.DataFrame(
        {
            "id": [r["eventMetadata"].get("inferenceId", r["eventMetadata"]["eventId"]) for r in captured],
            "time": [r["eventMetadata"]["inferenceTime"] for r in captured],
            "output": [r["captureData"]["endpointOutput"]["data"] for r in captured],
        }
    )
    del captured
    predictions["time"] = pd.to_datetime(predictions["time"], utc=True)
    inside = (predictions["time"] >= window["start"]) & (predictions["time"] < window["end"])
    predictions = predictions[inside]
    label_files = sorted((folder / "ground-truth").rglob("*.jsonl"))
    labelled = _records(label_files)
    labels = pd.DataFrame(
        {
            "id": [r["eventMetadata"]["eventId"] for r in labelled],
            "label": [r["groundTruthData"]["data"] for r in labelled],
        }
    ).drop_duplicates("id", keep="last")
    del labelled
    merged = predictions.merge(labels, on="id", how="inner")
    if write_merged:
        merged.to_json(folder / "merged-pandas.jsonl", orient="records", lines=True)
    y = merged["label"].astype(int).to_numpy()
    score = merged["output"].astype(float).to_numpy()
    predicted = (score >= 0.5).astype(int)
    return {
        "matched": len(merged),
        "metrics": {
            "accuracy": accuracy_score(y, predicted),
            "precision": precision_score(y, predicted),
            "recall": recall_score(y, predicted),
            "f1": f1_score(y, predicted),
            "auc": roc_auc_score(y, score),
        },
        "confusion": confusion_matrix(y, predicted, labels=[0, 1]).tolist(),
    }


def _imports(name: str) -> None:
    if name == "modelwatch":
        import pyarrow.compute  # noqa: F401

        import modelwatch.monitors.merge
        import modelwatch.monitors.model_quality  # noqa: F401
    else:
        import pandas  # noqa: F401
        import sklearn.metrics  # noqa: F401


def child(name: str, folder: Path, write_merged: bool, imports_only: bool) -> int:
    """Run one contender and print its seconds and result as JSON."""
    _imports(name)
    if imports_only:
        print(json.dumps({"seconds": 0.0}))
        return 0
    bounds = json.loads((folder / "window.json").read_text())
    window = {key: datetime.fromisoformat(value) for key, value in bounds.items()}
    run = run_modelwatch if name == "modelwatch" else run_pandas
    started = time.perf_counter()
    result = run(folder, window, write_merged)
    print(json.dumps({"seconds": time.perf_counter() - started, **result}))
    return 0


def measure(name: str, folder: Path, write_merged: bool, imports_only: bool) -> tuple[dict[str, Any], float]:
    """One contender in a subprocess: its JSON output and its peak RSS in MiB."""
    command = [sys.executable, __file__, "--child", name, "--data", str(folder)]
    command += ["--write-merged"] if write_merged else []
    command += ["--imports-only"] if imports_only else []
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=os.environ | {"PYTHONHASHSEED": "0"})
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{name} failed with exit code {process.returncode}")
    return json.loads(output.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="captured predictions (and labels)")
    parser.add_argument("--hours", type=int, default=4, help="hours of the capture window")
    parser.add_argument("--files-per-hour", type=int, default=5, help="capture files per hour folder")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each contender; the best counts")
    parser.add_argument("--write-merged", action="store_true", help="also write the merged records")
    parser.add_argument("--child", choices=["modelwatch", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--imports-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.data, args.write_merged, args.imports_only)
    if args.generate_only:
        generate(args.rows, args.hours, args.files_per_hour)
        return 0

    started = time.perf_counter()
    # Generated in a subprocess: Linux counts the parent's peak RSS at fork in a child's ru_maxrss.
    shape = [
        "--rows",
        str(args.rows),
        "--hours",
        str(args.hours),
        "--files-per-hour",
        str(args.files_per_hour),
    ]
    subprocess.run([sys.executable, __file__, "--generate-only", *shape], check=True)
    folder = CACHE / f"model_quality_{args.rows}_{args.hours}_{args.files_per_hour}"
    size = sum(p.stat().st_size for p in folder.rglob("*.jsonl") if "merged" not in p.parts) / 1e6
    print(
        f"{args.rows:,} predictions + {args.rows:,} labels, {size:,.0f} MB of JSON Lines "
        f"(data ready in {time.perf_counter() - started:.1f} s, cached in {folder})"
    )
    results: dict[str, dict[str, Any]] = {}
    for name, label in (("modelwatch", "modelwatch merge + metrics"), ("pandas", "pandas + scikit-learn")):
        _, base_rss = measure(name, folder, False, True)
        runs = [measure(name, folder, args.write_merged, False) for _ in range(args.repeat)]
        seconds = min(run["seconds"] for run, _ in runs)
        rss = max(peak for _, peak in runs)
        results[name] = runs[0][0]
        print(
            f"{label:<30} {seconds:8.2f} s  {args.rows / seconds:>12,.0f} rows/s  "
            f"peak RSS {rss:8.0f} MiB (imports alone {base_rss:.0f} MiB)"
        )
        results[name]["seconds"], results[name]["rss"] = seconds, rss
    ours, theirs = results["modelwatch"], results["pandas"]
    same = ours["matched"] == theirs["matched"] and ours["confusion"] == theirs["confusion"]
    same = same and all(abs(ours["metrics"][m] - theirs["metrics"][m]) < 1e-9 for m in METRICS)
    print(f"matched {ours['matched']:,}; metrics {ours['metrics']}")
    print(f"same matches and metrics: {same}")
    print(
        f"modelwatch / pandas: {ours['seconds'] / theirs['seconds']:.2f}x time, "
        f"{ours['rss'] / theirs['rss']:.2f}x peak RSS  (target: <= 1 for both)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
