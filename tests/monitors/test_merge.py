"""The ground-truth merge of an endpoint's capture: join key, label hours, latest wins, counts, output."""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from modelwatch.capture.config import DataCaptureConfig
from modelwatch.capture.record import build_record, record_line
from modelwatch.errors import ConfigurationError, DataError
from modelwatch.io import capture_columns as capture_columns_module
from modelwatch.io.ground_truth import ground_truth_prefix, write_ground_truth
from modelwatch.io.payload_fields import extract_field
from modelwatch.io.storage import join_uri, list_files, read_text, write_text
from modelwatch.monitors.merge import MergeResult, merge_window

GOLDEN_CAPTURE = Path(__file__).parents[1] / "golden" / "sagemaker-sdk" / "monitor" / "capture.jsonl"
# The first 12 lines of SageMaker's sample ground truth for that capture (sagemaker-python-sdk
# tests/data/monitor/actuals.jsonl), rebuilt byte for byte from their labels and eventIds.
ACTUAL_LABELS = ["1"] * 10 + ["0"] * 2
ACTUAL_IDS = [
    f"74b0dd56-e7c8-368e-94b1-14a138a9600{i // 2}"
    if i % 2 == 0
    else f"79f96714-0136-39c8-a20{i // 2}-38faf8a5f96f"
    for i in range(12)
]
ACTUALS = "".join(
    '{"groundTruthData":{"data":"'
    + data
    + '","encoding":"CSV"},"eventMetadata":{"eventId":"'
    + event_id
    + '","inferenceTime":"{%s}"},"eventVersion":"0"}\n'
    for data, event_id in zip(ACTUAL_LABELS, ACTUAL_IDS, strict=True)
)

HOUR = datetime(2024, 5, 1, 13, tzinfo=UTC)
CONFIG = DataCaptureConfig(destination_uri="unused")


def capture(
    event_id: str,
    moment: datetime,
    output: str = "0.8",
    *,
    inference_id: str | None = None,
    shadow: bool = False,
) -> dict[str, Any]:
    """A capture record made by modelwatch's own record builder (SageMaker's layout and key order)."""
    record = build_record(
        CONFIG,
        request_body=b"1,2,3",
        request_content_type="text/csv",
        response_body=output.encode(),
        response_content_type="text/csv",
        inference_id=inference_id,
        inference_time=moment,
        event_id=event_id,
    )
    if shadow:
        record["eventMetadata"]["invocationSource"] = "ShadowExperiment"
    return record


def write_file(root: Path, moment: datetime, lines: list[str], name: str | None = None) -> str:
    """One capture file in the hour folder of ``moment`` (``lines`` joined with newlines, verbatim)."""
    folder = root / "ep" / "AllTraffic" / f"{moment:%Y/%m/%d/%H}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{moment:%M-%S}-000-0000.jsonl")
    path.write_text("".join(lines))
    return str(path)


def lines(records: list[dict[str, Any]]) -> list[str]:
    return [record_line(record).decode() for record in records]


def label(event_id: str, data: str) -> str:
    return json.dumps(
        {
            "groundTruthData": {"data": data, "encoding": "CSV"},
            "eventMetadata": {"eventId": event_id},
            "eventVersion": "0",
        }
    )


def labels_at(prefix: str, moment: datetime, pairs: list[tuple[str, str]], name: str | None = None) -> str:
    text = "".join(label(event_id, data) + "\n" for event_id, data in pairs)
    if name is None:
        return write_ground_truth(prefix, text, collected_at=moment)
    uri = join_uri(prefix, f"{moment:%Y/%m/%d/%H}", name)
    write_text(uri, text)
    return uri


def merge(tmp_path: Path, **options: Any) -> MergeResult:
    arguments: dict[str, Any] = {
        "capture_uri": str(tmp_path / "capture"),
        "endpoint": "ep",
        "variant": "AllTraffic",
        "start": HOUR,
        "end": HOUR + timedelta(hours=1),
        "ground_truth_uri": ground_truth_prefix(str(tmp_path), "ep"),
        "labels_until": HOUR + timedelta(hours=1),
        "output_uri": None,
    }
    return merge_window(**(arguments | options))


