"""Ground-truth files: validation with line numbers, the hour-folder layout, reading a range of hours."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelwatch.errors import ConfigurationError, DataError, EmptyDatasetError
from modelwatch.io.ground_truth import (
    _parse_fast,
    _parse_slow,
    ground_truth_files,
    ground_truth_prefix,
    parse_ground_truth,
    read_ground_truth,
    write_ground_truth,
)
from modelwatch.io.storage import join_uri, list_files, read_text, write_text

# The first lines of SageMaker's own sample ground truth (sagemaker-python-sdk
# tests/data/monitor/actuals.jsonl), verbatim: note the extra eventMetadata.inferenceTime and, as in
# the real file, no final newline.
ACTUALS = (
    '{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"74b0dd56-e7c8-368e-94b1-14a138a96000","inferenceTime":"{%s}"},"eventVersion":"0"}\n'
    '{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"79f96714-0136-39c8-a200-38faf8a5f96f","inferenceTime":"{%s}"},"eventVersion":"0"}\n'
    '{"groundTruthData":{"data":"0","encoding":"CSV"},"eventMetadata":{"eventId":"74b0dd56-e7c8-368e-94b1-14a138a96005","inferenceTime":"{%s}"},"eventVersion":"0"}'
)
HOUR = datetime(2024, 5, 1, 13, tzinfo=UTC)


def label(event_id: str, data: object = "1", **changes: object) -> str:
    record: dict[str, object] = {
        "groundTruthData": {"data": data, "encoding": "CSV"},
        "eventMetadata": {"eventId": event_id},
        "eventVersion": "0",
    }
    record.update(changes)
    return json.dumps(record, separators=(",", ":"))


def test_sagemakers_sample_ground_truth_is_valid() -> None:
    batch = parse_ground_truth(ACTUALS, source="actuals.jsonl")
    assert batch.problems == ()
    assert batch.lines == 3
    assert batch.table.column("event_id").to_pylist() == [
        "74b0dd56-e7c8-368e-94b1-14a138a96000",
        "79f96714-0136-39c8-a200-38faf8a5f96f",
        "74b0dd56-e7c8-368e-94b1-14a138a96005",
    ]
    assert batch.table.column("data").to_pylist() == ["1", "1", "0"]
    assert batch.table.column("line").to_pylist() == [1, 2, 3]
    batch.check()  # does not raise


BAD = [
    label("a"),  # 1: valid
    '{"groundTruthData":{"data":"1","encoding":"CSV"},',  # 2: not JSON
    label("c", data=1),  # 3: a number, not a string
    label("d", data=""),  # 4: empty label
    json.dumps(
        {
            "groundTruthData": {"data": "1", "encoding": "JSON"},
            "eventMetadata": {"eventId": "e"},
            "eventVersion": "0",
        }
    ),
    label("", data="1"),  # 6: empty id
    json.dumps(
        {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventVersion": "0"}
    ),  # 7: no eventMetadata
    label("h", eventVersion=0),  # 8: a number
    label("i", eventVersion="1"),  # 9
    "[1, 2]",  # 10: not an object
    "   ",  # 11: blank, ignored
    label("l", groundTruthData="1"),  # 12: not an object
    json.dumps({"eventMetadata": {"eventId": "m"}, "eventVersion": "0"}),  # 13: no groundTruthData
    label("n", data="0"),  # 14: valid
]


def test_every_bad_line_is_reported_with_its_number_and_key() -> None:
    batch = parse_ground_truth("\n".join(BAD) + "\n", source="upload.jsonl")
    assert batch.table.column("event_id").to_pylist() == ["a", "n"]
    assert batch.table.column("line").to_pylist() == [1, 14]
    assert batch.lines == 13  # the blank line is not counted
    found = [(p.file, p.line, p.column) for p in batch.problems]
    assert found == [
        ("upload.jsonl", 2, None),
        ("upload.jsonl", 3, "groundTruthData.data"),
        ("upload.jsonl", 4, "groundTruthData.data"),
        ("upload.jsonl", 5, "groundTruthData.encoding"),
        ("upload.jsonl", 6, "eventMetadata.eventId"),
        ("upload.jsonl", 7, "eventMetadata.eventId"),
        ("upload.jsonl", 8, "eventVersion"),
        ("upload.jsonl", 9, "eventVersion"),
        ("upload.jsonl", 10, None),
        ("upload.jsonl", 12, "groundTruthData"),
        ("upload.jsonl", 13, "groundTruthData"),
    ]
    reasons = {p.line: p.reason for p in batch.problems}
    assert reasons[2].startswith("not valid JSON")
    assert reasons[3] == "groundTruthData.data must be a string (the label)"
    assert reasons[4] == "groundTruthData.data is empty"
    assert reasons[10] == "not a JSON object"
    assert str(batch.problems[1]) == (
        "upload.jsonl, line 3, column 'groundTruthData.data': "
        "groundTruthData.data must be a string (the label)"
    )
    with pytest.raises(
        DataError, match=r"11 of 13 ground-truth lines are invalid: line 2: not valid JSON"
    ) as info:
        batch.check()
    assert (info.value.file, info.value.line) == ("upload.jsonl", 2)
    assert "line 13: groundTruthData must be an object" in str(info.value)


@pytest.mark.parametrize(
    "lines",
    [
        [label("a"), label("b", data="")],
        [label("a", eventVersion="2"), label("b")],
        [label("a"), json.dumps({"groundTruthData": {"data": "x", "encoding": "JSON"}, "eventVersion": "0"})],
        [json.dumps({"groundTruthData": None, "eventMetadata": None, "eventVersion": "0"}), label("z")],
        [label("ü-ñ", data="é"), label("x", extra={"nested": [1, 2]})],
    ],
)
def test_the_arrow_path_and_the_reference_path_agree(lines: list[str]) -> None:
    body = ("\n".join(lines) + "\n").encode()
    fast = _parse_fast(body, "f")
    assert fast is not None  # these files take the vectorised path
    slow = _parse_slow(body, "f")
    assert fast[0].equals(slow[0])
    assert [(p.line, p.column, p.reason) for p in fast[1]] == [(p.line, p.column, p.reason) for p in slow[1]]
    assert fast[2] == slow[2]


def test_files_the_arrow_path_cannot_judge_take_the_reference_path() -> None:
    # a duplicate key (json.loads keeps the last one), CRLF line ends, invalid UTF-8 in one line
    tail = b',"encoding":"CSV"},"eventMetadata":{"eventId":"%s"},"eventVersion":"0"}'
    text = b'{"groundTruthData":{"data":"1","data":"2"' + tail % b"a" + b"\r\n"
    text += b'{"groundTruthData":{"data":"\xff"' + tail % b"b" + b"\n"
    assert _parse_fast(text, "f") is None
    batch = parse_ground_truth(text, source="f")
    assert batch.table.column("data").to_pylist() == ["2"]
    assert [(p.line, p.reason.split(":")[0]) for p in batch.problems] == [(2, "not valid JSON")]


def test_empty_upload() -> None:
    batch = parse_ground_truth(b"", source="empty")
    assert (batch.valid, batch.lines, batch.problems) == (0, 0, ())
    with pytest.raises(EmptyDatasetError):
        batch.check()
    with pytest.raises(EmptyDatasetError):
        write_ground_truth("/nowhere", "\n\n")


def test_write_puts_one_file_in_the_collection_hour(tmp_path: Path) -> None:
    prefix = ground_truth_prefix(str(tmp_path), "churn")
    assert prefix == f"{tmp_path}/ground-truth/churn"
    moment = datetime(2024, 5, 1, 13, 7, 12, 345_678, tzinfo=UTC)
    uri = write_ground_truth(
        prefix, [json.loads(label("a")), json.loads(label("b", data="0"))], collected_at=moment
    )
    relative = uri[len(prefix) + 1 :]
    assert re.fullmatch(r"2024/05/01/13/07-12-345-[0-9a-f-]{36}\.jsonl", relative), relative
    assert read_text(uri) == label("a") + "\n" + label("b", data="0") + "\n"
    # text is written as given (extra keys kept) with a final newline added; naive times are UTC
    second = write_ground_truth(prefix, ACTUALS, collected_at=datetime(2024, 5, 1, 15, 0, 1))
    assert "/2024/05/01/15/00-01-000-" in second
    assert read_text(second) == ACTUALS + "\n"
    assert list_files(prefix) == sorted([uri, second])


def test_write_rejects_an_upload_with_a_bad_line_and_writes_nothing(tmp_path: Path) -> None:
    prefix = ground_truth_prefix(str(tmp_path), "churn")
    with pytest.raises(DataError, match="1 of 2 ground-truth lines are invalid: line 2") as info:
        write_ground_truth(prefix, label("a") + "\n" + label("b", data=7) + "\n", collected_at=HOUR)
    assert info.value.column == "groundTruthData.data"
    assert not (tmp_path / "ground-truth").exists()


def test_read_a_range_of_hours_in_collection_order(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    prefix = ground_truth_prefix(str(tmp_path), "ep")
    before = write_ground_truth(prefix, label("x"), collected_at=HOUR - timedelta(minutes=1))
    late = write_ground_truth(
        prefix, label("a", data="late") + "\n" + label("c"), collected_at=HOUR + timedelta(hours=2)
    )
    early = write_ground_truth(
        prefix, label("a", data="early") + "\n" + label("b"), collected_at=HOUR + timedelta(minutes=5)
    )
    # a hand-made file with a bad line, a hidden file and a file after the range
    bad = join_uri(prefix, "2024/05/01/14/0500.jsonl")
    write_text(bad, label("d") + "\nnot json\n" + label("e", data=3) + "\n")
    write_text(join_uri(prefix, "2024/05/01/14/.partial.jsonl"), "garbage\n")
    write_text(join_uri(prefix, "2024/05/01/14/_SUCCESS"), "")
    after = write_ground_truth(prefix, label("z"), collected_at=HOUR + timedelta(hours=3))

    assert ground_truth_files(prefix, HOUR, HOUR + timedelta(hours=3)) == [early, bad, late]
    with caplog.at_level(logging.WARNING, logger="modelwatch.ground_truth"):
        labels = read_ground_truth(prefix, HOUR, HOUR + timedelta(hours=3))
    assert labels.files == (early, bad, late)
    rows = labels.table.to_pylist()
    assert [(r["event_id"], r["data"], r["file"], r["line"]) for r in rows] == [
        ("a", "early", 0, 1),
        ("b", "1", 0, 2),
        ("d", "1", 1, 1),
        ("a", "late", 2, 1),
        ("c", "1", 2, 2),
    ]
    assert (labels.lines, labels.invalid_lines) == (7, 2)
    messages = [r.getMessage() for r in caplog.records]
    assert (
        f"ground truth: skipped line 2 of {bad} (not valid JSON: Expecting value: line 1 column 1 (char 0))"
        in messages
    )
    assert any(
        m.startswith(f"ground truth: skipped line 3 of {bad} (groundTruthData.data must") for m in messages
    )
    latest, replaced = labels.latest()
    assert dict(
        zip(latest.column("event_id").to_pylist(), latest.column("data").to_pylist(), strict=True)
    ) == {
        "a": "late",
        "b": "1",
        "d": "1",
        "c": "1",
    }
    assert replaced == 1
    assert before not in labels.files and after not in labels.files


def test_read_nothing_and_bad_ranges(tmp_path: Path) -> None:
    labels = read_ground_truth(str(tmp_path / "missing"), HOUR, HOUR + timedelta(hours=1))
    assert (labels.table.num_rows, labels.files, labels.invalid_lines) == (0, (), 0)
    assert labels.latest()[1] == 0
    with pytest.raises(ConfigurationError, match="is not after start"):
        read_ground_truth(str(tmp_path), HOUR, HOUR)


def test_naive_times_are_utc(tmp_path: Path) -> None:
    prefix = str(tmp_path / "gt")
    write_ground_truth(prefix, label("a"), collected_at=datetime(2024, 5, 1, 13, 30))
    labels = read_ground_truth(prefix, datetime(2024, 5, 1, 13), datetime(2024, 5, 1, 14))
    assert labels.table.column("event_id").to_pylist() == ["a"]


def test_write_and_read_on_s3(s3_bucket: str) -> None:
    prefix = ground_truth_prefix(s3_bucket + "/root", "ep")
    uri = write_ground_truth(prefix, ACTUALS, collected_at=HOUR + timedelta(minutes=42))
    assert uri.startswith(f"{s3_bucket}/root/ground-truth/ep/2024/05/01/13/42-00-000-")
    write_text(
        join_uri(prefix, "2024/05/01/14/0001.jsonl"), label("74b0dd56-e7c8-368e-94b1-14a138a96000", data="0")
    )
    labels = read_ground_truth(prefix, HOUR, HOUR + timedelta(hours=2))
    assert labels.files == (uri, join_uri(prefix, "2024/05/01/14/0001.jsonl"))
    latest, replaced = labels.latest()
    assert replaced == 1
    assert latest.column("data").to_pylist() == ["0", "1", "0"]
