"""What one check returns: nothing (passed or not applicable), a violation, or a skip with a reason."""

from __future__ import annotations

from dataclasses import dataclass

from modelwatch.formats.violations import CheckType, Violation

__all__ = ["CheckOutcome", "SkippedCheck"]


@dataclass(frozen=True)
class SkippedCheck:
    """A check that applied to a feature but could not be computed (e.g. the baseline has no sketch)."""

    feature_name: str
    check_type: CheckType
    reason: str


CheckOutcome = Violation | SkippedCheck | None
