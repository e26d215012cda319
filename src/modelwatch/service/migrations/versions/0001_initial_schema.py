"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "baseline_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("monitoring_type", sa.String(length=32), nullable=False),
        sa.Column("dataset_uri", sa.String(length=1024), nullable=False),
        sa.Column("dataset_format", sa.JSON(), nullable=True),
        sa.Column("output_uri", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("failure_reason", sa.String(length=1024), nullable=True),
        sa.Column("statistics_uri", sa.String(length=1024), nullable=True),
        sa.Column("constraints_uri", sa.String(length=1024), nullable=True),
        sa.Column("log_uri", sa.String(length=1024), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("data_capture_config", sa.JSON(), nullable=True),
        sa.Column("capture_uri", sa.String(length=1024), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "job_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("monitoring_type", sa.String(length=32), nullable=False),
        sa.Column("endpoint_name", sa.String(length=63), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("job_definitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_definitions_endpoint_name"), ["endpoint_name"], unique=False)

    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("monitoring_type", sa.String(length=32), nullable=False),
        sa.Column("schedule_expression", sa.String(length=256), nullable=False),
        sa.Column("data_analysis_start_time", sa.String(length=15), nullable=True),
        sa.Column("data_analysis_end_time", sa.String(length=15), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("job_definition_name", sa.String(length=63), nullable=True),
        sa.Column("endpoint_name", sa.String(length=63), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("failure_reason", sa.String(length=1024), nullable=True),
        sa.Column("planned_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_schedules_job_definition_name"), ["job_definition_name"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_schedules_endpoint_name"), ["endpoint_name"], unique=False)

    op.create_table(
        "executions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("schedule_name", sa.String(length=63), nullable=False),
        sa.Column("endpoint_name", sa.String(length=63), nullable=True),
        sa.Column("monitoring_type", sa.String(length=32), nullable=False),
        sa.Column("scheduled_time", sa.DateTime(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("window_end", sa.DateTime(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("failure_reason", sa.String(length=1024), nullable=True),
        sa.Column("exit_message", sa.String(length=1024), nullable=True),
        sa.Column("output_uri", sa.String(length=1024), nullable=False),
        sa.Column("log_uri", sa.String(length=1024), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("stop_requested", sa.Boolean(), nullable=False),
        sa.Column("violation_count", sa.Integer(), nullable=True),
        sa.Column("record_count", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["schedule_id"], ["schedules.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "scheduled_time", name="uq_execution_slot"),
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_executions_endpoint_name"), ["endpoint_name"], unique=False)
        batch_op.create_index(
            "ix_executions_schedule_scheduled", ["schedule_name", "scheduled_time"], unique=False
        )
        batch_op.create_index("ix_executions_status_scheduled", ["status", "scheduled_time"], unique=False)

    op.create_table(
        "metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.Integer(), nullable=False),
        sa.Column("schedule_name", sa.String(length=63), nullable=False),
        sa.Column("endpoint_name", sa.String(length=63), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("timestamp", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["execution_id"], ["executions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("metrics", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_metrics_execution_id"), ["execution_id"], unique=False)
        batch_op.create_index("ix_metrics_series", ["schedule_name", "name", "timestamp"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_series")
        batch_op.drop_index(batch_op.f("ix_metrics_execution_id"))

    op.drop_table("metrics")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("ix_executions_status_scheduled")
        batch_op.drop_index("ix_executions_schedule_scheduled")
        batch_op.drop_index(batch_op.f("ix_executions_endpoint_name"))

    op.drop_table("executions")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_schedules_endpoint_name"))
        batch_op.drop_index(batch_op.f("ix_schedules_job_definition_name"))

    op.drop_table("schedules")
    with op.batch_alter_table("job_definitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_definitions_endpoint_name"))

    op.drop_table("job_definitions")
    op.drop_table("endpoints")
    op.drop_table("baseline_jobs")
