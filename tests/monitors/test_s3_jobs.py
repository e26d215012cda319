"""Baseline and check read from and write to an S3 API server (moto, on loopback)."""

from __future__ import annotations

import json

import boto3
import pyarrow as pa
import pyarrow.csv as pcsv

from modelwatch.examples import drift, example_dataset
from modelwatch.io.storage import read_text, write_bytes
from modelwatch.monitors.data_quality import run_check, suggest_baseline


def _put_csv(table: pa.Table, uri: str) -> None:
    sink = pa.BufferOutputStream()
    pcsv.write_csv(table, sink)
    write_bytes(uri, sink.getvalue().to_pybytes())


def test_baseline_and_check_on_s3(s3_bucket: str) -> None:
    table = pcsv.read_csv(example_dataset())
    _put_csv(table.slice(0, 2000), f"{s3_bucket}/train/part-0.csv")
    _put_csv(table.slice(2000), f"{s3_bucket}/train/part-1.csv")
    _put_csv(drift(table), f"{s3_bucket}/today/data.csv")

    baseline = suggest_baseline(f"{s3_bucket}/train/", f"{s3_bucket}/baseline", format="csv", header=True)
    assert baseline.run.rows == 4000
    statistics = json.loads(read_text(f"{s3_bucket}/baseline/statistics.json"))
    assert statistics["dataset"]["item_count"] == 4000

    result = run_check(
        f"{s3_bucket}/today/data.csv",
        f"{s3_bucket}/results",
        baseline_statistics=baseline.statistics_uri,
        baseline_constraints=baseline.constraints_uri,
        header=True,
    )
    drifted = {v.feature_name for v in result.violations.violations}
    assert drifted == {"age", "income", "utilisation", "region"}
    bucket = s3_bucket.removeprefix("s3://")
    keys = {
        o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="results/")["Contents"]
    }
    assert keys == {
        "results/statistics.json",
        "results/constraints.json",
        "results/constraint_violations.json",
        "results/drift.json",
    }
