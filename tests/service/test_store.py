"""The metadata store: migrations match the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import modelwatch.service
from modelwatch.errors import ConflictError, ValidationError
from modelwatch.service import tokens
from modelwatch.service.db import open_database
from modelwatch.service.models import Base

MIGRATIONS = Path(modelwatch.service.__file__).parent / "migrations" / "versions"


def test_migrations_create_exactly_the_models_tables(database_url: str) -> None:
    db = open_database(database_url)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        tables = set(sa.inspect(connection).get_table_names())
    assert {"endpoints", "schedules", "executions", "metrics", "baseline_jobs", "job_definitions"} <= tables
    db.dispose()


def test_opening_twice_is_idempotent(database_url: str) -> None:
    open_database(database_url).dispose()
    db = open_database(database_url)
    with db.engine.connect() as connection:
        version = connection.execute(sa.text("select version_num from alembic_version")).scalar_one()
    newest = max(p.name[:4] for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert version == newest
    db.dispose()


def test_tokens_are_stored_hashed_and_can_be_revoked(database_url: str) -> None:
    db = open_database(database_url)
    with db.session() as session:
        assert not tokens.has_tokens(session)
        info, secret = tokens.create_token(session, "ci", "read")
        assert info.scope is tokens.Scope.READ and secret.startswith("mw_")
        with pytest.raises(ConflictError):
            tokens.create_token(session, "ci", "admin")
        with pytest.raises(ValidationError) as error:
            tokens.create_token(session, "x", "superuser")
        assert error.value.field == "scope"
    with db.engine.connect() as connection:
        stored = [tuple(r) for r in connection.execute(sa.text("select * from api_tokens")).all()]
    assert not any(secret in str(value) for row in stored for value in row)
    with db.session() as session:
        assert tokens.has_tokens(session)
        assert tokens.authenticate(session, secret).name == "ci"
        assert tokens.authenticate(session, secret + "x") is None
        tokens.revoke_token(session, "ci")
    with db.session() as session:
        assert tokens.authenticate(session, secret) is None
        assert not tokens.has_tokens(session)
    db.dispose()
