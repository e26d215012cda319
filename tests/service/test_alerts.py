"""Monitoring alerts and their notifications, end to end against a real local HTTP receiver and a real
local SMTP server (aiosmtpd), on SQLite and PostgreSQL: DatapointsToAlert of EvaluationPeriod, one
notification per state change, reminders, recovery, retries with backoff, HMAC signatures, and every
attempt in the alert history. The clock is injected; nothing sleeps."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography.fernet import Fernet

from modelwatch.errors import NotFoundError, ValidationError
from modelwatch.service import alerting, alerts, channels, endpoints, executions, notifications, schedules
from modelwatch.service.alerts import AlertStatus, MonitoringAlertUpdate
from modelwatch.service.channels import EmailChannelSpec, SlackChannelSpec, SmtpSecurity, WebhookChannelSpec
from modelwatch.service.db import Database
from modelwatch.service.models import Notification
from modelwatch.service.notifications import EventKind, Outcome, Source, deliver_due, list_history
from modelwatch.service.schemas import EndpointSpec, ExecutionStatus, ScheduleSpec
from modelwatch.settings import get_settings

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
SECRET = "s3cret-key"


# -- a real HTTP receiver and a real SMTP server --------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers ``statuses[path]`` (200) with
    ``bodies[path]`` (``no`` or ``ok``)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, bytes] = field(default_factory=dict)

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
            status = state.statuses.get(self.path, 200)
            answer = state.bodies.get(self.path, b"no" if status >= 400 else b"ok")
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class Mailbox:
    host: str
    port: int
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """aiosmtpd on 127.0.0.1: accepts AUTH (LOGIN/PLAIN) without TLS for user ``ops`` / ``pw``."""
    box = Mailbox("127.0.0.1", _free_port())

    class Handler:
        async def handle_DATA(self, _server: object, _session: object, envelope: Any) -> str:
            box.messages.append(
                (envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content))
            )
            return "250 OK"

    def authenticate(
        _server: object, _session: object, _envelope: object, _mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        login, password = (v.decode() if isinstance(v, bytes) else v for v in (data.login, data.password))
        box.logins.append((login, password))
        return AuthResult(success=(login, password) == ("ops", "pw"), handled=False)  # handled: 535 sent

    controller = Controller(
        Handler(), hostname=box.host, port=box.port, authenticator=authenticate, auth_require_tls=False
    )
    controller.start()
    yield box
    controller.stop()


# -- service data ---------------------------------------------------------------------------------


@pytest.fixture
def schedule(db: Database) -> str:
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="churn"))
        spec = {
            "name": "hourly",
            "schedule_expression": "cron(0 * ? * * *)",
            "definition": {"endpoint_input": {"endpoint_name": "churn"}},
        }
        schedules.create_schedule(session, ScheduleSpec.model_validate(spec), now=T0 - timedelta(days=1))
    return "hourly"


def _run(db: Database, schedule: str, status: ExecutionStatus, at: datetime) -> int:
    """One execution of ``schedule`` at ``at`` that ends with ``status`` (the hook evaluates the alert)."""
    with db.session() as session:
        view = schedules.run_now(
            session, schedule, window_start=at - timedelta(hours=1), window_end=at, now=at
        )
        violations = 3 if status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS else 0
        executions.finish_execution(session, view.id, status, violation_count=violations, now=at)
    return view.id


def _status(db: Database, schedule: str) -> AlertStatus:
    with db.session(write=False) as session:
        return alerts.describe_alert(session, schedule, alerts.DEFAULT_ALERT_NAME).alert_status


def _channels(db: Database, receiver: Receiver, mailbox: Mailbox) -> None:
    with db.session() as session:
        channels.create_channel(
            session, WebhookChannelSpec(name="hook", url=f"{receiver.url}/hook", secret=SECRET)
        )
        channels.create_channel(session, SlackChannelSpec(name="chat", url=f"{receiver.url}/slack"))
        channels.create_channel(
            session,
            EmailChannelSpec(
                name="mail",
                host=mailbox.host,
                port=mailbox.port,
                security=SmtpSecurity.NONE,
                username="ops",
                password="pw",
                sender="modelwatch@example.com",
                recipients=["oncall@example.com", "ml@example.com"],
            ),
        )


def _verify(received: Received) -> dict[str, Any]:
    """The webhook body, once its signature checks out (computed here with hmac/hashlib)."""
    expected = "sha256=" + hmac.new(SECRET.encode(), received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(received.headers["X-Modelwatch-Signature"], expected)
    assert received.headers["Content-Type"] == "application/json"
    body: dict[str, Any] = received.json()
    assert received.headers["X-Modelwatch-Delivery"] == str(body["notification_id"])
    return body


# -- the scenario ---------------------------------------------------------------------------------


def test_two_of_three_goes_in_alert_notifies_once_reminds_and_recovers(
    db: Database, schedule: str, receiver: Receiver, smtp_server: Mailbox
) -> None:
    _channels(db, receiver, smtp_server)
    with db.session() as session:
        view = alerts.update_alert(
            session,
            schedule,
            "monitoring-alert",
            MonitoringAlertUpdate(
                datapoints_to_alert=2,
                evaluation_period=3,
                channels=["hook", "chat", "mail"],
                reminder_seconds=3600,
            ),
            now=T0,
        )
    assert (view.datapoints_to_alert, view.evaluation_period, view.alert_status) == (2, 3, AlertStatus.OK)

    hour = timedelta(hours=1)
    first = _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0 + hour)
    assert _status(db, schedule) == AlertStatus.OK  # one violating execution of two needed
    _run(db, schedule, ExecutionStatus.COMPLETED, T0 + 2 * hour)
    _run(db, schedule, ExecutionStatus.FAILED, T0 + 3 * hour)  # no verdict: skipped
    assert _status(db, schedule) == AlertStatus.OK
    assert deliver_due(db, now=T0 + 3 * hour).attempted == 0

    second = _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0 + 4 * hour)
    assert second != first
    assert _status(db, schedule) == AlertStatus.IN_ALERT
    report = deliver_due(db, now=T0 + 4 * hour)
    assert (report.attempted, report.delivered) == (3, 3)

    (hook,) = receiver.on("/hook")
    body = _verify(hook)
    assert body["source"] == "MonitoringAlert" and body["event"] == "StateChange"
    assert (body["name"], body["schedule_name"], body["endpoint_name"]) == (
        "monitoring-alert",
        "hourly",
        "churn",
    )
    assert (body["state"], body["previous_state"], body["execution_id"]) == ("InAlert", "OK", second)
    assert body["reason"].startswith("2 of the last 3 executions found violations")
    (slack,) = receiver.on("/slack")
    assert set(slack.json()) == {"text"} and slack.json()["text"].startswith("InAlert: monitoring alert")
    assert "X-Modelwatch-Signature" not in slack.headers
    ((sender, recipients, email),) = smtp_server.messages
    assert (sender, recipients) == ("modelwatch@example.com", ["oncall@example.com", "ml@example.com"])
    assert email["Subject"].startswith("[modelwatch] InAlert: monitoring alert monitoring-alert")
    assert "2 of the last 3 executions" in email.get_payload()
    assert smtp_server.logins == [("ops", "pw")]

    # still in alert: no second notification; a reminder only once the interval has passed
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0 + 5 * hour)
    alerting.on_tick(db, T0 + 4 * hour + timedelta(minutes=59), deliver=False)
    assert deliver_due(db, now=T0 + 5 * hour).attempted == 0
    alerting.on_tick(db, T0 + 5 * hour + timedelta(minutes=1), deliver=False)
    assert deliver_due(db, now=T0 + 5 * hour + timedelta(minutes=1)).delivered == 3
    reminder = _verify(receiver.on("/hook")[-1])
    assert (reminder["event"], reminder["state"]) == ("Reminder", "InAlert")
    assert receiver.on("/slack")[-1].json()["text"].startswith("Still InAlert")
    alerting.on_tick(db, T0 + 5 * hour + timedelta(minutes=30), deliver=False)  # counted from the reminder
    assert deliver_due(db, now=T0 + 6 * hour).attempted == 0

    # recovery: two clean executions leave one violation in the last three
    _run(db, schedule, ExecutionStatus.COMPLETED, T0 + 6 * hour)
    assert _status(db, schedule) == AlertStatus.IN_ALERT
    _run(db, schedule, ExecutionStatus.COMPLETED, T0 + 7 * hour)
    assert _status(db, schedule) == AlertStatus.OK
    assert deliver_due(db, now=T0 + 7 * hour).delivered == 3
    ok = _verify(receiver.on("/hook")[-1])
    assert (ok["event"], ok["state"], ok["previous_state"]) == ("StateChange", "OK", "InAlert")
    assert len(receiver.on("/hook")) == 3 and len(smtp_server.messages) == 3
    alerting.on_tick(db, T0 + 12 * hour, deliver=False)  # no reminders while OK
    assert deliver_due(db, now=T0 + 12 * hour).attempted == 0

    with db.session(write=False) as session:
        changes = list_history(
            session, source=Source.MONITORING_ALERT, event=EventKind.STATE_CHANGE, sort_order="Ascending"
        )
        attempts = list_history(session, event=EventKind.NOTIFICATION_ATTEMPT, max_results=100).items
    assert [(c.previous_status, c.status, c.created_at) for c in changes.items] == [
        ("OK", "InAlert", T0 + 4 * hour),
        ("InAlert", "OK", T0 + 7 * hour),
    ]
    assert len(attempts) == 9
    assert {(a.channel_name, a.outcome, a.attempt) for a in attempts} == {
        (name, Outcome.DELIVERED, 1) for name in ("hook", "chat", "mail")
    }


def test_a_failing_receiver_is_retried_with_backoff_and_the_failure_recorded(
    db: Database, schedule: str, receiver: Receiver
) -> None:
    receiver.statuses["/down"] = 500
    with db.session() as session:
        channels.create_channel(
            session,
            WebhookChannelSpec(name="down", url=f"{receiver.url}/down", max_attempts=4, retry_seconds=10),
        )
        channels.create_channel(session, WebhookChannelSpec(name="up", url=f"{receiver.url}/up"))
        alerts.update_alert(
            session, schedule, "monitoring-alert", MonitoringAlertUpdate(channels=["down", "up"]), now=T0
        )
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0)
    assert _status(db, schedule) == AlertStatus.IN_ALERT  # a failing channel does not hold the state back

    first = deliver_due(db, now=T0)
    assert (first.attempted, first.delivered, first.retrying) == (2, 1, 1)
    waits = [timedelta(seconds=s) for s in (0, 10, 20, 40)]  # retry_seconds · 2^(attempt-1)
    moment = T0
    for attempt, wait in enumerate(waits[1:], start=2):
        assert deliver_due(db, now=moment + wait - timedelta(seconds=1)).attempted == 0  # not yet due
        moment += wait
        report = deliver_due(db, now=moment)
        assert report.attempted == 1, attempt
    assert report.failed == 1
    assert deliver_due(db, now=moment + timedelta(days=1)).attempted == 0  # given up
    assert len(receiver.on("/down")) == 4 and len(receiver.on("/up")) == 1

    with db.session(write=False) as session:
        lines = list_history(session, event=EventKind.NOTIFICATION_ATTEMPT, sort_order="Ascending").items
        row = session.scalar(sa.select(Notification).where(Notification.channel_name == "down"))
    down = [line for line in lines if line.channel_name == "down"]
    assert [(d.attempt, d.outcome) for d in down] == [
        (1, Outcome.RETRYING),
        (2, Outcome.RETRYING),
        (3, Outcome.RETRYING),
        (4, Outcome.FAILED),
    ]
    assert all(d.error == "HTTP 500 Internal Server Error" for d in down)
    assert [d.created_at - T0 for d in down] == [
        timedelta(0),
        *(sum(waits[1 : i + 1], timedelta()) for i in range(1, 4)),
    ]
    assert all(
        (d.status, d.schedule_name, d.source) == ("InAlert", "hourly", Source.MONITORING_ALERT) for d in down
    )
    assert row is not None and (row.status, row.attempts, row.last_error) == (
        "Failed",
        4,
        "HTTP 500 Internal Server Error",
    )


def test_client_errors_and_missing_channels_fail_at_once(
    db: Database, schedule: str, receiver: Receiver
) -> None:
    receiver.statuses["/gone"] = 404
    with db.session() as session:
        channels.create_channel(session, WebhookChannelSpec(name="gone", url=f"{receiver.url}/gone"))
        channels.create_channel(
            session, WebhookChannelSpec(name="off", url=f"{receiver.url}/off", enabled=False)
        )
        channels.create_channel(
            session, WebhookChannelSpec(name="closed", url=f"http://127.0.0.1:{_free_port()}/x")
        )
        alerts.update_alert(
            session,
            schedule,
            "monitoring-alert",
            MonitoringAlertUpdate(channels=["gone", "off", "closed", "nope"]),
            now=T0,
        )
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0)
    report = deliver_due(db, now=T0)
    assert (report.attempted, report.failed, report.retrying) == (4, 3, 1)
    with db.session(write=False) as session:
        lines = {
            line.channel_name: line
            for line in list_history(session, event=EventKind.NOTIFICATION_ATTEMPT).items
        }
    assert lines["gone"].error == "HTTP 404 Not Found"
    assert lines["off"].error == "notification channel 'off' is disabled"
    assert lines["nope"].error == "notification channel 'nope' does not exist"
    assert lines["closed"].outcome == Outcome.RETRYING and "cannot reach 127.0.0.1" in (
        lines["closed"].error or ""
    )
    assert not receiver.on("/off")


def test_the_history_keeps_a_status_and_a_short_reason_never_the_answer_body(
    db: Database, schedule: str, receiver: Receiver
) -> None:
    marker = "BODY-MARKER-7f3a"
    receiver.statuses["/down"] = 500
    receiver.bodies["/down"] = f"<html>{marker} token=hunter2 {'x' * 5000}</html>".encode()
    with db.session() as session:
        channels.create_channel(
            session, WebhookChannelSpec(name="down", url=f"{receiver.url}/down", max_attempts=1)
        )
        alerts.update_alert(
            session, schedule, "monitoring-alert", MonitoringAlertUpdate(channels=["down"]), now=T0
        )
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0)
    assert deliver_due(db, now=T0).failed == 1
    assert len(receiver.on("/down")) == 1

    with db.session(write=False) as session:
        lines = list_history(session, event=EventKind.NOTIFICATION_ATTEMPT).items
        stored = session.scalars(sa.select(Notification.last_error)).all()
        every_text = json.dumps(
            [[str(v) for v in row] for row in session.execute(sa.text("SELECT * FROM alert_history"))]
        )
    assert [line.error for line in lines] == ["HTTP 500 Internal Server Error"]
    assert stored == ["HTTP 500 Internal Server Error"]
    assert marker not in every_text and "hunter2" not in every_text


def test_the_sealed_secrets_reach_the_receiver(db: Database, schedule: str, receiver: Receiver) -> None:
    url = receiver.url.replace("http://", "http://ops:p%40ss-1@") + "/creds?api_key=qk-1"
    with db.session() as session:
        channels.create_channel(
            session,
            WebhookChannelSpec(name="creds", url=url, headers={"X-Api-Key": "hdr-1"}, secret=SECRET),
        )
        shown = channels.describe_channel(session, "creds").config
        alerts.update_alert(
            session, schedule, "monitoring-alert", MonitoringAlertUpdate(channels=["creds"]), now=T0
        )
    assert shown["url"].startswith("http://***:***@127.0.0.1:") and shown["url"].endswith("?api_key=***")
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0)
    assert deliver_due(db, now=T0).delivered == 1
    (received,) = receiver.on("/creds?api_key=qk-1")
    _verify(received)
    assert received.headers["X-Api-Key"] == "hdr-1"
    assert received.headers["Authorization"] == "Basic " + base64.b64encode(b"ops:p@ss-1").decode()


def test_a_key_that_cannot_open_the_secrets_fails_the_delivery_with_one_clear_reason(
    db: Database, schedule: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELWATCH_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    with db.session() as session:
        channels.create_channel(
            session, WebhookChannelSpec(name="hook", url=f"{receiver.url}/hook", secret=SECRET)
        )
        alerts.update_alert(
            session, schedule, "monitoring-alert", MonitoringAlertUpdate(channels=["hook"]), now=T0
        )
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0)
    monkeypatch.setenv("MODELWATCH_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    assert deliver_due(db, now=T0).failed == 1
    with db.session(write=False) as session:
        (line,) = list_history(session, event=EventKind.NOTIFICATION_ATTEMPT).items
    assert line.outcome == Outcome.FAILED and not receiver.on("/hook")
    assert (line.error or "").startswith(
        "cannot decrypt the secrets of notification channel 'hook' with the key from MODELWATCH_SECRET_KEY"
    )


def test_smtp_refusals(db: Database, schedule: str, smtp_server: Mailbox) -> None:
    def mail(name: str, password: str, **extra: Any) -> EmailChannelSpec:
        settings = {
            "name": name,
            "host": smtp_server.host,
            "port": smtp_server.port,
            "security": SmtpSecurity.NONE,
            "username": "ops",
            "password": password,
            "sender": "mw@example.com",
            "recipients": ["a@example.com"],
        }
        return EmailChannelSpec.model_validate({**settings, **extra})

    with db.session() as session:
        channels.create_channel(session, mail("wrong", "nope"))
        channels.create_channel(session, mail("tls", "pw", security=SmtpSecurity.STARTTLS))
        alerts.update_alert(
            session, schedule, "monitoring-alert", MonitoringAlertUpdate(channels=["wrong", "tls"]), now=T0
        )
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0)
    report = deliver_due(db, now=T0)
    assert (report.attempted, report.failed) == (
        2,
        2,
    )  # neither a refused login nor a missing STARTTLS is retried
    with db.session(write=False) as session:
        lines = {
            line.channel_name: line
            for line in list_history(session, event=EventKind.NOTIFICATION_ATTEMPT).items
        }
    assert (lines["wrong"].error or "").startswith("SMTP 127.0.0.1: 535")
    assert "STARTTLS" in (lines["tls"].error or "")
    assert smtp_server.messages == []


def test_a_stale_claim_is_taken_again_and_a_claim_is_taken_once(
    db: Database, schedule: str, receiver: Receiver
) -> None:
    with db.session() as session:
        channels.create_channel(session, WebhookChannelSpec(name="hook", url=f"{receiver.url}/hook"))
        alerts.update_alert(
            session, schedule, "monitoring-alert", MonitoringAlertUpdate(channels=["hook"]), now=T0
        )
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0)
    with db.session() as session:  # a sender claimed it, then died
        session.execute(sa.update(Notification).values(status="Sending", claimed_at=T0))
    assert deliver_due(db, now=T0 + timedelta(minutes=5)).attempted == 0
    assert deliver_due(db, now=T0 + notifications.STALE_CLAIM + timedelta(seconds=1)).delivered == 1
    assert len(receiver.on("/hook")) == 1


def test_the_delivery_thread_sends_off_the_callers_path(
    db: Database, schedule: str, receiver: Receiver
) -> None:
    with db.session() as session:
        channels.create_channel(session, WebhookChannelSpec(name="hook", url=f"{receiver.url}/hook"))
        alerts.update_alert(session, schedule, "monitoring-alert", MonitoringAlertUpdate(channels=["hook"]))
    now = datetime.now(UTC).replace(microsecond=0)
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, now - timedelta(seconds=1))
    assert receiver.on("/hook") == []  # finishing the execution sent nothing itself
    alerting.on_tick(db, now)
    assert alerting.wait_for_delivery(db, timeout=20)
    assert [r.json()["state"] for r in receiver.on("/hook")] == ["InAlert"]


def test_alert_rules_are_checked_and_a_failing_evaluation_never_loses_the_outcome(
    db: Database, schedule: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with db.session() as session:
        with pytest.raises(ValidationError) as error:
            alerts.update_alert(
                session, schedule, "monitoring-alert", MonitoringAlertUpdate(datapoints_to_alert=2)
            )
        assert error.value.field == "datapoints_to_alert"
    with db.session() as session, pytest.raises(NotFoundError, match="monitoring alert 'hourly/other'"):
        alerts.update_alert(session, schedule, "other", MonitoringAlertUpdate(evaluation_period=2))
    with db.session() as session, pytest.raises(NotFoundError, match="monitoring schedule 'nope'"):
        alerts.list_alerts(session, "nope")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(alerts, "evaluate_schedule_alert", broken)
    execution = _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0)
    with db.session(write=False) as session:
        assert (
            executions.describe_execution(session, execution).status
            == ExecutionStatus.COMPLETED_WITH_VIOLATIONS
        )
    assert "cannot evaluate the alerts of execution" in caplog.text
    monkeypatch.undo()
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0 + timedelta(hours=1))
    assert _status(db, schedule) == AlertStatus.IN_ALERT


def test_default_alert_reads_before_any_row_and_sagemaker_shape(db: Database, schedule: str) -> None:
    with db.session(write=False) as session:
        (view,) = alerts.list_alerts(session, schedule).items
    assert (view.name, view.alert_status, view.datapoints_to_alert, view.evaluation_period) == (
        "monitoring-alert",
        AlertStatus.OK,
        1,
        1,
    )
    summary = alerts.sagemaker_summary(view)
    assert set(summary) == {
        "MonitoringAlertName",
        "CreationTime",
        "LastModifiedTime",
        "AlertStatus",
        "DatapointsToAlert",
        "EvaluationPeriod",
        "Actions",
    }
    assert summary["Actions"] == {"ModelDashboardIndicator": {"Enabled": True}}
    with db.session() as session:  # the alert goes with its schedule; its history stays
        _ = alerts.update_alert(
            session, schedule, "monitoring-alert", MonitoringAlertUpdate(evaluation_period=2), now=T0
        )
    _run(db, schedule, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, T0)
    with db.session() as session:
        schedules.delete_schedule(session, schedule)
    with db.session(write=False) as session:
        assert [line.status for line in list_history(session, schedule_name=schedule).items] == ["InAlert"]
