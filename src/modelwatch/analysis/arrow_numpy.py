"""numpy ↔ Arrow conversions of the profile's hot path that do not import pandas.

``pyarrow.array(ndarray)`` and ``Array.to_numpy()`` ask pyarrow's pandas shim whether the object is a
pandas one, which imports pandas (about 0.25 s) on first use. For the plain cases the profile needs
(fixed-width arrays without nulls, boolean masks, integer indices) the buffers are wrapped directly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

__all__ = ["bool_mask", "empty_strings", "from_numpy", "positions", "strings", "to_numpy"]

_NUMPY_OF_ARROW = {
    pa.float64(): np.float64,
    pa.int64(): np.int64,
    pa.int32(): np.int32,
    pa.int16(): np.int16,
    pa.int8(): np.int8,
    pa.uint64(): np.uint64,
    pa.uint32(): np.uint32,
    pa.uint16(): np.uint16,
    pa.uint8(): np.uint8,
}

_ARROW_OF_NUMPY = {np.dtype(dtype): arrow_type for arrow_type, dtype in _NUMPY_OF_ARROW.items()}


def to_numpy(values: pa.Array) -> np.ndarray:
    """The values of a fixed-width or boolean Arrow array as numpy (a read-only view when possible).

    Arrays with nulls or of other types go through ``Array.to_numpy(zero_copy_only=False)``.
    """
    if values.null_count == 0:
        if pa.types.is_boolean(values.type):
            bits = values.buffers()[1]
            if bits is None:
                return np.zeros(0, dtype=bool)
            unpacked = np.unpackbits(
                np.frombuffer(bits, dtype=np.uint8), count=values.offset + len(values), bitorder="little"
            )
            return unpacked[values.offset :].astype(bool)
        dtype = _NUMPY_OF_ARROW.get(values.type)
        if dtype is not None:
            data = values.buffers()[1]
            if data is None:
                return np.empty(0, dtype=dtype)
            width = np.dtype(dtype).itemsize
            return np.frombuffer(data, dtype=dtype, count=len(values), offset=values.offset * width)
    return values.to_numpy(zero_copy_only=False)


def bool_mask(mask: np.ndarray) -> pa.BooleanArray:
    """A numpy boolean array as an Arrow boolean array (for ``filter``)."""
    bits = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(bits)])


def from_numpy(data: np.ndarray) -> pa.Array:
    """A one-dimensional numeric numpy array (a type of ``_NUMPY_OF_ARROW``) as an Arrow array."""
    contiguous = np.ascontiguousarray(data)
    arrow_type = _ARROW_OF_NUMPY.get(contiguous.dtype)
    if arrow_type is None:
        raise TypeError(f"from_numpy: unsupported dtype {contiguous.dtype}")
    return pa.Array.from_buffers(arrow_type, len(contiguous), [None, pa.py_buffer(contiguous)])


def positions(where: np.ndarray) -> pa.Array:
    """numpy integer positions as an Arrow int64 array (for ``take``)."""
    return from_numpy(np.asarray(where, dtype=np.int64))


def strings(values: Sequence[str]) -> pa.Array:
    """Python strings (no ``None``) as an Arrow string array, built from its offsets and UTF-8 data."""
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    data = pa.py_buffer(b"".join(encoded))
    if offsets[-1] > np.iinfo(np.int32).max:
        return pa.Array.from_buffers(pa.large_string(), len(encoded), [None, pa.py_buffer(offsets), data])
    narrow = offsets.astype(np.int32)
    return pa.Array.from_buffers(pa.string(), len(encoded), [None, pa.py_buffer(narrow), data])


def empty_strings() -> pa.StringArray:
    """An empty string array."""
    return pa.nulls(0, pa.string())
