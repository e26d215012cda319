"""Access keys of the SageMaker API: AWS-shaped ids and secrets, sealed at rest, scoped, deletable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from modelwatch.errors import ConfigurationError, ConflictError, NotFoundError, ValidationError
from modelwatch.service.access_keys import (
    Scope,
    create_access_key,
    delete_access_key,
    find_access_key,
    has_access_keys,
    list_access_keys,
    touch,
)
from modelwatch.service.db import Database
from modelwatch.service.models import AccessKey, utcnow
from modelwatch.settings import get_settings


def test_a_key_is_shaped_as_aws_and_its_secret_is_stored_sealed(db: Database) -> None:
    with db.session() as session:
        assert not has_access_keys(session)
        info, secret = create_access_key(session, "sdk", "admin")
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", info.access_key_id)
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", secret)
    assert info.scope is Scope.ADMIN and info.last_used_at is None and info.stale
    with db.session(write=False) as session:
        stored = session.scalar(sa.select(AccessKey.secret).where(AccessKey.name == "sdk"))
        assert stored is not None and stored.startswith("enc:v1:") and secret not in stored
        found = find_access_key(session, info.access_key_id)
        assert has_access_keys(session)
    assert found is not None and found.secret == secret and found.info == info


def test_two_keys_differ_and_listing_shows_no_secret(db: Database) -> None:
    with db.session() as session:
        first, first_secret = create_access_key(session, "b-reader", Scope.READ)
        second, second_secret = create_access_key(session, "a-admin", Scope.ADMIN)
    assert first.access_key_id != second.access_key_id and first_secret != second_secret
    with db.session(write=False) as session:
        listed = list_access_keys(session)
    assert [(k.name, k.scope) for k in listed] == [("a-admin", Scope.ADMIN), ("b-reader", Scope.READ)]
    assert all(not hasattr(k, "secret") for k in listed)


def test_bad_names_scopes_and_duplicates_are_refused(db: Database) -> None:
    with db.session() as session:
        create_access_key(session, "sdk", "read")
    with db.session() as session, pytest.raises(ValidationError) as bad_name:
        create_access_key(session, "not a name", "read")
    assert bad_name.value.field == "name"
    with db.session() as session, pytest.raises(ValidationError) as bad_scope:
        create_access_key(session, "other", "root")
    assert bad_scope.value.field == "scope"
    with db.session() as session, pytest.raises(ConflictError, match="'sdk' already exists"):
        create_access_key(session, "sdk", "admin")


def test_a_deleted_key_is_no_longer_found(db: Database) -> None:
    with db.session() as session:
        info, _ = create_access_key(session, "sdk", "admin")
    with db.session() as session:
        assert delete_access_key(session, "sdk") == info
    with db.session(write=False) as session:
        assert find_access_key(session, info.access_key_id) is None
        assert not has_access_keys(session)
    with db.session() as session, pytest.raises(NotFoundError, match="access key 'sdk' does not exist"):
        delete_access_key(session, "sdk")


def test_an_unknown_id_is_not_found(db: Database) -> None:
    with db.session() as session:
        create_access_key(session, "sdk", "admin")
    with db.session(write=False) as session:
        assert find_access_key(session, "AKIA0000000000000000") is None


def test_a_use_is_recorded_and_is_fresh_for_a_minute(db: Database) -> None:
    with db.session() as session:
        info, _ = create_access_key(session, "sdk", "read")
        touch(session, "sdk")
    with db.session(write=False) as session:
        found = find_access_key(session, info.access_key_id)
    assert found is not None and found.info.last_used_at is not None and not found.info.stale
    with db.session() as session:
        session.execute(sa.update(AccessKey).values(last_used_at=utcnow() - timedelta(minutes=2)))
    with db.session(write=False) as session:
        found = find_access_key(session, info.access_key_id)
    assert found is not None and found.info.stale


def test_a_secret_sealed_with_another_key_names_the_key_and_the_setting(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELWATCH_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    with db.session() as session:
        info, _ = create_access_key(session, "sealed-elsewhere", "admin")
    monkeypatch.setenv("MODELWATCH_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    with db.session(write=False) as session, pytest.raises(ConfigurationError) as caught:
        find_access_key(session, info.access_key_id)
    assert "access key 'sealed-elsewhere'" in str(caught.value)
    assert "MODELWATCH_SECRET_KEY" in str(caught.value)
