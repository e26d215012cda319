"""Text records: numeric descriptors per record and an offline embedder fitted on the baseline.

Descriptors (one numeric column each, profiled and checked like tabular features):

=====================  ==============================================================================
``characters``          length in Unicode code points
``tokens``              number of word tokens (``\\w+``, Unicode-aware)
``non_ascii_share``     share of characters above U+007F (0 for an empty text)
``empty``               1 when the text holds nothing but white space, else 0
``oov_rate``            share of tokens (lower-cased) outside the baseline's vocabulary (0 without tokens)
=====================  ==============================================================================

The embedder (:class:`TextEmbedder`) is latent semantic analysis fitted on the baseline's texts: TF-IDF
(sublinear term frequency, unigrams and bigrams, terms in at least 2 texts) reduced by a seeded
truncated SVD, rows L2-normalised. It needs scikit-learn only (no download at run time) and is stored as
plain arrays (:meth:`TextEmbedder.save`: an ``.npz`` without pickles), so a check reuses the baseline's
fit. A record that is not a string is counted as ``not_text``, an empty one as ``empty_text``; both stay
out of the embeddings (an empty text is still described).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa

from modelwatch.errors import EmptyDatasetError, FormatError
from modelwatch.monitors.embeddings import BadRecords

__all__ = ["DESCRIPTORS", "TextEmbedder", "Vocabulary", "describe_texts", "usable_texts"]

DESCRIPTORS = ("characters", "tokens", "non_ascii_share", "empty", "oov_rate")

_TOKEN = re.compile(r"\w+", re.UNICODE)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Vocabulary:
    """The baseline's lower-cased tokens: at most ``max_size`` of the most frequent."""

    terms: frozenset[str]

    @classmethod
    def fit(cls, texts: Iterable[Any], *, max_size: int = 50_000) -> Vocabulary:
        """The vocabulary of the string ``texts`` (others are ignored)."""
        counts: Counter[str] = Counter()
        for text in texts:
            if isinstance(text, str):
                counts.update(_tokens(text))
        return cls(frozenset(term for term, _ in counts.most_common(max_size)))

    def to_list(self) -> list[str]:
        """The terms, sorted (what ``statistics``-side files store)."""
        return sorted(self.terms)


def describe_texts(texts: Sequence[Any], vocabulary: Vocabulary, *, bad: BadRecords) -> pa.Table:
    """One row of :data:`DESCRIPTORS` per string in ``texts``; a non-string is counted ``not_text``.

    An empty (white-space only) text is described (``empty`` = 1) and counted as ``empty_text``.
    """
    columns: dict[str, list[float]] = {name: [] for name in DESCRIPTORS}
    terms = vocabulary.terms
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            bad.add("not_text", f"record {index}: {type(text).__name__}, expected a string")
            continue
        tokens = _tokens(text)
        empty = not text.strip()
        if empty:
            bad.add("empty_text", f"record {index}: empty text")
        columns["characters"].append(float(len(text)))
        columns["tokens"].append(float(len(tokens)))
        columns["non_ascii_share"].append(len(_NON_ASCII.findall(text)) / len(text) if text else 0.0)
        columns["empty"].append(1.0 if empty else 0.0)
        columns["oov_rate"].append(sum(t not in terms for t in tokens) / len(tokens) if tokens else 0.0)
    return pa.table({name: pa.array(values, pa.float64()) for name, values in columns.items()})


def usable_texts(texts: Sequence[Any]) -> list[str]:
    """The strings of ``texts`` that are not empty: what the embedder sees."""
    return [text for text in texts if isinstance(text, str) and text.strip()]


class TextEmbedder:
    """TF-IDF + truncated SVD fitted on the baseline's texts (latent semantic analysis)."""

    def __init__(self, *, components: int = 128, max_features: int = 50_000, seed: int = 0) -> None:
        self.components = components
        self.max_features = max_features
        self.seed = seed

    def fit(self, texts: Sequence[str]) -> TextEmbedder:
        """Learn the terms, their IDF and the SVD basis from ``texts``."""
        from sklearn.decomposition import TruncatedSVD

        if len(texts) < 3:
            raise EmptyDatasetError(f"the text embedder needs at least 3 non-empty texts, got {len(texts)}")
        vectorizer = self._vectorizer(min_df=2 if len(texts) >= 20 else 1)
        matrix = vectorizer.fit_transform(texts)
        count = max(1, min(self.components, matrix.shape[1] - 1, len(texts) - 1))
        svd = TruncatedSVD(n_components=count, random_state=self.seed).fit(matrix)
        self.terms_ = np.array(vectorizer.get_feature_names_out(), dtype=str)
        self.idf_ = np.asarray(vectorizer.idf_, dtype=np.float64)
        self.basis_ = np.asarray(svd.components_, dtype=np.float64)
        return self

    def _vectorizer(self, *, min_df: int = 1) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            sublinear_tf=True,
            ngram_range=(1, 2),
            min_df=min_df,
            max_features=self.max_features,
            dtype=np.float64,
        )

    @property
    def dimension(self) -> int:
        """The length of the vectors."""
        return int(self.basis_.shape[0])

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised vector per text (a text without known terms: the zero vector)."""
        if not hasattr(self, "basis_"):
            raise FormatError("the text embedder is not fitted: call fit() or load() first")
        vectorizer = self._vectorizer()
        vectorizer.vocabulary_ = {str(term): index for index, term in enumerate(self.terms_)}
        vectorizer.idf_ = self.idf_
        vectors = np.asarray(vectorizer.transform(texts) @ self.basis_.T)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms > 0, norms, 1.0)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`transform`, so a fitted embedder is an :data:`~modelwatch.monitors.embeddings.Embedder`."""
        return self.transform(texts)

    def save(self, path: str | Path | BinaryIO) -> None:
        """Write the fitted arrays to ``path`` (``.npz``, no pickled objects)."""
        np.savez(path, terms=self.terms_, idf=self.idf_, basis=self.basis_)

    @classmethod
    def load(cls, path: str | Path | BinaryIO) -> TextEmbedder:
        """An embedder from a file written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as arrays:
                embedder = cls(components=int(arrays["basis"].shape[0]))
                embedder.terms_ = arrays["terms"]
                embedder.idf_ = arrays["idf"]
                embedder.basis_ = arrays["basis"]
        except (OSError, KeyError, ValueError) as exc:
            raise FormatError(f"{path}: not a text embedder file: {exc}") from exc
        return embedder
