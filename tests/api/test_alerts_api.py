"""The alerting routes: monitoring alerts, metric alarms, notification channels, the alert history and
metric statistics, over SQLite and PostgreSQL — with the API's tokens, and never showing a secret."""

from __future__ import annotations

import json
import shlex
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from typer.testing import CliRunner, Result

from modelwatch.api import create_app
from modelwatch.cli import app
from modelwatch.service import channels, executions, schedules, tokens
from modelwatch.service.db import Database
from modelwatch.service.metrics import record_metrics
from modelwatch.service.models import Execution, NotificationChannel
from modelwatch.service.schemas import ExecutionStatus

pytestmark = pytest.mark.anyio

HOUR = timedelta(hours=1)
PAST = datetime(2021, 6, 1, 10, 30, tzinfo=UTC)
WEBHOOK = {"name": "hook", "kind": "webhook", "url": "http://127.0.0.1:9/in", "secret": "hmac-key-1"}
SLACK = {"name": "chat", "kind": "slack", "url": "https://hooks.example.com/services/T0/B0/xyzzy"}
EMAIL = {
    "name": "mail",
    "kind": "email",
    "host": "smtp.example.com",
    "security": "ssl",
    "username": "ops",
    "password": "smtp-pass-1",
    "sender": "mw@example.com",
    "recipients": ["oncall@example.com"],
}
SECRETS = ("hmac-key-1", "xyzzy", "smtp-pass-1")


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _finish(db: Database, schedule: str, status: ExecutionStatus, hours: int, value: float) -> int:
    """An execution ending ``status`` at PAST + ``hours`` (long before the clock that the API's own
    evaluations use), with one drift point at the start of its window."""
    at = PAST + hours * HOUR
    with db.session() as session:
        view = schedules.run_now(session, schedule, window_start=at - HOUR, window_end=at, now=at)
        row = session.get(Execution, view.id)
        assert row is not None
        record_metrics(session, row, [("feature_baseline_drift_age", at - HOUR, value)])
        executions.finish_execution(session, view.id, status, now=at + timedelta(minutes=5))
    return view.id


async def test_alerting_routes_need_a_token(client: httpx.AsyncClient, db: Database, schedule: str) -> None:
    with db.session() as session:
        _, admin = tokens.create_token(session, "ops", "admin")
        _, read = tokens.create_token(session, "dashboard", "read")
    reads = [
        f"/schedules/{schedule}/alerts",
        f"/schedules/{schedule}/alerts/monitoring-alert",
        "/alert-history",
        "/alarms",
        "/notification-channels",
        f"/metric-statistics?metric_name=x&schedule_name={schedule}&start=2026-03-01T00:00:00Z&end=2026-03-02T00:00:00Z",
    ]
    for path in reads:
        assert (await client.get(path)).status_code == 401, path
        assert (await client.get(path, headers=_bearer(read))).status_code == 200, path
    writes = [
        ("PATCH", f"/schedules/{schedule}/alerts/monitoring-alert", {"evaluation_period": 2}),
        ("POST", "/notification-channels", WEBHOOK),
        (
            "POST",
            "/alarms",
            {
                "name": "a",
                "metric_name": "m",
                "schedule_name": schedule,
                "comparison": "LessThanThreshold",
                "threshold": 1,
            },
        ),
    ]
    for method, path, body in writes:
        assert (await client.request(method, path, json=body)).status_code == 401, path
        assert (await client.request(method, path, json=body, headers=_bearer(read))).status_code == 403, path
        assert (await client.request(method, path, json=body, headers=_bearer(admin))).status_code in (
            200,
            201,
        ), path
    for path in ("/alarms/a", "/notification-channels/hook"):
        assert (await client.delete(path, headers=_bearer(read))).status_code == 403
        assert (await client.delete(path, headers=_bearer(admin))).status_code == 204


