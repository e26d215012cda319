"""Secrets of notification channels: sealed at rest, write-only in every view, kept when a view is sent
back, readable from rows of older versions; a wrong key is one clear error; the data folder, the
database and the key file are private."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from modelwatch.errors import ConfigurationError, ValidationError
from modelwatch.service import channel_secrets, channels, secrets
from modelwatch.service.channels import EmailChannelSpec, SlackChannelSpec, WebhookChannelSpec
from modelwatch.service.db import Database, open_database
from modelwatch.service.models import NotificationChannel
from modelwatch.settings import get_settings

HOOK_URL = "https://ops:pa55-word-1@hooks.example.com/in?api_key=qk-123456&team=ml"
WEBHOOK = WebhookChannelSpec(
    name="hook", url=HOOK_URL, headers={"Authorization": "Bearer hdr-999999"}, secret="hmac-777777"
)
SLACK = SlackChannelSpec(name="chat", url="https://hooks.slack.com/services/T0/B0/slackpath-555555")
EMAIL = EmailChannelSpec(
    name="mail",
    host="smtp.example.com",
    username="ops",
    password="smtp-888888",
    sender="mw@example.com",
    recipients=["oncall@example.com"],
)
SECRETS = ("pa55-word-1", "qk-123456", "hdr-999999", "hmac-777777", "slackpath-555555", "smtp-888888")


@pytest.fixture
def sqlite_db(data_dir: Path) -> Iterator[Database]:
    """A database at the default place: SQLite in a data folder that does not exist yet."""
    database = open_database()
    yield database
    database.dispose()


def _create_all(db: Database) -> None:
    with db.session() as session:
        for spec in (WEBHOOK, SLACK, EMAIL):
            channels.create_channel(session, spec)


def _use_key(monkeypatch: pytest.MonkeyPatch, key: str | None) -> None:
    if key is None:
        monkeypatch.delenv("MODELWATCH_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("MODELWATCH_SECRET_KEY", key)
    get_settings.cache_clear()


def test_no_secret_is_in_the_database_file(sqlite_db: Database, data_dir: Path) -> None:
    _create_all(sqlite_db)
    with sqlite_db.session(write=False) as session:
        sent = {row.name: channels.spec_of(row) for row in session.scalars(sa.select(NotificationChannel))}
    assert sent == {"hook": WEBHOOK, "chat": SLACK, "mail": EMAIL}  # what is sent is what was given
    sqlite_db.dispose()
    raw = b"".join(path.read_bytes() for path in data_dir.glob("modelwatch.db*"))
    assert raw, "the database file is where the settings say"
    assert [s for s in SECRETS if s.encode() in raw] == []
    assert b"enc:v1:" in raw


def test_views_show_that_a_secret_is_set_never_its_value(sqlite_db: Database) -> None:
    _create_all(sqlite_db)
    with sqlite_db.session(write=False) as session:
        views = {v.name: v for v in channels.list_channels(session).items}
        shown = json.dumps([v.model_dump(mode="json") for v in views.values()])
    assert [s for s in SECRETS if s in shown] == []
    assert all(v.has_secret for v in views.values())
    hook, chat, mail = views["hook"].config, views["chat"].config, views["mail"].config
    assert hook["url"] == "https://***:***@hooks.example.com/in?api_key=***&team=***"
    assert hook["headers"] == {"Authorization": "***"} and hook["secret"] == "***"
    assert (chat["url"], chat["url_host"]) == ("https://hooks.slack.com/***", "hooks.slack.com")
    assert mail["password"] == "***" and mail["username"] == "ops" and mail["host"] == "smtp.example.com"
    assert "sealed" not in hook and "sealed" not in chat and "sealed" not in mail

    with sqlite_db.session() as session:
        plain = channels.create_channel(session, WebhookChannelSpec(name="plain", url="http://127.0.0.1:9/x"))
    assert plain.has_secret is False and plain.config["url"] == "http://127.0.0.1:9/x"
    assert "secret" not in plain.config and plain.config["headers"] == {}


def test_sending_a_view_back_keeps_the_stored_secrets(sqlite_db: Database) -> None:
    _create_all(sqlite_db)
    with sqlite_db.session() as session:
        for name in ("hook", "chat", "mail"):
            view = channels.describe_channel(session, name)
            data = {**view.config, "name": name, "kind": view.kind.value, "enabled": view.enabled}
            data.pop("url_host", None)
            if name == "mail":
                data["recipients"] = ["other@example.com"]
            if name == "hook":  # a new path and one new query value; the masked parts stay as stored
                data["url"] = "https://***:***@hooks.example.com/v2?api_key=***&team=data"
                data["headers"] = {**data["headers"], "X-Extra": "extra-1"}
            spec = channels._SPEC.validate_python(data)
            channels.replace_channel(session, name, spec)
        rows = {r.name: r for r in session.scalars(sa.select(NotificationChannel))}
        hook, chat, mail = (channels.spec_of(rows[n]) for n in ("hook", "chat", "mail"))
    assert isinstance(hook, WebhookChannelSpec)
    assert hook.url == "https://ops:pa55-word-1@hooks.example.com/v2?api_key=qk-123456&team=data"
    assert hook.headers == {"Authorization": "Bearer hdr-999999", "X-Extra": "extra-1"}
    assert hook.secret == "hmac-777777"
    assert chat == SLACK
    assert isinstance(mail, EmailChannelSpec)
    assert (mail.password, mail.recipients) == ("smtp-888888", ["other@example.com"])

    with sqlite_db.session() as session:  # leaving the HMAC key or password out keeps it too
        channels.replace_channel(session, "mail", EMAIL.model_copy(update={"password": None}))
        row = session.scalar(sa.select(NotificationChannel).where(NotificationChannel.name == "mail"))
        assert row is not None and channels.spec_of(row) == EMAIL


@pytest.mark.parametrize(
    ("name", "change", "field"),
    [
        ("hook", {"headers": {"X-New": "***"}}, "headers.X-New"),
        ("hook", {"url": "https://hooks.example.com/in?other=***"}, "url"),
        ("chat", {"url": "https://elsewhere.example.com/***"}, "url"),
        ("new", {"secret": "***"}, "secret"),
    ],
)
def test_a_mask_that_stands_for_nothing_stored_is_refused(
    sqlite_db: Database, name: str, change: dict[str, object], field: str
) -> None:
    _create_all(sqlite_db)
    base = SLACK if name == "chat" else WEBHOOK.model_copy(update={"name": name})
    spec = base.model_copy(update=change)
    with sqlite_db.session() as session, pytest.raises(ValidationError) as error:
        if name == "new":
            channels.create_channel(session, spec)
        else:
            channels.replace_channel(session, name, spec)
    assert error.value.field == field


def test_rows_of_an_older_modelwatch_are_read_and_sealed_on_the_next_write(sqlite_db: Database) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with sqlite_db.session() as session:  # as version 0.x stored them: secrets in the clear
        session.add_all(
            [
                NotificationChannel(
                    name="hook",
                    kind="webhook",
                    config={"url": HOOK_URL, "headers": {"Authorization": "Bearer hdr-999999"}},
                    secret="hmac-777777",
                    enabled=True,
                    created_at=now,
                    updated_at=now,
                ),
                NotificationChannel(
                    name="chat", kind="slack", config={}, secret=SLACK.url, created_at=now, updated_at=now
                ),
            ]
        )
    with sqlite_db.session() as session:
        views = {v.name: v for v in channels.list_channels(session).items}
        assert [
            s for s in SECRETS if s in json.dumps([v.model_dump(mode="json") for v in views.values()])
        ] == []
        assert views["hook"].config["headers"] == {"Authorization": "***"}
        assert views["chat"].config["url_host"] == "hooks.slack.com"
        rows = {r.name: r for r in session.scalars(sa.select(NotificationChannel))}
        assert channels.spec_of(rows["chat"]) == SLACK
        old_hook = channels.spec_of(rows["hook"])
        channels.replace_channel(
            session, "hook", WEBHOOK.model_copy(update={"secret": None, "max_attempts": 2})
        )
    with sqlite_db.session(write=False) as session:
        row = session.scalar(sa.select(NotificationChannel).where(NotificationChannel.name == "hook"))
        assert row is not None and row.secret is None
        assert [s for s in SECRETS if s in json.dumps(row.config)] == []
        assert (
            channels.spec_of(row)
            == old_hook.model_copy(update={"max_attempts": 2})
            == WEBHOOK.model_copy(update={"max_attempts": 2})
        )


def test_a_key_from_the_setting_and_rotation(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _use_key(monkeypatch, first)
    _create_all(sqlite_db)

    def read(name: str) -> object:
        with sqlite_db.session(write=False) as session:
            row = session.scalar(sa.select(NotificationChannel).where(NotificationChannel.name == name))
            assert row is not None
            return channels.spec_of(row)

    _use_key(monkeypatch, second)
    with pytest.raises(ConfigurationError) as error:
        read("mail")
    message = str(error.value)
    assert "MODELWATCH_SECRET_KEY" in message and "'mail'" in message and "\n" not in message
    with sqlite_db.session(write=False) as session:  # showing needs no key
        assert channels.describe_channel(session, "mail").config["password"] == "***"

    _use_key(monkeypatch, f"{second},{first}")  # the new key first: the old one still opens
    assert read("mail") == EMAIL
    _use_key(monkeypatch, "not-a-key")
    with pytest.raises(ConfigurationError, match="MODELWATCH_SECRET_KEY: not a Fernet key"):
        read("mail")


def test_the_generated_key_file(sqlite_db: Database, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_key(monkeypatch, None)
    _create_all(sqlite_db)
    key_file = data_dir / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert secrets.unseal(secrets.seal("x"), what="x") == "x"  # the same key is read back
    key_file.write_text("garbage\n")
    with pytest.raises(ConfigurationError) as error:
        secrets.seal("x")
    assert str(key_file) in str(error.value)
    key_file.write_text(Fernet.generate_key().decode())  # another key: the stored secrets stay shut
    with sqlite_db.session(write=False) as session:
        row = session.scalar(sa.select(NotificationChannel).where(NotificationChannel.name == "hook"))
        assert row is not None
        with pytest.raises(ConfigurationError, match="key file"):
            channels.spec_of(row)


def test_the_data_folder_database_and_key_are_private(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_key(monkeypatch, None)
    previous = os.umask(0o022)
    try:
        database = open_database()
        _create_all(database)
        database.dispose()
    finally:
        os.umask(previous)
    mode = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data_dir.iterdir() if p.is_file()}
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert mode["modelwatch.db"] == 0o600 and mode["secret.key"] == 0o600
    assert all(m == 0o600 for name, m in mode.items() if name.startswith("modelwatch.db")), mode

    (data_dir / "modelwatch.db").chmod(0o644)  # e.g. copied in, or made by an older version
    open_database().dispose()
    assert stat.S_IMODE((data_dir / "modelwatch.db").stat().st_mode) == 0o600


def test_a_folder_the_user_made_is_left_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    database = open_database(f"sqlite:///{folder / 'mw.db'}")
    database.dispose()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755
    assert stat.S_IMODE((folder / "mw.db").stat().st_mode) == 0o600


def test_scrub_hides_secrets_and_url_credentials_in_a_short_line() -> None:
    secrets_of = channel_secrets.split("webhook", WEBHOOK.model_dump(mode="json"))[1]
    text = (
        f"cannot reach {HOOK_URL}: refused\nheader Bearer hdr-999999 and http://u:p4ss@other.example/?k=v "
        + "x" * 500
    )
    scrubbed = channel_secrets.scrub(text, secrets_of)
    assert [s for s in (*SECRETS, "p4ss") if s in scrubbed] == []
    assert "\n" not in scrubbed and len(scrubbed) <= channel_secrets.SCRUBBED_LENGTH
    assert scrubbed.startswith(
        "cannot reach ***: refused header *** and http://***:***@other.example/?k=*** xxx"
    )
