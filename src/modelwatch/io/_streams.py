"""Opening data files as Arrow input streams, decompressing ``.gz`` / ``.bz2`` / ``.zst`` on the fly."""

from __future__ import annotations

import pyarrow as pa

from modelwatch.io.storage import is_local, local_path, open_input, storage_errors

__all__ = ["compression_of", "open_random_access", "open_stream", "strip_compression"]

_COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}


def strip_compression(name: str) -> str:
    """``name`` without a compression suffix: ``data.csv.gz`` → ``data.csv``."""
    for suffix in _COMPRESSIONS:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def compression_of(name: str) -> str | None:
    """The Arrow codec name for ``name``'s suffix, or None when it is not compressed."""
    lowered = name.lower()
    return next((codec for suffix, codec in _COMPRESSIONS.items() if lowered.endswith(suffix)), None)


def open_stream(uri: str) -> pa.NativeFile:
    """Open ``uri`` as an Arrow input stream of its (decompressed) bytes. The caller closes it."""
    codec = compression_of(uri)
    with storage_errors(uri, "open"):
        if is_local(uri):
            return pa.input_stream(local_path(uri), compression=codec)
        raw = pa.PythonFile(open_input(uri), mode="r")
        return pa.CompressedInputStream(raw, codec) if codec else raw


def open_random_access(uri: str) -> pa.NativeFile:
    """Open ``uri`` (uncompressed) for random access, as Parquet needs. The caller closes it."""
    with storage_errors(uri, "open"):
        if is_local(uri):
            return pa.OSFile(local_path(uri), mode="r")
        return pa.PythonFile(open_input(uri), mode="r")
