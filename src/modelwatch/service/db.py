"""The metadata database: one engine and session factory per URL, migrated to the latest schema.

``sqlite:///{data_dir}/modelwatch.db`` by default (WAL mode; transactions take the write lock at
their start, so the API and schedulers can share it); any SQLAlchemy URL otherwise, e.g.
``postgresql+psycopg://user:pass@host/db``. The schema is created and upgraded by the Alembic
migrations under ``migrations/`` when the database is opened; a database that a newer modelwatch has
upgraded past the newest migration known here is refused with one line naming both revisions.

The data folder is created ``0700`` and a SQLite database file ``0600`` (it holds the channels'
sealed secrets, the alert history and token digests); see :mod:`modelwatch.service.private_files`.
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
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.orm import Session, sessionmaker

from modelwatch import __version__
from modelwatch.errors import ConfigurationError
from modelwatch.service.private_files import data_dir, private_file
from modelwatch.settings import get_settings

__all__ = ["Database", "default_url", "open_database", "redacted_url"]

log = logging.getLogger(__name__)


def default_url() -> str:
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{data_dir(settings) / 'modelwatch.db'}"


def _sqlite_pragmas(connection: object, _record: object) -> None:
    connection.isolation_level = None  # type: ignore[attr-defined]  # transactions are begun by _sqlite_begin
    cursor = connection.cursor()  # type: ignore[attr-defined]  # a sqlite3.Connection
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


def _check_known_revision(engine: sa.Engine, config: Config) -> None:
    """Refuse a database whose schema revision no migration here knows (a newer modelwatch made it):
    Alembic would fail with a long traceback, and a downgrade is not ours to do."""
    script = ScriptDirectory.from_config(config)
    known = {revision.revision for revision in script.walk_revisions()}
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    unknown = [revision for revision in current if revision not in known]
    if unknown:
        url = engine.url.render_as_string(hide_password=True)
        raise ConfigurationError(
            f"the database {url} is at schema revision {', '.join(unknown)}, newer than this modelwatch "
            f"{__version__} knows (its newest is {script.get_current_head()}): upgrade modelwatch"
        )


def migrate(engine: sa.Engine) -> None:
    """Create or upgrade the schema to the latest migration.

    Raises:
        ConfigurationError: the database is at a revision that this modelwatch does not know.
    """
    with _MIGRATING:
        config = _alembic_config(engine)
        _check_known_revision(engine, config)
        command.upgrade(config, "head")


def _private_sqlite_files(url: sa.URL) -> None:
    """Create a SQLite database file ``0600`` before SQLite does (it would follow the umask, usually
    0644; its -wal and -shm files take the database file's mode), and tighten existing ones."""
    name = url.database
    if not name or name == ":memory:" or name.startswith("file:") or url.query.get("uri"):
        return
    path = Path(name).expanduser()
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        if path.with_name(path.name + suffix).exists():
            private_file(path.with_name(path.name + suffix))


def open_database(url: str | None = None, *, upgrade: bool = True) -> Database:
    """Open (and by default migrate) the metadata database at ``url`` (default: the settings').

    Raises:
        ConfigurationError: the URL is malformed, names an unknown driver, or the server is unreachable;
            or a newer modelwatch has upgraded the database (the message names both revisions).
    """
    url = url or default_url()
    try:
        engine = sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, ImportError) as error:
        raise ConfigurationError(f"invalid database URL {redacted_url(url)}: {error}") from None
    if engine.dialect.name == "sqlite":
        _private_sqlite_files(engine.url)
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
