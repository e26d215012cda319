"""The metadata store: migrations match the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from modelwatch.service.db import open_database
from modelwatch.service.models import Base


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
    assert version == "0001"
    db.dispose()
