"""Image monitor: decoding (BASE64, paths, S3), descriptors, the embedder, drift on scikit-learn's digits."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits

from modelwatch.analysis.embedding_drift import embedding_drift
from modelwatch.errors import FormatError
from modelwatch.io.storage import write_bytes
from modelwatch.monitors.embeddings import BadRecords, fit_split
from modelwatch.monitors.images import ImageEmbedder, decode_images, describe_images, encode_png


@pytest.fixture(scope="module")
def digits() -> dict[str, list[str]]:
    data = load_digits()
    images = (data.images * (255 / 16)).round().astype(np.uint8)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(images))
    rest = order[900:1200]
    noise = rng.normal(0.0, 40.0, size=(300, 8, 8))
    windows = {
        "baseline": images[order[:900]],
        "resample": images[rest],
        "rotated": np.rot90(images[rest], 1, axes=(1, 2)),
        "noised": np.clip(images[rest] + noise, 0, 255).astype(np.uint8),
        "remixed": images[[i for i in order[900:] if data.target[i] in (0, 1, 2)][:300]],
    }
    return {name: [encode_png(pixels) for pixels in array] for name, array in windows.items()}


def test_decodes_base64_data_urls_paths_and_s3(tmp_path: Path, s3_bucket: str) -> None:
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    rgb[..., 0] = 255
    png = base64.b64decode(encode_png(rgb))
    (tmp_path / "red.png").write_bytes(png)
    write_bytes(f"{s3_bucket}/images/red.png", png)  # a bucket of the moto S3 server
    bad = BadRecords()
    images = decode_images(
        [
            encode_png(grey),
            "data:image/png;base64," + encode_png(rgb),
            str(tmp_path / "red.png"),
            f"{s3_bucket}/images/red.png",
        ],
        bad=bad,
    )
    assert bad.total == 0
    assert [image.shape for image in images] == [(3, 4, 1), (2, 2, 3), (2, 2, 3), (2, 2, 3)]
    assert np.array_equal(images[0][:, :, 0], grey) and np.array_equal(images[3], rgb)


def test_bad_images_are_counted_per_kind(tmp_path: Path) -> None:
    bad = BadRecords()
    good = encode_png(np.zeros((4, 4), dtype=np.uint8))
    images = decode_images(
        [
            good,
            None,
            "",
            "!!not base64!!",
            base64.b64encode(b"not an image").decode(),
            str(tmp_path / "no.png"),
            7,
        ],
        bad=bad,
    )
    assert len(images) == 1
    assert bad.to_dict()["by_kind"] == {"missing_image": 3, "undecodable_image": 3}
    assert bad.examples["missing_image"] == "record 1: no image"
    assert bad.examples["undecodable_image"] == "record 3: neither a URI nor valid BASE64"


def test_descriptors_of_known_images() -> None:
    black_white = np.zeros((4, 4), dtype=np.uint8)
    black_white[:, 2:] = 255
    red = np.zeros((3, 5, 3), dtype=np.uint8)
    red[..., 0] = 255
    table = describe_images([black_white[:, :, None], red])
    rows = table.to_pylist()
    assert rows[0]["width"] == 4 and rows[0]["height"] == 4 and rows[0]["channels"] == 1
    assert rows[0]["brightness"] == pytest.approx(0.5) and rows[0]["contrast"] == pytest.approx(0.5)
    assert rows[0]["histogram_0"] == pytest.approx(0.5) and rows[0]["histogram_3"] == pytest.approx(0.5)
    assert rows[0]["sharpness"] > 0
    assert rows[1]["width"] == 5 and rows[1]["channels"] == 3
    assert (rows[1]["red"], rows[1]["green"], rows[1]["blue"]) == (1.0, 0.0, 0.0)
    assert rows[1]["brightness"] == pytest.approx(0.299) and rows[1]["contrast"] == pytest.approx(0.0)
    assert rows[1]["sharpness"] == pytest.approx(0.0)


def _drift(digits: dict[str, list[str]], window: str) -> Any:
    bad = BadRecords()
    baseline = decode_images(digits["baseline"], bad=bad)
    fit_rows, reference_rows = fit_split(len(baseline))
    embedder = ImageEmbedder().fit([baseline[i] for i in fit_rows])
    reference = embedder([baseline[i] for i in reference_rows])
    result = embedding_drift(reference, embedder(decode_images(digits[window], bad=bad)), permutations=199)
    assert bad.total == 0
    return result


def test_a_resample_of_digits_is_not_flagged(digits: dict[str, list[str]]) -> None:
    assert not _drift(digits, "resample").drifted


@pytest.mark.parametrize("window", ["rotated", "noised", "remixed"])
def test_rotated_noised_and_remixed_digits_are_flagged(digits: dict[str, list[str]], window: str) -> None:
    result = _drift(digits, window)
    assert result.drifted and result.mmd.p_value <= 0.01


def test_embedder_round_trips_through_its_file(tmp_path: Path, digits: dict[str, list[str]]) -> None:
    images = decode_images(digits["baseline"][:100], bad=BadRecords())
    embedder = ImageEmbedder(side=8, components=5).fit(images)
    vectors = embedder(images[:7])
    assert vectors.shape == (7, 5) and embedder([]).shape == (0, 5)
    embedder.save(tmp_path / "image.npz")
    assert np.array_equal(ImageEmbedder.load(tmp_path / "image.npz")(images[:7]), vectors)
    with pytest.raises(FormatError, match="not an image embedder file"):
        ImageEmbedder.load(tmp_path / "missing.npz")
