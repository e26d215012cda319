"""Tags of resources (SageMaker's ``Tags``): key/value pairs per (resource type, name), at most 50 a
resource, a key once. Resource types are the ARN types (``monitoring-schedule``, ...)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ValidationError
from modelwatch.service.models import Tag

__all__ = ["MAX_TAGS", "add_tags", "delete_tags", "list_tags"]

MAX_TAGS = 50
"""The most tags one resource may carry (SageMaker's limit)."""


def list_tags(session: Session, resource_type: str, name: str) -> list[tuple[str, str]]:
    """The resource's tags as (key, value), by key."""
    rows = session.execute(
        sa.select(Tag.key, Tag.value)
        .where(Tag.resource_type == resource_type, Tag.resource_name == name)
        .order_by(Tag.key)
    )
    return [(key, value) for key, value in rows]


def add_tags(session: Session, resource_type: str, name: str, tags: Sequence[tuple[str, str]]) -> None:
    """Add ``tags`` to the resource; a key it already has gets the new value.

    Raises:
        ValidationError: the resource would carry more than :data:`MAX_TAGS` tags (field ``Tags``).
    """
    given = dict(tags)
    current = dict(list_tags(session, resource_type, name))
    if len(current | given) > MAX_TAGS:
        raise ValidationError(f"a resource may have at most {MAX_TAGS} tags", field="Tags")
    for key, value in given.items():
        if key in current:
            session.execute(
                sa.update(Tag)
                .where(Tag.resource_type == resource_type, Tag.resource_name == name, Tag.key == key)
                .values(value=value)
            )
        else:
            session.add(Tag(resource_type=resource_type, resource_name=name, key=key, value=value))
    session.flush()


def delete_tags(session: Session, resource_type: str, name: str, keys: Iterable[str] | None = None) -> None:
    """Remove the tags with ``keys`` from the resource (unknown keys are ignored); all of them when
    ``keys`` is None (the resource is deleted)."""
    statement = sa.delete(Tag).where(Tag.resource_type == resource_type, Tag.resource_name == name)
    if keys is not None:
        statement = statement.where(Tag.key.in_(list(keys)))
    session.execute(statement)
