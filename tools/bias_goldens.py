"""Generate the bias-metric goldens in ``tests/golden/bias/`` with smclarify 0.5 as the oracle.

smclarify is the open-source library inside SageMaker Clarify (spec ``clarify.md`` §11). Its wheel is
under the Amazon Software License, so it is never a dependency of modelwatch: this script runs in a
throwaway virtual environment outside the repository::

    python3 -m venv /tmp/smclarify-venv
    /tmp/smclarify-venv/bin/pip install smclarify==0.5 'pandas==2.2.*' 'numpy<2' 'scikit-learn<1.6'
    /tmp/smclarify-venv/bin/python tools/bias_goldens.py            # writes tests/golden/bias/*.json

Each case is a small dataset made from a fixed seed, written as CSV text and read back with
``pandas.read_csv`` (as the Clarify container reads CSV), plus a Clarify analysis config. For every
facet, smclarify's ``bias_report`` runs for the pre-training and the post-training stage, exactly as
Clarify calls it; a report that fails as a whole is recorded as ``{"error": message}``. The golden file
holds the CSV text, the config and smclarify's output (``"Infinity"`` strings included).
"""

from __future__ import annotations

import copy
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from smclarify.bias import report

OUT = Path(__file__).resolve().parent.parent / "tests" / "golden" / "bias"

Case = tuple[str, str, Callable[[], pd.DataFrame], dict[str, Any]]


def _rng(seed: int) -> np.random.RandomState:
    return np.random.RandomState(seed)


def _config(
    label: str,
    label_values: list[Any],
    facets: list[dict[str, Any]],
    *,
    group: str | None = None,
    predicted: str | None = "yhat",
    pre: str | list[str] = "all",
    post: str | list[str] | None = "all",
) -> dict[str, Any]:
    methods: dict[str, Any] = {"pre_training_bias": {"methods": pre}}
    if predicted is not None and post is not None:
        methods["post_training_bias"] = {"methods": post}
    config: dict[str, Any] = {
        "version": "1.0",
        "dataset_type": "text/csv",
        "label": label,
        "label_values_or_threshold": label_values,
        "facet": facets,
        "methods": methods,
    }
    if group is not None:
        config["group_variable"] = group
    if predicted is not None:
        config["predicted_label"] = predicted
    return config


def _biased(
    n: int, seed: int, *, d_share: float = 0.4, d_rate: float = 0.3, a_rate: float = 0.6
) -> pd.DataFrame:
    """A two-group dataset whose labels and predictions favour group a."""
    r = _rng(seed)
    d = r.rand(n) < d_share
    y = np.where(d, r.rand(n) < d_rate, r.rand(n) < a_rate).astype(int)
    flip = r.rand(n) < 0.2
    yhat = np.where(flip, 1 - y, y)
    yhat = np.where(d & (r.rand(n) < 0.1), 0, yhat)
    return pd.DataFrame(
        {
            "x1": np.round(r.normal(0, 1, n), 6),
            "x2": r.randint(0, 50, n),
            "sex": np.where(d, "F", "M"),
            "grp": r.choice(["g1", "g2", "g3"], n),
            "y": y,
            "yhat": yhat,
        }
    )


def _spec_vector() -> pd.DataFrame:
    """The metric-level test vector of spec §5 (labels as words, so they stay categorical)."""
    y = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0]
    yhat = [1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0]
    return pd.DataFrame(
        {
            "x1": list(range(1, 13)),
            "x2": [i % 2 for i in range(12)],
            "facet": list("MFFMFMFFMMFF"),
            "group": ["A", "B"] * 6,
            "y": ["yes" if v else "no" for v in y],
            "yhat": ["yes" if v else "no" for v in yhat],
        }
    )


