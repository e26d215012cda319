"""What the commands that work on the metadata database directly share (``tokens``, ``access-keys``):
the database opened from ``--database-url`` with its errors as one line and exit 1, the scope choice
and timestamps as ISO text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import typer

from modelwatch.cli_client import common as c
from modelwatch.cli_client.common import EXIT_ERROR
from modelwatch.errors import ModelwatchError

if TYPE_CHECKING:
    from modelwatch.service.db import Database

__all__ = ["Scope", "open_database", "stamp"]


class Scope(StrEnum):
    READ = "read"
    ADMIN = "admin"


@contextmanager
def open_database(url: str | None) -> Iterator[Database]:
    """The database at ``url`` (None: the settings'), disposed at the end; a modelwatch error while
    opening or using it is printed as one line and exits 1."""
    from modelwatch.service.db import open_database as open_db

    try:
        db = open_db(url)
    except ModelwatchError as error:
        c.print_error(str(error))
        raise typer.Exit(EXIT_ERROR) from None
    try:
        yield db
    except ModelwatchError as error:
        c.print_error(str(error))
        raise typer.Exit(EXIT_ERROR) from None
    finally:
        db.dispose()


def stamp(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
