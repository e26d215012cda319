"""The ground-truth merge of batch-transform output captured with GenerateInferenceId."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from modelwatch.capture.batch import capture_batch
from modelwatch.errors import ConfigurationError, DataError
from modelwatch.io.ground_truth import write_ground_truth
from modelwatch.io.payload_fields import extract_field
from modelwatch.io.storage import read_text
from modelwatch.monitors.merge import MergeResult
from modelwatch.monitors.merge_batch import merge_batch_transform

JOB_START = datetime(2024, 5, 1, 13, 10, 5, tzinfo=UTC)
HOUR = JOB_START.replace(minute=0, second=0)


def transform(
    tmp_path: Path,
    outputs: dict[str, str],
    content_type: str,
    *,
    job: str = "job-1",
    when: datetime = JOB_START,
    ids: bool = True,
) -> Path:
    """Run modelwatch's batch capture over transform output files (``name -> text``); the destination."""
    run = tmp_path / job
    (run / "in").mkdir(parents=True)
    (run / "in" / "input.csv").write_text("1,2\n3,4\n")
    (run / "out").mkdir()
    for name, text in outputs.items():
        (run / "out" / name).write_text(text)
    destination = tmp_path / "batch-capture"
    capture_batch(
        str(run / "in"),
        str(run / "out"),
        str(destination),
        endpoint_or_job=job,
        content_type=content_type,  # type: ignore[arg-type]
        generate_inference_id=ids,
        job_start=when,
    )
    return run / "out"


def tagged_csv(out: Path, name: str) -> list[list[str]]:
    return [line.rsplit(",", 2) for line in (out / name).read_text().splitlines() if line.strip()]


def labels(tmp_path: Path, pairs: list[tuple[str, str]], collected: datetime) -> str:
    prefix = str(tmp_path / "ground-truth")
    records = [
        {
            "groundTruthData": {"data": d, "encoding": "CSV"},
            "eventMetadata": {"eventId": i},
            "eventVersion": "0",
        }
        for i, d in pairs
    ]
    write_ground_truth(prefix, records, collected_at=collected)
    return prefix


def merge(tmp_path: Path, **options: Any) -> MergeResult:
    arguments: dict[str, Any] = {
        "capture_destination_uri": str(tmp_path / "batch-capture"),
        "start": HOUR,
        "end": HOUR + timedelta(hours=1),
        "ground_truth_uri": str(tmp_path / "ground-truth"),
        "labels_until": HOUR + timedelta(days=1),
    }
    return merge_batch_transform(**(arguments | options))


def test_csv_output_joins_on_the_second_to_last_column(tmp_path: Path) -> None:
    out = transform(tmp_path, {"a.csv.out": "1,0.83\n0,0.12\n", "b.csv.out": "1,0.61\n\n0,0.4\n"}, "text/csv")
    rows = tagged_csv(out, "a.csv.out") + tagged_csv(out, "b.csv.out")
    assert [row[2] for row in rows] == ["2024-05-01T13:10:05Z"] * 4
    ids = [row[1] for row in rows]
    labels(tmp_path, [(ids[0], "1"), (ids[3], "0"), ("someone-else", "1")], HOUR + timedelta(hours=5))
    output = str(tmp_path / "merged")
    result = merge(tmp_path, output_uri=output)
    assert result.table.column("event_id").to_pylist() == [ids[0], ids[3]]
    assert result.table.column("output_data").to_pylist() == ["1,0.83", "0,0.4"]
    assert result.table.column("output_encoding").to_pylist() == ["CSV", "CSV"]
    assert result.table.column("ground_truth").to_pylist() == ["1", "0"]
    assert result.table.column("inference_time").to_pylist() == [JOB_START, JOB_START]
    assert extract_field(result.table.column("output_data"), "CSV", "1").to_pylist() == ["0.83", "0.4"]
    counts = result.counts
    assert (counts.captured, counts.matched, counts.unmatched_labels, counts.capture_files) == (4, 2, 1, 2)
    assert result.merged_files == [f"{output}/2024/05/01/13/20240501T130000Z-20240501T140000Z.jsonl"]
    merged = [json.loads(line) for line in read_text(result.merged_files[0]).splitlines()]
    assert merged[0] == {
        "captureData": {
            "endpointOutput": {
                "observedContentType": "text/csv",
                "mode": "OUTPUT",
                "data": "1,0.83",
                "encoding": "CSV",
            }
        },
        "eventMetadata": {"eventId": ids[0], "inferenceTime": "2024-05-01T13:10:05Z"},
        "eventVersion": "0",
        "groundTruthData": {"data": "1", "encoding": "CSV"},
    }
    assert merged[1]["captureData"]["endpointOutput"]["data"] == "0,0.4"


