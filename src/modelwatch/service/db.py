"""The metadata database: one engine and session factory per URL, migrated to the latest schema.

``sqlite:///{data_dir}/modelwatch.db`` by default (WAL mode; transactions take the write lock at
their start, so the API and schedulers can share it); any SQLAlchemy URL otherwise, e.g.
``postgresql+psycopg://user:pass@host/db``. The schema is created and upgraded by the Alembic
migrations under ``migrations/`` when the database is opened.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.orm import Session, sessionmaker

from modelwatch.errors import ConfigurationError
from modelwatch.settings import get_settings

__all__ = ["Database", "default_url", "open_database", "redacted_url"]

log = logging.getLogger(__name__)


def default_url() -> str:
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    path = Path(settings.data_dir).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'modelwatch.db'}"


def _sqlite_pragmas(connection: object, _record: object) -> None:
    connection.isolation_level = None  # type: ignore[attr-defined]  # transactions are begun by _sqlite_begin
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    """Take SQLite's write lock when a transaction starts, so that two processes never fail on upgrading a
    read transaction to a write one (SQLITE_BUSY); they wait for each other up to the busy timeout.
    Read-only sessions (``session(write=False)``) begin a plain transaction: WAL readers never block."""
    read_only = connection.get_execution_options().get(_READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_READ_ONLY = "modelwatch_read_only"


@dataclass(frozen=True)
class Database:
    """An engine plus its session factory. ``with db.session() as s:`` commits on success."""

    url: str
    engine: sa.Engine
    sessions: sessionmaker[Session]

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """A session in one transaction, committed at the end of the block. ``write=False`` promises only
        reads (on SQLite it then does not take the write lock)."""
        if write:
            with self.sessions.begin() as session:
                yield session
            return
        with (
            self.sessions(bind=self.engine.execution_options(**{_READ_ONLY: True})) as session,
            session.begin(),
        ):
            yield session

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def _alembic_config(engine: sa.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("modelwatch.service").joinpath("migrations")))
    config.attributes["engine"] = engine
    return config


_MIGRATING = threading.Lock()  # Alembic's context is global to the process


def migrate(engine: sa.Engine) -> None:
    """Create or upgrade the schema to the latest migration."""
    with _MIGRATING:
        command.upgrade(_alembic_config(engine), "head")


def open_database(url: str | None = None, *, upgrade: bool = True) -> Database:
    """Open (and by default migrate) the metadata database at ``url`` (default: the settings').

    Raises:
        ConfigurationError: the URL is malformed, names an unknown driver, or the server is unreachable.
    """
    url = url or default_url()
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError) as error:
        raise ConfigurationError(f"invalid database URL {redacted_url(url)}: {error}") from None
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
    try:
        if upgrade:
            migrate(engine)
        else:
            with engine.connect():
                pass
    except sa.exc.OperationalError as error:
        raise ConfigurationError(f"cannot open database {redacted_url(url)}: {error.orig}") from None
    log.info("database %s ready", redacted_url(url))
    return Database(url, engine, sessionmaker(engine, expire_on_commit=False))


def redacted_url(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<malformed URL>"