def _tiny_int_labels() -> pd.DataFrame:
    """0/1 integer labels in 20 rows: the 5% rule makes them continuous (spec §3 pitfall)."""
    r = _rng(3)
    n = 20
    return pd.DataFrame(
        {
            "x": np.round(r.rand(n), 4),
            "sex": r.choice(["F", "M"], n),
            "y": r.randint(0, 2, n),
            "yhat": r.randint(0, 2, n),
        }
    )


def _ages(n: int, seed: int) -> pd.DataFrame:
    r = _rng(seed)
    age = r.randint(18, 80, n)
    y = (r.rand(n) < np.where(age > 40, 0.35, 0.55)).astype(int)
    yhat = np.where(r.rand(n) < 0.15, 1 - y, y)
    return pd.DataFrame({"income": np.round(r.lognormal(10, 0.5, n), 2), "age": age, "y": y, "yhat": yhat})


def _scores(n: int, seed: int) -> pd.DataFrame:
    r = _rng(seed)
    f = np.round(r.rand(n), 5)
    score = np.round(np.clip(r.beta(2, 2, n) + 0.1 * (f > 0.5), 0, 1), 5)
    pred = np.round(np.clip(score + r.normal(0, 0.1, n), 0, 1), 5)
    return pd.DataFrame({"f": f, "z": np.round(r.normal(size=n), 4), "score": score, "pred": pred})


def _race(n: int, seed: int) -> pd.DataFrame:
    r = _rng(seed)
    race = r.choice(["A", "B", "C", "D"], n, p=[0.5, 0.2, 0.2, 0.1])
    y = r.choice(["approve", "review", "deny"], n)
    yhat = np.where(r.rand(n) < 0.3, r.choice(["approve", "review", "deny"], n), y)
    return pd.DataFrame(
        {
            "x": np.round(r.rand(n), 3),
            "race": race,
            "state": r.choice(["CA", "NY", "TX"], n),
            "y": y,
            "yhat": yhat,
        }
    )


def _lowcard_int(n: int, seed: int) -> pd.DataFrame:
    r = _rng(seed)
    return pd.DataFrame(
        {
            "x": np.round(r.rand(n), 3),
            "region": r.choice([1, 2, 3], n, p=[0.6, 0.3, 0.1]),
            "y": r.randint(0, 2, n),
            "yhat": r.randint(0, 2, n),
        }
    )


def _constant_label(n: int, seed: int) -> pd.DataFrame:
    df = _biased(n, seed)
    df["y"] = 0
    return df


def _all_positive_predictions(n: int, seed: int) -> pd.DataFrame:
    df = _biased(n, seed)
    df["yhat"] = 1
    return df


def _infinities() -> pd.DataFrame:
    """Facet a gets no positive predictions and d gets no negative ones: DI, DCA, DCR, TE go infinite."""
    rows = []
    for i in range(60):
        d = i % 3 == 0
        y = int(i % 2 == 0)
        yhat = 1 if d else 0
        rows.append({"x": float(i), "sex": "F" if d else "M", "y": y, "yhat": yhat})
    return pd.DataFrame(rows)


def _both_infinite() -> pd.DataFrame:
    """Neither facet has a negative prediction but both have negative labels: DCR is inf - inf → 0."""
    rows = []
    for i in range(50):
        rows.append({"x": float(i), "sex": "F" if i % 2 else "M", "y": int(i % 5 == 0), "yhat": 1})
    return pd.DataFrame(rows)


def _all_false_negatives() -> pd.DataFrame:
    return pd.DataFrame(
        {"x": [float(i) for i in range(50)], "sex": ["F", "M"] * 25, "y": [1] * 50, "yhat": [0] * 50}
    )


def _bool_facet(n: int, seed: int) -> pd.DataFrame:
    r = _rng(seed)
    return pd.DataFrame(
        {
            "x": np.round(r.rand(n), 3),
            "married": r.rand(n) < 0.4,
            "y": r.randint(0, 2, n),
            "yhat": r.randint(0, 2, n),
        }
    )


