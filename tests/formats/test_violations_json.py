"""constraint_violations.json: exact layout and reading."""

from __future__ import annotations

from collections.abc import Callable

from modelwatch.formats import CheckType, Violation, Violations, violations_from_json, violations_to_json

SPEC_EXAMPLE = """{
  "violations" : [ {
    "feature_name" : "age",
    "constraint_check_type" : "data_type_check",
    "description" : "Data type match requirement is not met. Expected data type: Integral, \
Expected match: 100.0%. Observed: Only 95.0% of data is Integral."
  }, {
    "feature_name" : "state",
    "constraint_check_type" : "categorical_values_check",
    "description" : "Value: 0.9 does not meet the constraint requirement! "
  } ]
}"""


def test_spec_example_is_written_exactly() -> None:
    v = Violations(
        (
            Violation(
                "age",
                CheckType.DATA_TYPE,
                "Data type match requirement is not met. Expected data type: Integral, "
                "Expected match: 100.0%. Observed: Only 95.0% of data is Integral.",
            ),
            Violation(
                "state", CheckType.CATEGORICAL_VALUES, "Value: 0.9 does not meet the constraint requirement! "
            ),
        )
    )
    assert violations_to_json(v) == SPEC_EXAMPLE
    assert violations_from_json(SPEC_EXAMPLE) == v


def test_empty_violations() -> None:
    assert violations_to_json(Violations()) == '{\n  "violations" : [ ]\n}'
    assert violations_from_json('{"violations": []}') == Violations()


def test_hand_made_violations_parse_and_reprint(golden: Callable[[str], str]) -> None:
    text = golden("monitor/constraint_violations.json")
    v = violations_from_json(text)
    assert len(v.violations) == 7
    assert v.violations[3] == Violation(
        "congestion_surcharge", "completeness_check", "Value: 0.0 does not meet the constraint requirement! "
    )
    # The hand-made file differs from Jackson's output only by its trailing newline.
    assert violations_to_json(v) + "\n" == text
