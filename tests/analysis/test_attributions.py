"""Kernel SHAP: ShapConfig parsing, equality with shap.KernelExplainer, aggregation, the background."""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest
import shap
from sklearn.datasets import make_blobs, make_classification
from sklearn.linear_model import LogisticRegression

from modelwatch.analysis.attributions import aggregate, explain
from modelwatch.analysis.shap_config import (
    AggMethod,
    Background,
    ShapConfig,
    auto_num_clusters,
    resolve_background,
    summarize_background,
)
from modelwatch.errors import DataError, EmptyDatasetError, ValidationError


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, LogisticRegression]:
    x, y = make_classification(n_samples=120, n_features=6, n_informative=4, random_state=1)
    return x, LogisticRegression(max_iter=1000).fit(x, y)


def _positive(model: LogisticRegression):
    return lambda rows: model.predict_proba(rows)[:, 1]


def _shap_reference(predict, rows, background, seed, nsamples, link="identity", l1_reg=False):
    np.random.seed(seed)
    explainer = shap.KernelExplainer(predict, background, link=link)
    return explainer, explainer.shap_values(rows, nsamples=nsamples, silent=True, l1_reg=l1_reg)


# --------------------------------------------------------------------------------------------------
# ShapConfig


def test_config_from_json_reads_every_key() -> None:
    config = ShapConfig.from_json(
        {
            "baseline": [[1, 2.5, "3"], [0, 0, 0]],
            "num_samples": 64,
            "agg_method": "median",
            "use_logit": True,
            "save_local_shap_values": False,
            "seed": 7,
            "features_to_explain": ["a", 2],
        }
    )
    assert config.baseline == ((1.0, 2.5, 3.0), (0.0, 0.0, 0.0))
    assert config.num_samples == 64 and config.seed == 7 and config.use_logit
    assert config.agg_method is AggMethod.MEDIAN and not config.save_local_shap_values
    assert config.features_to_explain == ("a", 2)
    assert ShapConfig.from_json(config.to_json()) == config


def test_config_defaults_follow_the_sdk() -> None:
    config = ShapConfig.from_json({})
    assert config.agg_method is AggMethod.MEAN_ABS
    assert config.save_local_shap_values and not config.use_logit
    assert config.baseline is None and config.num_clusters is None and config.num_samples is None


def test_config_accepts_a_uri_and_json_lines_rows() -> None:
    assert (
        ShapConfig.from_json({"baseline": "s3://bucket/baseline.csv"}).baseline == "s3://bucket/baseline.csv"
    )
    rows = ShapConfig.from_json({"baseline": [{"features": [1, 2]}, {"features": [3, 4]}]}).baseline
    assert rows == ((1.0, 2.0), (3.0, 4.0))