async def test_channel_secrets_are_write_only_for_every_token(
    client: httpx.AsyncClient, db: Database
) -> None:
    with db.session() as session:
        _, admin = tokens.create_token(session, "ops", "admin")
        _, read = tokens.create_token(session, "dashboard", "read")
    hook = {
        "name": "keyed",
        "kind": "webhook",
        "url": "https://ops:url-pass-1@hooks.example.com/in?api_key=query-key-1",
        "headers": {"Authorization": "Bearer header-token-1"},
        "secret": "hmac-key-2",
    }
    hidden = ("url-pass-1", "query-key-1", "header-token-1", "hmac-key-2", *SECRETS)
    for spec in (hook, SLACK, EMAIL):
        created = await client.post("/notification-channels", json=spec, headers=_bearer(admin))
        assert created.status_code == 201, created.text
        assert not [s for s in hidden if s in created.text]
    for secret in (read, admin):
        listing = await client.get("/notification-channels", headers=_bearer(secret))
        assert listing.status_code == 200 and not [s for s in hidden if s in listing.text]
    shown = (await client.get("/notification-channels/keyed", headers=_bearer(read))).json()
    assert shown["config"]["url"] == "https://***:***@hooks.example.com/in?api_key=***"
    assert shown["config"]["headers"] == {"Authorization": "***"} and shown["config"]["secret"] == "***"

    # what a view shows can be sent back: the stored secrets stay, the change is made
    back = {**shown["config"], "name": "keyed", "kind": "webhook", "enabled": True, "max_attempts": 2}
    replaced = await client.put("/notification-channels/keyed", json=back, headers=_bearer(admin))
    assert replaced.status_code == 200 and replaced.json()["config"] == {**shown["config"], "max_attempts": 2}
    nothing_stored = {**back, "headers": {"X-New": "***"}}
    refused = await client.put("/notification-channels/keyed", json=nothing_stored, headers=_bearer(admin))
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "headers.X-New"
    with db.session(write=False) as session:
        row = session.scalar(sa.select(NotificationChannel).where(NotificationChannel.name == "keyed"))
        assert row is not None and channels.spec_of(row).model_dump(mode="json") == {
            **hook,
            **channels.spec_of(row).model_dump(mode="json", exclude=set(hook)),
            "max_attempts": 2,
        }
    if db.is_sqlite:  # and the database file holds none of them
        path = Path(sa.make_url(db.url).database or "")
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert not [s for s in hidden if s.encode() in raw]


async def test_channels_never_show_their_secrets(client: httpx.AsyncClient, schedule: str) -> None:
    for spec in (WEBHOOK, SLACK, EMAIL):
        answer = await client.post("/notification-channels", json=spec)
        assert answer.status_code == 201, answer.text
        assert answer.json()["has_secret"] is True
        assert not any(secret in answer.text for secret in SECRETS)
    listing = await client.get("/notification-channels")
    assert [c["name"] for c in listing.json()["items"]] == ["chat", "hook", "mail"]
    assert not any(secret in listing.text for secret in SECRETS)
    chat = (await client.get("/notification-channels/chat")).json()
    assert chat["config"]["url_host"] == "hooks.example.com"
    mail = (await client.get("/notification-channels/mail")).json()
    assert mail["config"]["recipients"] == ["oncall@example.com"] and mail["config"]["password"] == "***"

    # PUT without the secret keeps it; with another name it is refused; a duplicate is a conflict
    changed = await client.put(
        "/notification-channels/hook", json={**WEBHOOK, "secret": None, "url": "http://127.0.0.1:9/b"}
    )
    assert changed.status_code == 200 and changed.json()["has_secret"] is True
    assert changed.json()["config"]["url"] == "http://127.0.0.1:9/b"
    wrong = await client.put("/notification-channels/hook", json={**WEBHOOK, "name": "other"})
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "name"
    assert (await client.post("/notification-channels", json=WEBHOOK)).status_code == 409
    bad = await client.post("/notification-channels", json={**WEBHOOK, "name": "x", "url": "ftp://host/x"})
    assert bad.status_code == 422
    assert (
        await client.post("/notification-channels", json={**EMAIL, "name": "y", "recipients": []})
    ).status_code == 422

    # a channel in use cannot go
    patched = await client.patch(
        f"/schedules/{schedule}/alerts/monitoring-alert", json={"channels": ["hook"]}
    )
    assert patched.status_code == 200
    refused = await client.delete("/notification-channels/hook")
    assert refused.status_code == 409 and "hourly/monitoring-alert" in refused.json()["error"]["message"]
    await client.patch(f"/schedules/{schedule}/alerts/monitoring-alert", json={"channels": []})
    assert (await client.delete("/notification-channels/hook")).status_code == 204
    assert (await client.get("/notification-channels/hook")).status_code == 404