def _missing_values(n: int, seed: int) -> pd.DataFrame:
    df = _ages(n, seed)
    df["age"] = df["age"].astype(float)
    df.loc[df.index % 7 == 0, "age"] = np.nan
    return df


def _text_features(n: int, seed: int) -> pd.DataFrame:
    df = _biased(n, seed)
    df["city"] = _rng(seed + 1).choice(["Paris", "Rome"], n)
    return df


def _golden_sdk() -> pd.DataFrame:
    path = Path(__file__).resolve().parents[2] / "shared/golden/sagemaker-sdk/clarify_check_step/dataset.csv"
    return pd.read_csv(path, header=None, names=["Label", "F1", "F2", "F3", "F4"])


CASES: list[Case] = [
    (
        "basic_categorical",
        "categorical facet F vs M, 0/1 labels (categorical by the 5% rule), group variable",
        lambda: _biased(400, 1),
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}], group="grp"),
    ),
    (
        "spec_vector",
        "the 12-row metric test vector of spec §5, labels as words",
        _spec_vector,
        _config("y", ["yes"], [{"name_or_index": "facet", "value_or_threshold": ["F"]}], group="group"),
    ),
    (
        "spec_vector_flip_test",
        "the spec §5 vector without a group column, so FT sees only x1 and x2 (FT = 1/7)",
        lambda: _spec_vector().drop(columns=["group"]),
        _config("y", ["yes"], [{"name_or_index": "facet", "value_or_threshold": ["F"]}]),
    ),
    (
        "facet_not_in_data",
        "a facet column that the data lacks fails the report",
        lambda: _biased(50, 30),
        _config("y", [1], [{"name_or_index": "gender", "value_or_threshold": ["F"]}]),
    ),
    (
        "label_values_as_floats_and_int_group",
        "label value 1.0 for an integer label, an integer group variable",
        lambda: _biased(300, 31).assign(grp=_rng(32).randint(0, 4, 300)),
        _config("y", [1.0], [{"name_or_index": "sex", "value_or_threshold": ["F"]}], group="grp"),
    ),
    (
        "group_variable_with_missing_strings",
        "a string group variable with empty cells: np.unique fails, so CDDL and CDDPL error",
        lambda: _biased(200, 33).assign(grp=lambda df: df["grp"].where(_rng(34).rand(len(df)) > 0.1, None)),
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}], group="grp"),
    ),
    (
        "tiny_int_labels_continuous",
        "20 rows of 0/1 integer labels become continuous; the (1, 1] interval is empty",
        _tiny_int_labels,
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}]),
    ),
    (
        "continuous_facet_int_threshold",
        "integer age facet with many values (continuous) and threshold 40",
        lambda: _ages(300, 4),
        _config("y", [1], [{"name_or_index": "age", "value_or_threshold": [40]}]),
    ),
    (
        "continuous_facet_string_threshold",
        "the age threshold given as the string '40' is converted to 40.0",
        lambda: _ages(300, 5),
        _config("y", [1], [{"name_or_index": "age", "value_or_threshold": ["40"]}]),
    ),
    (
        "float_facet_and_float_label_thresholds",
        "float facet threshold 0.5, float label threshold 0.6, float predicted scores",
        lambda: _scores(250, 6),
        _config("score", [0.6], [{"name_or_index": "f", "value_or_threshold": [0.5]}], predicted="pred"),
    ),
    (
        "label_threshold_above_max",
        "a label threshold above every label leaves the positive class empty",
        lambda: _scores(120, 7),
        _config("score", [5.0], [{"name_or_index": "f", "value_or_threshold": [0.5]}], predicted="pred"),
    ),
    (
        "multi_valued_categorical_facet",
        "facet race with values A and C, three-class label collapsed to approve/review",
        lambda: _race(500, 8),
        _config(
            "y",
            ["approve", "review"],
            [{"name_or_index": "race", "value_or_threshold": ["A", "C"]}],
            group="state",
        ),
    ),
    (
        "one_vs_rest_strings",
        "a categorical facet without values: one entry per value, in order of first appearance",
        lambda: _race(300, 9),
        _config("y", ["approve"], [{"name_or_index": "race"}], group="state"),
    ),
    (
        "one_vs_rest_low_cardinality_int",
        "an integer facet with 3 values in 600 rows is categorical; one entry per value",
        lambda: _lowcard_int(600, 10),
        _config("y", [1], [{"name_or_index": "region"}]),
    ),
    (
        "int_facet_value_as_string",
        "facet value '2' (a string) for an integer column: matched after conversion",
        lambda: _lowcard_int(600, 11),
        _config("y", ["1"], [{"name_or_index": "region", "value_or_threshold": ["2"]}]),
    ),
    (
        "empty_facet_group",
        "the facet value is absent: every facet metric errors, GE does not",
        lambda: _biased(200, 12),
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["X"]}], group="grp"),
    ),
    (
        "whole_dataset_is_facet_d",
        "every row is in facet d: the negated facet set is empty",
        lambda: _biased(200, 13),
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F", "M"]}], group="grp"),
    ),
    (
        "single_label_value",
        "every label is 0: divergences truncate, CDDL has no positive labels",
        lambda: _constant_label(200, 14),
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}], group="grp"),
    ),
    (
        "all_predictions_positive",
        "every prediction is positive",
        lambda: _all_positive_predictions(200, 15),
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}], group="grp"),
    ),
    (
        "infinite_values",
        "DI, DCA, DCR and TE reach ±infinity",
        _infinities,
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}]),
    ),
    (
        "both_infinite_is_zero",
        "both facets' conditional rejection is +inf, so DCR is 0",
        _both_infinite,
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}]),
    ),
    (
        "all_false_negatives",
        "every prediction is a false negative: GE errors",
        _all_false_negatives,
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}]),
    ),
    (
        "no_group_variable",
        "without a group variable CDDL and CDDPL error",
        lambda: _biased(150, 16),
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}]),
    ),
    (
        "label_values_as_strings",
        "label values ['1'] for an integer label column: matched after conversion",
        lambda: _biased(300, 17),
        _config("y", ["1"], [{"name_or_index": "sex", "value_or_threshold": ["F"]}], group="grp"),
    ),
    (
        "label_values_not_present",
        "label value 7 never occurs: no positive label, post-training fails as a whole",
        lambda: _biased(300, 18),
        _config("y", [7], [{"name_or_index": "sex", "value_or_threshold": ["F"]}], group="grp"),
    ),
    (
        "unbalanced_groups",
        "facet d is 3% of 2000 rows",
        lambda: _biased(2000, 19, d_share=0.03),
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}], group="grp"),
    ),
    (
        "tiny_dataset",
        "6 rows, string labels; FT uses 1 neighbour",
        lambda: pd.DataFrame(
            {
                "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                "sex": ["F", "M", "M", "F", "M", "F"],
                "y": ["good", "bad", "good", "good", "bad", "bad"],
                "yhat": ["good", "good", "good", "bad", "bad", "good"],
            }
        ),
        _config("y", ["good"], [{"name_or_index": "sex", "value_or_threshold": ["F"]}]),
    ),
    (
        "bool_facet",
        "a True/False facet column with value True",
        lambda: _bool_facet(300, 20),
        _config("y", [1], [{"name_or_index": "married", "value_or_threshold": [True]}]),
    ),
    (
        "missing_facet_values",
        "a continuous facet with empty cells (NaN is never in facet d)",
        lambda: _missing_values(300, 21),
        _config("y", [1], [{"name_or_index": "age", "value_or_threshold": [40]}]),
    ),
    (
        "non_numeric_feature",
        "a string feature column makes FT error",
        lambda: _text_features(200, 22),
        _config("y", [1], [{"name_or_index": "sex", "value_or_threshold": ["F"]}], group="grp"),
    ),
    (
        "two_facets_and_method_lists",
        "two facets, explicit method lists for both stages",
        lambda: _ages(400, 23).assign(sex=_rng(24).choice(["F", "M"], 400)),
        _config(
            "y",
            [1],
            [
                {"name_or_index": "sex", "value_or_threshold": ["F"]},
                {"name_or_index": "age", "value_or_threshold": [50]},
            ],
            pre=["CI", "DPL", "KL", "CDDL"],
            post=["DPPL", "DI", "FT", "GE"],
        ),
    ),
    (
        "large_mixed",
        "5000 rows, four-valued facet, group variable",
        lambda: _race(5000, 25),
        _config("y", ["deny"], [{"name_or_index": "race", "value_or_threshold": ["D"]}], group="state"),
    ),
    (
        "pre_training_only",
        "no predicted label: only pre-training metrics",
        lambda: _biased(100, 26).drop(columns=["yhat"]),
        _config(
            "y", [0], [{"name_or_index": "sex", "value_or_threshold": ["M"]}], group="grp", predicted=None
        ),
    ),
    (
        "sagemaker_sdk_clarify_check_step",
        "the SageMaker SDK's ClarifyCheck dataset: facet F1 > 0.5, group F2 (matches its analysis.json)",
        _golden_sdk,
        _config(
            "Label", [1], [{"name_or_index": "F1", "value_or_threshold": [0.5]}], group="F2", predicted=None
        ),
    ),
]


