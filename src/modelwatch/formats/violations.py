"""The ``constraint_violations.json`` model (SageMaker Model Monitor, spec 3.6) and its reader/writer."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from modelwatch.formats import jackson
from modelwatch.formats._reader import parse

__all__ = ["CheckType", "Violation", "Violations", "violations_from_json", "violations_to_json"]


class CheckType(StrEnum):
    DATA_TYPE = "data_type_check"
    COMPLETENESS = "completeness_check"
    BASELINE_DRIFT = "baseline_drift_check"
    MISSING_COLUMN = "missing_column_check"
    EXTRA_COLUMN = "extra_column_check"
    CATEGORICAL_VALUES = "categorical_values_check"


@dataclass(frozen=True)
class Violation:
    feature_name: str
    constraint_check_type: str
    description: str


@dataclass(frozen=True)
class Violations:
    violations: tuple[Violation, ...] = ()


def violations_to_json(v: Violations) -> str:
    """Write ``v`` as SageMaker's constraint_violations.json text (``"violations" : [ ]`` when empty)."""
    items = [
        {
            "feature_name": x.feature_name,
            "constraint_check_type": str(x.constraint_check_type),
            "description": x.description,
        }
        for x in v.violations
    ]
    return jackson.dumps({"violations": items})


def violations_from_json(text: str, *, file: str | None = None) -> Violations:
    """Read a constraint_violations.json (any JSON layout; unknown keys are ignored).

    ``constraint_check_type`` is kept as written (model-quality files use other check names).
    Raises :class:`~modelwatch.errors.FormatError` naming ``file`` and the key path.
    """
    root = parse(text, file)
    return Violations(
        tuple(
            Violation(
                feature_name=item.child("feature_name").string(),
                constraint_check_type=item.child("constraint_check_type").string(),
                description=item.child("description").string(),
            )
            for item in root.child("violations").items()
        )
    )
