"""Every error answer in one place: ``{"error": {"type", "message", "fields"?}}`` (docs/api.md "Errors").

::

    ValidationError, request validation  → 422 (``fields`` name each field)
    malformed JSON, any other ModelwatchError, a value the database refuses → 400
    NotFoundError → 404        ConflictError, a unique key taken meanwhile → 409
    InsufficientStorage, and any OSError (ENOSPC, EDQUOT) or database error saying the disk is full → 507
    HTTP errors (401, 403, 404 route, 405, 413) keep their status; anything else → 500 (no details)
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from modelwatch.api.models import ErrorBody, FieldError
from modelwatch.errors import (
    ConflictError,
    InsufficientStorage,
    ModelwatchError,
    NotFoundError,
    ValidationError,
)

__all__ = ["error_response", "install_error_handlers", "is_disk_full", "responses"]

log = logging.getLogger(__name__)

_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})

_HTTP_TYPES = {
    400: "MalformedRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    413: "RequestTooLarge",
}

_DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON, or a value is refused",
    401: "No token, or an unknown or revoked one",
    403: "The token's scope does not allow this",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "The body is larger than 1 MiB",
    422: "A field breaks a rule; `fields` names each",
    507: "No space left: the disk, a quota or the database is full; retry once space is freed",
}

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full
_DISK_FULL_MESSAGE = (
    "no space left to store this: the disk, a quota or the database is full ({reason}); "
    "nothing was changed, retry once space is freed"
)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of the error answers ``codes`` of a route."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


def error_response(
    status: int,
    type_: str,
    message: str,
    fields: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An error answer; ``fields`` (validation errors only) is left out when None."""
    detail: dict[str, Any] = {"type": type_, "message": message}
    if fields is not None:
        detail["fields"] = [field.model_dump() for field in fields]
    return JSONResponse({"error": detail}, status, headers=headers)


def _field(loc: Sequence[int | str]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or (str(loc[0]) if loc else "body")


def _type_name(error: ModelwatchError) -> str:
    for kind in (ValidationError, NotFoundError, ConflictError):
        if isinstance(error, kind):
            return kind.__name__
    return type(error).__name__


def _causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, the errors it was raised from or during, and a database error's driver error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, sa.exc.DBAPIError) and isinstance(current.orig, BaseException):
            yield current.orig
        current = current.__cause__ or current.__context__


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) says that no space is left: :class:`InsufficientStorage`, an
    ``OSError`` with ``ENOSPC`` or ``EDQUOT``, SQLite's ``SQLITE_FULL`` or PostgreSQL's ``disk_full``."""
    for cause in _causes(error):
        if isinstance(cause, InsufficientStorage):
            return True
        if isinstance(cause, OSError) and cause.errno in _FULL_ERRNOS:
            return True
        code = getattr(cause, "sqlite_errorcode", None) if isinstance(cause, sqlite3.Error) else None
        if code == sqlite3.SQLITE_FULL or getattr(cause, "sqlstate", None) == _POSTGRES_DISK_FULL:
            return True
    return False


def _disk_full(error: BaseException) -> JSONResponse:
    if isinstance(error, sa.exc.DBAPIError):
        reason = str(error.orig) if error.orig is not None else "the database is full"
    elif isinstance(error, OSError) and error.strerror:
        reason = f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    else:
        reason = str(error)
    reason = reason.strip().splitlines()[0] if reason.strip() else "no space left"
    log.error("api: no space left: %s", reason)
    return error_response(507, "InsufficientStorage", _DISK_FULL_MESSAGE.format(reason=reason))


def _modelwatch_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ModelwatchError)
    if is_disk_full(error):
        return _disk_full(error)
    if isinstance(error, ValidationError):
        fields = [FieldError(field=error.field, message=error.reason)] if error.field else []
        return error_response(422, "ValidationError", str(error), fields)
    status = 404 if isinstance(error, NotFoundError) else 409 if isinstance(error, ConflictError) else 400
    return error_response(status, _type_name(error), str(error))


def _request_validation_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = list(error.errors())
    for problem in problems:
        if problem.get("type") == "json_invalid":
            reason = problem.get("ctx", {}).get("error", "JSON decode error")
            position = problem["loc"][-1] if len(problem.get("loc", ())) > 1 else "?"
            message = f"the body is not valid JSON: {reason} at {position}"
            return error_response(400, "MalformedRequest", message)
    fields = [FieldError(field=_field(p.get("loc", ())), message=str(p.get("msg", ""))) for p in problems]
    summary = "; ".join(f"{f.field}: {f.message}" for f in fields[:5])
    more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
    return error_response(422, "ValidationError", f"invalid request: {summary}{more}", fields)


def _http_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    type_ = _HTTP_TYPES.get(error.status_code, "HTTPError")
    message = str(error.detail) if error.detail else type_
    if error.status_code == 400 and message == "There was an error parsing the body":  # FastAPI's words
        message = "the body is not valid JSON (it must be UTF-8 encoded JSON)"
    return error_response(error.status_code, type_, message, headers=error.headers)


def _integrity_error(_request: Request, error: Exception) -> JSONResponse:
    log.info("api: integrity error: %s", error)
    return error_response(409, "ConflictError", "the request conflicts with a change made meanwhile; retry")


def _maybe_disk_full(request: Request, error: Exception) -> JSONResponse:
    """An ``OSError`` or a database's operational error: 507 when no space is left, else a logged 500."""
    if is_disk_full(error):
        return _disk_full(error)
    log.error("api: %s %s failed", request.method, request.url.path, exc_info=error)
    return _unexpected(request, error)


def _data_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, sa.exc.DBAPIError)
    reason = str(error.orig).strip().splitlines()[0] if error.orig is not None else "invalid value"
    return error_response(400, "InvalidValue", f"the database refused a value: {reason}")


def _unexpected(_request: Request, _error: Exception) -> JSONResponse:
    # the server logs the exception: Starlette raises it again once this answer is sent
    return error_response(500, "InternalError", "internal error; the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on ``app``."""
    app.add_exception_handler(ModelwatchError, _modelwatch_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(sa.exc.IntegrityError, _integrity_error)
    app.add_exception_handler(sa.exc.DataError, _data_error)
    app.add_exception_handler(sa.exc.OperationalError, _maybe_disk_full)
    app.add_exception_handler(OSError, _maybe_disk_full)
    app.add_exception_handler(Exception, _unexpected)
