"""``modelwatch access-keys``: created on the database, the secret shown once, listed without it,
deleted; a created key signs boto3's requests to the SageMaker API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cli_helpers import Cli, Served, as_json

from modelwatch.cli_client import EXIT_ERROR, EXIT_USAGE
from modelwatch.sagemaker_api.registry import OPERATIONS, Context, load_operations, operation


def test_access_keys_create_list_delete(data_dir: object, cli: Cli) -> None:
    created = cli("access-keys create sdk --scope admin")
    assert "shown only now" in created.stderr
    lines = dict(line.split(": ", 1) for line in created.stdout.strip().splitlines())
    key_id, secret = lines["AccessKeyId"], lines["SecretAccessKey"]
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key_id) and len(secret) == 40

    reader = as_json(cli("access-keys create reader --scope read --json"))
    assert reader["scope"] == "read" and reader["name"] == "reader" and reader["last_used_at"] is None
    assert (
        re.fullmatch(r"AKIA[A-Z0-9]{16}", reader["access_key_id"]) and len(reader["secret_access_key"]) == 40
    )

    listed = as_json(cli("access-keys list --json"))["items"]
    assert [(k["name"], k["scope"], k["access_key_id"]) for k in listed] == [
        ("reader", "read", reader["access_key_id"]),
        ("sdk", "admin", key_id),
    ]
    assert all("secret_access_key" not in k for k in listed)
    table = cli("access-keys list").stdout
    assert key_id in table and "reader" in table and secret not in table
    assert reader["secret_access_key"] not in table

    assert f"access key reader ({reader['access_key_id']}) deleted" in cli("access-keys delete reader").stdout
    assert [k["name"] for k in as_json(cli("access-keys list --json"))["items"]] == ["sdk"]
    assert "already exists" in cli("access-keys create sdk --scope read", code=EXIT_ERROR).stderr
    assert "does not exist" in cli("access-keys delete nobody", code=EXIT_ERROR).stderr
    assert "name" in cli("access-keys create 'bad name' --scope read", code=EXIT_ERROR).stderr
    assert "--scope" in cli("access-keys create x --scope root", code=EXIT_USAGE).stderr
    assert "--scope" in cli("access-keys create x", code=EXIT_USAGE).stderr


def test_a_bad_database_url_exits_1(cli: Cli) -> None:
    result = cli("access-keys list --database-url nosuchdriver://x", code=EXIT_ERROR)
    assert "invalid database URL" in result.stderr


@pytest.fixture
def probe() -> Iterator[None]:
    """A test-only read operation, ``SageMaker.ListModels``, answering with the access key's name."""
    load_operations()

    @operation("ListModels", read=True)
    def list_models(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
        name = ctx.key_name or "open-mode"
        return {"Models": [{"ModelName": name, "ModelArn": ctx.arn("model", "probe"), "CreationTime": 0}]}

    try:
        yield
    finally:
        OPERATIONS.pop("SageMaker.ListModels", None)


def _client(url: str, key: str, secret: str) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )


def _names(client: Any) -> list[str]:
    return [model["ModelName"] for model in client.list_models()["Models"]]


def test_the_server_honours_the_keys_the_cli_created_and_deleted(
    server: Served, cli: Cli, probe: None
) -> None:
    assert _names(_client(server.url, "AKIAANYKEYATALL00000", "any")) == ["open-mode"]
    created = as_json(cli("access-keys create sdk --scope admin --json"))
    client = _client(server.url, created["access_key_id"], created["secret_access_key"])
    assert _names(client) == ["sdk"]
    assert as_json(cli("access-keys list --json"))["items"][0]["last_used_at"] is not None
    with pytest.raises(ClientError, match="InvalidSignatureException"):
        _client(server.url, created["access_key_id"], "x" * 40).list_models()
    cli("access-keys create other --scope read")
    cli("access-keys delete sdk")
    with pytest.raises(ClientError, match="UnrecognizedClientException"):
        client.list_models()
