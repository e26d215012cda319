"""API bearer tokens: created and revoked with the CLI, stored as SHA-256 digests, two scopes.

A token is ``mw_`` + 32 random URL-safe bytes, shown once at creation. ``read`` tokens may call every
``GET``; ``admin`` tokens may also create, change, run and delete (and upload scripts). When no active
token exists the API is open, and the server refuses to listen beyond loopback.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ConflictError, NotFoundError, ValidationError
from modelwatch.service.models import Token, utcnow
from modelwatch.service.schemas import is_valid_name

__all__ = [
    "Scope",
    "TokenInfo",
    "authenticate",
    "create_token",
    "has_tokens",
    "list_tokens",
    "revoke_token",
    "touch",
]

PREFIX = "mw_"


class Scope(StrEnum):
    READ = "read"
    ADMIN = "admin"


@dataclass(frozen=True)
class TokenInfo:
    name: str
    scope: Scope
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @property
    def stale(self) -> bool:
        """True when ``last_used_at`` is unset or older than a minute (uses are recorded once a minute, so
        that every request does not write the same row)."""
        return self.last_used_at is None or utcnow() - self.last_used_at > timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row: Token) -> TokenInfo:
    return TokenInfo(row.name, Scope(row.scope), row.created_at, row.revoked_at, row.last_used_at)


def create_token(session: Session, name: str, scope: Scope | str) -> tuple[TokenInfo, str]:
    """Create a token; returns its info and the secret (shown once, never stored)."""
    if not is_valid_name(name):
        raise ValidationError("1–63 letters, digits and hyphens", field="name")
    try:
        scope = Scope(scope)
    except ValueError:
        raise ValidationError(f"must be one of {', '.join(s.value for s in Scope)}", field="scope") from None
    if session.scalar(sa.select(Token.id).where(Token.name == name)) is not None:
        raise ConflictError(f"token {name!r} already exists")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = Token(name=name, scope=scope.value, digest=_digest(secret))
    session.add(row)
    session.flush()
    return _info(row), secret


def revoke_token(session: Session, name: str) -> TokenInfo:
    row = session.scalar(sa.select(Token).where(Token.name == name))
    if row is None:
        raise NotFoundError("token", name)
    row.revoked_at = row.revoked_at or utcnow()
    return _info(row)


def list_tokens(session: Session) -> list[TokenInfo]:
    return [_info(row) for row in session.scalars(sa.select(Token).order_by(Token.name))]


def has_tokens(session: Session) -> bool:
    """True when at least one token is active (then every API call but health needs one)."""
    return session.scalar(sa.select(Token.id).where(Token.revoked_at.is_(None)).limit(1)) is not None


def authenticate(session: Session, secret: str) -> TokenInfo | None:
    """The active token whose secret this is, or None. Compares digests in constant time. Reads only:
    record the use with :func:`touch` (in a write session) when :attr:`TokenInfo.stale` says so."""
    digest = _digest(secret)
    row = session.scalar(sa.select(Token).where(Token.digest == digest, Token.revoked_at.is_(None)))
    if row is None or not hmac.compare_digest(row.digest, digest):
        return None
    return _info(row)


def touch(session: Session, name: str) -> None:
    """Record that the token was used now."""
    session.execute(sa.update(Token).where(Token.name == name).values(last_used_at=utcnow()))
