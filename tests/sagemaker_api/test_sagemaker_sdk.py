"""The SageMaker Python SDK v2 (``sagemaker.model_monitor``) end to end against a real modelwatch server.

Only what a user changes when moving from SageMaker is set: the environment variables
``AWS_ENDPOINT_URL_SAGEMAKER`` / ``AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`` (modelwatch) and
``AWS_ENDPOINT_URL_S3`` (the moto S3 server), a region and any key pair, ``Session(default_bucket=...)``
and a full role ARN. The code under test is the SDK's own, unchanged. The SDK polls every 5 s (logs every
30 s); its modules get a clock whose sleeps last at most 0.2 s (:class:`_FastClock`), test plumbing only.

One server, database and bucket serve the whole module; each test uses its own names.
"""

from __future__ import annotations

import json
import math
import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import httpx
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from typer.testing import CliRunner

from modelwatch.capture import CaptureMiddleware
from modelwatch.capture.config import DataCaptureConfig
from modelwatch.cli import EXIT_OK, app
from modelwatch.examples import drift, example_dataset
from modelwatch.server import create_app
from modelwatch.service.db import open_database
from modelwatch.service.runner import Runner
from modelwatch.settings import get_settings

with warnings.catch_warnings():  # SDK v2 warns at import that v3 exists; users of sagemaker<3 see it too
    warnings.filterwarnings("ignore", message="You are using the SageMaker Python SDK v2")
    import sagemaker
    from sagemaker.clarify import BiasConfig, DataConfig, ModelConfig, SHAPConfig
    from sagemaker.model_monitor import (
        CronExpressionGenerator,
        DatasetFormat,
        DefaultModelMonitor,
        EndpointInput,
        ModelBiasMonitor,
        ModelExplainabilityMonitor,
        ModelQualityMonitor,
    )

pytestmark = pytest.mark.filterwarnings("ignore::sagemaker.deprecations.SageMakerV2DeprecationWarning")

REGION = "eu-west-1"
BUCKET = "modelwatch-sdk"
ROLE = "arn:aws:iam::111122223333:role/service-role/ModelMonitorRole"
CAPTURE = f"s3://{BUCKET}/model-monitor/data-capture"  # the SDK's DataCaptureConfig default
FEATURES = ["age", "income", "credit_score", "loan_amount", "utilisation", "employment", "region"]


class _FastClock:
    """The SDK modules' ``time``: a sleep lasts at most 0.2 s and the clock runs ahead by what it skipped,
    so the SDK's own timers (logs=True describes the job again after 30 s) pass at once."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, 0.2))
        self.ahead += max(seconds - 0.2, 0.0)

    def time(self) -> float:
        return time.time() + self.ahead

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(asgi: Any) -> Iterator[str]:
    """``asgi`` served by uvicorn on a free loopback port (lifespan on); stops it on exit."""
    port = _free_port()
    http = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=http.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not http.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        http.should_exit = True
        thread.join(30)


@pytest.fixture(scope="module")
def sdk_server(s3_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """modelwatch on loopback with a job runner, and the SDK's environment pointed at it and at S3."""
    data = tmp_path_factory.mktemp("sdk") / "modelwatch"
    data.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELWATCH_DATA_DIR", str(data))
        # AWS_ENDPOINT_URL would move every client: a user sets the per-service variables
        for name in ("MODELWATCH_DATABASE_URL", "MODELWATCH_STORAGE_URI", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        clock = _FastClock()
        patch.setattr(sagemaker.session, "time", clock)  # the SDK's polls: test plumbing only
        patch.setattr(sagemaker.utils, "time", clock)
        get_settings.cache_clear()
        db = open_database(f"sqlite:///{data / 'modelwatch.db'}")
        runner = Runner(db)
        try:
            with _serving(create_app(db, scheduler_runner=runner)) as url:
                patch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", url)
                patch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", url)
                boto3.client("s3", region_name=REGION).create_bucket(
                    Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
                )
                yield url
        finally:
            runner.shutdown(timeout=10)
            db.dispose()
    get_settings.cache_clear()


@pytest.fixture
def session(sdk_server: str) -> Any:
    """The SDK's session, as a user moving from SageMaker builds it."""
    return sagemaker.Session(boto_session=boto3.Session(region_name=REGION), default_bucket=BUCKET)


def _s3_json(uri: str) -> Any:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return json.loads(
        boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
    )


def _modelwatch_baseline(dataset: Path, out: Path) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["baseline", "-d", str(dataset), "--header", "-o", str(out)])
    assert result.exit_code == EXIT_OK, result.output
    return json.loads((out / "statistics.json").read_text())


