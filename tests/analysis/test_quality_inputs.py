"""Inputs of the model-quality aggregates: accepted label forms, and errors that name the record."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelwatch.analysis.quality import quality_aggregate
from modelwatch.analysis.quality_inputs import binary_values, numeric_values
from modelwatch.errors import DataError, EmptyDatasetError, ValidationError
from modelwatch.monitors.model_quality import ProblemType, quality_statistics


@pytest.mark.parametrize(
    "labels",
    [
        ["1", "0", "1", "0"],
        [1, 0, 1, 0],
        [1.0, 0.0, 1.0, 0.0],
        [True, False, True, False],
        ["true", "FALSE", " True ", "false"],
        ["1.0", "0", " 1", "0.0"],
        pa.array([1, 0, 1, 0], pa.int8()),
        pa.array(["1", "0", "1", "0"]).dictionary_encode(),
        np.array([1, 0, 1, 0], dtype=np.int64),
        np.array(["1", "0", "1", "0"]),
    ],
)
def test_binary_labels_in_any_form(labels: object) -> None:
    np.testing.assert_array_equal(binary_values(labels), [True, False, True, False])
    stats = quality_statistics(ProblemType.BINARY, labels=labels, predictions=["1", "1", "0", "0"])
    assert stats.confusion_matrix is not None
    assert stats.confusion_matrix.counts == {"0": {"0": 1, "1": 1}, "1": {"0": 1, "1": 1}}


@pytest.mark.parametrize(
    ("labels", "record", "shown"),
    [
        (["1", "0", "cat", "1"], "row 3", "'cat'"),
        ([1.0, float("nan"), 0.0, 1.0], "row 2", "nan"),
        ([1, 0, 1, 2], "row 4", "2"),
        (["1", None, "0", "1"], "row 2", "missing"),
        (["1", "0", "", "1"], "row 3", "''"),
    ],
)
def test_bad_binary_labels_name_the_record(labels: list[object], record: str, shown: str) -> None:
    with pytest.raises(DataError) as caught:
        quality_statistics(ProblemType.BINARY, labels=labels, predictions=[1, 0, 1, 0])
    assert caught.value.column == "label"
    assert record in str(caught.value) and shown in str(caught.value)


def test_errors_name_the_record_id_when_given() -> None:
    ids = pa.array(["ev-1", "ev-2", "ev-3"])
    with pytest.raises(DataError, match=r"record 'ev-2': probability nan"):
        quality_statistics(
            ProblemType.BINARY, labels=[1, 0, 1], probabilities=[0.2, float("nan"), 0.9], record_ids=ids
        )
    with pytest.raises(DataError, match=r"record 'b': prediction 'x' is not a number"):
        quality_statistics(
            ProblemType.REGRESSION,
            labels=["1", "2", "3"],
            predictions=["1.5", "x", "2"],
            record_ids=["a", "b", "c"],
        )


def test_infinite_and_non_numeric_regression_values_are_rejected() -> None:
    with pytest.raises(DataError, match=r"row 3: label 'inf' is not a number"):
        quality_statistics(ProblemType.REGRESSION, labels=["1", "2", "inf"], predictions=[1, 2, 3])
    with pytest.raises(DataError, match=r"row 1: the prediction is missing"):
        quality_statistics(ProblemType.REGRESSION, labels=[1, 2], predictions=pa.array([None, 2.0]))


def test_row_numbers_continue_across_batches() -> None:
    agg = quality_aggregate(ProblemType.REGRESSION)
    agg.update(["1", "2"], ["1", "2"])
    with pytest.raises(DataError, match=r"row 4: label 'oops'"):
        agg.update(["3", "oops"], ["3", "4"])


def test_numeric_strings_are_parsed_exactly() -> None:
    text = ["0.6453677564520609", " 1e-3", "-2.5E+2", "7"]
    np.testing.assert_array_equal(numeric_values(text), [0.6453677564520609, 1e-3, -250.0, 7.0])


def test_missing_inputs_and_length_mismatch_are_validation_errors() -> None:
    with pytest.raises(ValidationError, match="predictions"):
        quality_statistics(ProblemType.REGRESSION, labels=[1.0])
    with pytest.raises(ValidationError, match=r"predictions .* or probabilities"):
        quality_statistics(ProblemType.BINARY, labels=[1])
    with pytest.raises(ValidationError, match="differ in length"):
        quality_statistics(ProblemType.MULTICLASS, labels=["a", "b"], predictions=["a"])
    with pytest.raises(ValidationError, match="binary classification only"):
        quality_aggregate(ProblemType.REGRESSION, threshold=0.5)
    with pytest.raises(ValidationError, match="unknown problem type 'Ranking'") as caught:
        quality_aggregate("Ranking")
    assert caught.value.field == "problem_type"


def test_no_records_is_an_empty_dataset() -> None:
    for problem in ProblemType:
        with pytest.raises(EmptyDatasetError):
            quality_aggregate(problem).finalize()


@pytest.mark.parametrize("problem", list(ProblemType))
def test_empty_arrays_are_an_empty_dataset(problem: ProblemType) -> None:
    with pytest.raises(EmptyDatasetError, match="no records"):
        quality_statistics(problem, labels=[], predictions=[])
