"""SigV4 on the SageMaker API, with real boto3 clients against a real server: known keys and their
scopes, wrong secrets and unknown keys, session tokens, any region, a path prefix, clock skew, tampered
bodies, and open mode (no key: this machine only).

The operations used are two test-only ones registered here (``ListModels``, read; ``DeleteModel``,
write; and the Logs ``ListTagsLogGroup``), so that authentication is tested apart from the resources.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from sagemaker_bodies import data_quality, schedule_config
from starlette.requests import Request

from modelwatch.sagemaker_api import auth
from modelwatch.sagemaker_api.errors import AccessDenied, InvalidSignature
from modelwatch.sagemaker_api.registry import OPERATIONS, Context, load_operations, operation
from modelwatch.sagemaker_api.wire import required
from modelwatch.service import access_keys, tokens
from modelwatch.service.db import Database
from modelwatch.settings import get_settings

ClientFactory = Callable[..., Any]
PROBES = ("SageMaker.ListModels", "SageMaker.DeleteModel", "Logs_20140328.ListTagsLogGroup")


@pytest.fixture(autouse=True)
def probes() -> Iterator[list[str]]:
    """Test-only operations; yields the names that ``DeleteModel`` was called with."""
    load_operations()  # the real modules first, so that none of them registers after these
    deleted: list[str] = []

    @operation("ListModels", read=True)
    def list_models(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
        name = ctx.key_name or "open-mode"
        return {"Models": [{"ModelName": name, "ModelArn": ctx.arn("model", "probe"), "CreationTime": 0}]}

    @operation("DeleteModel")
    def delete_model(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
        deleted.append(required(body, "ModelName", str))
        return {}

    @operation("ListTagsLogGroup", read=True, service="Logs_20140328")
    def list_tags_log_group(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
        return {"tags": {"key": ctx.key_name or "open-mode"}}

    try:
        yield deleted
    finally:
        for target in PROBES:
            OPERATIONS.pop(target, None)


def _create(db: Database, name: str, scope: str) -> tuple[str, str]:
    with db.session() as session:
        info, secret = access_keys.create_access_key(session, name, scope)
    return info.access_key_id, secret


@pytest.fixture
def admin(db: Database) -> tuple[str, str]:
    return _create(db, "admin-key", "admin")


@pytest.fixture
def reader(db: Database) -> tuple[str, str]:
    return _create(db, "read-key", "read")


def _error(call: Callable[[], object]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


def _model(answer: dict[str, Any]) -> dict[str, Any]:
    models: list[dict[str, Any]] = answer["Models"]
    assert len(models) == 1
    return models[0]


# --- signed requests -----------------------------------------------------------------------------------


def test_an_admin_key_may_read_and_write(
    sagemaker_client: ClientFactory, admin: tuple[str, str], probes: list[str]
) -> None:
    client = sagemaker_client(key=admin[0], secret=admin[1])
    assert _model(client.list_models())["ModelName"] == "admin-key"
    client.delete_model(ModelName="churn")
    assert probes == ["churn"]


def test_a_wrong_secret_is_an_invalid_signature(
    sagemaker_client: ClientFactory, admin: tuple[str, str], probes: list[str]
) -> None:
    client = sagemaker_client(key=admin[0], secret=admin[1][:-1] + ("A" if admin[1][-1] != "A" else "B"))
    status, code, message = _error(client.list_models)
    assert (status, code) == (403, "InvalidSignatureException")
    assert "signature we calculated does not match" in message
    assert _error(lambda: client.delete_model(ModelName="churn"))[:2] == (403, "InvalidSignatureException")
    assert probes == []


def test_an_unknown_key_is_an_unrecognized_client(
    sagemaker_client: ClientFactory, admin: tuple[str, str]
) -> None:
    client = sagemaker_client(key="AKIAUNKNOWNUNKNOWN00", secret=admin[1])
    status, code, message = _error(client.list_models)
    assert (status, code) == (403, "UnrecognizedClientException")
    assert message == "The security token included in the request is invalid."


def test_a_read_key_may_read_but_not_write(
    sagemaker_client: ClientFactory, admin: tuple[str, str], reader: tuple[str, str], probes: list[str]
) -> None:
    client = sagemaker_client(key=reader[0], secret=reader[1])
    assert _model(client.list_models())["ModelName"] == "read-key"
    status, code, message = _error(lambda: client.delete_model(ModelName="churn"))
    assert (status, code) == (403, "AccessDeniedException")
    assert "'read-key' has scope read" in message and "SageMaker.DeleteModel" in message
    assert probes == []


def test_a_session_token_is_accepted_and_signed(
    sagemaker_client: ClientFactory, admin: tuple[str, str]
) -> None:
    client = sagemaker_client(key=admin[0], secret=admin[1], token="FwoGZXIvYXdzEAnything")
    assert _model(client.list_models())["ModelName"] == "admin-key"


def test_any_region_works_and_names_the_arns(
    sagemaker_client: ClientFactory, admin: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sagemaker_client(key=admin[0], secret=admin[1], region="ap-southeast-2")
    assert (
        _model(client.list_models())["ModelArn"]
        == "arn:aws:sagemaker:ap-southeast-2:000000000000:model/probe"
    )
    monkeypatch.setenv("MODELWATCH_AWS_ACCOUNT_ID", "123456789012")
    get_settings.cache_clear()
    client = sagemaker_client(key=admin[0], secret=admin[1], region="us-gov-west-1")
    assert (
        _model(client.list_models())["ModelArn"] == "arn:aws:sagemaker:us-gov-west-1:123456789012:model/probe"
    )


def test_a_path_prefix_is_signed_as_sent(sagemaker_client: ClientFactory, admin: tuple[str, str]) -> None:
    client = sagemaker_client(key=admin[0], secret=admin[1], path="/aws")
    assert _model(client.list_models())["ModelName"] == "admin-key"
    nested = sagemaker_client(key=admin[0], secret=admin[1], path="/aws/sagemaker/")
    assert _model(nested.list_models())["ModelName"] == "admin-key"


@pytest.mark.parametrize("minutes", [-10, 10])
def test_a_request_signed_ten_minutes_away_is_expired(
    sagemaker_client: ClientFactory, admin: tuple[str, str], minutes: int
) -> None:
    client = sagemaker_client(key=admin[0], secret=admin[1])
    skewed = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=minutes)
    with mock.patch("botocore.auth.get_current_datetime", return_value=skewed):
        status, code, message = _error(client.list_models)
    assert (status, code) == (403, "InvalidSignatureException")
    assert message.startswith("Signature expired")


def test_a_request_signed_two_minutes_away_is_accepted(
    sagemaker_client: ClientFactory, admin: tuple[str, str]
) -> None:
    client = sagemaker_client(key=admin[0], secret=admin[1])
    skewed = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=2)
    with mock.patch("botocore.auth.get_current_datetime", return_value=skewed):
        assert _model(client.list_models())["ModelName"] == "admin-key"


def test_a_body_changed_after_signing_is_an_invalid_signature(
    sagemaker_client: ClientFactory, admin: tuple[str, str], probes: list[str]
) -> None:
    client = sagemaker_client(key=admin[0], secret=admin[1])

    def tamper(request: Any, **_: Any) -> None:
        request.body = request.body.replace(b"harmless", b"precious")

    client.meta.events.register("before-send.sagemaker.DeleteModel", tamper)
    assert _error(lambda: client.delete_model(ModelName="harmless"))[:2] == (403, "InvalidSignatureException")
    assert probes == []


def test_the_logs_service_is_signed_for_logs(sagemaker_client: ClientFactory, admin: tuple[str, str]) -> None:
    logs = sagemaker_client(key=admin[0], secret=admin[1], service="logs")
    assert logs.list_tags_log_group(logGroupName="/aws/sagemaker/ProcessingJobs")["tags"] == {
        "key": "admin-key"
    }


def test_a_use_is_recorded(sagemaker_client: ClientFactory, admin: tuple[str, str], db: Database) -> None:
    sagemaker_client(key=admin[0], secret=admin[1]).list_models()
    with db.session(write=False) as session:
        (info,) = access_keys.list_access_keys(session)
    assert info.last_used_at is not None


def test_a_deleted_key_is_refused_at_once(
    sagemaker_client: ClientFactory, admin: tuple[str, str], reader: tuple[str, str], db: Database
) -> None:
    client = sagemaker_client(key=admin[0], secret=admin[1])
    client.list_models()
    with db.session() as session:
        access_keys.delete_access_key(session, "admin-key")
    assert _error(client.list_models)[:2] == (403, "UnrecognizedClientException")


# --- the real schedule operations -------------------------------------------------------------------


def test_the_schedule_operations_under_keys_of_both_scopes(
    sagemaker_client: ClientFactory, admin: tuple[str, str], reader: tuple[str, str]
) -> None:
    writer = sagemaker_client(key=admin[0], secret=admin[1], region="ca-central-1")
    writer.create_data_quality_job_definition(**data_quality("dq-1", "churn", "s3://bucket/monitoring"))
    arn = writer.create_monitoring_schedule(
        MonitoringScheduleName="hourly", MonitoringScheduleConfig=schedule_config(definition="dq-1")
    )["MonitoringScheduleArn"]
    assert arn == "arn:aws:sagemaker:ca-central-1:000000000000:monitoring-schedule/hourly"

    looker = sagemaker_client(key=reader[0], secret=reader[1], path="/aws")
    described = looker.describe_monitoring_schedule(MonitoringScheduleName="hourly")
    assert (
        described["MonitoringScheduleArn"]
        == "arn:aws:sagemaker:eu-west-1:000000000000:monitoring-schedule/hourly"
    )
    summaries = looker.list_monitoring_schedules()["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleName"] for s in summaries] == ["hourly"]
    for call in (
        lambda: looker.delete_monitoring_schedule(MonitoringScheduleName="hourly"),
        lambda: looker.stop_monitoring_schedule(MonitoringScheduleName="hourly"),
    ):
        assert _error(call)[:2] == (403, "AccessDeniedException")
    assert looker.describe_monitoring_schedule(MonitoringScheduleName="hourly")[
        "MonitoringScheduleStatus"
    ] == ("Scheduled")
    wrong = sagemaker_client(key=reader[0], secret=admin[1])
    assert _error(lambda: wrong.describe_monitoring_schedule(MonitoringScheduleName="hourly"))[:2] == (
        403,
        "InvalidSignatureException",
    )


# --- requests built by hand ----------------------------------------------------------------------------


def _signed(
    url: str,
    key: tuple[str, str],
    *,
    target: str = "SageMaker.ListModels",
    service: str = "sagemaker",
    token: str | None = None,
) -> AWSRequest:
    request = AWSRequest(
        method="POST",
        url=url,
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
    )
    SigV4Auth(Credentials(key[0], key[1], token), service, "eu-west-1").add_auth(request)
    return request


def _send(request: AWSRequest) -> tuple[int, dict[str, Any]]:
    import json

    prepared = urllib.request.Request(
        request.url, data=request.body, headers=dict(request.headers.items()), method="POST"
    )
    try:
        with urllib.request.urlopen(prepared) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_a_request_signed_by_hand_with_botocore_is_accepted(server: str, admin: tuple[str, str]) -> None:
    status, answer = _send(_signed(server + "/", admin))
    assert status == 200 and answer["Models"][0]["ModelName"] == "admin-key"


def test_a_request_for_another_service_is_an_invalid_signature(server: str, admin: tuple[str, str]) -> None:
    status, answer = _send(_signed(server + "/", admin, service="s3"))
    assert status == 403 and answer["__type"] == "InvalidSignatureException"
    assert "'sagemaker'" in answer["message"]
    status, answer = _send(_signed(server + "/", admin, target="Logs_20140328.ListTagsLogGroup"))
    assert status == 403 and "'logs'" in answer["message"]


def test_a_session_token_header_must_be_signed(server: str, admin: tuple[str, str]) -> None:
    request = _signed(server + "/", admin)
    request.headers["X-Amz-Security-Token"] = "added-after-signing"
    status, answer = _send(request)
    assert status == 403 and answer["__type"] == "InvalidSignatureException"
    assert "x-amz-security-token" in answer["message"]


def test_the_target_header_must_not_change_after_signing(server: str, admin: tuple[str, str]) -> None:
    request = _signed(server + "/", admin)
    request.headers.replace_header("X-Amz-Target", "SageMaker.DeleteModel")
    status, answer = _send(request)
    assert status == 403 and answer["__type"] == "InvalidSignatureException"


@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        (None, "Missing Authentication Token"),
        ("Bearer mw_token", "algorithm"),
        ("AWS4-HMAC-SHA256 Credential=AKIAX/20260101/eu-west-1/sagemaker/aws4_request", "SignedHeaders"),
        (
            "AWS4-HMAC-SHA256 Credential=AKIAX/2026/eu-west-1/sagemaker, SignedHeaders=host, Signature=ab",
            "Credential",
        ),
    ],
)
def test_a_missing_or_malformed_authorization_is_an_incomplete_signature(
    server: str, admin: tuple[str, str], authorization: str | None, says: str
) -> None:
    request = _signed(server + "/", admin)
    del request.headers["Authorization"]
    if authorization is not None:
        request.headers["Authorization"] = authorization
    status, answer = _send(request)
    assert status == 403 and answer["__type"] == "IncompleteSignatureException", answer
    assert says in answer["message"]


# --- open mode -----------------------------------------------------------------------------------------


def test_open_mode_accepts_any_key_pair_from_this_machine(
    sagemaker_client: ClientFactory, probes: list[str]
) -> None:
    client = sagemaker_client(key="AKIAANYTHINGATALL000", secret="whatever", region="eu-central-1")
    model = _model(client.list_models())
    assert model["ModelName"] == "open-mode"
    assert model["ModelArn"] == "arn:aws:sagemaker:eu-central-1:000000000000:model/probe"
    client.delete_model(ModelName="churn")
    assert probes == ["churn"]


def test_open_mode_ends_with_the_first_key(sagemaker_client: ClientFactory, db: Database) -> None:
    client = sagemaker_client(key="AKIAANYTHINGATALL000", secret="whatever")
    client.list_models()
    _create(db, "first", "read")
    assert _error(client.list_models)[:2] == (403, "UnrecognizedClientException")


def test_api_tokens_close_open_mode_too(sagemaker_client: ClientFactory, db: Database) -> None:
    with db.session() as session:
        tokens.create_token(session, "ops", "admin")
    status, code, message = _error(sagemaker_client().list_models)
    assert (status, code) == (403, "UnrecognizedClientException")
    assert "modelwatch access-keys create" in message


def test_the_open_mode_decision_refuses_other_machines() -> None:
    assert auth.open_mode_principal(None, loopback=True).key_name is None
    with pytest.raises(AccessDenied, match="modelwatch access-keys create"):
        auth.open_mode_principal(None, loopback=False)


def _fake_request(db: Database, peer: str, headers: dict[str, str], body: bytes = b"{}") -> Request:
    app = SimpleNamespace(state=SimpleNamespace(db=db, sqlite_gate=threading.Lock()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": (peer, 40000),
        "server": ("127.0.0.1", 8000),
        "scheme": "http",
        "app": app,
    }
    return Request(scope)


def test_open_mode_refuses_a_request_from_another_machine(db: Database) -> None:
    request = _fake_request(db, "10.0.0.5", {"X-Amz-Target": "SageMaker.ListModels", "Host": "h"})
    with pytest.raises(AccessDenied, match="loopback"):
        auth.authenticate(request, b"{}", OPERATIONS["SageMaker.ListModels"])
    assert (
        auth.authenticate(
            _fake_request(db, "127.0.0.1", {"Host": "h"}), b"{}", OPERATIONS["SageMaker.ListModels"]
        ).key_name
        is None
    )


def test_a_signed_request_from_another_machine_is_accepted_once_keys_exist(
    db: Database, admin: tuple[str, str]
) -> None:
    signed = _signed("http://monitor.example.com:8000/", admin)
    headers = {name: str(value) for name, value in signed.headers.items()}
    headers["Host"] = "monitor.example.com:8000"
    principal = auth.authenticate(
        _fake_request(db, "10.0.0.5", headers), b"{}", OPERATIONS["SageMaker.ListModels"]
    )
    assert principal.key_name == "admin-key" and principal.region == "eu-west-1"
    with pytest.raises(InvalidSignature):
        auth.authenticate(_fake_request(db, "10.0.0.5", headers), b"{ }", OPERATIONS["SageMaker.ListModels"])


# --- the pieces --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("", "/"),
        ("/", "/"),
        ("/aws", "/aws"),
        ("/aws//x/./y/../z/", "/aws/x/z/"),
        ("/a%20b", "/a%2520b"),
    ],
)
def test_the_canonical_path_is_what_botocore_signs(raw: str, canonical: str) -> None:
    assert auth.canonical_path(raw) == canonical
