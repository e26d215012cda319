"""The HTTP client on its own: error bodies, unreachable servers, defaults from the environment, paging;
and its alerting methods against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cli_helpers import Served

from modelwatch.client import ApiError, Client, FieldError, base_url, iterate
from modelwatch.errors import ModelwatchError
from modelwatch.service import executions, schedules
from modelwatch.service.alert_schemas import (
    DEFAULT_ALERT_NAME,
    AlarmState,
    AlertStatus,
    ChannelKind,
    Comparison,
    EventKind,
    MetricAlarmSpec,
    MetricAlarmUpdate,
    MonitoringAlertUpdate,
    SlackChannelSpec,
    Source,
    WebhookChannelSpec,
)
from modelwatch.service.metrics import record_metrics
from modelwatch.service.models import Execution
from modelwatch.service.schemas import EndpointSpec, EndpointView, ExecutionStatus, Page, ScheduleSpec

HOUR = timedelta(hours=1)
PAST = datetime(2021, 6, 1, 10, 30, tzinfo=UTC)


def _client(handler: httpx.MockTransport, **kwargs: object) -> Client:
    return Client("http://mw.test", transport=handler, **kwargs)  # type: ignore[arg-type]


def test_an_error_body_becomes_a_typed_api_error() -> None:
    body = {
        "error": {
            "type": "ValidationError",
            "message": "the request is invalid",
            "fields": [{"field": "definition.endpoint_input.endpoint_name", "message": "required"}],
        }
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(422, json=body))
    with _client(transport) as api, pytest.raises(ApiError) as caught:
        api.describe_endpoint("churn")
    error = caught.value
    assert isinstance(error, ModelwatchError)
    assert (error.status, error.type, error.message) == (422, "ValidationError", "the request is invalid")
    assert error.fields == (FieldError("definition.endpoint_input.endpoint_name", "required"),)
    assert "definition.endpoint_input.endpoint_name: required" in str(error)


def test_an_error_that_is_not_the_api_shape_still_names_the_status() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(502, text="Bad Gateway from nginx"))
    with _client(transport) as api, pytest.raises(ApiError) as caught:
        api.health()
    assert (caught.value.status, caught.value.type) == (502, "HTTPError")
    assert "Bad Gateway from nginx" in caught.value.message


def test_an_unreachable_server_is_status_0_and_names_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with _client(httpx.MockTransport(refuse)) as api, pytest.raises(ApiError) as caught:
        api.list_endpoints()
    assert caught.value.status == 0 and caught.value.unreachable
    assert "http://mw.test" in caught.value.message


def test_url_and_token_default_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "ok", "version": "1"})

    monkeypatch.setenv("MODELWATCH_URL", "http://from-env:9000/")
    monkeypatch.setenv("MODELWATCH_TOKEN", "mw_secret")
    with Client(transport=httpx.MockTransport(answer)) as api:
        assert api.health() == {"status": "ok", "version": "1"}
    assert str(seen[0].url) == "http://from-env:9000/api/v1/health"
    assert seen[0].headers["authorization"] == "Bearer mw_secret"


def test_without_a_token_no_authorization_header_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELWATCH_TOKEN", raising=False)
    seen: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200, json={"status": "ok"}))
    with _client(transport) as api:
        api.health()
    assert "authorization" not in seen[0].headers


def test_base_url_accepts_the_server_or_the_api_root() -> None:
    assert base_url("http://h:8000") == "http://h:8000/api/v1"
    assert base_url("http://h:8000/api/v1/") == "http://h:8000/api/v1"


def test_bodies_leave_out_unset_fields_and_names_are_quoted() -> None:
    seen: list[httpx.Request] = []
    view = {
        "name": "churn",
        "variants": ["AllTraffic"],
        "data_capture_config": None,
        "capture_uri": "/tmp/capture",
        "status": "InService",
        "created_at": "2026-06-01T10:00:00Z",
        "updated_at": "2026-06-01T10:00:00Z",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=view)

    with _client(httpx.MockTransport(answer)) as api:
        created = api.create_endpoint(EndpointSpec(name="churn"))
        api.describe_endpoint("a/b")
    assert isinstance(created, EndpointView) and created.name == "churn"
    assert json.loads(seen[0].content) == {"name": "churn"}
    assert seen[1].url.raw_path == b"/api/v1/endpoints/a%2Fb"


def test_iterate_follows_next_tokens() -> None:
    pages = {None: Page[int](items=[1, 2], next_token="t2"), "t2": Page[int](items=[3], next_token=None)}
    calls: list[dict[str, object]] = []

    def fetch(**kwargs: object) -> Page[int]:
        calls.append(kwargs)
        return pages[kwargs["next_token"]]  # type: ignore[index]

    assert list(iterate(fetch, max_results=2)) == [1, 2, 3]
    assert calls == [{"max_results": 2, "next_token": None}, {"max_results": 2, "next_token": "t2"}]


def test_alerting_bodies_send_the_channel_kind_and_quote_names() -> None:
    seen: list[httpx.Request] = []
    view = {
        "name": "chat",
        "kind": "slack",
        "enabled": True,
        "config": {"url": "https://hooks.example.com/***"},
        "has_secret": True,
        "created_at": "2026-06-01T10:00:00Z",
        "updated_at": "2026-06-01T10:00:00Z",
    }

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=view)

    spec = SlackChannelSpec(name="chat", url="https://hooks.example.com/services/T0/B0/xyzzy")
    with _client(httpx.MockTransport(answer)) as api:
        assert api.create_channel(spec).kind is ChannelKind.SLACK
        api.replace_channel("a/b", spec)
    assert json.loads(seen[0].content) == {"name": "chat", "url": spec.url, "kind": "slack"}
    assert (seen[1].method, seen[1].url.raw_path) == ("PUT", b"/api/v1/notification-channels/a%2Fb")


def _finish(served: Served, schedule: str, status: ExecutionStatus, hours: int, value: float) -> None:
    """An execution of ``schedule`` ending ``status`` at PAST + ``hours``, with one drift point."""
    at = PAST + hours * HOUR
    with served.db.session() as session:
        view = schedules.run_now(session, schedule, window_start=at - HOUR, window_end=at, now=at)
        row = session.get(Execution, view.id)
        assert row is not None
        record_metrics(session, row, [("feature_baseline_drift_age", at - HOUR, value)])
        executions.finish_execution(session, view.id, status, now=at + timedelta(minutes=5))


def test_alerts_alarms_and_channels_against_a_real_server(server: Served) -> None:
    spec = {
        "name": "hourly",
        "schedule_expression": "cron(0 * ? * * *)",
        "definition": {"endpoint_input": {"endpoint_name": "churn"}},
    }
    with Client() as api:
        api.create_endpoint(EndpointSpec(name="churn"))
        api.create_schedule(ScheduleSpec.model_validate(spec))

        hook = api.create_channel(
            WebhookChannelSpec(name="hook", url="http://127.0.0.1:9/in", secret="key-1")
        )
        assert (hook.kind, hook.has_secret, hook.config["secret"]) == (ChannelKind.WEBHOOK, True, "***")
        replaced = api.replace_channel(
            "hook", WebhookChannelSpec(name="hook", url="http://127.0.0.1:9/other", secret="***")
        )
        assert (replaced.config["url"], replaced.has_secret) == ("http://127.0.0.1:9/other", True)
        assert [c.name for c in api.list_channels().items] == ["hook"]
        assert api.describe_channel("hook").config["url"] == "http://127.0.0.1:9/other"

        (alert,) = api.list_alerts("hourly").items
        assert (alert.name, alert.alert_status) == (DEFAULT_ALERT_NAME, AlertStatus.OK)
        update = MonitoringAlertUpdate(channels=["hook"], reminder_seconds=4 * 3600)
        updated = api.update_alert("hourly", update)
        assert (updated.channels, updated.reminder_seconds) == (["hook"], 4 * 3600)
        assert api.describe_alert("hourly").channels == ["hook"]
        with pytest.raises(ApiError) as missing:
            api.describe_alert("hourly", "other")
        assert missing.value.status == 404

        alarm = api.create_alarm(
            MetricAlarmSpec(
                name="drift",
                metric_name="feature_baseline_drift_age",
                schedule_name="hourly",
                comparison=Comparison.GREATER_THAN,
                threshold=0.3,
                channels=["hook"],
            )
        )
        assert alarm.state is AlarmState.INSUFFICIENT_DATA
        listed = api.list_alarms(schedule_name="hourly", state=AlarmState.INSUFFICIENT_DATA).items
        assert [a.name for a in listed] == ["drift"]
        assert api.list_alarms(state=AlarmState.ALARM).items == []
        assert api.update_alarm("drift", MetricAlarmUpdate(threshold=0.5)).threshold == 0.5
        assert api.describe_alarm("drift").threshold == 0.5
        with pytest.raises(ApiError) as in_use:
            api.delete_channel("hook")
        assert in_use.value.status == 409

        _finish(server, "hourly", ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 1, 0.4)
        _finish(server, "hourly", ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 2, 0.8)
        history = api.list_alert_history(
            schedule_name="hourly", source=Source.MONITORING_ALERT, event=EventKind.STATE_CHANGE
        ).items
        assert [(h.source, h.status) for h in history] == [(Source.MONITORING_ALERT, "InAlert")]
        every = list(iterate(api.list_alert_history, schedule_name="hourly", max_results=1))
        assert len(every) == len(api.list_alert_history(schedule_name="hourly").items) >= 1
        points = api.metric_statistics(
            "feature_baseline_drift_age",
            schedule_name="hourly",
            start=datetime(2021, 5, 31, tzinfo=UTC),
            end=datetime(2021, 6, 2, tzinfo=UTC),
            period=86_400,
        )
        assert [(p.timestamp, p.sample_count, p.maximum) for p in points] == [
            (datetime(2021, 6, 1, tzinfo=UTC), 2, 0.8)
        ]
        with pytest.raises(ApiError) as no_scope:
            api.metric_statistics("m", start=PAST, end=PAST + HOUR)
        assert no_scope.value.status == 422

        api.delete_alarm("drift")
        api.update_alert("hourly", MonitoringAlertUpdate(channels=[]))
        api.delete_channel("hook")
        assert api.list_channels().items == []
        with pytest.raises(ApiError) as gone:
            api.describe_alarm("drift")
        assert gone.value.status == 404


def test_the_client_and_the_alerts_commands_load_neither_the_store_nor_numpy() -> None:
    code = (
        "import sys, modelwatch.client, modelwatch.cli_client.alerts, modelwatch.cli_client.alarms, "
        "modelwatch.cli_client.channels; "
        "print(sorted(m for m in ('sqlalchemy', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
