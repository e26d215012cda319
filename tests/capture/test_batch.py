"""Batch-transform capture: manifests and GenerateInferenceId (local and S3)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelwatch.capture import add_inference_ids, capture_batch
from modelwatch.errors import ConfigurationError, DataError, StorageError
from modelwatch.io.storage import join_uri, read_text, write_text

START = datetime(2024, 2, 3, 4, 5, 6, 789_000, tzinfo=UTC)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


def make_run(root: Path, output: dict[str, bytes]) -> tuple[Path, Path]:
    inputs, outputs = root / "in", root / "out"
    (inputs / "sub").mkdir(parents=True)
    (inputs / "a.csv").write_bytes(b"1,2\n")
    (inputs / "sub" / "b.csv").write_bytes(b"3,4\n")
    (inputs / "_SUCCESS").write_bytes(b"")
    outputs.mkdir()
    for name, data in output.items():
        (outputs / name).write_bytes(data)
    return inputs, outputs


def test_manifests_list_inputs_and_outputs(tmp_path: Path) -> None:
    inputs, outputs = make_run(tmp_path, {"a.csv.out": b"0.1\n", "b.csv.out": b"0.2\n"})
    result = capture_batch(
        str(inputs),
        str(outputs) + "/",
        str(tmp_path / "dest"),
        endpoint_or_job="my-job-1",
        content_type="text/csv",
        job_start=START,
    )
    assert result.input_manifest_uri == str(tmp_path / "dest/input/2024/02/03/04/my-job-1.manifest")
    assert result.output_manifest_uri == str(tmp_path / "dest/output/2024/02/03/04/my-job-1.manifest")
    assert read_text(result.input_manifest_uri) == json.dumps(
        [{"prefix": f"{inputs}/"}, "a.csv", "sub/b.csv"], separators=(",", ":")
    )
    assert json.loads(read_text(result.output_manifest_uri)) == [
        {"prefix": f"{outputs}/"},
        "a.csv.out",
        "b.csv.out",
    ]
    assert (result.input_files, result.output_files, result.tagged_records) == (2, 2, 0)
    assert result.job_start == START.replace(microsecond=0)
    assert (outputs / "a.csv.out").read_bytes() == b"0.1\n"  # untouched without GenerateInferenceId


def test_single_file_input_uses_its_folder_as_prefix(tmp_path: Path) -> None:
    inputs, outputs = make_run(tmp_path, {"a.csv.out": b"0.1\n"})
    result = capture_batch(
        str(inputs / "a.csv"), str(outputs), str(tmp_path / "d"), endpoint_or_job="j", content_type="text/csv"
    )
    assert json.loads(read_text(result.input_manifest_uri)) == [{"prefix": f"{inputs}/"}, "a.csv"]


def test_generate_inference_id_csv(tmp_path: Path) -> None:
    inputs, outputs = make_run(tmp_path, {"a.csv.out": b"0.1\r\n\n0.2,x\n0.3"})
    result = capture_batch(
        str(inputs),
        str(outputs),
        str(tmp_path / "d"),
        endpoint_or_job="j",
        content_type="text/csv",
        generate_inference_id=True,
        job_start=START,
    )
    assert result.tagged_records == 3
    lines = (outputs / "a.csv.out").read_bytes().split(b"\n")
    assert lines[1] == b""  # blank line kept
    rows = [lines[0].removesuffix(b"\r"), lines[2], lines[3]]
    assert lines[0].endswith(b"\r")
    parsed = [row.decode().split(",") for row in rows]
    assert [p[:-2] for p in parsed] == [["0.1"], ["0.2", "x"], ["0.3"]]
    assert all(p[-1] == "2024-02-03T04:05:06Z" for p in parsed)
    ids = [p[-2] for p in parsed]
    assert all(UUID.match(i) for i in ids) and len(set(ids)) == 3


@pytest.mark.parametrize("content_type", ["application/json", "application/jsonlines"])
def test_generate_inference_id_json(tmp_path: Path, content_type: str) -> None:
    source = tmp_path / "o.out"
    source.write_bytes('{"score":0.5,"label":"é"}\n[1,2]\n'.encode())
    ids = iter(["id-1", "id-2"])
    count = add_inference_ids(
        str(source),
        str(tmp_path / "t.out"),
        content_type=content_type,
        job_start=START,
        new_id=lambda: next(ids),
    )
    assert count == 2
    assert (tmp_path / "t.out").read_bytes() == (
        '{"score":0.5,"label":"é","SageMakerInferenceId":"id-1","SageMakerInferenceTime":"2024-02-03T04:05:06Z"}\n'
        '{"SageMakerOutput":[1,2],"SageMakerInferenceId":"id-2","SageMakerInferenceTime":"2024-02-03T04:05:06Z"}\n'
    ).encode()


def test_invalid_json_output_names_file_and_line_and_keeps_the_file(tmp_path: Path) -> None:
    source = tmp_path / "o.out"
    source.write_bytes(b'{"a":1}\n{\n  "pretty": true\n}\n')
    with pytest.raises(DataError) as info:
        add_inference_ids(str(source), str(source), content_type="application/json", job_start=START)
    assert (info.value.file, info.value.line) == (str(source), 2)
    assert source.read_bytes() == b'{"a":1}\n{\n  "pretty": true\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["o.out"]  # no temporary left behind


def test_bad_arguments(tmp_path: Path) -> None:
    inputs, outputs = make_run(tmp_path, {"a.out": b"1\n"})
    with pytest.raises(ConfigurationError, match="endpoint_or_job"):
        capture_batch(
            str(inputs), str(outputs), str(tmp_path), endpoint_or_job="a/b", content_type="text/csv"
        )
    with pytest.raises(ConfigurationError, match="content_type"):
        capture_batch(str(inputs), str(outputs), str(tmp_path), endpoint_or_job="j", content_type="text/xml")  # type: ignore[arg-type]
    with pytest.raises(StorageError):
        capture_batch(
            str(tmp_path / "nope"), str(outputs), str(tmp_path), endpoint_or_job="j", content_type="text/csv"
        )


def test_s3_run_with_inference_ids(s3_bucket: str) -> None:
    write_text(join_uri(s3_bucket, "in", "part-1.jsonl"), '{"x":1}\n')
    write_text(join_uri(s3_bucket, "out", "part-1.jsonl.out"), '{"y":0.9}\n{"y":0.1}\n')
    result = capture_batch(
        join_uri(s3_bucket, "in"),
        join_uri(s3_bucket, "out"),
        join_uri(s3_bucket, "capture"),
        endpoint_or_job="job",
        content_type="application/jsonlines",
        generate_inference_id=True,
        job_start=START,
    )
    assert result.output_manifest_uri == join_uri(s3_bucket, "capture/output/2024/02/03/04/job.manifest")
    assert json.loads(read_text(result.output_manifest_uri)) == [
        {"prefix": join_uri(s3_bucket, "out") + "/"},
        "part-1.jsonl.out",
    ]
    rows = [json.loads(x) for x in read_text(join_uri(s3_bucket, "out", "part-1.jsonl.out")).splitlines()]
    assert [r["y"] for r in rows] == [0.9, 0.1]
    assert all(UUID.match(r["SageMakerInferenceId"]) for r in rows)
    assert {r["SageMakerInferenceTime"] for r in rows} == {"2024-02-03T04:05:06Z"}
