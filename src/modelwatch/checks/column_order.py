"""A hint for the commonest cause of an all-red check: a baseline whose columns are not in capture order.

Columns are matched by position, and a capture row is the model's outputs first, then its inputs. A
baseline made from a training file with the label last compares every capture column with its
neighbour's baseline, so nearly every feature fails its data-type or drift check. The rule: when at
least :data:`MIN_FLAGGED` features and :data:`FLAGGED_SHARE` of the baseline's features are flagged by
``data_type_check`` or ``baseline_drift_check``, the result says that the column order probably does not
match. It reads violations, never data.
"""

from __future__ import annotations

from modelwatch.formats.violations import CheckType, Violations

__all__ = ["FLAGGED_SHARE", "MIN_FLAGGED", "column_order_hint"]

MIN_FLAGGED = 3
FLAGGED_SHARE = 0.8
ORDER_CHECKS = frozenset({CheckType.DATA_TYPE.value, CheckType.BASELINE_DRIFT.value})


def column_order_hint(violations: Violations, features: int) -> str | None:
    """The hint, or ``None``; ``features`` is the number of the baseline's features."""
    flagged = {v.feature_name for v in violations.violations if str(v.constraint_check_type) in ORDER_CHECKS}
    if features <= 0 or len(flagged) < MIN_FLAGGED or len(flagged) < FLAGGED_SHARE * features:
        return None
    return (
        f"{len(flagged)} of {features} features fail their data-type or drift check: the baseline's column "
        "order probably does not match the data's. Columns are matched by position and a capture row is "
        "the model's outputs first, then its inputs; baseline a training file whose label is last with "
        "--output-columns-position END (dataset_format.csv.output_columns_position)."
    )
