"""Mergeable aggregates (``zero`` / ``update`` / ``merge`` / ``finalize``) computed over Arrow batches."""

from modelwatch.analysis.categorical import Categorical
from modelwatch.analysis.kll import KLLSketch
from modelwatch.analysis.moments import Moments
from modelwatch.analysis.profile import ColumnProfile, DatasetProfile, profile_table
from modelwatch.analysis.types import TypedValues, classify, infer_type

__all__ = [
    "Categorical",
    "ColumnProfile",
    "DatasetProfile",
    "KLLSketch",
    "Moments",
    "TypedValues",
    "classify",
    "infer_type",
    "profile_table",
]
