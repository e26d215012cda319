"""Opaque page tokens for listings: the offset of the next page, base64-encoded."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ValidationError

__all__ = ["MAX_RESULTS", "page"]

MAX_RESULTS = 100
T = TypeVar("T")


def _decode(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationError("not a token returned by a previous page", field="next_token") from None
    if not 0 <= offset <= 2**31:
        raise ValidationError("not a token returned by a previous page", field="next_token")
    return offset


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def page(
    session: Session, query: sa.Select[T], max_results: int, next_token: str | None
) -> tuple[Sequence[T], str | None]:
    """Run ``query`` (already ordered) for one page: the rows and the token of the next page, if any."""
    if not 1 <= max_results <= MAX_RESULTS:
        raise ValidationError(f"must be from 1 to {MAX_RESULTS}; got {max_results}", field="max_results")
    offset = _decode(next_token)
    rows = session.scalars(query.offset(offset).limit(max_results + 1)).all()
    more = len(rows) > max_results
    return rows[:max_results], _encode(offset + max_results) if more else None
