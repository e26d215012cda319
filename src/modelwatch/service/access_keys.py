"""Access keys of the SageMaker API: created and deleted with the CLI, secrets stored sealed, two scopes.

An access key is a pair, as AWS's: an ``AccessKeyId`` (``AKIA`` and 16 upper-case letters and digits,
the name the client sends in its SigV4 ``Credential``) and a ``SecretAccessKey`` (40 characters, shown
once at creation). SigV4 signs with the secret itself, so unlike the API tokens' digests the secret is
stored sealed with :func:`modelwatch.service.secrets.seal` (``MODELWATCH_SECRET_KEY`` or the data
folder's key file opens it). ``read`` keys may call the operations that only read (Describe, List,
Get); ``admin`` keys may call every operation. While no access key exists the SageMaker API is open to
this machine only (``modelwatch.sagemaker_api.auth``); a key is rotated by creating a new one and
deleting the old one.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modelwatch.errors import ConflictError, NotFoundError, ValidationError
from modelwatch.service.models import AccessKey, utcnow
from modelwatch.service.schemas import is_valid_name
from modelwatch.service.secrets import seal, unseal
from modelwatch.service.tokens import Scope

__all__ = [
    "ACCESS_KEY_PREFIX",
    "AccessKeyInfo",
    "Scope",
    "SigningKey",
    "create_access_key",
    "delete_access_key",
    "find_access_key",
    "has_access_keys",
    "list_access_keys",
    "touch",
]

ACCESS_KEY_PREFIX = "AKIA"
_ID_ALPHABET = string.ascii_uppercase + string.digits
_ID_LENGTH = 16
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"
_SECRET_LENGTH = 40
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class AccessKeyInfo:
    """What may be shown of an access key: everything but its secret."""

    name: str
    access_key_id: str
    scope: Scope
    created_at: datetime
    last_used_at: datetime | None

    @property
    def stale(self) -> bool:
        """True when ``last_used_at`` is unset or older than a minute (uses are recorded once a minute, so
        that every request does not write the same row)."""
        return self.last_used_at is None or utcnow() - self.last_used_at > _TOUCH_EVERY


@dataclass(frozen=True)
class SigningKey:
    """A known access key with its secret in plain text: what SigV4 verification needs."""

    info: AccessKeyInfo
    secret: str


def _info(row: AccessKey) -> AccessKeyInfo:
    return AccessKeyInfo(row.name, row.access_key_id, Scope(row.scope), row.created_at, row.last_used_at)


def _new_key_id(session: Session) -> str:
    while True:  # 36**16 ids: a clash is all but impossible, but cheap to rule out
        key_id = ACCESS_KEY_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
        if session.scalar(sa.select(AccessKey.id).where(AccessKey.access_key_id == key_id)) is None:
            return key_id


def create_access_key(session: Session, name: str, scope: Scope | str) -> tuple[AccessKeyInfo, str]:
    """Create an access key; returns its info and its secret access key (shown once, stored sealed).

    Raises:
        ValidationError: the name is not 1–63 letters, digits and hyphens, or the scope is unknown.
        ConflictError: an access key of this name exists.
        ConfigurationError: the key that seals secrets is not usable (``MODELWATCH_SECRET_KEY``).
    """
    if not is_valid_name(name):
        raise ValidationError("1–63 letters, digits and hyphens", field="name")
    try:
        scope = Scope(scope)
    except ValueError:
        raise ValidationError(f"must be one of {', '.join(s.value for s in Scope)}", field="scope") from None
    if session.scalar(sa.select(AccessKey.id).where(AccessKey.name == name)) is not None:
        raise ConflictError(f"access key {name!r} already exists")
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(_SECRET_LENGTH))
    row = AccessKey(name=name, access_key_id=_new_key_id(session), secret=seal(secret), scope=scope.value)
    session.add(row)
    session.flush()
    return _info(row), secret


def delete_access_key(session: Session, name: str) -> AccessKeyInfo:
    """Delete an access key: requests signed with it are refused from then on.

    Raises:
        NotFoundError: no access key has this name.
    """
    row = session.scalar(sa.select(AccessKey).where(AccessKey.name == name))
    if row is None:
        raise NotFoundError("access key", name)
    info = _info(row)
    session.delete(row)
    return info


def list_access_keys(session: Session) -> list[AccessKeyInfo]:
    """Every access key, by name (never a secret)."""
    return [_info(row) for row in session.scalars(sa.select(AccessKey).order_by(AccessKey.name))]


def has_access_keys(session: Session) -> bool:
    """True when at least one access key exists (then every SageMaker API request must be signed)."""
    return session.scalar(sa.select(AccessKey.id).limit(1)) is not None


def find_access_key(session: Session, access_key_id: str) -> SigningKey | None:
    """The access key of this id with its secret, or None when there is none.

    Reads only: record the use with :func:`touch` (in a write session) when
    :attr:`AccessKeyInfo.stale` says so.

    Raises:
        ConfigurationError: the secret cannot be unsealed (another ``MODELWATCH_SECRET_KEY`` sealed it).
    """
    row = session.scalar(sa.select(AccessKey).where(AccessKey.access_key_id == access_key_id))
    if row is None:
        return None
    return SigningKey(_info(row), _unsealed(row.secret, row.name))


@lru_cache(maxsize=256)
def _unsealed(sealed: str, name: str) -> str:
    """The plain secret of a sealed one, kept in memory: unsealing reads the key and decrypts, and every
    signed request needs it. Keyed by the sealed text, so a deleted key (no row) or a new key (another
    text) is never served from here."""
    return unseal(sealed, what=f"the secret of access key {name!r}")


def touch(session: Session, name: str) -> None:
    """Record that the access key was used now."""
    session.execute(sa.update(AccessKey).where(AccessKey.name == name).values(last_used_at=utcnow()))
