"""Image records: decoding, numeric descriptors per image, and an embedder fitted on the baseline.

A record is an encoded image (PNG, JPEG, ... anything Pillow reads) given as BASE64 text (a ``data:``
URL prefix is allowed) or as a path or URI (``s3://``, ``file://``, a local path) read through
:mod:`modelwatch.io.storage`. A missing record or a URI that does not exist is counted as
``missing_image``, bytes that do not decode as ``undecodable_image``; the window is analysed without them.
Decoding needs Pillow (the ``unstructured`` extra).

Descriptors (luminance ``L = 0.299 R + 0.587 G + 0.114 B`` scaled to [0, 1]):

=======================  ============================================================================
``width``, ``height``     pixels
``channels``              1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA), as stored
``brightness``            mean of ``L``
``contrast``              standard deviation of ``L``
``sharpness``             variance of the 4-neighbour Laplacian of ``L`` (blur lowers it, noise raises it)
``red``, ``green``,       mean of each colour channel in [0, 1] (equal for a grey image)
``blue``
``histogram_0..3``        share of pixels whose ``L`` falls in each quarter of [0, 1]
=======================  ============================================================================

The embedder (:class:`ImageEmbedder`) downsamples ``L`` to ``side × side`` pixels (bilinear) and projects
it on the principal components of the baseline's downsampled images; it is stored as plain arrays.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa

from modelwatch.errors import ConfigurationError, EmptyDatasetError, FormatError, StorageError
from modelwatch.io.storage import read_bytes
from modelwatch.monitors.embeddings import BadRecords

__all__ = ["DESCRIPTORS", "ImageEmbedder", "decode_images", "describe_images", "encode_png"]

DESCRIPTORS = (
    "width",
    "height",
    "channels",
    "brightness",
    "contrast",
    "sharpness",
    "red",
    "green",
    "blue",
    "histogram_0",
    "histogram_1",
    "histogram_2",
    "histogram_3",
)

_URI = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|/|\./|\.\./)")
_DATA_URL = re.compile(r"^data:[^,]*;base64,")
_LUMA = np.array([0.299, 0.587, 0.114])


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - the extra is installed where images are monitored
        raise ConfigurationError(
            "image monitoring needs Pillow: pip install 'modelwatch[unstructured]'"
        ) from exc
    return Image


def _encoded(value: Any, index: int, bad: BadRecords) -> bytes | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        bad.add("missing_image", f"record {index}: no image")
        return None
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        bad.add("undecodable_image", f"record {index}: {type(value).__name__}, expected BASE64 text or a URI")
        return None
    text = value.strip()
    if _URI.match(text) and not _DATA_URL.match(text):
        try:
            return read_bytes(text)
        except StorageError as exc:
            bad.add("missing_image", f"record {index}: {exc}")
            return None
    try:
        return base64.b64decode(_DATA_URL.sub("", text), validate=True)
    except (binascii.Error, ValueError):
        bad.add("undecodable_image", f"record {index}: neither a URI nor valid BASE64")
        return None


def decode_images(values: Sequence[Any], *, bad: BadRecords) -> list[np.ndarray]:
    """The decoded images of ``values`` as ``height × width × channels`` uint8 arrays; bad ones counted."""
    image_module = _pillow()
    images: list[np.ndarray] = []
    for index, value in enumerate(values):
        data = _encoded(value, index, bad)
        if data is None:
            continue
        try:
            with image_module.open(io.BytesIO(data)) as image:
                if image.mode not in ("L", "LA", "RGB", "RGBA"):
                    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                pixels = np.asarray(image, dtype=np.uint8)
        except (OSError, ValueError, SyntaxError) as exc:
            bad.add("undecodable_image", f"record {index}: {exc}")
            continue
        images.append(pixels if pixels.ndim == 3 else pixels[:, :, None])
    return images


def encode_png(pixels: np.ndarray) -> str:
    """``pixels`` (uint8; ``h × w`` or ``h × w × c``) as BASE64 PNG text, as a capture would hold it."""
    image_module = _pillow()
    buffer = io.BytesIO()
    image_module.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _colour(pixels: np.ndarray) -> np.ndarray:
    """The RGB channels in [0, 1] (grey repeated), alpha dropped."""
    scaled = pixels.astype(np.float64) / 255.0
    return np.repeat(scaled[:, :, :1], 3, axis=2) if pixels.shape[2] <= 2 else scaled[:, :, :3]


def _sharpness(luma: np.ndarray) -> float:
    if luma.shape[0] < 3 or luma.shape[1] < 3:
        return 0.0
    laplacian = luma[:-2, 1:-1] + luma[2:, 1:-1] + luma[1:-1, :-2] + luma[1:-1, 2:] - 4.0 * luma[1:-1, 1:-1]
    return float(laplacian.var())


def describe_images(images: Sequence[np.ndarray]) -> pa.Table:
    """One row of :data:`DESCRIPTORS` per decoded image."""
    rows: dict[str, list[float]] = {name: [] for name in DESCRIPTORS}
    for pixels in images:
        colour = _colour(pixels)
        luma = colour @ _LUMA
        histogram = np.histogram(luma, bins=4, range=(0.0, 1.0))[0] / luma.size
        values = [
            pixels.shape[1],
            pixels.shape[0],
            pixels.shape[2],
            luma.mean(),
            luma.std(),
            _sharpness(luma),
            *colour.reshape(-1, 3).mean(axis=0),
            *histogram,
        ]
        for name, value in zip(DESCRIPTORS, values, strict=True):
            rows[name].append(float(value))
    return pa.table({name: pa.array(values, pa.float64()) for name, values in rows.items()})


class ImageEmbedder:
    """PCA of the baseline's images downsampled to ``side × side`` luminance pixels."""

    def __init__(self, *, side: int = 16, components: int = 32, seed: int = 0) -> None:
        self.side = side
        self.components = components
        self.seed = seed

    def pixels(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Each image's luminance resized to ``side × side`` and flattened, in [0, 1]."""
        image_module = _pillow()
        out = np.empty((len(images), self.side * self.side))
        for row, pixels in enumerate(images):
            luma = (_colour(pixels) @ _LUMA * 255.0).astype(np.float32)
            resized = image_module.fromarray(luma, mode="F").resize(
                (self.side, self.side), image_module.Resampling.BILINEAR
            )
            out[row] = np.asarray(resized, dtype=np.float64).ravel() / 255.0
        return out

    def fit(self, images: Sequence[np.ndarray]) -> ImageEmbedder:
        """Learn the mean and principal components of the downsampled ``images``."""
        from sklearn.decomposition import PCA

        if len(images) < 3:
            raise EmptyDatasetError(
                f"the image embedder needs at least 3 decodable images, got {len(images)}"
            )
        matrix = self.pixels(images)
        count = max(1, min(self.components, matrix.shape[1], len(images) - 1))
        pca = PCA(n_components=count, random_state=self.seed).fit(matrix)
        self.mean_ = np.asarray(pca.mean_, dtype=np.float64)
        self.basis_ = np.asarray(pca.components_, dtype=np.float64)
        return self

    @property
    def dimension(self) -> int:
        """The length of the vectors."""
        return int(self.basis_.shape[0])

    def transform(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """One vector of principal-component scores per image."""
        if not hasattr(self, "basis_"):
            raise FormatError("the image embedder is not fitted: call fit() or load() first")
        if not images:
            return np.empty((0, self.dimension))
        return np.asarray((self.pixels(images) - self.mean_) @ self.basis_.T)

    def __call__(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """:meth:`transform`, so a fitted embedder is an :data:`~modelwatch.monitors.embeddings.Embedder`."""
        return self.transform(images)

    def save(self, path: str | Path | BinaryIO) -> None:
        """Write the fitted arrays to ``path`` (``.npz``, no pickled objects)."""
        np.savez(path, side=np.array(self.side), mean=self.mean_, basis=self.basis_)

    @classmethod
    def load(cls, path: str | Path | BinaryIO) -> ImageEmbedder:
        """An embedder from a file written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as arrays:
                embedder = cls(side=int(arrays["side"]), components=int(arrays["basis"].shape[0]))
                embedder.mean_ = arrays["mean"]
                embedder.basis_ = arrays["basis"]
        except (OSError, KeyError, ValueError) as exc:
            raise FormatError(f"{path}: not an image embedder file: {exc}") from exc
        return embedder
