"""Speed of the built-in unstructured monitors: 10,000 texts and 10,000 images embedded and tested, and
MMD with 500 permutations on 10,000 × 384 against 10,000 × 384.

Each figure is wall time in this process (numpy/BLAS threads as the machine gives them):

- **mmd**: :func:`~modelwatch.analysis.embedding_drift.mmd_test` of two seeded Gaussian 10,000 × 384
  samples (one shifted by 0.02 per coordinate), 500 permutations; then the whole
  :func:`~modelwatch.analysis.embedding_drift.embedding_drift` (MMD + domain classifier + PCA-KS);
- **text**: records are sentences of CPython's language reference (``pydoc_data.topics``) drawn with
  replacement (seeded) to 10,000 per side; baseline = vocabulary + TF-IDF/SVD embedder fitted on one half
  and the other half embedded; window = descriptors + embedding + all three tests (500 permutations);
- **images**: scikit-learn's ``load_digits`` drawn with replacement to 10,000 per side, each encoded as
  BASE64 PNG as a capture holds it; window = decoding + descriptors + embedding + all three tests.

Target: a 10,000-record window analysed in under 60 s including embedding. Run:
``python benchmarks/unstructured.py [--records 10000] [--permutations 500]``.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.datasets import load_digits

from modelwatch.analysis.embedding_drift import embedding_drift, mmd_test
from modelwatch.monitors.embeddings import BadRecords, fit_split
from modelwatch.monitors.images import ImageEmbedder, decode_images, describe_images, encode_png
from modelwatch.monitors.text import TextEmbedder, Vocabulary, describe_texts, usable_texts


def _timed(label: str, action: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = action()
    print(f"  {label:<44} {time.perf_counter() - start:8.2f} s")
    return result


def _sentences() -> list[str]:
    import pydoc_data.topics

    found: set[str] = set()
    for text in pydoc_data.topics.topics.values():
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if len(sentence) >= 20:
                found.add(sentence)
    return sorted(found)


def bench_mmd(records: int, permutations: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(records, 384))
    y = rng.normal(size=(records, 384)) + 0.02
    print(f"MMD, {records} x 384 against {records} x 384, {permutations} permutations")
    result = _timed("mmd_test", lambda: mmd_test(x, y, permutations=permutations))
    print(f"  statistic {result.statistic:.3g}, p-value {result.p_value:.3g}")
    drift = _timed(
        "embedding_drift (MMD + classifier + PCA-KS)",
        lambda: embedding_drift(x, y, permutations=permutations),
    )
    print(f"  AUC {drift.classifier.auc:.3f}, PCA min adjusted p {drift.components.min_adjusted_p_value:.3g}")


def bench_text(records: int, permutations: int) -> None:
    sentences = _sentences()
    rng = np.random.default_rng(1)
    baseline = [sentences[i] for i in rng.integers(0, len(sentences), records)]
    window = [sentences[i] for i in rng.integers(0, len(sentences), records)]
    print(f"text: {records} baseline and {records} window records ({len(sentences)} distinct sentences)")
    fit_rows, reference_rows = fit_split(len(baseline))

    def fit() -> tuple[Vocabulary, TextEmbedder, np.ndarray]:
        fit_texts = [baseline[i] for i in fit_rows]
        embedder = TextEmbedder().fit(fit_texts)
        return Vocabulary.fit(fit_texts), embedder, embedder([baseline[i] for i in reference_rows])

    vocabulary, embedder, reference = _timed("baseline: vocabulary, embedder, reference", fit)

    def analyse() -> Any:
        describe_texts(window, vocabulary, bad=BadRecords())
        vectors = embedder(usable_texts(window))
        return embedding_drift(reference, vectors, permutations=permutations)

    drift = _timed("window: descriptors + embedding + tests", analyse)
    print(f"  drifted {drift.drifted}, MMD p {drift.mmd.p_value:.3g}, AUC {drift.classifier.auc:.3f}")


def bench_images(records: int, permutations: int) -> None:
    data = load_digits()
    pixels = (data.images * (255 / 16)).round().astype(np.uint8)
    rng = np.random.default_rng(2)
    baseline = [encode_png(pixels[i]) for i in rng.integers(0, len(pixels), records)]
    window = [encode_png(pixels[i]) for i in rng.integers(0, len(pixels), records)]
    print(f"images: {records} baseline and {records} window records (8 x 8 digits as BASE64 PNG)")

    def fit() -> tuple[ImageEmbedder, np.ndarray]:
        images = decode_images(baseline, bad=BadRecords())
        fit_rows, reference_rows = fit_split(len(images))
        embedder = ImageEmbedder().fit([images[i] for i in fit_rows])
        return embedder, embedder([images[i] for i in reference_rows])

    embedder, reference = _timed("baseline: decode, embedder, reference", fit)

    def analyse() -> Any:
        images = decode_images(window, bad=BadRecords())
        describe_images(images)
        return embedding_drift(reference, embedder(images), permutations=permutations)

    drift = _timed("window: decode + descriptors + embedding + tests", analyse)
    print(f"  drifted {drift.drifted}, MMD p {drift.mmd.p_value:.3g}, AUC {drift.classifier.auc:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--permutations", type=int, default=500)
    args = parser.parse_args()
    bench_mmd(args.records, args.permutations)
    bench_text(args.records, args.permutations)
    bench_images(args.records, args.permutations)


if __name__ == "__main__":
    main()
