"""Allowed roots: where the paths and URIs that callers give (datasets, baselines, scripts, Clarify
configurations, outputs, capture destinations) may point (``MODELWATCH_ALLOWED_ROOTS``, docs/security.md).

Unset, any path the server's user can reach is allowed, as an admin token is trusted to run code anyway.
Set (comma-separated folders and URI prefixes), a URI must lie under one of them or under the storage
root. A local path is compared after resolving it as the file system will (``~``, ``..``, symbolic
links: :func:`os.path.realpath`), so ``/srv/data/../../proc/self/environ`` or a symbolic link out of a
root is outside. A remote URI (``s3://bucket/prefix``) is compared by its segments and may not contain
``.`` or ``..`` segments.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from pydantic import BaseModel

from modelwatch.errors import ValidationError
from modelwatch.io.storage import is_local, local_path
from modelwatch.settings import get_settings

__all__ = ["URI_SUFFIXES", "allowed_roots", "confine", "confine_fields"]

URI_SUFFIXES = ("_uri", "_script")
"""Fields whose names end so hold a path or URI (``dataset_uri``, ``record_preprocessor_script``...)."""

_S3_SCHEMES = ("s3a://", "s3n://")


def allowed_roots() -> tuple[str, ...] | None:
    """The allowed roots with the storage root, or None when any path is allowed."""
    settings = get_settings()
    roots = settings.resolved_allowed_roots()
    return None if roots is None else (*roots, settings.resolved_storage_uri())


def _local(uri: str) -> str:
    return os.path.realpath(local_path(uri))


def _remote(uri: str) -> str:
    for scheme in _S3_SCHEMES:
        if uri.startswith(scheme):
            return "s3://" + uri[len(scheme) :]
    return uri


def _under(uri: str, root: str) -> bool:
    if is_local(uri) != is_local(root):
        return False
    if is_local(uri):
        path, base = _local(uri), _local(root)
        return path == base or path.startswith(base.rstrip(os.sep) + os.sep)
    target, base = _remote(uri).rstrip("/"), _remote(root).rstrip("/")
    segments = target.split("://", 1)[-1].split("/")
    if "." in segments or ".." in segments:
        return False
    return target == base or target.startswith(base + "/")


def confine(uri: str, field: str, roots: Iterable[str] | None = None) -> None:
    """Raise :class:`ValidationError` naming ``field`` unless ``uri`` lies under an allowed root.

    ``roots``: the roots to use instead of the settings' (see :func:`allowed_roots`).
    """
    allowed = tuple(roots) if roots is not None else allowed_roots()
    if allowed is None or any(_under(uri, root) for root in allowed):
        return
    raise ValidationError(
        f"{uri} is outside the allowed roots ({', '.join(allowed)}; MODELWATCH_ALLOWED_ROOTS)",
        field=field,
    )


def confine_fields(model: BaseModel, prefix: str = "") -> None:
    """:func:`confine` every path field of ``model`` and of the models it holds; errors name the field
    as the API does (``definition.record_preprocessor_script``)."""
    roots = allowed_roots()
    if roots is None:
        return
    for name in type(model).model_fields:
        value = getattr(model, name)
        field = f"{prefix}.{name}" if prefix else name
        if isinstance(value, BaseModel):
            confine_fields(value, field)
        elif isinstance(value, str) and name.endswith(URI_SUFFIXES):
            confine(value, field, roots)
