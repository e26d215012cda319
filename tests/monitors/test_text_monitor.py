"""Text monitor: descriptors, the baseline-fitted embedder, and drift verdicts on Python's own docs.

The corpus is the paragraphs of the language reference topics that ship with CPython
(``pydoc_data.topics``: ``help('for')`` and friends), grouped by topic.
"""

from __future__ import annotations

import codecs
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from modelwatch.analysis.embedding_drift import embedding_drift
from modelwatch.errors import ConfigurationError, FormatError, ValidationError
from modelwatch.monitors.embeddings import BadRecords, embed, fit_split, load_embedder, vectors_from_values
from modelwatch.monitors.text import TextEmbedder, Vocabulary, describe_texts, usable_texts

TOPICS = {"debugger", "string-methods", "formatstrings", "typesmapping"}


def _paragraphs() -> list[tuple[str, str]]:
    import pydoc_data.topics

    found: dict[str, str] = {}  # topics repeat each other's paragraphs ("specialnames" holds "customization")
    for name, text in sorted(pydoc_data.topics.topics.items()):
        for paragraph in re.split(r"\n\s*\n", text):
            joined = " ".join(paragraph.split())
            if len(joined) >= 60:
                found.setdefault(joined, name)
    return [(name, text) for text, name in found.items()]


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[str]]:
    paragraphs = _paragraphs()
    order = np.random.default_rng(0).permutation(len(paragraphs))
    baseline = [paragraphs[i][1] for i in order[:800]]
    resample = [paragraphs[i][1] for i in order[800:1100]]
    topic = [text for name, text in paragraphs if name in TOPICS][:300]
    return {
        "baseline": baseline,
        "resample": resample,
        "topic": topic,
        "rot13": [codecs.encode(text, "rot13") for text in resample],
    }


def test_descriptors_per_record() -> None:
    vocabulary = Vocabulary.fit(["the cat sat", "the dog"])
    bad = BadRecords()
    table = describe_texts(["The cat flew", "", "  ", "héllo", None, 42], vocabulary, bad=bad)
    assert table.column_names == ["characters", "tokens", "non_ascii_share", "empty", "oov_rate"]
    assert table["characters"].to_pylist() == [12.0, 0.0, 2.0, 5.0]
    assert table["tokens"].to_pylist() == [3.0, 0.0, 0.0, 1.0]
    assert table["non_ascii_share"].to_pylist() == [0.0, 0.0, 0.0, 0.2]
    assert table["empty"].to_pylist() == [0.0, 1.0, 1.0, 0.0]
    assert table["oov_rate"].to_pylist() == [pytest.approx(1 / 3), 0.0, 0.0, 1.0]
    assert bad.to_dict()["by_kind"] == {"empty_text": 2, "not_text": 2}
    assert bad.total == 4 and "record 4: NoneType" in bad.examples["not_text"]
    assert usable_texts(["a", "", " ", None, "b"]) == ["a", "b"]


def test_embedder_round_trips_through_its_file(tmp_path: Path, corpus: dict[str, list[str]]) -> None:
    embedder = TextEmbedder(components=32).fit(corpus["baseline"][:200])
    vectors = embedder(corpus["resample"][:10])
    assert vectors.shape == (10, 32)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(np.ones(10))
    embedder.save(tmp_path / "text.npz")
    again = TextEmbedder.load(tmp_path / "text.npz")
    assert np.array_equal(again(corpus["resample"][:10]), vectors)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(FormatError, match="not a text embedder file"):
        TextEmbedder.load(tmp_path / "bad.npz")
    with pytest.raises(FormatError, match="not fitted"):
        TextEmbedder().transform(["x"])


def _verdict(corpus: dict[str, list[str]], window: str) -> tuple[bool, float, float]:
    baseline = corpus["baseline"]
    fit_rows, reference_rows = fit_split(len(baseline))
    embedder = TextEmbedder().fit([baseline[i] for i in fit_rows])
    reference = embedder([baseline[i] for i in reference_rows])
    vocabulary = Vocabulary.fit([baseline[i] for i in fit_rows])
    drift = embedding_drift(reference, embedder(corpus[window]), permutations=199)
    oov = describe_texts(corpus[window], vocabulary, bad=BadRecords())["oov_rate"].to_numpy()
    return drift.drifted, drift.mmd.p_value, float(oov.mean())


def test_a_resample_of_the_docs_is_not_flagged(corpus: dict[str, list[str]]) -> None:
    drifted, p_value, oov = _verdict(corpus, "resample")
    assert not drifted and p_value > 0.05
    assert oov < 0.15


def test_a_changed_topic_mix_is_flagged(corpus: dict[str, list[str]]) -> None:
    drifted, p_value, _ = _verdict(corpus, "topic")
    assert drifted and p_value <= 0.01


def test_a_scrambled_language_is_flagged_and_raises_the_oov_rate(corpus: dict[str, list[str]]) -> None:
    drifted, p_value, oov = _verdict(corpus, "rot13")
    assert drifted and p_value <= 0.01
    assert oov > 0.5


def test_user_embedder_hook_and_bad_vectors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_embedder.py").write_text(
        "def embed(records):\n    return [[len(r), 1.0] if r != 'odd' else [1.0] for r in records]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    embedder = load_embedder("my_embedder:embed")
    bad = BadRecords()
    vectors = embed(embedder, ["ab", "odd", "abcd"], dimension=2, bad=bad)
    assert vectors.tolist() == [[2.0, 1.0], [4.0, 1.0]]
    assert bad.to_dict()["by_kind"] == {"wrong_dimension": 1}
    with pytest.raises(ValidationError, match="embedder: expected 'module:function'"):
        load_embedder("no_colon")
    with pytest.raises(ConfigurationError, match="cannot import"):
        load_embedder("no_such_module_xyz:f")
    with pytest.raises(ConfigurationError, match="has no attribute"):
        load_embedder("my_embedder:missing")
    sys.modules.pop("my_embedder", None)


def test_vectors_from_values_counts_each_kind() -> None:
    bad = BadRecords()
    matrix, kept = vectors_from_values(
        [[1, 2], [1, 2, 3], "x", None, [1, float("nan")], [3, 4], []], dimension=None, bad=bad
    )
    assert matrix.tolist() == [[1.0, 2.0], [3.0, 4.0]] and kept.tolist() == [0, 5]
    assert bad.to_dict()["by_kind"] == {"non_finite_vector": 1, "not_a_vector": 3, "wrong_dimension": 1}


def test_fit_split_is_disjoint_and_seeded() -> None:
    fit_rows, reference = fit_split(11, seed=3)
    assert sorted([*fit_rows, *reference]) == list(range(11)) and len(fit_rows) == 5
    assert np.array_equal(fit_split(11, seed=3)[0], fit_rows)


def test_bad_records_merge_adds_counts_and_keeps_the_first_example() -> None:
    first, second = BadRecords(), BadRecords()
    first.add("empty_text", "record 0: empty text")
    second.add("empty_text", "record 9: empty text")
    second.add("not_text", "record 3: int")
    merged = first.merge(second)
    assert merged.to_dict() == {
        "total": 3,
        "by_kind": {"empty_text": 2, "not_text": 1},
        "examples": {"empty_text": "record 0: empty text", "not_text": "record 3: int"},
    }
    assert BadRecords().merge(first).to_dict() == first.to_dict()