@pytest.mark.parametrize(
    ("shap_json", "field", "words"),
    [
        ({"agg_method": "max"}, "methods.shap.agg_method", "mean_abs, median, mean_sq"),
        ({"agg_method": 3}, "methods.shap.agg_method", "string"),
        ({"num_samples": 0}, "methods.shap.num_samples", ">= 1"),
        ({"num_samples": True}, "methods.shap.num_samples", "integer"),
        ({"num_clusters": "4"}, "methods.shap.num_clusters", "integer"),
        ({"seed": -1}, "methods.shap.seed", ">= 0"),
        ({"use_logit": "yes"}, "methods.shap.use_logit", "true or false"),
        ({"baseline": [[1, 2]], "num_clusters": 3}, "methods.shap.num_clusters", "cannot both"),
        ({"baseline": [[1, 2], [1]]}, "methods.shap.baseline", "different lengths"),
        ({"baseline": [[1, "x"]]}, "methods.shap.baseline[0][1]", "number"),
        ({"baseline": []}, "methods.shap.baseline", "non-empty"),
        ({"text_config": {}}, "methods.shap.text_config", "not supported"),
        ({"bogus": 1}, "methods.shap.bogus", "unknown key"),
        ({"features_to_explain": []}, "methods.shap.features_to_explain", "non-empty"),
        ({"l1_reg": "lots"}, "methods.shap.l1_reg", "num_features"),
    ],
)
def test_config_errors_name_the_key(shap_json: dict, field: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ShapConfig.from_json(shap_json)
    assert caught.value.field == field
    assert words in str(caught.value)


# --------------------------------------------------------------------------------------------------
# equality with shap


@pytest.fixture(scope="module")
def kmeans_background(data) -> tuple[Background, object]:
    x, _ = data
    return summarize_background(x, 5), shap.kmeans(x, 5)


@pytest.mark.parametrize(("nsamples", "use_logit"), [(20, False), (50, True), (200, False)])
def test_values_equal_kernel_explainer(data, kmeans_background, nsamples: int, use_logit: bool) -> None:
    x, model = data
    rows = x[:15]
    predict = _positive(model)
    background, reference_background = kmeans_background
    config = ShapConfig(num_samples=nsamples, seed=11, use_logit=use_logit)
    result = explain(predict, rows, background, config, batch_rows=700)
    explainer, expected = _shap_reference(
        predict, rows, reference_background, 11, nsamples, link="logit" if use_logit else "identity"
    )
    assert result.local_values is not None
    np.testing.assert_allclose(result.local_values[0], expected, rtol=0, atol=1e-10)
    assert result.expected_values[0] == pytest.approx(explainer.expected_value, abs=1e-12)
    assert result.labels == ("label0",)


def test_values_equal_kernel_explainer_with_shap_feature_selection(data) -> None:
    x, model = data
    wide = np.hstack([x, x[:, ::-1] * 0.5])  # 12 features: shap's default keeps 10 per row
    fitted = LogisticRegression(max_iter=1000).fit(wide, model.predict(x))
    predict = _positive(fitted)
    config = ShapConfig(num_samples=60, seed=3, l1_reg="num_features(10)")
    result = explain(predict, wide[:10], wide[:4], config)
    _, expected = _shap_reference(predict, wide[:10], wide[:4], 3, 60, l1_reg="num_features(10)")
    assert result.local_values is not None
    np.testing.assert_allclose(result.local_values[0], expected, rtol=0, atol=1e-10)
    assert np.all(np.count_nonzero(result.local_values[0], axis=1) <= 10)


def test_multi_output_models_give_one_label_per_score(data) -> None:
    x, model = data
    config = ShapConfig(num_samples=40, seed=5)
    result = explain(model.predict_proba, x[:8], x[:3], config, labels=["no", "yes"])
    _, expected = _shap_reference(model.predict_proba, x[:8], x[:3], 5, 40)
    assert result.labels == ("no", "yes")
    assert result.local_values is not None
    np.testing.assert_allclose(np.transpose(result.local_values, (1, 2, 0)), expected, rtol=0, atol=1e-10)


def test_batching_and_async_predictors_do_not_change_values(data) -> None:
    x, model = data
    predict = _positive(model)
    config = ShapConfig(num_samples=30, seed=2)
    reference = explain(predict, x[:12], x[:5], config, batch_rows=1)
    pool = ThreadPoolExecutor(max_workers=3)

    class Async:
        batch_rows = 400
        max_pending = 3

        def __call__(self, rows: np.ndarray) -> np.ndarray:
            return predict(rows)

        def submit(self, rows: np.ndarray) -> Future:
            return pool.submit(predict, rows)

    try:
        result = explain(Async(), x[:12], x[:5], config)
    finally:
        pool.shutdown()
    assert result.local_values is not None and reference.local_values is not None
    np.testing.assert_array_equal(result.local_values, reference.local_values)
    assert result.model_calls < reference.model_calls


def test_linear_model_with_full_enumeration_gives_exact_shapley_values() -> None:
    rng = np.random.default_rng(0)
    weights = np.array([2.0, -1.0, 0.5, 0.0, 3.0])
    background = rng.normal(size=(7, 5))
    rows = rng.normal(size=(6, 5))
    result = explain(lambda r: r @ weights + 1.0, rows, background, ShapConfig(num_samples=2**5, seed=0))
    exact = (rows - background.mean(axis=0)) * weights  # phi_j = w_j (x_j - E[x_j]) for a linear model
    assert result.local_values is not None
    np.testing.assert_allclose(result.local_values[0], exact, atol=1e-9)
    assert result.expected_values[0] == pytest.approx(background.mean(axis=0) @ weights + 1.0)


def test_local_values_add_up_to_the_prediction(data, kmeans_background) -> None:
    x, model = data
    predict = _positive(model)
    background = kmeans_background[0]
    result = explain(predict, x[:15], background, ShapConfig(num_samples=30, seed=1))
    assert result.local_values is not None
    np.testing.assert_allclose(
        result.local_values[0].sum(axis=1) + result.expected_values[0], predict(x[:15])
    )
    weighted_mean = background.weights @ predict(background.rows)
    assert result.expected_values[0] == pytest.approx(weighted_mean, abs=1e-12)


def test_seed_makes_runs_reproducible_and_restores_the_global_state(data) -> None:
    x, model = data
    predict = _positive(model)
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    first = explain(predict, x[:6], x[:3], ShapConfig(num_samples=20, seed=9))
    assert np.array_equal(np.random.get_state()[1], state)
    second = explain(predict, x[:6], x[:3], ShapConfig(num_samples=20, seed=9))
    other = explain(predict, x[:6], x[:3], ShapConfig(num_samples=20, seed=10))
    assert (
        first.local_values is not None and second.local_values is not None and other.local_values is not None
    )
    np.testing.assert_array_equal(first.local_values, second.local_values)
    assert not np.allclose(first.local_values, other.local_values)


# --------------------------------------------------------------------------------------------------
# aggregation and output


@pytest.mark.parametrize("method", list(AggMethod))
def test_global_values_aggregate_local_values(data, method: AggMethod) -> None:
    x, model = data
    config = ShapConfig(num_samples=30, seed=4, agg_method=method)
    result = explain(_positive(model), x[:20], x[:3], config)
    local = result.local_values[0]  # type: ignore[index]
    oracle = {
        AggMethod.MEAN_ABS: np.abs(local).mean(axis=0),
        AggMethod.MEDIAN: np.median(local, axis=0),
        AggMethod.MEAN_SQ: (local**2).mean(axis=0),
    }[method]
    np.testing.assert_allclose(result.global_values[0], oracle)
    np.testing.assert_allclose(aggregate(local, method.value), oracle)
    assert result.global_shap_values("label0") == dict(
        zip(result.feature_names, oracle.tolist(), strict=True)
    )


def test_median_can_be_negative() -> None:
    values = np.array([[-1.0, 2.0], [-3.0, 1.0], [-2.0, 5.0]])
    np.testing.assert_array_equal(aggregate(values, "median"), [-2.0, 2.0])
    np.testing.assert_array_equal(aggregate(values, "mean_abs"), [2.0, 8.0 / 3.0])


def test_local_values_are_dropped_unless_asked_for(data) -> None:
    x, model = data
    result = explain(
        _positive(model), x[:5], x[:2], ShapConfig(num_samples=20, seed=0, save_local_shap_values=False)
    )
    assert result.local_values is None
    assert result.rows == 5 and result.model_calls >= 3 and result.model_rows > 5 * 20


def test_features_to_explain_keeps_the_named_columns(data) -> None:
    x, model = data
    names = [f"f{i}" for i in range(6)]
    full = explain(_positive(model), x[:8], x[:3], ShapConfig(num_samples=30, seed=0), feature_names=names)
    config = ShapConfig(num_samples=30, seed=0, features_to_explain=("f4", 1))
    part = explain(_positive(model), x[:8], x[:3], config, feature_names=names)
    assert part.feature_names == ("f4", "f1")
    np.testing.assert_array_equal(part.global_values[0], full.global_values[0][[4, 1]])
    with pytest.raises(ValidationError, match="unknown feature 'nope'"):
        explain(
            _positive(model), x[:2], x[:3], ShapConfig(features_to_explain=("nope",)), feature_names=names
        )


# --------------------------------------------------------------------------------------------------
# model and input errors


def test_bad_model_outputs_are_data_errors(data) -> None:
    x, _ = data
    with pytest.raises(DataError, match="shape"):
        explain(lambda r: np.zeros(len(r) + 1), x[:3], x[:2], ShapConfig(num_samples=10))
    with pytest.raises(DataError, match="non-finite"):
        explain(lambda r: np.full(len(r), np.nan), x[:3], x[:2], ShapConfig(num_samples=10))
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        explain(lambda r: np.ones(len(r)), x[:3], x[:2], ShapConfig(num_samples=10, use_logit=True))
    with pytest.raises(EmptyDatasetError):
        explain(lambda r: np.ones(len(r)), x[:0], x[:2], ShapConfig())
    with pytest.raises(DataError, match="background has 2 features"):
        explain(lambda r: np.ones(len(r)), x[:3], x[:2, :2], ShapConfig())
    with pytest.raises(ValidationError) as caught:
        explain(lambda r: np.ones((len(r), 2)), x[:3], x[:2], ShapConfig(num_samples=10), labels=["only"])
    assert caught.value.field == "predictor.label_headers"


# --------------------------------------------------------------------------------------------------
# background


def test_kmeans_background_is_shap_kmeans(kmeans_background) -> None:
    background, reference = kmeans_background
    np.testing.assert_array_equal(background.rows, reference.data)
    np.testing.assert_allclose(background.weights, reference.weights)
    assert background.weights.sum() == pytest.approx(1.0)


def test_resolve_background_from_rows_and_files(tmp_path) -> None:
    rows = ((1.0, 2.0), (3.0, 4.0))
    assert np.array_equal(resolve_background(ShapConfig(baseline=rows), None, n_features=2).rows, rows)
    csv_file = tmp_path / "baseline.csv"
    csv_file.write_text("a,b\n1,2\n3,4\n")
    assert np.array_equal(
        resolve_background(ShapConfig(baseline=str(csv_file)), None, n_features=2).rows, rows
    )
    jsonl_file = tmp_path / "baseline.jsonl"
    jsonl_file.write_text('{"features": [1, 2]}\n{"features": [3, 4]}\n')
    loaded = resolve_background(ShapConfig(baseline=str(jsonl_file)), None, n_features=2)
    np.testing.assert_array_equal(loaded.rows, rows)
    np.testing.assert_array_equal(loaded.weights, [0.5, 0.5])
    json_file = tmp_path / "baseline.json"
    json_file.write_text(json.dumps([[1, 2], [3, 4]]))
    assert np.array_equal(
        resolve_background(ShapConfig(baseline=str(json_file)), None, n_features=2).rows, rows
    )


def test_bad_baseline_files_name_file_line_and_column(tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n3,x\n")
    with pytest.raises(DataError) as caught:
        resolve_background(ShapConfig(baseline=str(bad)), None, n_features=2)
    assert (caught.value.file, caught.value.line, caught.value.column) == (str(bad), 2, "1")
    wide = tmp_path / "wide.csv"
    wide.write_text("1,2,3\n")
    with pytest.raises(DataError, match="expected 2 features"):
        resolve_background(ShapConfig(baseline=str(wide)), None, n_features=2)
    with pytest.raises(ValidationError, match="expected 3 features"):
        resolve_background(ShapConfig(baseline=((1.0, 2.0),)), None, n_features=3)


def test_num_clusters_and_automatic_clusters() -> None:
    x, _ = make_blobs(n_samples=60, centers=[[0, 0], [10, 10], [-10, 10]], cluster_std=0.5, random_state=0)
    assert auto_num_clusters(x) == 3
    assert len(resolve_background(ShapConfig(num_clusters=5), x, n_features=2).rows) == 5
    assert auto_num_clusters(np.ones((10, 2))) == 1
    assert len(summarize_background(x[:2], 5).rows) == 2  # capped at the number of rows


def test_uniform_background_passes_plain_rows() -> None:
    rows = np.arange(6.0).reshape(3, 2)
    assert Background.uniform(rows).to_shap() is not None
    np.testing.assert_array_equal(Background.uniform(rows).to_shap(), rows)