async def test_monitoring_alert_routes_and_history(
    client: httpx.AsyncClient, db: Database, schedule: str
) -> None:
    listing = await client.get(f"/schedules/{schedule}/alerts")
    assert listing.status_code == 200
    ((alert,),) = [listing.json()["items"]]
    assert (
        alert["name"],
        alert["alert_status"],
        alert["datapoints_to_alert"],
        alert["evaluation_period"],
    ) == (
        "monitoring-alert",
        "OK",
        1,
        1,
    )
    too_many = await client.patch(
        f"/schedules/{schedule}/alerts/monitoring-alert", json={"datapoints_to_alert": 2}
    )
    assert (
        too_many.status_code == 422
        and too_many.json()["error"]["fields"][0]["field"] == "datapoints_to_alert"
    )
    assert (await client.patch(f"/schedules/{schedule}/alerts/other", json={})).status_code == 404
    assert (await client.get("/schedules/nope/alerts")).status_code == 404
    updated = await client.patch(
        f"/schedules/{schedule}/alerts/monitoring-alert",
        json={"datapoints_to_alert": 2, "evaluation_period": 2, "reminder_seconds": 3600},
    )
    assert updated.status_code == 200 and updated.json()["reminder_seconds"] == 3600

    _finish(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 1, 0.5)
    execution = _finish(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 2, 0.6)
    described = (await client.get(f"/schedules/{schedule}/alerts/monitoring-alert")).json()
    assert described["alert_status"] == "InAlert"
    history = await client.get("/alert-history", params={"schedule_name": schedule, "event": "StateChange"})
    ((line,),) = [history.json()["items"]]
    assert (line["source"], line["name"], line["status"], line["previous_status"], line["execution_id"]) == (
        "MonitoringAlert",
        "monitoring-alert",
        "InAlert",
        "OK",
        execution,
    )
    none = await client.get("/alert-history", params={"status": "OK", "event": "StateChange"})
    assert none.json()["items"] == []
    assert (await client.get("/alert-history", params={"status": "Broken"})).status_code == 422
    cleared = await client.patch(
        f"/schedules/{schedule}/alerts/monitoring-alert", json={"reminder_seconds": None}
    )
    assert cleared.json()["reminder_seconds"] is None and cleared.json()["evaluation_period"] == 2


async def test_metric_alarm_routes_and_statistics(
    client: httpx.AsyncClient, db: Database, schedule: str
) -> None:
    spec = {
        "name": "drift-age",
        "metric_name": "feature_baseline_drift_age",
        "schedule_name": schedule,
        "comparison": "GreaterThanOrEqualToThreshold",
        "threshold": 0.5,
        "evaluation_periods": 2,
    }
    created = await client.post("/alarms", json=spec)
    assert created.status_code == 201, created.text
    assert (created.json()["state"], created.json()["datapoints_to_alarm"]) == ("INSUFFICIENT_DATA", 2)
    assert (await client.post("/alarms", json=spec)).status_code == 409
    for bad in (
        {"schedule_name": None},
        {"period_seconds": 30},
        {"datapoints_to_alarm": 3},
        {"comparison": "Equal"},
    ):
        assert (await client.post("/alarms", json={**spec, "name": "x", **bad})).status_code == 422, bad

    _finish(db, schedule, ExecutionStatus.COMPLETED, 1, 0.5)
    _finish(db, schedule, ExecutionStatus.COMPLETED, 2, 0.7)
    alarm = (await client.get("/alarms/drift-age")).json()
    assert alarm["state"] == "ALARM" and alarm["state_reason"].startswith("2 of 2 datapoint(s)")
    in_alarm = await client.get("/alarms", params={"state": "ALARM", "schedule_name": schedule})
    assert [a["name"] for a in in_alarm.json()["items"]] == ["drift-age"]
    assert (await client.get("/alarms", params={"name_prefix": "zz"})).json()["items"] == []

    changed = await client.patch("/alarms/drift-age", json={"threshold": 0.6, "evaluation_periods": 1})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["threshold"], changed.json()["datapoints_to_alarm"]) == (0.6, 1)
    assert changed.json()["state"] == "INSUFFICIENT_DATA"  # evaluated again now: no data since 2021
    assert (await client.patch("/alarms/drift-age", json={"name": "other"})).status_code == 422
    assert (await client.patch("/alarms/nope", json={})).status_code == 404

    stats = await client.get(
        "/metric-statistics",
        params={
            "metric_name": "feature_baseline_drift_age",
            "schedule_name": schedule,
            "start": (PAST - HOUR).isoformat(),
            "end": (PAST + 3 * HOUR).isoformat(),
            "period": 7200,
        },
    )
    assert stats.status_code == 200, stats.text
    points = stats.json()["datapoints"]
    assert [(p["timestamp"], p["sample_count"], p["minimum"], p["maximum"]) for p in points] == [
        ("2021-06-01T10:00:00Z", 2, 0.5, 0.7)
    ]
    assert (points[0]["sum"], points[0]["average"]) == (pytest.approx(1.2), pytest.approx(0.6))
    no_scope = await client.get(
        "/metric-statistics",
        params={"metric_name": "m", "start": PAST.isoformat(), "end": (PAST + HOUR).isoformat()},
    )
    assert no_scope.status_code == 422

    history = await client.get("/alert-history", params={"source": "MetricAlarm", "sort_order": "Ascending"})
    assert [(h["previous_status"], h["status"]) for h in history.json()["items"]] == [
        ("INSUFFICIENT_DATA", "OK"),
        ("OK", "ALARM"),
        ("ALARM", "INSUFFICIENT_DATA"),
    ]
    assert (await client.delete("/alarms/drift-age")).status_code == 204
    assert (await client.get("/alarms/drift-age")).status_code == 404
    assert len((await client.get("/alert-history", params={"name": "drift-age"})).json()["items"]) == 3


