"""Test data of the API tests."""

from __future__ import annotations

from datetime import UTC, datetime

T0 = datetime(2026, 3, 1, 10, 30, tzinfo=UTC)


def schedule_spec(
    name: str = "hourly", endpoint: str = "churn", expression: str = "cron(0 * ? * * *)"
) -> dict[str, object]:
    """The JSON body of a schedule of ``endpoint``."""
    return {
        "name": name,
        "schedule_expression": expression,
        "definition": {"endpoint_input": {"endpoint_name": endpoint}},
    }
