"""Missing and extra columns. Columns are matched by position, as SageMaker does."""

from __future__ import annotations

from modelwatch.formats.violations import CheckType, Violation

__all__ = ["extra_column_check", "missing_column_check"]


def missing_column_check(name: str, current_columns: int, baseline_columns: int) -> Violation:
    """The violation for baseline feature ``name`` that has no column at its position in current data."""
    return Violation(
        feature_name=name,
        constraint_check_type=CheckType.MISSING_COLUMN.value,
        description=(
            "There are missing columns in current dataset. "
            f"Number of columns in current dataset: {current_columns}, "
            f"Number of columns in baseline constraints: {baseline_columns}"
        ),
    )


def extra_column_check(name: str, current_columns: int, baseline_columns: int) -> Violation:
    """The violation for current column ``name`` at a position beyond the baseline constraints."""
    return Violation(
        feature_name=name,
        constraint_check_type=CheckType.EXTRA_COLUMN.value,
        description=(
            "There are extra columns in current dataset. "
            f"Number of columns in current dataset: {current_columns}, "
            f"Number of columns in baseline constraints: {baseline_columns}"
        ),
    )