def _monitor(session: Any) -> DefaultModelMonitor:
    return DefaultModelMonitor(
        role=ROLE,
        instance_count=1,
        instance_type="ml.m5.xlarge",
        volume_size_in_gb=20,
        max_runtime_in_seconds=1800,
        sagemaker_session=session,
    )


@pytest.fixture(scope="module")
def baselined(sdk_server: str, tmp_path_factory: pytest.TempPathFactory) -> DefaultModelMonitor:
    """A DefaultModelMonitor with a finished baselining job of credit.csv (flow a, logs=False)."""
    session = sagemaker.Session(boto_session=boto3.Session(region_name=REGION), default_bucket=BUCKET)
    monitor = _monitor(session)
    monitor.suggest_baseline(
        baseline_dataset=str(example_dataset()),
        dataset_format=DatasetFormat.csv(header=True),
        output_s3_uri=f"s3://{BUCKET}/baselines/credit",
        job_name="credit-baseline",
        wait=True,
        logs=False,
    )
    return monitor


# -- a: suggest_baseline ---------------------------------------------------------------------------------


def test_suggest_baseline_equals_modelwatch_baseline(baselined: DefaultModelMonitor, tmp_path: Path) -> None:
    job = baselined.latest_baselining_job
    assert job.describe()["ProcessingJobStatus"] == "Completed"
    ours = _modelwatch_baseline(example_dataset(), tmp_path)
    assert baselined.baseline_statistics().body_dict == ours
    constraints = baselined.suggested_constraints().body_dict
    assert constraints == json.loads((tmp_path / "constraints.json").read_text())
    assert [f["name"] for f in ours["features"]] == ["defaulted", *FEATURES]


