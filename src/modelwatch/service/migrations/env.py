"""Alembic environment: runs the migrations on the engine given by `modelwatch.service.db.migrate`."""

from __future__ import annotations

from alembic import context

from modelwatch.service.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