def _run(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as exc:  # every failure of a whole report is a recorded outcome
        return {"error": str(exc), "error_type": type(exc).__name__}


def _stage(df: pd.DataFrame, config: dict[str, Any], stage: report.StageType) -> dict[str, Any]:
    key = "pre_training_bias" if stage is report.StageType.PRE_TRAINING else "post_training_bias"
    methods = config["methods"][key]["methods"]
    metrics = ["all"] if methods == "all" else list(methods)
    label = config["label"]
    group = config.get("group_variable")
    predicted = config.get("predicted_label")
    facets: dict[str, Any] = {}
    for facet in config["facet"]:
        name = facet["name_or_index"]
        values = copy.deepcopy(facet.get("value_or_threshold"))

        def call(name: str = name, values: Any = values) -> Any:
            return report.bias_report(
                df,
                report.FacetColumn(name, values),
                report.LabelColumn(label, df[label], copy.deepcopy(config["label_values_or_threshold"])),
                stage,
                predicted_label_column=(
                    report.LabelColumn(predicted, df[predicted])
                    if predicted is not None and stage is report.StageType.POST_TRAINING
                    else None
                ),
                metrics=metrics,
                group_variable=df[group] if group is not None else None,
            )

        facets[name] = _run(call)
    label_value = _run(
        lambda: report.label_value_or_threshold(df[label], copy.deepcopy(config["label_values_or_threshold"]))
    )
    return {"label": label, "facets": facets, "label_value_or_threshold": label_value}


def generate(case: Case) -> dict[str, Any]:
    name, description, make, config = case
    csv_text = make().to_csv(index=False)
    df = pd.read_csv(io.StringIO(csv_text))
    expected = {"pre_training_bias_metrics": _stage(df, config, report.StageType.PRE_TRAINING)}
    if "post_training_bias" in config["methods"]:
        expected["post_training_bias_metrics"] = _stage(df, config, report.StageType.POST_TRAINING)
    return {
        "case": name,
        "description": description,
        "oracle": "smclarify 0.5, pandas " + pd.__version__ + ", numpy " + np.__version__,
        "dataset_csv": csv_text,
        "config": config,
        "expected": expected,
    }


def main() -> int:
    import logging

    logging.disable(logging.CRITICAL)  # smclarify logs every failed metric with a traceback
    OUT.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        golden = generate(case)
        (OUT / f"{case[0]}.json").write_text(json.dumps(golden, indent=1) + "\n")
        print(f"{case[0]}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
