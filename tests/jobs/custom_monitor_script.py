# ruff: noqa: SIM112  # the container contract's variables are lower case (dataset_source, ...)
"""A custom monitor written against SageMaker's container contract (as a bring-your-own container would).

It reads every capture record under ``dataset_source``, counts them, and flags a violation when the share
of positive predictions (the endpoint's output) is above ``max_positive_share`` (Environment). It writes
``constraint_violations.json`` and a ``summary.json`` into ``output_path``, and its metrics as
PutMetricData lines into ``cloudwatch_metrics_directory`` (default ``/opt/ml/output/metrics/cloudwatch``).
``mode`` (Environment) makes it misbehave for the failure tests: ``crash`` (a message file, exit 3),
``crash-quiet`` (stderr only, exit 2), ``malformed`` (a broken violations file), ``sleep``.
"""

import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    mode = os.environ.get("mode", "")
    message_file = Path(os.environ.get("output_message_file", "/opt/ml/output/message"))
    if mode == "crash":
        message_file.write_text("Failed: the custom monitor found no model output")
        return 3
    if mode == "crash-quiet":
        print("loading...", file=sys.stderr)
        print("ValueError: bad capture record", file=sys.stderr)
        return 2
    if mode == "sleep":
        time.sleep(120)
    source, output = Path(os.environ["dataset_source"]), Path(os.environ["output_path"])
    records = positive = 0
    for path in sorted(source.rglob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            records += 1
            positive += record["captureData"]["endpointOutput"]["data"].strip() == "1"
    share = positive / records
    limit = float(os.environ.get("max_positive_share", "1"))
    violations = []
    if share > limit:
        violations.append(
            {
                "feature_name": "prediction",
                "constraint_check_type": "positive_share_check",
                "description": f"Positive share {share:.3f} exceeds {limit}",
            }
        )
    output.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"violations": violations}, indent=1)
    (output / "constraint_violations.json").write_text(text[:5] if mode == "malformed" else text)
    baseline = os.environ.get("baseline_constraints")
    summary = {
        "records": records,
        "window": [os.environ["start_time"], os.environ["end_time"]],
        "endpoint": os.environ.get("sagemaker_endpoint_name"),
        "baseline_constraints_readable": bool(baseline) and Path(baseline).is_file(),
    }
    (output / "summary.json").write_text(json.dumps(summary))
    metrics = Path(os.environ.get("cloudwatch_metrics_directory", "/opt/ml/output/metrics/cloudwatch"))
    metrics.mkdir(parents=True, exist_ok=True)
    lines = [
        {"MetricName": "positive_share", "Value": share},
        {
            "MetricName": "records",
            "StatisticValues": {"SampleCount": 1, "Sum": records, "Minimum": 0, "Maximum": records},
        },
    ]
    (metrics / "cloudwatch_metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    message_file.write_text(
        f"CompletedWithViolations: {len(violations)} violations" if violations else "Completed: no violations"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
