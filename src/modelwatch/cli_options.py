"""Command-line options that several commands declare alike (``modelwatch baseline``, ``quality-check``):
one declaration each, so their flags and help read the same everywhere."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

__all__ = [
    "GroundTruthAttributeOption",
    "InferenceAttributeOption",
    "OutputColumnsPositionOption",
    "ProbabilityAttributeOption",
    "ProbabilityThresholdOption",
    "ProblemTypeOption",
]


class OutputColumnsPositionOption(StrEnum):
    START = "START"
    END = "END"


class ProblemTypeOption(StrEnum):
    BINARY = "BinaryClassification"
    MULTICLASS = "MulticlassClassification"
    REGRESSION = "Regression"


def _attribute(name: str, what: str) -> typer.models.OptionInfo:
    return typer.Option(f"--{name.replace('_', '-')}", help=f"Model quality: {what}.", show_default=False)


InferenceAttributeOption = Annotated[
    str | None, _attribute("inference_attribute", "column of the predicted label or value")
]
ProbabilityAttributeOption = Annotated[
    str | None, _attribute("probability_attribute", "column of the predicted probability")
]
ProbabilityThresholdOption = Annotated[
    float | None, _attribute("probability_threshold_attribute", "probability cut-off (default 0.5)")
]
GroundTruthAttributeOption = Annotated[
    str | None, _attribute("ground_truth_attribute", "column of the true label or value")
]
