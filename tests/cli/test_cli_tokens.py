"""``modelwatch tokens``: created on the database, shown once, scoped, revocable, enforced by the API."""

from __future__ import annotations

import pytest
from cli_helpers import Cli, Served, as_json

from modelwatch.cli_client import EXIT_ERROR, EXIT_USAGE


def test_tokens_create_list_revoke(data_dir: object, cli: Cli) -> None:
    created = cli("tokens create ops --scope admin")
    secret = created.stdout.strip()
    assert secret.startswith("mw_") and len(secret) > 30
    assert "shown only now" in created.stderr
    reader = as_json(cli("tokens create reader --scope read --json"))
    assert reader["scope"] == "read" and reader["secret"].startswith("mw_") and reader["revoked_at"] is None

    listed = as_json(cli("tokens list --json"))["items"]
    assert [(t["name"], t["scope"]) for t in listed] == [("ops", "admin"), ("reader", "read")]
    assert all("secret" not in t for t in listed)
    table = cli("tokens list").stdout
    assert "ops" in table and "reader" in table and secret not in table

    assert "token reader revoked" in cli("tokens revoke reader").stdout
    assert as_json(cli("tokens list --json"))["items"][1]["revoked_at"] is not None
    assert "already exists" in cli("tokens create ops --scope read", code=EXIT_ERROR).stderr
    assert "does not exist" in cli("tokens revoke nobody", code=EXIT_ERROR).stderr
    assert "--scope" in cli("tokens create x --scope root", code=EXIT_USAGE).stderr
    assert "--scope" in cli("tokens create x", code=EXIT_USAGE).stderr


def test_a_bad_database_url_exits_1(cli: Cli) -> None:
    result = cli("tokens list --database-url nosuchdriver://x", code=EXIT_ERROR)
    assert "invalid database URL" in result.stderr


def test_the_api_enforces_the_tokens_the_cli_created(
    server: Served, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("endpoints create --name before-tokens")  # no token yet: the API is open
    admin = cli("tokens create ops --scope admin").stdout.strip()
    reader = cli("tokens create reader --scope read").stdout.strip()

    anonymous = cli("endpoints list", code=EXIT_ERROR)
    assert "bearer token is required" in anonymous.stderr and "MODELWATCH_TOKEN" in anonymous.stderr
    assert "unknown or revoked" in cli("endpoints list --token mw_wrong", code=EXIT_ERROR).stderr

    listed = as_json(cli("endpoints list --json --token", reader))
    assert [e["name"] for e in listed["items"]] == ["before-tokens"]
    denied = cli("endpoints create --name churn --token", reader, code=EXIT_ERROR)
    assert "scope read; POST needs an admin token" in denied.stderr
    assert "does not exist" in cli("endpoints describe churn --token", reader, code=EXIT_ERROR).stderr

    monkeypatch.setenv("MODELWATCH_TOKEN", admin)
    assert "endpoint churn created" in cli("endpoints create --name churn").stdout
    cli("tokens revoke ops")
    assert "unknown or revoked" in cli("endpoints list", code=EXIT_ERROR).stderr
