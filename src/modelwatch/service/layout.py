"""Where files live under the storage root (DESIGN.md "Storage layout")."""

from __future__ import annotations

from datetime import datetime

from modelwatch.io.storage import join_uri
from modelwatch.settings import get_settings

__all__ = ["baseline_uri", "capture_root", "execution_output_uri", "monitoring_uri", "storage_root"]

BATCH_TRANSFORM = "batch-transform"
"""The endpoint segment of a batch-transform schedule's output path."""


def storage_root() -> str:
    return get_settings().resolved_storage_uri()


def capture_root() -> str:
    return join_uri(storage_root(), "capture")


def baseline_uri(job_name: str) -> str:
    return join_uri(storage_root(), "baselines", job_name)


def monitoring_uri(endpoint_name: str | None, schedule_name: str) -> str:
    return join_uri(storage_root(), "monitoring", endpoint_name or BATCH_TRANSFORM, schedule_name)


def execution_output_uri(schedule_output_uri: str, scheduled_time: datetime) -> str:
    """``{output}/yyyy/mm/dd/HH`` of the scheduled hour (SageMaker's layout; spec 3.1).

    Two executions of one schedule in the same hour (sub-hourly crons, on-demand runs) would share that
    folder, so a slot that is not on the hour gets ``/MM-SS`` appended.
    """
    uri = join_uri(schedule_output_uri, f"{scheduled_time:%Y/%m/%d/%H}")
    if scheduled_time.minute or scheduled_time.second:
        uri = join_uri(uri, f"{scheduled_time:%M-%S}")
    return uri
