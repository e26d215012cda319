"""Reading an execution's result files for the pages and the report: a missing file is None, an
unreadable or malformed one is None plus a line in ``problems`` (a page never fails on a bad file).

Parsed local files are kept in a small cache keyed by path, size and modification time (a baseline is
read for every execution of its schedules). ``statistics.json`` is read without the KLL sketches'
``data`` arrays when asked (``skip_sketches``): they are most of the file's bytes and the pages draw
from the buckets.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import OrderedDict
from typing import Any

from modelwatch.errors import StorageError
from modelwatch.io.storage import exists, is_local, local_path, read_bytes

__all__ = ["read_file_bytes", "read_json_file", "read_text_tail"]


def _missing(error: StorageError, uri: str) -> bool:
    if isinstance(error.__cause__, FileNotFoundError | IsADirectoryError):
        return True
    try:
        return not exists(uri)
    except StorageError:
        return False


def _read(uri: str, problems: list[str]) -> bytes | None:
    try:
        return read_bytes(uri)
    except StorageError as error:
        if not _missing(error, uri):
            problems.append(f"cannot read {uri}: {error}")
        return None


def read_file_bytes(uri: str, problems: list[str]) -> bytes | None:
    """The bytes at ``uri``; None when nothing is there or it cannot be read (then noted in ``problems``)."""
    return _read(uri, problems)


# "sketch" : { "parameters" : {...}, "data" : [ [ numbers ], ... ] } as SageMaker and modelwatch write it;
# a file laid out otherwise is parsed whole (slower, same result)
_SKETCH_DATA = re.compile(
    r'("sketch"\s*:\s*\{\s*"parameters"\s*:\s*\{[^{}]*\}\s*,\s*"data"\s*:\s*)\[(?:\s*\[[^\[\]"]*\]\s*,?)*\s*\]'
)
_CACHE: OrderedDict[tuple[str, int, int, bool], Any] = OrderedDict()
_CACHE_SIZE = 16
_LOCK = threading.Lock()


def without_sketch_data(text: str) -> str:
    """``text`` with every KLL sketch's ``data`` emptied (``[ ]``)."""
    return _SKETCH_DATA.sub(r"\1[ ]", text)


def _parse(uri: str, data: bytes, skip_sketches: bool, problems: list[str]) -> Any | None:
    try:
        text = data.decode("utf-8")
        return json.loads(without_sketch_data(text) if skip_sketches else text)
    except (ValueError, UnicodeDecodeError) as error:
        problems.append(f"{uri} is not JSON: {error}")
        return None


def _stamp(uri: str) -> tuple[str, int, int] | None:
    if not is_local(uri):
        return None
    try:
        info = os.stat(local_path(uri))
    except OSError:
        return None
    return local_path(uri), info.st_size, info.st_mtime_ns


def read_json_file(uri: str | None, problems: list[str], *, skip_sketches: bool = False) -> Any | None:
    """The JSON document at ``uri``; None when ``uri`` is None, nothing is there, or it is not JSON.
    The document may be shared with other callers: do not change it."""
    if not uri:
        return None
    stamp = _stamp(uri)
    key = (*stamp, skip_sketches) if stamp is not None else None
    if key is not None:
        with _LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
    data = _read(uri, problems)
    if data is None:
        return None
    doc = _parse(uri, data, skip_sketches, problems)
    if key is not None and doc is not None:
        with _LOCK:
            _CACHE[key] = doc
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return doc


def read_text_tail(uri: str | None, problems: list[str], limit: int = 256 * 1024) -> tuple[str, bool] | None:
    """The last ``limit`` bytes of the text file at ``uri`` and whether it was cut; None when absent."""
    if not uri:
        return None
    if is_local(uri):
        try:
            with open(local_path(uri), "rb") as file:
                size = file.seek(0, 2)
                file.seek(max(size - limit, 0))
                return file.read().decode("utf-8", errors="replace"), size > limit
        except FileNotFoundError:
            return None
        except OSError as error:
            problems.append(f"cannot read {uri}: {error}")
            return None
    data = _read(uri, problems)
    if data is None:
        return None
    cut = len(data) > limit
    return data[-limit:].decode("utf-8", errors="replace"), cut