# -- the CLI over a real server -------------------------------------------------------------------


@pytest.fixture
def served(db: Database, schedule: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A uvicorn server over ``db`` on a free loopback port, in a thread; MODELWATCH_URL points at it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.02)
    monkeypatch.setenv("MODELWATCH_URL", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("MODELWATCH_TOKEN", raising=False)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_the_alerts_cli(served: str, db: Database, tmp_path: Path) -> None:
    runner = CliRunner()

    def cli(command: str, code: int = 0) -> Result:
        result = runner.invoke(app, shlex.split(command))
        assert result.exit_code == code, (command, result.stdout, result.stderr, result.exception)
        return result

    spec = tmp_path / "hook.json"
    spec.write_text(json.dumps(WEBHOOK))
    created = json.loads(cli(f"channels create --file {spec} --json").stdout)
    assert created["has_secret"] is True and "hmac-key-1" not in json.dumps(created)
    described = cli("channels describe hook --json").stdout
    assert json.loads(described)["config"]["secret"] == "***" and "hmac-key-1" not in described
    assert "hmac-key-1" not in cli("channels describe hook").stdout
    assert "hook" in cli("channels list").stdout

    updated = cli(
        "alerts update hourly --datapoints 2 --evaluation-period 3 --channel hook --reminder 4h"
    ).stdout
    assert updated.strip() == "alert monitoring-alert of hourly: OK (2 of 3)"
    (alert,) = json.loads(cli("alerts list hourly --json").stdout)["items"]
    assert (alert["channels"], alert["reminder_seconds"]) == (["hook"], 4 * 3600)

    alarm = json.loads(
        cli(
            "alarms create --name drift --metric feature_baseline_drift_age --schedule hourly "
            "--comparison GreaterThanThreshold --threshold 0.3 --period 30m --evaluation-periods 3 "
            "--datapoints 2 --channel hook --json"
        ).stdout
    )
    assert (alarm["state"], alarm["period_seconds"], alarm["datapoints_to_alarm"]) == (
        "INSUFFICIENT_DATA",
        1800,
        2,
    )
    assert "drift" in cli("alarms list").stdout
    listed = json.loads(cli("alarms list --state INSUFFICIENT_DATA --json").stdout)["items"]
    assert [a["name"] for a in listed] == ["drift"]
    assert (
        json.loads(cli("alarms update drift --threshold 0.5 --no-reminder --json").stdout)["threshold"] == 0.5
    )

    _finish(db, "hourly", ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 1, 0.4)
    _finish(db, "hourly", ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 2, 0.8)
    history = json.loads(
        cli("alerts history --schedule hourly --source MonitoringAlert --event StateChange --json").stdout
    )["items"]
    assert [(h["source"], h["status"]) for h in history] == [("MonitoringAlert", "InAlert")]
    statistics = json.loads(
        cli(
            "alerts statistics feature_baseline_drift_age --schedule hourly --period 1d "
            "--start 2021-05-31T00:00:00Z --end 2021-06-02T00:00:00Z --json"
        ).stdout
    )["datapoints"]
    assert [(p["timestamp"], p["sample_count"], p["maximum"]) for p in statistics] == [
        ("2021-06-01T00:00:00Z", 2, 0.8)
    ]

    refused = cli("channels delete hook", code=1)
    assert "is used by" in refused.stderr
    cli("alarms delete drift")
    cli("alerts update hourly --no-channels")
    cli("channels delete hook")
    assert cli("alarms describe drift", code=1).stderr.strip().startswith("error: metric alarm 'drift'")
