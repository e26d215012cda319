"""Which S3 server s3:// URIs go to: ``MODELWATCH_S3_ENDPOINT_URL``, else ``AWS_ENDPOINT_URL_S3``, else
``AWS_ENDPOINT_URL`` (botocore's order), against the real moto server of tests/conftest.py."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from modelwatch.io import join_uri, list_files, read_text, write_text
from modelwatch.io.storage import filesystem
from modelwatch.settings import Settings, get_settings

VARIABLES = ("MODELWATCH_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")


def _dead_endpoint() -> str:
    """A loopback URL that nothing listens on (a port just freed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def endpoints(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No endpoint variable set (the s3_server fixture sets AWS_ENDPOINT_URL); each test sets its own."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _set(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def _round_trip(bucket: str) -> None:
    uri = join_uri(bucket, "endpoint", "a.txt")
    write_text(uri, "through the S3 variable")
    assert read_text(uri) == "through the S3 variable"
    assert list_files(join_uri(bucket, "endpoint")) == [uri]


def test_aws_endpoint_url_s3_alone_points_storage_at_the_server(
    endpoints: pytest.MonkeyPatch, s3_server: str, s3_bucket: str
) -> None:
    _set(endpoints, AWS_ENDPOINT_URL_S3=s3_server)
    fs, _ = filesystem(s3_bucket)
    assert fs.client_kwargs["endpoint_url"] == s3_server
    _round_trip(s3_bucket)


def test_aws_endpoint_url_s3_beats_aws_endpoint_url(
    endpoints: pytest.MonkeyPatch, s3_server: str, s3_bucket: str
) -> None:
    _set(endpoints, AWS_ENDPOINT_URL=_dead_endpoint(), AWS_ENDPOINT_URL_S3=s3_server)
    _round_trip(s3_bucket)


def test_the_modelwatch_setting_beats_both_aws_variables(
    endpoints: pytest.MonkeyPatch, s3_server: str, s3_bucket: str
) -> None:
    dead = _dead_endpoint()
    _set(endpoints, MODELWATCH_S3_ENDPOINT_URL=s3_server, AWS_ENDPOINT_URL_S3=dead, AWS_ENDPOINT_URL=dead)
    assert filesystem(s3_bucket)[0].client_kwargs["endpoint_url"] == s3_server
    _round_trip(s3_bucket)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, None),
        ({"AWS_ENDPOINT_URL": "http://generic"}, "http://generic"),
        ({"AWS_ENDPOINT_URL": "http://generic", "AWS_ENDPOINT_URL_S3": "http://s3"}, "http://s3"),
        ({"AWS_ENDPOINT_URL_S3": "http://s3", "MODELWATCH_S3_ENDPOINT_URL": "http://mw"}, "http://mw"),
        ({"AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL": "http://generic"}, "http://generic"),
    ],
)
def test_the_order_of_the_endpoint_variables(
    monkeypatch: pytest.MonkeyPatch, given: dict[str, str], expected: str | None
) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    assert Settings().resolved_s3_endpoint_url() == expected