def test_suggest_baseline_with_logs(session: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "small.csv"
    pcsv.write_csv(pcsv.read_csv(example_dataset()).slice(0, 500), small)
    monitor = _monitor(session)
    monitor.suggest_baseline(
        baseline_dataset=str(small),
        dataset_format=DatasetFormat.csv(header=True),
        job_name="credit-baseline-logs",
        wait=True,
        logs=True,  # tails CloudWatch Logs: DescribeLogStreams + GetLogEvents on modelwatch
    )
    assert monitor.latest_baselining_job.describe()["ProcessingJobStatus"] == "Completed"
    printed = capsys.readouterr().out  # the SDK prints the job's log events as it tails them
    assert "profiled 500 rows x 8 columns" in printed
    assert "Completed: Job completed successfully." in printed
    assert monitor.baseline_statistics().body_dict == _modelwatch_baseline(small, tmp_path / "ours")


# -- b: the FAQ's example --------------------------------------------------------------------------------

PREPROCESSOR = """
def preprocess_handler(inference_record):
    return {str(i).zfill(2): v for i, v in enumerate(inference_record.endpoint_input.data.split(","))}
"""
POSTPROCESSOR = """
def postprocess_handler():
    print("post-processing done")
"""


def test_the_faq_example_creates_its_schedule(baselined: DefaultModelMonitor, tmp_path: Path) -> None:
    (tmp_path / "preprocessor.py").write_text(PREPROCESSOR)
    (tmp_path / "postprocessor.py").write_text(POSTPROCESSOR)
    baselined.create_monitoring_schedule(
        monitor_schedule_name="faq-schedule",
        endpoint_input="credit-endpoint",
        record_preprocessor_script=str(tmp_path / "preprocessor.py"),
        post_analytics_processor_script=str(tmp_path / "postprocessor.py"),
        output_s3_uri=f"s3://{BUCKET}/reports/faq",
        statistics=baselined.baseline_statistics(),
        constraints=baselined.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        enable_cloudwatch_metrics=True,
    )
    described = baselined.describe_schedule()
    assert described["MonitoringScheduleName"] == "faq-schedule"
    assert described["MonitoringScheduleStatus"] in ("Pending", "Scheduled")
    config = described["MonitoringScheduleConfig"]
    assert config["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    assert config["MonitoringType"] == "DataQuality"
    definition = session_client(baselined).describe_data_quality_job_definition(
        JobDefinitionName=config["MonitoringJobDefinitionName"]
    )
    app_spec = definition["DataQualityAppSpecification"]
    assert app_spec["RecordPreprocessorSourceUri"].endswith("preprocessor.py")
    assert app_spec["PostAnalyticsProcessorSourceUri"].endswith("postprocessor.py")
    assert app_spec["Environment"]["publish_cloudwatch_metrics"] == "Enabled"
    assert definition["RoleArn"] == ROLE
    assert definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"] == "credit-endpoint"


def session_client(monitor: Any) -> Any:
    return monitor.sagemaker_session.sagemaker_client


# -- f: attach, update, stop/start, delete ----------------------------------------------------------------


def test_attach_update_stop_start_and_delete(baselined: DefaultModelMonitor, session: Any) -> None:
    _monitor(session).create_monitoring_schedule(
        monitor_schedule_name="lifecycle-schedule",
        endpoint_input="lifecycle-endpoint",
        output_s3_uri=f"s3://{BUCKET}/reports/lifecycle",
        statistics=baselined.baseline_statistics(),
        constraints=baselined.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.daily(hour=3),
    )
    attached = DefaultModelMonitor.attach("lifecycle-schedule", sagemaker_session=session)
    assert attached.role == ROLE
    assert attached.monitoring_schedule_name == "lifecycle-schedule"
    first_definition = attached.job_definition_name

    attached.update_monitoring_schedule(schedule_cron_expression=CronExpressionGenerator.hourly())
    described = attached.describe_schedule()
    assert (
        described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    )
    assert attached.job_definition_name == first_definition  # a cron alone: only the schedule changes

    attached.update_monitoring_schedule(max_runtime_in_seconds=900)
    assert attached.job_definition_name != first_definition  # the SDK swaps in a new definition
    described = attached.describe_schedule()
    assert (
        described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == attached.job_definition_name
    )
    definition = session.sagemaker_client.describe_data_quality_job_definition(
        JobDefinitionName=attached.job_definition_name
    )
    assert definition["StoppingCondition"]["MaxRuntimeInSeconds"] == 900

    attached.stop_monitoring_schedule()
    assert attached.describe_schedule()["MonitoringScheduleStatus"] == "Stopped"
    attached.start_monitoring_schedule()
    assert attached.describe_schedule()["MonitoringScheduleStatus"] == "Scheduled"

    client = session.sagemaker_client
    attached.delete_monitoring_schedule()  # polls Describe until ResourceNotFound, deletes the definition
    with pytest.raises(client.exceptions.ResourceNotFound):
        client.describe_monitoring_schedule(MonitoringScheduleName="lifecycle-schedule")
    names = [
        d["MonitoringJobDefinitionName"]
        for d in client.list_data_quality_job_definitions(MaxResults=100)["JobDefinitionSummaries"]
    ]
    assert attached.job_definition_name not in names


# -- c: a NOW schedule over drifted traffic captured through CaptureMiddleware into S3 ---------------------


def _capture(
    endpoint: str, table: pa.Table, tmp_path: Path, answer: list[str], ids: str, columns: list[str] = FEATURES
) -> None:
    """POST each row (features only) to a model behind modelwatch's CaptureMiddleware capturing to S3."""
    answers = iter(answer)

    async def invocations(request: Request) -> Response:
        await request.body()
        return Response(next(answers), media_type="text/csv")

    model = Starlette(routes=[Route("/invocations", invocations, methods=["POST"])])
    config = DataCaptureConfig(destination_uri=CAPTURE, flush_seconds=0.2, spool_dir=str(tmp_path / "spool"))
    model.add_middleware(CaptureMiddleware, endpoint=endpoint, config=config)
    rows = table.select(columns).to_pylist()
    with _serving(model) as url, httpx.Client(base_url=url) as client:  # its shutdown uploads the capture
        for i, row in enumerate(rows):
            body = ",".join(str(row[name]) for name in columns)
            headers = {"Content-Type": "text/csv", "X-Amzn-SageMaker-Inference-Id": f"{ids}-{i}"}
            client.post("/invocations", content=body, headers=headers).raise_for_status()


def _finished(monitor: Any, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        executions = monitor.list_executions()
        if executions:
            status = executions[-1].describe()["ProcessingJobStatus"]
            if status not in ("InProgress", "Stopping"):
                return executions[-1]
        assert time.monotonic() < deadline, f"no finished execution of {monitor.monitoring_schedule_name}"
        time.sleep(0.5)


def test_a_now_schedule_over_drifted_captured_traffic_names_the_drifted_features(
    baselined: DefaultModelMonitor, session: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = drift(pcsv.read_csv(example_dataset()).slice(0, 400))
    _capture("drifted-endpoint", table, tmp_path, [str(v) for v in table["defaulted"].to_pylist()], "d")
    monitor = _monitor(session)
    monitor.create_monitoring_schedule(
        monitor_schedule_name="drift-now",
        endpoint_input="drifted-endpoint",
        output_s3_uri=f"s3://{BUCKET}/reports/drift",
        statistics=baselined.baseline_statistics(),
        constraints=baselined.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.now(),
        data_analysis_start_time="-PT1H",
        data_analysis_end_time="PT0H",
    )
    execution = _finished(monitor)
    described = execution.describe()
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    violations = monitor.list_executions()[-1].constraint_violations().body_dict["violations"]
    drifted = {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"}
    assert {"income", "age", "utilisation", "region"} <= drifted
    assert not drifted & {"defaulted", "credit_score", "loan_amount", "employment"}
    summaries = session.sagemaker_client.list_monitoring_executions(MonitoringScheduleName="drift-now")
    [summary] = summaries["MonitoringExecutionSummaries"]
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations"
    latest = monitor.latest_monitoring_constraint_violations().body_dict["violations"]
    assert latest == violations
    assert monitor.latest_monitoring_statistics().body_dict["dataset"]["item_count"] == 400
    capsys.readouterr()
    monitor.get_latest_execution_logs(wait=False)  # prints the execution's log through CloudWatch Logs
    assert "CompletedWithViolations" in capsys.readouterr().out
    [alert], _ = monitor.list_monitoring_alerts()
    history, _ = monitor.list_monitoring_alert_history()
    assert (alert.alert_name, alert.alert_status) == ("monitoring-alert", "InAlert")  # 1 of 1 violated
    assert [(h.alert_name, h.alert_status) for h in history] == [("monitoring-alert", "InAlert")]
    monitor.update_monitoring_alert(alert.alert_name, data_points_to_alert=2, evaluation_period=3)
    [updated], _ = monitor.list_monitoring_alerts()
    assert (updated.data_points_to_alert, updated.evaluation_period) == (2, 3)


# -- d: ModelQualityMonitor with uploaded ground truth ----------------------------------------------------


def test_model_quality_with_uploaded_ground_truth(session: Any, tmp_path: Path) -> None:
    table = pcsv.read_csv(example_dataset()).slice(0, 300)
    labels = table["defaulted"].to_pylist()
    # a model that is right on even rows and says the opposite on the others
    scores = [0.9 if (label == 1) == (i % 2 == 0) else 0.1 for i, label in enumerate(labels)]
    validation = tmp_path / "validation.csv"
    pcsv.write_csv(
        pa.table({"probability": scores, "prediction": [int(s > 0.5) for s in scores], "label": labels}),
        validation,
    )

    monitor = ModelQualityMonitor(
        role=ROLE, instance_count=1, instance_type="ml.m5.xlarge", sagemaker_session=session
    )
    monitor.suggest_baseline(
        baseline_dataset=str(validation),
        dataset_format=DatasetFormat.csv(header=True),
        problem_type="BinaryClassification",
        inference_attribute="prediction",
        probability_attribute="probability",
        ground_truth_attribute="label",
        job_name="credit-quality-baseline",
        wait=True,
        logs=False,
    )
    baseline = monitor.baseline_statistics().body_dict
    assert baseline["binary_classification_metrics"]["accuracy"]["value"] == pytest.approx(0.5)

    _capture("quality-endpoint", table, tmp_path, [str(s) for s in scores], "q")
    now = datetime.now(UTC)
    truth = "".join(
        json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                    "eventMetadata": {"eventId": f"q-{i}"}, "eventVersion": "0"}) + "\n"
        for i, label in enumerate(labels)
    )  # fmt: skip
    key = f"ground-truth/quality-endpoint/{now:%Y/%m/%d/%H}/labels.jsonl"
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=truth.encode())

    monitor.create_monitoring_schedule(
        monitor_schedule_name="quality-now",
        endpoint_input=EndpointInput(
            endpoint_name="quality-endpoint",
            destination="/opt/ml/processing/input_data",
            probability_attribute="0",
            probability_threshold_attribute=0.5,
        ),
        ground_truth_input=f"s3://{BUCKET}/ground-truth/quality-endpoint",
        problem_type="BinaryClassification",
        output_s3_uri=f"s3://{BUCKET}/reports/quality",
        constraints=monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.now(),
        data_analysis_start_time="-PT1H",
        data_analysis_end_time="PT0H",
    )
    execution = _finished(monitor)
    assert execution.describe()["ProcessingJobStatus"] == "Completed", execution.describe().get(
        "FailureReason"
    )
    statistics = execution.statistics().body_dict
    metrics = statistics["binary_classification_metrics"]
    assert metrics["accuracy"]["value"] == pytest.approx(0.5)
    assert statistics["dataset"]["item_count"] == len(labels)


# -- e: ModelBiasMonitor and ModelExplainabilityMonitor ----------------------------------------------------


def _upload(key: str, body: bytes) -> str:
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key}"


def test_model_bias_baseline_and_schedule(session: Any, tmp_path: Path) -> None:
    table = pcsv.read_csv(example_dataset()).slice(0, 600)
    labelled = table.append_column("prediction", table["defaulted"])  # the model's predicted labels
    headers = labelled.column_names
    csv = tmp_path / "bias.csv"
    pcsv.write_csv(labelled, csv, pcsv.WriteOptions(include_header=False))  # Clarify's CSV: no header row
    data = DataConfig(
        s3_data_input_path=_upload("bias/data/bias.csv", csv.read_bytes()),
        s3_output_path=f"s3://{BUCKET}/bias/baseline",
        label="defaulted",
        headers=headers,
        dataset_type="text/csv",
        predicted_label="prediction",
    )
    bias = BiasConfig(
        label_values_or_threshold=[1], facet_name="employment", facet_values_or_threshold=["self-employed"]
    )
    model = ModelConfig(model_name="credit-model", instance_count=1, instance_type="ml.m5.xlarge")
    monitor = ModelBiasMonitor(role=ROLE, sagemaker_session=session, max_runtime_in_seconds=1800)
    monitor.suggest_baseline(
        data_config=data, bias_config=bias, model_config=model, job_name="credit-bias-baseline", wait=True
    )
    job = monitor.latest_baselining_job
    assert job.describe()["ProcessingJobStatus"] == "Completed", job.describe().get("FailureReason")
    analysis = monitor.latest_baselining_job.suggested_constraints().body_dict
    post = analysis["post_training_bias_metrics"]
    assert post["label"] == "defaulted"
    assert {m["name"] for m in post["facets"]["employment"][0]["metrics"]} >= {"DPPL", "DI", "AD"}

    monitor.create_monitoring_schedule(
        monitor_schedule_name="bias-hourly",
        endpoint_input=EndpointInput(
            endpoint_name="bias-endpoint",
            destination="/opt/ml/processing/input/endpoint",
            start_time_offset="-PT1H",
            end_time_offset="-PT0H",
            probability_threshold_attribute=0.5,
        ),
        ground_truth_input=f"s3://{BUCKET}/ground-truth/bias-endpoint",
        output_s3_uri=f"s3://{BUCKET}/reports/bias",
        schedule_cron_expression=CronExpressionGenerator.hourly(),
    )
    described = monitor.describe_schedule()
    assert described["MonitoringScheduleConfig"]["MonitoringType"] == "ModelBias"
    definition = session.sagemaker_client.describe_model_bias_job_definition(
        JobDefinitionName=described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
    )
    assert definition["ModelBiasAppSpecification"]["ConfigUri"].startswith(f"s3://{BUCKET}/")
    assert definition["ModelBiasJobInput"]["GroundTruthS3Input"]["S3Uri"].endswith(
        "ground-truth/bias-endpoint"
    )
    monitor.delete_monitoring_schedule()


EXPLAINED = ["age", "income", "credit_score"]


def _score(row: list[float]) -> float:
    """The explained model: the credit score decides, then the income; age does not matter."""
    return 1 / (1 + math.exp(-((row[2] - 650) / 40 + (row[1] - 50000) / 40000)))


@contextmanager
def _explained_model() -> Iterator[str]:
    """The explained model behind a real HTTP server on loopback: CSV rows in, one score per line out.
    Yields its invocation URL."""

    async def invocations(request: Request) -> Response:
        rows = [[float(v) for v in line.split(",")] for line in (await request.body()).decode().splitlines()]
        return Response("\n".join(str(_score(row)) for row in rows), media_type="text/csv")

    with _serving(Starlette(routes=[Route("/invocations", invocations, methods=["POST"])])) as url:
        yield f"{url}/invocations"


def _explain_inputs(tmp_path: Path, key: str) -> tuple[pa.Table, DataConfig]:
    """40 labelled rows of the example (label first, no header row, as Clarify reads CSV) uploaded to S3."""
    table = pcsv.read_csv(example_dataset()).slice(0, 40).select(["defaulted", *EXPLAINED])
    csv = tmp_path / "explain.csv"
    pcsv.write_csv(table, csv, pcsv.WriteOptions(include_header=False))
    data = DataConfig(
        s3_data_input_path=_upload(f"{key}/data/explain.csv", csv.read_bytes()),
        s3_output_path=f"s3://{BUCKET}/{key}/baseline",
        label="defaulted",
        headers=table.column_names,
        dataset_type="text/csv",
    )
    return table, data


def _global_shap(analysis: dict[str, Any]) -> dict[str, float]:
    return dict(analysis["explanations"]["kernel_shap"]["label0"]["global_shap_values"])


SHAP: dict[str, Any] = {"baseline": [[40, 50000, 650]], "num_samples": 32, "agg_method": "mean_abs"}


def test_model_explainability_through_model_config_and_model_urls(
    session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clarify would start a shadow endpoint of ``ModelConfig.model_name``; modelwatch finds the model's
    URL by that name in ``MODELWATCH_MODEL_URLS`` (the job processes inherit the server's environment).
    The SDK's baseline holds SHAP values for each feature, equal to ``modelwatch baseline --type
    explainability`` of the same rows through the same model; a ``now()`` schedule made from that baseline
    (the SDK reuses its analysis config) explains captured traffic through the model and finds the same
    ranking."""
    table, data = _explain_inputs(tmp_path, "explain-sdk")
    model = ModelConfig(
        model_name="credit-model",
        instance_count=1,
        instance_type="ml.m5.xlarge",
        content_type="text/csv",
        accept_type="text/csv",
    )
    monitor = ModelExplainabilityMonitor(role=ROLE, sagemaker_session=session, max_runtime_in_seconds=1800)
    with _explained_model() as model_url:
        monkeypatch.setenv(
            "MODELWATCH_MODEL_URLS", f"other-model=http://127.0.0.1:9/x,credit-model={model_url}"
        )
        monitor.suggest_baseline(
            data_config=data,
            explainability_config=SHAPConfig(
                baseline=SHAP["baseline"], num_samples=32, agg_method="mean_abs"
            ),
            model_config=model,
            job_name="credit-explain",
            wait=True,
        )
        job = monitor.latest_baselining_job
        assert job.describe()["ProcessingJobStatus"] == "Completed", job.describe().get("FailureReason")
        baseline = job.suggested_constraints().body_dict  # Clarify's analysis.json
        shap = _global_shap(baseline)
        assert set(shap) == set(EXPLAINED)
        assert all(isinstance(value, float) and math.isfinite(value) for value in shap.values())
        assert max(shap, key=shap.__getitem__) == "credit_score" and min(shap, key=shap.__getitem__) == "age"

        features = tmp_path / "features.csv"
        pcsv.write_csv(table.select(EXPLAINED), features)
        config = {
            "version": "1.0",
            "dataset_type": "text/csv",
            "headers": EXPLAINED,
            "methods": {"shap": SHAP},
            "predictor": {"endpoint_url": model_url, "content_type": "text/csv", "accept_type": "text/csv"},
        }
        (tmp_path / "analysis_config.json").write_text(json.dumps(config))
        result = CliRunner().invoke(
            app,
            ["baseline", "--type", "explainability", "--config", str(tmp_path / "analysis_config.json"),
             "-d", str(features), "--header", "-o", str(tmp_path / "ours")],
        )  # fmt: skip
        assert result.exit_code == EXIT_OK, result.output
        ours = _global_shap(json.loads((tmp_path / "ours" / "analysis.json").read_text()))
        assert shap == pytest.approx(ours, rel=1e-9, abs=1e-12)

        rows = table.select(EXPLAINED).to_pylist()
        answers = [str(_score(list(row.values()))) for row in rows]
        _capture("explain-sdk-endpoint", table, tmp_path, answers, "x", columns=EXPLAINED)
        monitor.create_monitoring_schedule(  # no analysis_config: the baselining job's is reused
            monitor_schedule_name="explain-sdk-now",
            endpoint_input=EndpointInput(
                endpoint_name="explain-sdk-endpoint", destination="/opt/ml/processing/input/endpoint"
            ),
            output_s3_uri=f"s3://{BUCKET}/reports/explain-sdk",
            schedule_cron_expression=CronExpressionGenerator.now(),
            data_analysis_start_time="-PT1H",
            data_analysis_end_time="PT0H",
        )
        execution = _finished(monitor)
    described = execution.describe()
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert execution.constraint_violations().body_dict["violations"] == []  # the same model: the same ranking
    report = _global_shap(_s3_json(f"{execution.output.destination}/analysis.json"))
    assert set(report) == set(EXPLAINED)
    assert max(report, key=report.__getitem__) == "credit_score"
    schedule = monitor.describe_schedule()
    assert schedule["MonitoringScheduleConfig"]["MonitoringType"] == "ModelExplainability"
    monitor.delete_monitoring_schedule()


def test_an_unmapped_model_fails_the_baseline_naming_the_model_and_the_setting(
    session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data = _explain_inputs(tmp_path, "explain-unmapped")
    monkeypatch.setenv("MODELWATCH_MODEL_URLS", "other-model=http://127.0.0.1:9/invocations")
    model = ModelConfig(model_name="unmapped-model", instance_count=1, instance_type="ml.m5.xlarge")
    monitor = ModelExplainabilityMonitor(role=ROLE, sagemaker_session=session, max_runtime_in_seconds=1800)
    with pytest.raises(sagemaker.exceptions.UnexpectedStatusException) as failed:
        monitor.suggest_baseline(
            data_config=data,
            explainability_config=SHAPConfig(
                baseline=SHAP["baseline"], num_samples=32, agg_method="mean_abs"
            ),
            model_config=model,
            job_name="unmapped-explain",
            wait=True,
        )
    assert "unmapped-model" in str(failed.value)
    described = session.sagemaker_client.describe_processing_job(ProcessingJobName="unmapped-explain")
    assert described["ProcessingJobStatus"] == "Failed"
    reason = described["FailureReason"]
    assert reason.startswith("predictor.endpoint_url: no URL for model 'unmapped-model'")
    assert "MODELWATCH_MODEL_URLS names only other-model" in reason


# -- docs/sagemaker.md -------------------------------------------------------------------------------------


def test_the_python_example_of_docs_sagemaker_md_runs(
    sdk_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "sagemaker.md").read_text()
    found = re.search(r"```python\n(.*?)\n```", doc, flags=re.S)
    assert found is not None
    example = found.group(1)
    assert 'region_name="eu-west-1"' in example and REGION == "eu-west-1"
    pcsv.write_csv(pcsv.read_csv(example_dataset()).slice(0, 300), tmp_path / "train.csv")
    monkeypatch.chdir(tmp_path)  # the example's baseline_dataset="train.csv"
    names: dict[str, Any] = {}
    exec(compile(example, "docs/sagemaker.md", "exec"), names)  # the page's own example
    described = names["monitor"].describe_schedule()
    assert described["MonitoringScheduleName"] == "my-schedule"
    assert (
        described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 * ? * * *)"
    )
    assert names["monitor"].baseline_statistics().body_dict["dataset"]["item_count"] == 300


def test_an_explainability_schedule_with_its_own_analysis_config(session: Any, tmp_path: Path) -> None:
    """Without ``MODELWATCH_MODEL_URLS``: an analysis config that names the model's URL itself
    (``predictor.endpoint_url``, a modelwatch extension), passed to
    ``create_monitoring_schedule(analysis_config=URI)``, and a baseline from ``modelwatch baseline --type
    explainability``."""
    table = pcsv.read_csv(example_dataset()).slice(0, 30).select(EXPLAINED)
    features = tmp_path / "features.csv"
    pcsv.write_csv(table, features)
    with _explained_model() as model_url:
        config = {
            "version": "1.0",
            "dataset_type": "text/csv",
            "headers": EXPLAINED,
            "methods": {
                "shap": {"baseline": [[40, 50000, 650]], "num_samples": 32, "agg_method": "mean_abs"}
            },
            "predictor": {
                "endpoint_name": "explain-endpoint",
                "endpoint_url": model_url,
                "content_type": "text/csv",
                "accept_type": "text/csv",
            },
        }
        (tmp_path / "analysis_config.json").write_text(json.dumps(config))
        result = CliRunner().invoke(
            app,
            ["baseline", "--type", "explainability", "--config", str(tmp_path / "analysis_config.json"),
             "-d", str(features), "--header", "-o", str(tmp_path / "baseline")],
        )  # fmt: skip
        assert result.exit_code == EXIT_OK, result.output
        config_uri = _upload("explain/analysis_config.json", json.dumps(config).encode())
        baseline_uri = _upload(
            "explain/baseline/analysis.json", (tmp_path / "baseline" / "analysis.json").read_bytes()
        )

        rows = table.to_pylist()
        answers = [str(_score(list(row.values()))) for row in rows]
        _capture("explain-endpoint", table, tmp_path, answers, "e", columns=EXPLAINED)
        monitor = ModelExplainabilityMonitor(
            role=ROLE, sagemaker_session=session, max_runtime_in_seconds=1800
        )
        monitor.create_monitoring_schedule(
            monitor_schedule_name="explain-now",
            endpoint_input=EndpointInput(
                endpoint_name="explain-endpoint", destination="/opt/ml/processing/input/endpoint"
            ),
            analysis_config=config_uri,
            constraints=baseline_uri,
            output_s3_uri=f"s3://{BUCKET}/reports/explain",
            schedule_cron_expression=CronExpressionGenerator.now(),
            data_analysis_start_time="-PT1H",
            data_analysis_end_time="PT0H",
        )
        execution = _finished(monitor)
    described = execution.describe()
    assert described["ProcessingJobStatus"] == "Completed", described.get("FailureReason")
    assert execution.constraint_violations().body_dict["violations"] == []  # the same model: the same ranking
    report = _s3_json(f"{execution.output.destination}/analysis.json")
    ranking = report["explanations"]["kernel_shap"]["label0"]["global_shap_values"]
    assert max(ranking, key=ranking.get) == "credit_score"
