"""What routes depend on: the database session of a request and the shared parameter types."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from modelwatch.service.db import Database
from modelwatch.service.paging import MAX_RESULTS
from modelwatch.service.schemas import NAME_PATTERN

__all__ = [
    "ExecutionId",
    "MaxResults",
    "NameFilter",
    "NameInPath",
    "NextToken",
    "SessionDep",
    "database",
    "session",
    "transaction",
]


def database(request: Request) -> Database:
    db = request.app.state.db
    if db is None:  # pragma: no cover - the lifespan opens it
        raise RuntimeError("the API's database is not open (was the app's lifespan run?)")
    assert isinstance(db, Database)
    return db


@contextlib.contextmanager
def transaction(request: Request, *, write: bool | None = None) -> Iterator[Session]:
    """A session of the app's database that commits at the end of the block.

    On SQLite every transaction takes the write lock at its start (see ``service.db``), and a waiting
    connection polls for it with growing sleeps, so under concurrent requests some waited seconds. The
    requests of this process therefore queue on a lock of their own first, which wakes the next at once.
    Reads (``write=False``; by default the requests whose method is GET or HEAD) take neither.
    """
    db = database(request)
    if write is None:
        write = request.method not in ("GET", "HEAD")
    gate = request.app.state.sqlite_gate if db.is_sqlite and write else contextlib.nullcontext()
    with gate, db.session(write=write) as current:
        yield current


def session(request: Request) -> Iterator[Session]:
    """The request's session: it commits when the route returns, before the answer is sent. Routes that
    also read storage use :func:`transaction` for the database part instead, so as not to hold it."""
    with transaction(request) as current:
        yield current


SessionDep = Annotated[Session, Depends(session, scope="function")]

NameInPath = Annotated[
    str, Path(min_length=1, max_length=63, pattern=NAME_PATTERN, description="The resource's name.")
]
ExecutionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The execution's id.")]
"""Ids are 32-bit on PostgreSQL (an integer key); a larger one would be an error of the database."""
NameFilter = Annotated[
    str | None, Query(max_length=63, pattern=NAME_PATTERN, description="Only those of this name.")
]
NextToken = Annotated[
    str | None,
    Query(
        max_length=256,
        pattern=r"^[A-Za-z0-9_=-]*$",
        description="The next_token of the previous page.",
    ),
]


MaxResults = Annotated[int, Query(ge=1, le=MAX_RESULTS, description=f"Items per page, 1–{MAX_RESULTS}.")]
