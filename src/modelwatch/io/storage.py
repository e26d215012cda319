"""Storage URIs through fsspec: local paths (plain or ``file://``) and ``s3://bucket/key``.

S3 URIs use s3fs with the endpoint from :func:`modelwatch.settings.get_settings` (so any
S3-compatible server works: ``MODELWATCH_S3_ENDPOINT_URL``, else ``AWS_ENDPOINT_URL_S3``, else
``AWS_ENDPOINT_URL``, the order botocore uses, so one variable points modelwatch and the SageMaker SDK
at the same server) and the region from the settings or ``AWS_REGION`` / ``AWS_DEFAULT_REGION``.
Local writes are atomic: a temporary file in the same folder is written, fsynced and renamed over the
target, so a crash never leaves a half-written file.

Every failure is a :class:`~modelwatch.errors.StorageError` that names the URI.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

import fsspec

from modelwatch.errors import StorageError
from modelwatch.settings import get_settings

__all__ = [
    "exists",
    "filesystem",
    "in_scheme",
    "is_local",
    "join_uri",
    "list_files",
    "local_path",
    "open_input",
    "read_bytes",
    "read_text",
    "storage_errors",
    "write_bytes",
    "write_text",
]

_GLOB_CHARS = frozenset("*?[")
_S3_PREFIXES = ("s3://", "s3a://", "s3n://")

try:  # botocore comes with s3fs; plain local use does not need it.
    from botocore.exceptions import BotoCoreError, ClientError

    _REMOTE_ERRORS: tuple[type[BaseException], ...] = (BotoCoreError, ClientError)
except ImportError:  # pragma: no cover - s3fs is an optional extra
    _REMOTE_ERRORS = ()


def is_local(uri: str) -> bool:
    """Whether ``uri`` names a local file (a plain path or a ``file://`` URI)."""
    return not uri.startswith(_S3_PREFIXES) and "://" not in uri.removeprefix("file://")


def local_path(uri: str) -> str:
    """The local filesystem path of a local ``uri`` (``file://`` stripped, ``~`` expanded)."""
    return os.path.expanduser(uri.removeprefix("file://"))


def _s3_options() -> dict[str, object]:
    settings = get_settings()
    client: dict[str, str] = {}
    endpoint = settings.resolved_s3_endpoint_url()
    if endpoint:
        client["endpoint_url"] = endpoint
    region = settings.s3_region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        client["region_name"] = region
    return {"client_kwargs": client, "use_listings_cache": False}


def filesystem(uri: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem for ``uri`` and the path inside it (``bucket/key`` for S3)."""
    if uri.startswith(_S3_PREFIXES):
        try:
            import s3fs  # noqa: F401  (fsspec's own message would not name the extra)
        except ModuleNotFoundError:
            message = "s3:// URIs need the s3 extra: pip install 'modelwatch[s3]'"
            raise StorageError(message, uri=uri) from None
        return fsspec.filesystem("s3", **_s3_options()), uri.split("://", 1)[1]
    if not is_local(uri):
        scheme = uri.split("://", 1)[0]
        raise StorageError(f"unsupported URI scheme {scheme!r}; use a local path or s3://", uri=uri)
    return fsspec.filesystem("file"), os.path.abspath(local_path(uri))


@contextlib.contextmanager
def storage_errors(uri: str, action: str) -> Iterator[None]:
    """Turn OS and S3 client errors into a :class:`StorageError` naming ``uri``."""
    try:
        yield
    except StorageError:
        raise
    except FileNotFoundError as exc:
        raise StorageError(f"cannot {action}: no such file or directory", uri=uri) from exc
    except PermissionError as exc:
        raise StorageError(f"cannot {action}: permission denied", uri=uri) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc) or errno.errorcode.get(exc.errno or 0, "I/O error")
        raise StorageError(f"cannot {action}: {reason}", uri=uri) from exc
    except _REMOTE_ERRORS as exc:
        raise StorageError(f"cannot {action}: {exc}", uri=uri) from exc


def in_scheme(uri: str, path: str) -> str:
    """``path`` (as returned by the filesystem) in the scheme of the URI the caller gave."""
    if uri.startswith(_S3_PREFIXES):
        return f"{uri.split('://', 1)[0]}://{path}"
    return f"file://{path}" if uri.startswith("file://") else path


def _is_hidden(relative: str) -> bool:
    """Hadoop's rule: a file under a folder named ``.x`` or ``_x``, or so named itself, is hidden."""
    return any(part.startswith((".", "_")) for part in relative.split("/") if part)


def _files_under(fs: fsspec.AbstractFileSystem, root: str) -> list[str]:
    root = root.rstrip("/")
    found = fs.find(root, detail=False)
    return sorted(p for p in found if not _is_hidden(p[len(root) :]))


def list_files(uri: str) -> list[str]:
    """The data files that ``uri`` names, as URIs in the same scheme, sorted.

    A file gives itself; a folder or prefix gives every file under it (recursively), skipping
    hidden files such as ``_SUCCESS`` or ``.crc``; a glob (``*``, ``?``, ``[``) gives its
    matches, folders among them expanded. An existing empty folder gives ``[]``.

    Raises:
        StorageError: nothing exists at ``uri`` or it cannot be listed.
    """
    fs, path = filesystem(uri)
    with storage_errors(uri, "list"):
        if _GLOB_CHARS & set(path):
            files: list[str] = []
            for match in sorted(fs.glob(path)):
                if fs.isdir(match):
                    files.extend(_files_under(fs, match))
                elif not _is_hidden(os.path.basename(match)):
                    files.append(match)
            if not files:
                raise StorageError("no such file or directory (the pattern matches nothing)", uri=uri)
            return [in_scheme(uri, p) for p in sorted(set(files))]
        if fs.isfile(path):
            return [uri]
        if not fs.isdir(path):
            raise StorageError("no such file or directory", uri=uri)
        return [in_scheme(uri, p) for p in _files_under(fs, path)]


def open_input(uri: str) -> BinaryIO:
    """Open ``uri`` for reading raw bytes (no decompression). The caller closes it."""
    fs, path = filesystem(uri)
    with storage_errors(uri, "open"):
        if fs.isdir(path):
            raise StorageError("cannot open: is a directory", uri=uri)
        return fs.open(path, "rb")


def read_bytes(uri: str) -> bytes:
    """The whole content of ``uri``."""
    with open_input(uri) as stream, storage_errors(uri, "read"):
        return stream.read()


def read_text(uri: str, encoding: str = "utf-8") -> str:
    """The whole content of ``uri`` decoded as text."""
    data = read_bytes(uri)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise StorageError(f"cannot decode as {encoding}: {exc.reason} at byte {exc.start}", uri=uri) from exc


@contextlib.contextmanager
def atomic_local_file(path: str) -> Iterator[BinaryIO]:
    """A new binary file that replaces ``path`` (fsync'ed, then renamed) when the block ends without an
    error; on an error it is removed and ``path`` is left as it was. Parent folders are created."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _write_local_atomic(path: str, data: bytes) -> None:
    with atomic_local_file(path) as out:
        out.write(data)


def write_bytes(uri: str, data: bytes) -> None:
    """Write ``data`` to ``uri``, replacing it. Local writes are atomic and create parent folders."""
    fs, path = filesystem(uri)
    with storage_errors(uri, "write"):
        if is_local(uri):
            _write_local_atomic(path, data)
        else:
            fs.pipe_file(path, data)


def write_text(uri: str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``uri`` (see :func:`write_bytes`)."""
    write_bytes(uri, text.encode(encoding))


def join_uri(base: str, *parts: str) -> str:
    """``base`` and ``parts`` joined with single slashes: ``join_uri("s3://b/p/", "x", "y.json")``."""
    pieces = [base.rstrip("/")] + [p.strip("/") for p in parts if p.strip("/")]
    return "/".join(pieces)


def exists(uri: str) -> bool:
    """Whether a file or folder exists at ``uri``."""
    fs, path = filesystem(uri)
    with storage_errors(uri, "check"):
        return bool(fs.exists(path))
