"""statistics.json: byte-exact round trip of real SageMaker output, field mapping, Unknown features."""

from __future__ import annotations

import math
from collections.abc import Callable

from modelwatch.formats import (
    CategoricalBucket,
    FeatureStatistics,
    InferredType,
    KLLBucket,
    KLLSketchData,
    NumericalStatistics,
    Statistics,
    StringStatistics,
    statistics_from_json,
    statistics_to_json,
)

REAL = "quality_check_step/data_quality/statistics.json"


def test_real_statistics_round_trip_byte_for_byte(golden: Callable[[str], str]) -> None:
    text = golden(REAL)
    assert statistics_to_json(statistics_from_json(text, file=REAL)) == text


def test_real_statistics_values(golden: Callable[[str], str]) -> None:
    s = statistics_from_json(golden(REAL))
    assert s.version == 0.0
    assert s.item_count == 100
    assert [f.name for f in s.features] == ["_c0", "_c1", "_c2", "_c3", "_c4", "_c5"]
    c0 = s.feature("_c0")
    assert c0 is not None and c0.inferred_type is InferredType.FRACTIONAL
    assert c0.string is None and c0.type_counts is None
    n = c0.numerical
    assert n is not None
    assert (n.num_present, n.num_missing, n.mean, n.sum, n.std_dev, n.min, n.max) == (
        100,
        0,
        2.31,
        231.0,
        0.8330066026148891,
        1.0,
        3.0,
    )
    assert n.buckets[0] == KLLBucket(1.0, 1.2, 24.0)
    assert sum(b.count for b in n.buckets) == 100.0
    assert (n.sketch.c, n.sketch.k) == (0.64, 2048.0)
    assert len(n.sketch.data) == 1 and len(n.sketch.data[0]) == 100
    assert n.sketch.data[0][:3] == (3.0, 1.0, 2.0)
    assert all(type(x) is float for x in n.sketch.data[0])


def test_hand_made_statistics_parse(golden: Callable[[str], str]) -> None:
    s = statistics_from_json(golden("monitor/statistics.json"))
    assert s.item_count == 418
    (f,) = s.features
    assert f.inferred_type is InferredType.STRING and f.numerical is None
    assert f.string == StringStatistics(
        num_present=418,
        num_missing=0,
        distinct_count=1.0,
        buckets=(CategoricalBucket("preproc-not-YET-supported-for-csv-json", 418),),
    )
    assert f.num_present == 418


STRING_AND_UNKNOWN = """{
  "version" : 0.0,
  "dataset" : {
    "item_count" : 3
  },
  "features" : [ {
    "name" : "state",
    "inferred_type" : "String",
    "string_statistics" : {
      "common" : {
        "num_present" : 2,
        "num_missing" : 1
      },
      "distinct_count" : 2.0,
      "distribution" : {
        "categorical" : {
          "buckets" : [ {
            "value" : "CA",
            "count" : 1
          }, {
            "value" : "N\\"Y",
            "count" : 1
          } ]
        }
      }
    }
  }, {
    "name" : "empty",
    "inferred_type" : "Unknown",
    "string_statistics" : {
      "common" : {
        "num_present" : 0,
        "num_missing" : 3
      },
      "distinct_count" : 0.0,
      "distribution" : {
        "categorical" : {
          "buckets" : [ ]
        }
      }
    }
  } ]
}"""


def test_string_and_unknown_features_are_written_as_chosen() -> None:
    s = Statistics(
        item_count=3,
        features=(
            FeatureStatistics(
                "state",
                InferredType.STRING,
                string=StringStatistics(2, 1, 2, (CategoricalBucket("CA", 1), CategoricalBucket('N"Y', 1))),
            ),
            FeatureStatistics("empty", InferredType.UNKNOWN),
        ),
    )
    assert statistics_to_json(s) == STRING_AND_UNKNOWN
    back = statistics_from_json(STRING_AND_UNKNOWN)
    assert back == s
    assert back.features[1].string is None and back.features[1].numerical is None


def test_unknown_feature_with_information_keeps_its_string_statistics() -> None:
    text = STRING_AND_UNKNOWN.replace('"num_missing" : 3', '"num_missing" : 2')
    feature = statistics_from_json(text).features[1]
    assert feature.string == StringStatistics(0, 2, 0.0)


def test_doubles_are_written_as_doubles_even_from_ints_and_nan_is_quoted() -> None:
    s = Statistics(
        item_count=1,
        version=0,
        features=(
            FeatureStatistics(
                "x",
                InferredType.INTEGRAL,
                numerical=NumericalStatistics(
                    num_present=1,
                    num_missing=0,
                    mean=5,
                    sum=5,
                    std_dev=math.nan,
                    min=5,
                    max=12345678,
                    buckets=(KLLBucket(5, 5, 1),),
                    sketch=KLLSketchData(c=0.64, k=2048, data=((5, 0.00001),)),
                ),
            ),
        ),
    )
    text = statistics_to_json(s)
    assert text.startswith('{\n  "version" : 0.0,\n  "dataset" : {\n    "item_count" : 1\n  },')
    for fragment in [
        '"num_present" : 1,',
        '"mean" : 5.0,',
        '"sum" : 5.0,',
        '"std_dev" : "NaN",',
        '"min" : 5.0,',
        '"max" : 1.2345678E7,',
        '"lower_bound" : 5.0,',
        '"count" : 1.0',
        '"k" : 2048.0',
        '"data" : [ [ 5.0, 1.0E-5 ] ]',
    ]:
        assert fragment in text
    back = statistics_from_json(text).features[0].numerical
    assert back is not None and math.isnan(back.std_dev) and back.max == 12345678.0


def test_reader_accepts_any_layout_numbers_and_non_numeric_strings() -> None:
    text = (
        '{"dataset": {"item_count": 2.0}, "features": [{"name": "n", "inferred_type": "Integral",'
        ' "numerical_statistics": {"common": {"num_present": 2, "num_missing": 0}, "mean": 1,'
        ' "sum": "Infinity", "std_dev": "NaN", "min": "-Infinity", "max": 2,'
        ' "distribution": {"kll": {"buckets": [], "sketch": {"parameters": {"c": 0.5, "k": 8},'
        ' "data": [[1, 2.5, "NaN"], []]}}}}}]}'
    )
    s = statistics_from_json(text)
    assert s.version == 0.0 and s.item_count == 2
    n = s.features[0].numerical
    assert n is not None
    assert (n.mean, n.sum, n.min, n.max) == (1.0, math.inf, -math.inf, 2.0)
    assert math.isnan(n.std_dev)
    assert (n.sketch.c, n.sketch.k) == (0.5, 8.0)
    assert n.sketch.data[0][:2] == (1.0, 2.5) and math.isnan(n.sketch.data[0][2])
    assert n.sketch.data[1] == ()


def test_numerical_distribution_is_optional_when_reading() -> None:
    text = (
        '{"dataset": {"item_count": 1}, "features": [{"name": "n", "inferred_type": "Fractional",'
        ' "numerical_statistics": {"common": {"num_present": 1, "num_missing": 0}, "mean": 1.5,'
        ' "sum": 1.5, "std_dev": 0.0, "min": 1.5, "max": 1.5}}]}'
    )
    n = statistics_from_json(text).features[0].numerical
    assert n is not None and n.buckets == () and n.sketch == KLLSketchData()