def test_json_lines_output_joins_on_the_key(tmp_path: Path) -> None:
    out = transform(
        tmp_path,
        {"part.out": '{"score": 0.9, "label": "yes"}\n{"score": 0.2, "label": "no"}\n'},
        "application/jsonlines",
    )
    records = [json.loads(line) for line in (out / "part.out").read_text().splitlines()]
    ids = [record["SageMakerInferenceId"] for record in records]
    labels(tmp_path, [(ids[1], "0"), (ids[0], "1"), (ids[1], "1")], HOUR + timedelta(hours=2))
    result = merge(tmp_path, dataset_format="json", output_uri=str(tmp_path / "merged"))
    assert result.table.column("event_id").to_pylist() == ids
    assert result.table.column("ground_truth").to_pylist() == ["1", "1"]  # the later label of ids[1] wins
    assert result.counts.duplicate_labels == 1
    scores = extract_field(
        result.table.column("output_data"), result.table.column("output_encoding"), "$.score"
    )
    assert scores.to_pylist() == ["0.9", "0.2"]
    merged = [json.loads(line) for line in read_text(result.merged_files[0]).splitlines()]
    payload = merged[0]["captureData"]["endpointOutput"]
    assert payload["observedContentType"] == "application/jsonlines"
    assert payload["encoding"] == "JSON"
    assert json.loads(payload["data"]) == records[0]


def test_json_output_that_pyarrow_cannot_read_at_once(tmp_path: Path) -> None:
    out = transform(tmp_path, {"p.out": '{"score": 1}\n{"score": "high"}\n[0.3]\n'}, "application/json")
    ids = [json.loads(line)["SageMakerInferenceId"] for line in (out / "p.out").read_text().splitlines()]
    labels(tmp_path, [(i, "1") for i in ids], HOUR)
    result = merge(tmp_path, dataset_format="json")
    assert result.table.column("event_id").to_pylist() == ids
    assert json.loads(result.table.column("output_data")[2].as_py())["SageMakerOutput"] == [0.3]


def test_only_the_jobs_of_the_window_count(tmp_path: Path) -> None:
    transform(tmp_path, {"a.out": "0.5\n"}, "text/csv", job="early", when=HOUR - timedelta(minutes=1))
    out = transform(tmp_path, {"a.out": "0.7\n"}, "text/csv", job="inside", when=HOUR + timedelta(minutes=59))
    transform(tmp_path, {"a.out": "0.9\n"}, "text/csv", job="later", when=HOUR + timedelta(hours=1))
    ids = [row[1] for row in tagged_csv(out, "a.out")]
    labels(tmp_path, [(ids[0], "1")], HOUR + timedelta(hours=3))
    result = merge(tmp_path)
    assert result.table.column("output_data").to_pylist() == ["0.7"]
    assert (result.counts.captured, result.counts.capture_files) == (1, 1)
    half = merge(tmp_path, start=HOUR + timedelta(minutes=30), end=HOUR + timedelta(minutes=45))
    assert (half.counts.captured, half.counts.outside_window) == (0, 1)


def test_output_without_inference_ids_is_an_error(tmp_path: Path) -> None:
    out = transform(tmp_path, {"a.out": "0.5\n0.6\n"}, "text/csv", ids=False)
    with pytest.raises(DataError, match="GenerateInferenceId") as info:
        merge(tmp_path)
    assert (info.value.file, info.value.line) == (str(out / "a.out"), 1)
    with pytest.raises(DataError, match="SageMakerInferenceTime") as info:
        merge(tmp_path, dataset_format="json")
    with pytest.raises(ConfigurationError, match="dataset_format"):
        merge(tmp_path, dataset_format="parquet")


def test_csv_with_a_header_and_no_labels(tmp_path: Path) -> None:
    out = transform(tmp_path, {"a.out": "label,score\n1,0.8\n"}, "text/csv")
    (out / "a.out").write_text("label,score\n" + (out / "a.out").read_text().split("\n", 1)[1])
    result = merge(tmp_path, header=True)
    assert (result.counts.captured, result.counts.matched, result.counts.labels) == (1, 0, 0)
    assert result.counts.describe().endswith("no valid labels in the ground-truth hours read")


def test_output_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    out = transform(tmp_path, {"a.out": "0.5\n"}, "text/csv")
    (out / "a.out").write_bytes(b"\xff\xfe,x,2024-05-01T13:10:05Z\n")
    with pytest.raises(DataError, match="transform output is not UTF-8") as info:
        merge(tmp_path)
    assert info.value.file == str(out / "a.out")
