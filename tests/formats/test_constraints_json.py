"""constraints.json: byte-exact round trip of real files, overrides placement, unknown keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from modelwatch.formats import (
    Constraints,
    DistributionConstraints,
    FeatureConstraints,
    InferredType,
    MonitoringConfig,
    constraints_from_json,
    constraints_to_json,
)

REAL = [
    "quality_check_step/data_quality/good_cases/constraints.json",
    "quality_check_step/data_quality/bad_cases/constraints.json",
]


@pytest.mark.parametrize("relative", REAL)
def test_real_constraints_round_trip_byte_for_byte(golden: Callable[[str], str], relative: str) -> None:
    text = golden(relative)
    assert constraints_to_json(constraints_from_json(text, file=relative)) == text


def test_real_constraints_values(golden: Callable[[str], str]) -> None:
    c = constraints_from_json(golden(REAL[1]))
    assert c.version == 0.0 and c.extra == {}
    assert len(c.features) == 6
    assert c.features[0] == FeatureConstraints("_c0", InferredType.FRACTIONAL, 1.0, True)
    assert c.features[5].inferred_type is InferredType.STRING and c.features[5].is_non_negative is True
    assert c.monitoring_config == MonitoringConfig()


def test_hand_made_older_constraints_parse(golden: Callable[[str], str]) -> None:
    c = constraints_from_json(golden("monitor/constraints.json"))
    message, second = c.features
    assert message.domains == ("preproc-not-YET-supported-for-csv-json",)
    assert message.monitoring_config_overrides == {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
    }
    assert second.monitoring_config_overrides is None and second.completeness == 1.0
    mc = c.monitoring_config
    # Keys the file lacks take the model defaults; the old keys are kept.
    assert mc.datatype_check_threshold == 1.0 and mc.distribution_constraints.comparison_method == "Robust"
    assert mc.distribution_constraints.comparison_threshold == 1.0
    assert mc.distribution_constraints.extra == {"enable_comparisons": True, "min_domain_mass": 1.0}
    again = constraints_to_json(c)
    assert '"enable_comparisons" : true,\n      "min_domain_mass" : 1.0\n    }' in again
    assert constraints_from_json(again) == c


SPEC_EXAMPLE = """{
  "version" : 0.0,
  "features" : [ {
    "name" : "age",
    "inferred_type" : "Integral",
    "completeness" : 1.0,
    "num_constraints" : {
      "is_non_negative" : true
    }
  }, {
    "name" : "state",
    "inferred_type" : "String",
    "completeness" : 1.0,
    "string_constraints" : {
      "domains" : [ "CA", "NY", "TX" ]
    }
  } ],
  "monitoring_config" : {
    "evaluate_constraints" : "Enabled",
    "emit_metrics" : "Enabled",
    "datatype_check_threshold" : 1.0,
    "domain_content_threshold" : 1.0,
    "distribution_constraints" : {
      "perform_comparison" : "Enabled",
      "comparison_threshold" : 0.1,
      "comparison_method" : "Robust"
    }
  }
}"""


def test_spec_example_is_written_exactly() -> None:
    c = Constraints(
        features=(
            FeatureConstraints("age", InferredType.INTEGRAL, completeness=1, is_non_negative=True),
            FeatureConstraints("state", InferredType.STRING, completeness=1.0, domains=("CA", "NY", "TX")),
        )
    )
    assert constraints_to_json(c) == SPEC_EXAMPLE
    assert constraints_from_json(SPEC_EXAMPLE) == c


HAND_EDITED = """{
  "version" : 0.0,
  "features" : [ {
    "name" : "state",
    "inferred_type" : "String",
    "string_constraints" : {
      "domains" : [ ],
      "monitoring_config_overrides" : {
        "evaluate_constraints" : "Disabled",
        "domain_content_threshold" : 0.5
      },
      "max_length" : 3
    },
    "owner" : "team-a"
  }, {
    "name" : "age",
    "inferred_type" : "Integral",
    "num_constraints" : {
      "is_non_negative" : false,
      "max" : 120.0
    },
    "monitoringConfigOverrides" : {
      "datatype_check_threshold" : 0.9
    }
  }, {
    "name" : "nothing",
    "inferred_type" : "Unknown"
  } ],
  "monitoring_config" : {
    "evaluate_constraints" : "Disabled",
    "emit_metrics" : "Disabled",
    "datatype_check_threshold" : 0.95,
    "domain_content_threshold" : 1.0E-4,
    "distribution_constraints" : {
      "perform_comparison" : "Disabled",
      "comparison_threshold" : 0.2,
      "comparison_method" : "Simple",
      "categorical_comparison_threshold" : 0.3,
      "categorical_drift_method" : "ChiSquared",
      "note" : "x"
    },
    "schedule_hint" : [ 1, 2 ]
  },
  "comment" : {
    "by" : "me"
  }
}"""


def test_hand_edited_file_with_unknown_keys_round_trips() -> None:
    c = constraints_from_json(HAND_EDITED)
    state, age, nothing = c.features
    assert state.domains == () and state.completeness is None
    assert state.monitoring_config_overrides == {
        "evaluate_constraints": "Disabled",
        "domain_content_threshold": 0.5,
    }
    assert state.extra == {"string_constraints": {"max_length": 3}, "owner": "team-a"}
    assert age.is_non_negative is False and age.extra == {"num_constraints": {"max": 120.0}}
    assert age.monitoring_config_overrides == {"datatype_check_threshold": 0.9}
    assert nothing == FeatureConstraints("nothing", InferredType.UNKNOWN)
    dc = c.monitoring_config.distribution_constraints
    assert dc == DistributionConstraints("Disabled", 0.2, "Simple", 0.3, "ChiSquared", {"note": "x"})
    assert c.monitoring_config.extra == {"schedule_hint": [1, 2]}
    assert c.extra == {"comment": {"by": "me"}}
    assert constraints_to_json(c) == HAND_EDITED


def test_overrides_are_placed_by_feature_type() -> None:
    overrides = {"evaluate_constraints": "Disabled"}
    feature_level = (
        '{"features": [{"name": "s", "inferred_type": "String", "monitoring_config_overrides": %s}]}'
    )
    s = constraints_from_json(feature_level % '{"evaluate_constraints": "Disabled"}').features[0]
    assert s.monitoring_config_overrides == overrides
    # A String feature's overrides go under string_constraints, as the SDK writes them ...
    assert '"string_constraints" : {\n      "monitoring_config_overrides" : {' in constraints_to_json(
        Constraints(features=(s,))
    )
    # ... other features get the documented feature-level monitoringConfigOverrides.
    n = FeatureConstraints("n", InferredType.FRACTIONAL, monitoring_config_overrides=overrides)
    text = constraints_to_json(Constraints(features=(n,)))
    assert '"inferred_type" : "Fractional",\n    "monitoringConfigOverrides" : {' in text
    assert "string_constraints" not in text
    assert constraints_from_json(text).features[0] == n
