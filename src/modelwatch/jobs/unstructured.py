"""The TextQuality, ImageQuality and EmbeddingDrift jobs (modelwatch's own monitoring types).

A record is one text, one image or one embedding vector. In a baseline dataset (JSON Lines) it is the
line's ``text`` / ``image`` / ``embedding`` field (a text line that is not a JSON object is the text
itself); in a capture it is the request's payload (``captureData.endpointInput``, BASE64 decoded when so
encoded): the same field of a JSON object, a bare JSON list for an embedding, else the payload itself
(the text, or the image's bytes). A definition's ``environment`` may name another field
(``MODELWATCH_RECORD_FIELD``), the number of permutations (``MODELWATCH_PERMUTATIONS``, default 500)
and the user's embedder (``MODELWATCH_EMBEDDER``: ``module:function``, called with a list of texts or
of decoded images as ``height × width × channels`` uint8 arrays; it embeds the up to 5,000 baseline
records kept in ``reference_records.jsonl`` and the window's).

* **baseline**: descriptors per record (texts, images; see :mod:`modelwatch.monitors.text` and
  :mod:`modelwatch.monitors.images`; an embedding's descriptor is its Euclidean ``norm``) profiled into
  ``statistics.json`` / ``constraints.json`` by the data-quality profile; the embedder is fitted on a
  seeded half of the records (``embedder.npz``) and the other half's embeddings kept as the reference
  (``embeddings.npy``; given vectors: all of them), with ``unstructured.json`` saying the type, the
  dimension and the bad records per kind.
* **monitoring**: the window's descriptors checked against the baseline's constraints like tabular
  features, then :func:`~modelwatch.analysis.embedding_drift.embedding_drift` of its embeddings against
  the reference; drift adds an ``embedding_drift_check`` violation to ``constraint_violations.json``.
  ``embedding_drift.json`` holds every figure; metrics ``embedding_mmd``, ``embedding_mmd_p_value``,
  ``embedding_domain_auc``, ``embedding_pca_min_p_value`` and ``bad_records_{kind}`` join the
  descriptors' data-quality metrics. The baseline folder is that of ``baseline_statistics_uri``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from modelwatch.analysis.embedding_drift import EmbeddingDrift, embedding_drift
from modelwatch.errors import DataError, EmptyDatasetError, FormatError, ValidationError
from modelwatch.formats import jackson, violations_to_json
from modelwatch.formats.violations import Violation, Violations
from modelwatch.io.capture import read_capture
from modelwatch.io.storage import join_uri, list_files, read_bytes, read_text, write_bytes, write_text
from modelwatch.jobs import JobOutcome, completion_message
from modelwatch.jobs.definitions import MonitoringType
from modelwatch.jobs.inputs import parse_time
from modelwatch.jobs.spec import JobSpec
from modelwatch.monitors.data_quality import check_batches, data_quality_metrics, read_baseline
from modelwatch.monitors.embeddings import (
    BadRecords,
    Embedder,
    embed,
    fit_split,
    load_embedder,
    vectors_from_values,
)
from modelwatch.monitors.images import ImageEmbedder, decode_images, describe_images
from modelwatch.monitors.text import TextEmbedder, Vocabulary, describe_texts, usable_texts

__all__ = ["EMBEDDING_CHECK", "run_baseline", "run_monitoring"]

log = logging.getLogger(__name__)

EMBEDDING_CHECK = "embedding_drift_check"
FIELDS = {
    MonitoringType.TEXT_QUALITY: "text",
    MonitoringType.IMAGE_QUALITY: "image",
    MonitoringType.EMBEDDING_DRIFT: "embedding",
}
EMBEDDER_FILE = "embedder.npz"
REFERENCE_FILE = "embeddings.npy"
VOCABULARY_FILE = "vocabulary.json"
META_FILE = "unstructured.json"
RECORDS_FILE = "reference_records.jsonl"
MAX_KEPT_RECORDS = 5000
DRIFT_FILE = "embedding_drift.json"


def _kind(job: JobSpec) -> MonitoringType:
    if job.monitoring_type not in FIELDS:
        raise ValidationError(f"{job.monitoring_type} is not an unstructured type", field="monitoring_type")
    return job.monitoring_type


def _field_value(payload: Any, field: str) -> Any:
    if isinstance(payload, dict):
        return payload.get(field)
    return payload


def _dataset_records(uri: str, kind: MonitoringType, field: str) -> list[Any]:
    records: list[Any] = []
    for file in list_files(uri):
        for number, line in enumerate(read_text(file).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value: Any = json.loads(line)
            except ValueError as error:
                if kind != MonitoringType.TEXT_QUALITY:
                    raise DataError(f"not JSON: {error}", file=file, line=number) from error
                value = line
            if kind == MonitoringType.TEXT_QUALITY and not isinstance(value, dict):
                value = line
            records.append(_field_value(value, field))
    return records


def _capture_value(record: dict[str, Any], kind: MonitoringType, field: str) -> Any:
    capture = record.get("captureData")
    payload = capture.get("endpointInput") if isinstance(capture, dict) else None
    if not isinstance(payload, dict):
        return None
    data = payload.get("data")
    if not isinstance(data, str):
        return None
    raw: bytes | str = data
    if payload.get("encoding") == "BASE64":
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            return None
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if isinstance(parsed, dict) or (kind == MonitoringType.EMBEDDING_DRIFT and isinstance(parsed, list)):
        return _field_value(parsed, field)
    if kind == MonitoringType.TEXT_QUALITY:
        return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    if kind == MonitoringType.IMAGE_QUALITY:
        return raw  # the image's bytes, or BASE64 text / a URI that decode_images reads
    return None


def _window_records(job: JobSpec, kind: MonitoringType, field: str) -> list[Any]:
    assert job.capture_uri and job.endpoint_name
    start, end = parse_time(job.window_start), parse_time(job.window_end)
    variant = job.monitor.variant_name
    records: list[Any] = []
    for name in [variant] if variant else job.variants:
        for record in read_capture(job.capture_uri, job.endpoint_name, name, start, end):
            records.append(_capture_value(record, kind, field))
    return records


def _describe(
    kind: MonitoringType,
    records: list[Any],
    bad: BadRecords,
    vocabulary: Vocabulary | None,
    dimension: int | None = None,
) -> tuple[pa.Table, list[Any]]:
    """The descriptor table and the records the embedder takes (for embeddings: the good vectors,
    described by their Euclidean ``norm``)."""
    if kind == MonitoringType.TEXT_QUALITY:
        assert vocabulary is not None
        return describe_texts(records, vocabulary, bad=bad), usable_texts(records)
    if kind == MonitoringType.IMAGE_QUALITY:
        images = decode_images(records, bad=bad)
        return describe_images(images), images
    vectors, _ = vectors_from_values(records, dimension=dimension, bad=bad)
    return pa.table({"norm": pa.array(np.linalg.norm(vectors, axis=1), pa.float64())}), list(vectors)


def _profile(table: pa.Table, output_uri: str, baseline: Any, source: str) -> Any:
    return check_batches(lambda: iter(table.to_batches()), output_uri, baseline=baseline, source=source)


def run_baseline(job: JobSpec) -> JobOutcome:
    kind = _kind(job)
    assert job.dataset_uri is not None
    records = _dataset_records(job.dataset_uri, kind, FIELDS[kind])
    if not records:
        raise EmptyDatasetError(f"no records in {job.dataset_uri}", file=job.dataset_uri)
    bad = BadRecords()
    counts: dict[str, Any] = {"records": len(records)}
    vocabulary = None
    embedder: TextEmbedder | ImageEmbedder | None = None
    if kind == MonitoringType.TEXT_QUALITY:
        # the vocabulary and the embedder learn from one half; the other half, unseen like a window's
        # texts, gives the descriptors (its OOV rate) and the reference embeddings
        fit_rows, reference_rows = fit_split(len(records))
        fit_texts = [records[i] for i in fit_rows]
        vocabulary = Vocabulary.fit(fit_texts)
        table, reference_records = _describe(kind, [records[i] for i in reference_rows], bad, vocabulary)
        embedder = TextEmbedder().fit(usable_texts(fit_texts))
    else:
        table, usable = _describe(kind, records, bad, None)
        reference_records = usable
        if kind == MonitoringType.IMAGE_QUALITY:
            fit_rows, reference_rows = fit_split(len(usable))
            embedder = ImageEmbedder().fit([usable[i] for i in fit_rows])
            reference_records = [usable[i] for i in reference_rows]
    result = _profile(table, job.output_uri, None, f"the baseline {job.dataset_uri}")
    counts |= {"statistics_uri": result.statistics_uri, "constraints_uri": result.constraints_uri}
    if embedder is None:
        reference = np.asarray(reference_records, dtype=np.float64).reshape(len(reference_records), -1)
    else:
        buffer = io.BytesIO()
        embedder.save(buffer)
        write_bytes(join_uri(job.output_uri, EMBEDDER_FILE), buffer.getvalue())
        reference = embedder(reference_records)
    if vocabulary is not None:
        write_text(join_uri(job.output_uri, VOCABULARY_FILE), json.dumps(vocabulary.to_list()))
    buffer = io.BytesIO()
    np.save(buffer, reference.astype(np.float32), allow_pickle=False)
    write_bytes(join_uri(job.output_uri, REFERENCE_FILE), buffer.getvalue())
    meta = {
        "monitoring_type": kind.value,
        "dimension": int(reference.shape[1]),
        "reference_records": int(reference.shape[0]),
        "bad_records": bad.to_dict(),
    }
    write_text(join_uri(job.output_uri, META_FILE), jackson.dumps(meta))
    if kind != MonitoringType.EMBEDDING_DRIFT:  # for a user's embedder at check time: it embeds these
        kept = np.random.default_rng(0).permutation(len(records))[:MAX_KEPT_RECORDS]
        lines = "".join(json.dumps(records[i]) + "\n" for i in sorted(kept))
        write_text(join_uri(job.output_uri, RECORDS_FILE), lines)
    return JobOutcome("Completed: Job completed successfully.", counts | {"bad_records": bad.total})


def _baseline_folder(job: JobSpec) -> str:
    uri = job.monitor.baseline_statistics_uri or job.monitor.baseline_constraints_uri
    if uri is None:
        raise ValidationError("an unstructured monitor needs its baseline", field="baseline_statistics_uri")
    return uri.rsplit("/", 1)[0]


def _setting(job: JobSpec, name: str, default: str) -> str:
    return job.monitor.environment.get(name, default)


def run_monitoring(job: JobSpec, work: Path) -> JobOutcome:
    kind = _kind(job)
    field = _setting(job, "MODELWATCH_RECORD_FIELD", FIELDS[kind])
    try:
        permutations = int(_setting(job, "MODELWATCH_PERMUTATIONS", "500"))
    except ValueError:
        raise ValidationError("must be an integer", field="environment.MODELWATCH_PERMUTATIONS") from None
    folder = _baseline_folder(job)
    hook = _setting(job, "MODELWATCH_EMBEDDER", "")
    if hook and kind == MonitoringType.EMBEDDING_DRIFT:
        raise ValidationError(
            "an EmbeddingDrift monitor takes the vectors of its records, not an embedder",
            field="environment.MODELWATCH_EMBEDDER",
        )
    records = _window_records(job, kind, field)
    if not records:
        raise EmptyDatasetError(f"no capture records of {job.endpoint_name!r} in the window")
    bad = BadRecords()
    vocabulary = None
    if kind == MonitoringType.TEXT_QUALITY:
        vocabulary = Vocabulary(frozenset(json.loads(read_text(join_uri(folder, VOCABULARY_FILE)))))
    try:
        reference = np.load(io.BytesIO(read_bytes(join_uri(folder, REFERENCE_FILE))), allow_pickle=False)
    except ValueError as error:
        raise FormatError(f"{join_uri(folder, REFERENCE_FILE)}: {error}") from error
    table, usable = _describe(kind, records, bad, vocabulary, int(reference.shape[1]))
    violations: list[Violation] = []
    metrics: list[dict[str, Any]] = []
    source = f"the window [{job.window_start}, {job.window_end})"
    statistics_uri, constraints_uri = (
        job.monitor.baseline_statistics_uri,
        job.monitor.baseline_constraints_uri,
    )
    baseline = read_baseline(statistics_uri, constraints_uri) if statistics_uri and constraints_uri else None
    result = _profile(table, job.output_uri, baseline, source)
    violations.extend(result.violations.violations)
    metrics.extend(data_quality_metrics(result))
    if kind == MonitoringType.EMBEDDING_DRIFT:
        window = np.asarray(usable).reshape(len(usable), int(reference.shape[1]))
    elif hook:
        reference, window = _user_embeddings(load_embedder(hook), kind, folder, vocabulary, usable, bad)
    else:
        loader = TextEmbedder if kind == MonitoringType.TEXT_QUALITY else ImageEmbedder
        embedder = loader.load(io.BytesIO(read_bytes(join_uri(folder, EMBEDDER_FILE))))
        window = embedder(usable)
    drift: EmbeddingDrift | None = None
    if len(window) >= 2:
        drift = embedding_drift(reference, window, permutations=permutations)
        write_text(
            join_uri(job.output_uri, DRIFT_FILE),
            jackson.dumps(drift.to_dict() | {"bad_records": bad.to_dict()}),
        )
        metrics.extend(_drift_metrics(drift))
        if drift.drifted:
            violations.append(
                Violation(
                    "embedding",
                    EMBEDDING_CHECK,
                    f"Embedding drift: {', '.join(drift.failed_tests())} "
                    f"(MMD p-value {drift.mmd.p_value:.4g}, "
                    f"domain classifier AUC {drift.classifier.auc:.3f}, "
                    f"smallest PCA KS adjusted p-value {drift.components.min_adjusted_p_value:.4g})",
                )
            )
    else:
        log.warning("embedding drift skipped: %d usable records in the window", len(window))
    metrics.extend({"MetricName": f"bad_records_{k}", "Value": float(n)} for k, n in bad.counts.items())
    write_text(
        join_uri(job.output_uri, "constraint_violations.json"),
        violations_to_json(Violations(tuple(violations))),
    )
    counts = {"records": len(records), "violations": len(violations), "bad_records": bad.total}
    counts |= {f"bad_records_{k}": n for k, n in bad.counts.items()}
    return JobOutcome(completion_message(len(violations)), counts, metrics)


def _user_embeddings(
    embedder: Embedder,
    kind: MonitoringType,
    folder: str,
    vocabulary: Vocabulary | None,
    usable: list[Any],
    bad: BadRecords,
) -> tuple[np.ndarray, np.ndarray]:
    """The user's ``embedder`` applied to the baseline's kept records and to the window's usable ones."""
    lines = read_text(join_uri(folder, RECORDS_FILE)).splitlines()
    _, reference_records = _describe(kind, [json.loads(line) for line in lines], BadRecords(), vocabulary)
    reference = embed(embedder, reference_records, dimension=None, bad=BadRecords())
    if len(reference) < 2:
        raise DataError(
            f"the embedder gave fewer than 2 usable vectors for the baseline's records in {folder}"
        )
    return reference, embed(embedder, usable, dimension=int(reference.shape[1]), bad=bad)


def _drift_metrics(drift: EmbeddingDrift) -> list[dict[str, Any]]:
    return [
        {"MetricName": "embedding_mmd", "Value": drift.mmd.statistic},
        {"MetricName": "embedding_mmd_p_value", "Value": drift.mmd.p_value},
        {"MetricName": "embedding_domain_auc", "Value": drift.classifier.auc},
        {"MetricName": "embedding_pca_min_p_value", "Value": drift.components.min_adjusted_p_value},
    ]
