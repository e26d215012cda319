"""Finding named things: one way to say "no such thing" and "that name is taken", for rows and files."""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ConflictError, NotFoundError, StorageError, ValidationError
from modelwatch.io.storage import exists

__all__ = ["by_name", "check_uri", "ensure_new_name"]

Row = TypeVar("Row")


def by_name(session: Session, model: type[Row], name: str, kind: str, *, for_update: bool = False) -> Row:
    """The row of ``model`` called ``name``.

    Raises:
        NotFoundError: there is none (the message names the ``kind`` and the name).
    """
    query = sa.select(model).where(model.name == name)  # type: ignore[attr-defined]  # every Row has a name
    if for_update:
        query = query.with_for_update()
    row = session.scalar(query)
    if row is None:
        raise NotFoundError(kind, name)
    return row


def ensure_new_name(session: Session, model: type[Any], name: str, kind: str) -> None:
    """Raise :class:`ConflictError` when a ``model`` row called ``name`` exists."""
    if session.scalar(sa.select(model.id).where(model.name == name)) is not None:
        raise ConflictError(f"{kind} {name!r} already exists")


def check_uri(uri: str | None, field: str) -> None:
    """Raise :class:`ValidationError` naming ``field`` unless ``uri`` (when given) exists."""
    if uri is None:
        return
    try:
        found = exists(uri)
    except StorageError as error:
        raise ValidationError(str(error), field=field) from None
    if not found:
        raise ValidationError(f"{uri} does not exist", field=field)