def column(result: MergeResult, name: str) -> list[Any]:
    return result.table.column(name).to_pylist()


def test_join_on_inference_id_else_event_id(tmp_path: Path) -> None:
    records = [
        capture("e1", HOUR + timedelta(minutes=1), "0.9", inference_id="order-1"),
        capture("e2", HOUR + timedelta(minutes=2), "0.2"),
        capture("e3", HOUR + timedelta(minutes=3), "0.7", inference_id="order-3"),
    ]
    write_file(tmp_path / "capture", HOUR, lines(records))
    prefix = ground_truth_prefix(str(tmp_path), "ep")
    # e3 has an inferenceId, so a label for its eventId does not match it
    labels_at(prefix, HOUR + timedelta(minutes=30), [("order-1", "1"), ("e2", "0"), ("e3", "1")])
    result = merge(tmp_path)
    assert column(result, "event_id") == ["order-1", "e2"]
    assert column(result, "ground_truth") == ["1", "0"]
    assert column(result, "output_data") == ["0.9", "0.2"]
    assert column(result, "output_encoding") == ["CSV", "CSV"]
    assert column(result, "inference_time") == [HOUR + timedelta(minutes=1), HOUR + timedelta(minutes=2)]
    assert result.table.schema.field("inference_time").type == pa.timestamp("s", tz="UTC")
    counts = result.counts
    assert (counts.captured, counts.matched, counts.unmatched_predictions, counts.unmatched_labels) == (
        3,
        2,
        1,
        1,
    )
    assert (counts.labels, counts.label_files, counts.capture_files) == (3, 1, 1)
    assert result.merged_files == []


def test_labels_are_read_from_the_window_start_until_labels_until(tmp_path: Path) -> None:
    records = [capture(f"e{i}", HOUR + timedelta(minutes=i)) for i in range(4)]
    write_file(tmp_path / "capture", HOUR, lines(records))
    prefix = ground_truth_prefix(str(tmp_path), "ep")
    labels_at(prefix, HOUR - timedelta(minutes=1), [("e0", "1")])  # collected before the window: not read
    labels_at(prefix, HOUR + timedelta(minutes=50), [("e1", "1")])
    labels_at(prefix, HOUR + timedelta(days=2, hours=3), [("e2", "0")])  # two days later
    labels_at(prefix, HOUR + timedelta(days=2, hours=4), [("e3", "1")])  # in the hour of labels_until
    same_hour = merge(tmp_path)
    assert column(same_hour, "event_id") == ["e1"]
    later = merge(tmp_path, labels_until=HOUR + timedelta(days=2, hours=4))
    assert column(later, "event_id") == ["e1", "e2"]
    assert later.counts.label_files == 2
    into_last_hour = merge(tmp_path, labels_until=HOUR + timedelta(days=2, hours=4, minutes=1))
    assert column(into_last_hour, "event_id") == ["e1", "e2", "e3"]
    with pytest.raises(ConfigurationError, match=r"labels_until .* is not after the window start"):
        merge(tmp_path, labels_until=HOUR)
    with pytest.raises(ConfigurationError, match="is not after start"):
        merge(tmp_path, end=HOUR)


def test_the_latest_label_wins(tmp_path: Path) -> None:
    write_file(
        tmp_path / "capture", HOUR, lines([capture("a", HOUR), capture("b", HOUR), capture("c", HOUR)])
    )
    prefix = ground_truth_prefix(str(tmp_path), "ep")
    labels_at(prefix, HOUR + timedelta(hours=2), [("a", "hour-15")], name="zz.jsonl")
    labels_at(
        prefix, HOUR + timedelta(hours=3), [("a", "file-b-line-1"), ("a", "file-b-line-2")], name="b.jsonl"
    )
    labels_at(
        prefix, HOUR + timedelta(hours=3), [("a", "file-a"), ("b", "only"), ("c", "first")], name="a.jsonl"
    )
    labels_at(prefix, HOUR + timedelta(hours=1), [("c", "early")], name="x.jsonl")
    result = merge(tmp_path, labels_until=HOUR + timedelta(hours=4))
    assert dict(zip(column(result, "event_id"), column(result, "ground_truth"), strict=True)) == {
        "a": "file-b-line-2",  # later hour, then later file name, then later line
        "b": "only",
        "c": "first",  # hour 16 comes after hour 14
    }
    assert result.counts.duplicate_labels == 4


