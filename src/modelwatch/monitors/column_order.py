"""Where the model's output column is in a baseline dataset, and putting a baseline in capture order.

A capture record gives one row as the model's output columns followed by its input columns, and a
monitoring execution names those columns after the baseline's features **by position** (as SageMaker
does). A baseline dataset therefore lines up with capture when its output (label) column comes first:
SageMaker's ``dataset_format.csv.output_columns_position`` ``START``, the default. An ordinary training
file has the label last: with ``END`` its profile is put in capture order, the last column moved to the
front. Each column is profiled on its own, so reordering the finished statistics is the same as
profiling reordered rows.

Names: a file with a header keeps its column names (``label, age, income``); columns named by position
(``_c0``, ``_c1``, … as a CSV without header gets them) are renamed after their new position, the names a
capture row's columns get when profiled without a baseline (the label becomes ``_c0``).
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from modelwatch.formats.statistics import Statistics

__all__ = ["OutputColumnsPosition", "in_capture_order"]


class OutputColumnsPosition(StrEnum):
    """Where the model's output (label) column is in a baseline dataset."""

    START = "START"  # first, as in a capture row: the profile is kept as it is
    END = "END"  # last, as in a training file "features..., label": moved to the front


def in_capture_order(statistics: Statistics, position: OutputColumnsPosition) -> Statistics:
    """``statistics`` with its features in capture order (outputs first) for a dataset whose output
    column is at ``position``."""
    features = statistics.features
    if position is OutputColumnsPosition.START or len(features) < 2:
        return statistics
    moved = (features[-1], *features[:-1])
    if all(feature.name == f"_c{i}" for i, feature in enumerate(features)):
        moved = tuple(replace(feature, name=f"_c{i}") for i, feature in enumerate(moved))
    return replace(statistics, features=moved)
