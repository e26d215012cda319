"""The job of each monitoring type, run inside the job process (:mod:`modelwatch.jobs.process`).

Each module has ``run_monitoring(job, work)`` and ``run_baseline(job)``; both return a
:class:`JobOutcome` or raise a :class:`~modelwatch.errors.ModelwatchError` whose message becomes the
execution's failure reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["JobOutcome", "completion_message"]


@dataclass(frozen=True)
class JobOutcome:
    message: str  # "Completed: ..." or "CompletedWithViolations: ..." (the container's message file)
    counts: dict[str, Any] = field(default_factory=dict)  # result.json: records, violations, ...
    metrics: list[dict[str, Any]] = field(default_factory=list)  # PutMetricData-shaped, without dimensions


def completion_message(violations: int) -> str:
    if violations:
        return f"CompletedWithViolations: Job completed successfully with {violations} violations."
    return "Completed: Job completed successfully with no violations."
