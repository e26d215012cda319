"""The HTTP client on its own: error bodies, unreachable servers, defaults from the environment, paging."""

from __future__ import annotations

import json

import httpx
import pytest

from modelwatch.client import ApiError, Client, FieldError, base_url, iterate
from modelwatch.errors import ModelwatchError
from modelwatch.service.schemas import EndpointSpec, EndpointView, Page


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
