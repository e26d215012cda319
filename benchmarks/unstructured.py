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
  BASE64 PNG as a capture holds it; window = decoding + descriptors + embedding + all three tests;
- **job**: the TextQuality job end to end (``jobs.unstructured``): the baseline job on 10,000 JSON Lines
  records, then the monitoring job reading 10,000 capture records, profiling their descriptors and
  checking them, embedding and testing.

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


def bench_job(records: int, permutations: int) -> None:
    """The TextQuality job end to end: baseline job, then a monitoring job over a capture file."""
    import json
    import tempfile
    from pathlib import Path

    from modelwatch.jobs.definitions import JobDefinition, MonitoringType
    from modelwatch.jobs.spec import JobKind, JobSpec
    from modelwatch.jobs.unstructured import run_baseline, run_monitoring

    sentences = _sentences()
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        dataset = root / "baseline.jsonl"
        dataset.write_text(
            "".join(
                json.dumps({"text": sentences[i]}) + "\n" for i in rng.integers(0, len(sentences), records)
            )
        )
        hour_folder = root / "capture" / "docs" / "AllTraffic" / "2024" / "05" / "01" / "10"
        hour_folder.mkdir(parents=True)
        lines = []
        for n, i in enumerate(rng.integers(0, len(sentences), records)):
            payload = {"data": json.dumps({"text": sentences[i]}), "encoding": "JSON", "mode": "INPUT"}
            metadata = {"eventId": str(n), "inferenceTime": f"2024-05-01T10:{n % 60:02d}:00Z"}
            lines.append(json.dumps({"captureData": {"endpointInput": payload}, "eventMetadata": metadata}))
        (hour_folder / "00-00-000-x.jsonl").write_text("\n".join(lines) + "\n")
        print(f"TextQuality job: {records} baseline records, a window of {records} capture records")
        kind = MonitoringType.TEXT_QUALITY
        out = root / "baseline-out"
        _timed(
            "baseline job",
            lambda: run_baseline(
                JobSpec(
                    kind=JobKind.BASELINE,
                    name="b",
                    output_uri=str(out),
                    monitoring_type=kind,
                    dataset_uri=str(dataset),
                )
            ),
        )
        definition = JobDefinition.model_validate(
            {
                "endpoint_input": {"endpoint_name": "docs"},
                "baseline_statistics_uri": str(out / "statistics.json"),
                "baseline_constraints_uri": str(out / "constraints.json"),
                "environment": {"MODELWATCH_PERMUTATIONS": str(permutations)},
            }
        )
        spec = JobSpec(
            kind=JobKind.MONITORING,
            name="s",
            output_uri=str(root / "monitoring"),
            monitoring_type=kind,
            definition=definition,
            endpoint_name="docs",
            variants=["AllTraffic"],
            capture_uri=str(root / "capture"),
            window_start="2024-05-01T10:00:00Z",
            window_end="2024-05-01T11:00:00Z",
        )
        outcome = _timed(
            "monitoring job (read, describe, profile, embed, test)", lambda: run_monitoring(spec, root)
        )
        print(f"  {outcome.message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--permutations", type=int, default=500)
    args = parser.parse_args()
    bench_mmd(args.records, args.permutations)
    bench_text(args.records, args.permutations)
    bench_images(args.records, args.permutations)
    bench_job(args.records, args.permutations)


if __name__ == "__main__":
    main()