def test_bad_label_lines_are_skipped_counted_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_file(tmp_path / "capture", HOUR, lines([capture("a", HOUR), capture("b", HOUR)]))
    prefix = ground_truth_prefix(str(tmp_path), "ep")
    bad = labels_at(prefix, HOUR, [("a", "1")], name="0001.jsonl")
    write_text(
        bad,
        label("a", "1") + "\n{broken\n"
        '{"groundTruthData":{"data":0,"encoding":"CSV"},"eventMetadata":{"eventId":"b"},"eventVersion":"0"}\n'
        + label("unknown", "1")
        + "\n",
    )
    with caplog.at_level(logging.WARNING):
        result = merge(tmp_path)
    assert column(result, "event_id") == ["a"]
    counts = result.counts
    assert (counts.invalid_label_lines, counts.labels, counts.unmatched_labels) == (2, 2, 1)
    assert (counts.unmatched_predictions, counts.matched) == (1, 1)
    messages = "\n".join(record.getMessage() for record in caplog.records)
    assert f"skipped line 2 of {bad} (not valid JSON" in messages
    assert f"skipped line 3 of {bad} (groundTruthData.data must be a string (the label))" in messages


def test_shadow_outside_and_torn_records(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    records = [
        capture("a", HOUR + timedelta(minutes=5)),
        capture("shadow", HOUR + timedelta(minutes=6), shadow=True),
        capture("late", HOUR + timedelta(hours=1, minutes=1)),  # in the hour folder, outside the window
        capture("b", HOUR + timedelta(minutes=7)),
    ]
    text = [*lines(records), record_line(capture("torn", HOUR)).decode()[:50]]
    path = write_file(tmp_path / "capture", HOUR, text)
    prefix = ground_truth_prefix(str(tmp_path), "ep")
    labels_at(prefix, HOUR, [(name, "1") for name in ("a", "shadow", "late", "b", "torn")])
    with caplog.at_level(logging.WARNING, logger="modelwatch.capture"):
        result = merge(tmp_path)
    assert column(result, "event_id") == ["a", "b"]
    counts = result.counts
    assert (counts.captured, counts.shadow_skipped, counts.outside_window, counts.torn_capture_lines) == (
        2,
        1,
        1,
        1,
    )
    assert counts.unmatched_labels == 3
    assert f"skipped torn last line 5 of {path}" in caplog.text

    Path(path).write_text("".join(lines(records[:1])) + "{not json\n" + "".join(lines(records[1:])))
    with pytest.raises(DataError, match="malformed capture record") as info:
        merge(tmp_path)
    assert (info.value.file, info.value.line) == (path, 2)


def test_records_without_a_valid_time_are_errors(tmp_path: Path) -> None:
    record = capture("a", HOUR)
    del record["eventMetadata"]["inferenceTime"]
    path = write_file(tmp_path / "capture", HOUR, lines([capture("b", HOUR), record]))
    with pytest.raises(DataError, match=r"no eventMetadata\.inferenceTime") as info:
        merge(tmp_path)
    assert (info.value.file, info.value.line) == (path, 2)


def test_other_time_forms_and_records_without_ids(tmp_path: Path) -> None:
    first = capture("a", HOUR)
    first["eventMetadata"]["inferenceTime"] = "2024-05-01T13:20:05.250+00:00"
    second = capture("b", HOUR)
    second["eventMetadata"]["inferenceTime"] = "2024-05-01T12:59:59.999Z"  # before the window
    anonymous = capture("x", HOUR + timedelta(minutes=9))
    del anonymous["eventMetadata"]["eventId"]
    write_file(tmp_path / "capture", HOUR, lines([first, second, anonymous]))
    labels_at(ground_truth_prefix(str(tmp_path), "ep"), HOUR, [("a", "1"), ("b", "1")])
    result = merge(tmp_path)
    assert column(result, "inference_time") == [HOUR + timedelta(minutes=20, seconds=5)]
    assert (result.counts.outside_window, result.counts.missing_id, result.counts.unmatched_predictions) == (
        1,
        1,
        1,
    )


def expected_merged_line(original: str, data: str) -> str:
    record = json.loads(original)
    record["groundTruthData"] = {"data": data, "encoding": "CSV"}
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def test_merged_files_are_capture_records_plus_ground_truth(tmp_path: Path) -> None:
    hour_13 = [
        capture(f"e{i}", HOUR + timedelta(minutes=10 * i), f"0.{i}", inference_id=f"i{i}") for i in range(3)
    ]
    hour_14 = [capture(f"f{i}", HOUR + timedelta(hours=1, minutes=i), "0.5") for i in range(2)]
    write_file(tmp_path / "capture", HOUR, lines(hour_13[:2]), name="00-00-000-a.jsonl")
    write_file(tmp_path / "capture", HOUR, lines(hour_13[2:]), name="30-00-000-b.jsonl")
    write_file(tmp_path / "capture", HOUR + timedelta(hours=1), lines(hour_14))
    tricky = 'say "yes" \\ or\nno ü'
    labels_at(
        ground_truth_prefix(str(tmp_path), "ep"),
        HOUR + timedelta(hours=2),
        [("i0", "1"), ("i2", tricky), ("f1", "0"), ("e1", "ignored: e1 has inferenceId i1")],
    )
    output = str(tmp_path / "monitoring" / "merge")
    result = merge(
        tmp_path, end=HOUR + timedelta(hours=2), labels_until=HOUR + timedelta(hours=3), output_uri=output
    )
    name = "20240501T130000Z-20240501T150000Z.jsonl"
    assert result.merged_files == [
        f"{output}/ep/AllTraffic/2024/05/01/13/{name}",
        f"{output}/ep/AllTraffic/2024/05/01/14/{name}",
    ]
    assert list_files(output) == result.merged_files
    first, second = (read_text(uri) for uri in result.merged_files)
    originals = lines(hour_13 + hour_14)
    assert (
        first
        == expected_merged_line(originals[0], "1") + "\n" + expected_merged_line(originals[2], tricky) + "\n"
    )
    assert second == expected_merged_line(originals[4], "0") + "\n"
    merged = json.loads(first.splitlines()[1])
    assert list(merged) == ["captureData", "eventMetadata", "eventVersion", "groundTruthData"]
    assert merged["groundTruthData"] == {"data": tricky, "encoding": "CSV"}
    # a re-run replaces the files instead of adding to them
    again = merge(
        tmp_path, end=HOUR + timedelta(hours=2), labels_until=HOUR + timedelta(hours=3), output_uri=output
    )
    assert again.merged_files == result.merged_files
    assert read_text(result.merged_files[0]) == first


def test_merged_lines_keep_the_capture_text_as_captured(tmp_path: Path) -> None:
    # SageMaker's own sample capture: eventMetadata first, and (here) spaces and CRLF line ends
    golden = [line for line in GOLDEN_CAPTURE.read_text().splitlines() if line.strip()][:12]
    when = [HOUR + timedelta(minutes=i) for i in range(12)]
    texts = [
        line.replace("{%s}", f"{moment:%Y-%m-%dT%H:%M:%SZ}")
        for line, moment in zip(golden, when, strict=True)
    ]
    texts[3] = json.dumps(json.loads(texts[3]), indent=None)  # ", " and ": " separators
    write_file(tmp_path / "capture", HOUR, [text + "\r\n" for text in texts])
    prefix = ground_truth_prefix(str(tmp_path), "ep")
    write_ground_truth(prefix, ACTUALS, collected_at=HOUR + timedelta(hours=1))
    output = str(tmp_path / "merged")
    result = merge(tmp_path, labels_until=HOUR + timedelta(hours=2), output_uri=output)
    assert result.counts.matched == 12
    assert column(result, "event_id") == ACTUAL_IDS
    assert column(result, "ground_truth") == ACTUAL_LABELS
    assert column(result, "output_data") == [
        json.loads(t)["captureData"]["endpointOutput"]["data"] for t in texts
    ]
    merged = read_text(result.merged_files[0]).splitlines()
    suffix = ',"groundTruthData":{"data":"%s","encoding":"CSV"}}'
    assert merged == [text[:-1] + suffix % data for text, data in zip(texts, ACTUAL_LABELS, strict=True)]
    assert list(json.loads(merged[0])) == ["eventMetadata", "eventVersion", "captureData", "groundTruthData"]
    probabilities = extract_field(
        result.table.column("output_data"), result.table.column("output_encoding"), "0"
    )
    assert probabilities.to_pylist()[0] == "0.302709460258"


def test_the_arrow_path_and_the_reference_path_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    records = []
    for i in range(300):
        record = capture(f"e{i}", HOUR + timedelta(seconds=rng.randrange(3600 + 600)), f"{rng.random():.4f}")
        if i % 3:
            record["eventMetadata"]["inferenceId"] = f"req-{i}"
        if i % 17 == 0:
            record["eventMetadata"]["invocationSource"] = "ShadowExperiment"
        records.append(record)
    text = lines(records)
    torn = record_line(capture("torn", HOUR)).decode()[:-1]  # no final newline
    ids = [r["eventMetadata"].get("inferenceId", r["eventMetadata"]["eventId"]) for r in records]
    prefix = ground_truth_prefix(str(tmp_path), "ep")
    labels_at(prefix, HOUR, [(event_id, str(rng.randint(0, 1))) for event_id in ids[::2]] + [("torn", "1")])
    fast_calls: list[bool] = []
    reference = capture_columns_module._cut_capture_fast

    def spy(*args: Any) -> Any:
        cut = reference(*args)
        fast_calls.append(cut is not None)
        return cut

    monkeypatch.setattr(capture_columns_module, "_cut_capture_fast", spy)
    write_file(tmp_path / "capture", HOUR, [*text, torn])
    fast = merge(tmp_path, output_uri=str(tmp_path / "fast"), include_input=True)
    write_file(tmp_path / "capture", HOUR, [*text[:100], "\n", *text[100:], torn])  # a blank line
    slow = merge(tmp_path, output_uri=str(tmp_path / "slow"), include_input=True)
    assert fast_calls == [True, False]
    assert fast.table.equals(slow.table)
    assert fast.counts == slow.counts
    assert fast.counts.torn_capture_lines == 1 and fast.counts.shadow_skipped > 0
    assert column(fast, "input_data") == ["1,2,3"] * fast.counts.matched
    assert [read_text(uri) for uri in fast.merged_files] == [read_text(uri) for uri in slow.merged_files]


def test_matches_a_pandas_merge(tmp_path: Path) -> None:
    rng = random.Random(11)
    captured = []
    for hour in range(3):
        moment = HOUR + timedelta(hours=hour)
        for part in range(2):
            batch = [
                capture(
                    f"ev-{hour}-{part}-{i}",
                    moment + timedelta(seconds=rng.randrange(3600)),
                    f"{rng.random():.3f}",
                )
                for i in range(200)
            ]
            for record in batch:
                if rng.random() < 0.5:
                    record["eventMetadata"]["inferenceId"] = f"inf-{rng.randrange(10**9)}"
            write_file(tmp_path / "capture", moment, lines(batch), name=f"{part:02d}-00-000-x.jsonl")
            captured.extend(batch)
    keys = [r["eventMetadata"].get("inferenceId", r["eventMetadata"]["eventId"]) for r in captured]
    prefix = ground_truth_prefix(str(tmp_path), "ep")
    label_rows = []
    for hour in range(1, 6):
        for part in range(2):
            pairs = [
                (
                    rng.choice(keys) if rng.random() < 0.8 else f"stranger-{rng.random()}",
                    str(rng.randint(0, 1)),
                )
                for _ in range(300)
            ]
            labels_at(prefix, HOUR + timedelta(hours=hour), pairs, name=f"{part}.jsonl")
            label_rows.extend((hour, part, line, key, data) for line, (key, data) in enumerate(pairs))
    result = merge(tmp_path, end=HOUR + timedelta(hours=3), labels_until=HOUR + timedelta(hours=6))

    predictions = pd.DataFrame(
        {"key": keys, "output": [r["captureData"]["endpointOutput"]["data"] for r in captured]}
    )
    labels = pd.DataFrame(label_rows, columns=["hour", "part", "line", "key", "data"])
    latest = labels.sort_values(["hour", "part", "line"]).drop_duplicates("key", keep="last")
    expected = predictions.merge(latest[["key", "data"]], on="key", how="inner")
    assert column(result, "event_id") == expected["key"].tolist()
    assert column(result, "ground_truth") == expected["data"].tolist()
    assert column(result, "output_data") == expected["output"].tolist()
    counts = result.counts
    assert counts.duplicate_labels == len(labels) - len(latest)
    assert counts.unmatched_labels == (~latest["key"].isin(predictions["key"])).sum()
    assert counts.unmatched_predictions == len(predictions) - len(expected)


def test_empty_merges_say_why(tmp_path: Path) -> None:
    nothing = merge(tmp_path)
    assert nothing.counts.matched == 0 and nothing.table.num_rows == 0
    assert nothing.counts.describe().endswith("no capture files in the window")
    assert nothing.table.column_names == [
        "event_id",
        "inference_time",
        "output_data",
        "output_encoding",
        "ground_truth",
    ]

    write_file(tmp_path / "capture", HOUR, lines([capture("late", HOUR + timedelta(hours=1))]))
    assert merge(tmp_path).counts.describe().endswith("no predictions in the window")

    write_file(tmp_path / "capture", HOUR, lines([capture("a", HOUR)]))
    no_labels = merge(tmp_path, output_uri=str(tmp_path / "out"))
    assert no_labels.counts.describe().endswith("no valid labels in the ground-truth hours read")
    assert no_labels.merged_files == [] and not (tmp_path / "out").exists()

    labels_at(ground_truth_prefix(str(tmp_path), "ep"), HOUR, [("b", "1")])
    other = merge(tmp_path)
    assert other.counts.describe() == (
        "0 of 1 predictions matched a label (1 labels read from 1 files, 0 invalid lines, 0 duplicates, "
        "1 labels of other ids): no label's eventId equals a prediction's id (inferenceId, else eventId)"
    )


def test_merge_on_s3(s3_bucket: str) -> None:
    records = [capture(f"e{i}", HOUR + timedelta(minutes=i), inference_id=f"i{i}") for i in range(3)]
    capture_root = join_uri(s3_bucket, "capture")
    write_text(
        join_uri(capture_root, "ep/AllTraffic/2024/05/01/13/00-00-000-a.jsonl"), "".join(lines(records))
    )
    prefix = ground_truth_prefix(s3_bucket, "ep")
    labels_at(prefix, HOUR + timedelta(hours=3), [("i0", "0"), ("i2", "1")])
    output = join_uri(s3_bucket, "monitoring", "merge")
    result = merge_window(
        capture_uri=capture_root,
        endpoint="ep",
        variant="AllTraffic",
        start=HOUR,
        end=HOUR + timedelta(hours=1),
        ground_truth_uri=prefix,
        labels_until=HOUR + timedelta(hours=4),
        output_uri=output,
    )
    assert column(result, "event_id") == ["i0", "i2"]
    assert result.merged_files == [
        join_uri(output, "ep/AllTraffic/2024/05/01/13/20240501T130000Z-20240501T140000Z.jsonl")
    ]
    merged = [json.loads(line) for line in read_text(result.merged_files[0]).splitlines()]
    assert [m["groundTruthData"]["data"] for m in merged] == ["0", "1"]
    assert [m["eventMetadata"]["inferenceId"] for m in merged] == ["i0", "i2"]
