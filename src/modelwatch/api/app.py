"""The FastAPI application: ``create_app(db)`` serves the REST API under ``/api/v1`` (docs/api.md).

It is the API alone; :func:`modelwatch.server.create_app` adds the dashboard (``modelwatch.ui``) beside
it, which is what ``modelwatch server`` serves."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI

from modelwatch import __version__
from modelwatch.api import prometheus
from modelwatch.api.auth import require_token
from modelwatch.api.docs import install_docs
from modelwatch.api.errors import install_error_handlers, responses
from modelwatch.api.guard import RequestGuard
from modelwatch.api.limits import MAX_BODY_BYTES, BodySizeLimit
from modelwatch.api.routes import alerts, baselines, endpoints, executions, health, metrics, schedules
from modelwatch.api.starter import JobStarter
from modelwatch.service.db import Database, open_database
from modelwatch.settings import get_settings

__all__ = ["API_PREFIX", "JobStarter", "create_app"]

API_PREFIX = "/api/v1"

DESCRIPTION = """Self-hosted model monitoring, file-compatible with Amazon SageMaker Model Monitor.

Every error answer is `{"error": {"type", "message", "fields"}}`; see docs/api.md."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the default database when the app was created without one (and close it at the end)."""
    if app.state.db is not None:
        yield
        return
    app.state.db = await anyio.to_thread.run_sync(open_database)
    try:
        yield
    finally:
        app.state.db.dispose()
        app.state.db = None


def create_app(
    db: Database | None = None,
    *,
    scheduler_runner: JobStarter | None = None,
    allowed_hosts: Iterable[str] = (),
) -> FastAPI:
    """The API over ``db`` (None: the settings' database, opened when the app starts).

    ``scheduler_runner`` (e.g. the server's :class:`~modelwatch.service.runner.Runner`): when given, a
    run-now execution or a new baselining job is handed to it right after the answer, instead of
    waiting for the scheduler's next tick.

    ``allowed_hosts``: host names that the ``Host`` header may carry besides loopback names and
    ``MODELWATCH_ALLOWED_HOSTS`` (see :mod:`modelwatch.api.guard`).
    """
    app = FastAPI(
        title="modelwatch",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan,
        generate_unique_id_function=lambda route: route.name,  # operationId = the route function's name
        docs_url=None,  # served by install_docs: under the token rule, Swagger UI from the package
        redoc_url=None,
        openapi_url=None,
    )
    app.state.db = db
    app.state.job_starter = scheduler_runner
    app.state.sqlite_gate = threading.Lock()  # see modelwatch.web.deps.transaction
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    hosts = (*get_settings().resolved_allowed_hosts(), *allowed_hosts)
    app.add_middleware(RequestGuard, allowed_hosts=hosts)  # outermost: before anything reads the body
    install_error_handlers(app)
    app.include_router(health.router, prefix=API_PREFIX)
    for module in (endpoints, baselines, schedules, metrics, executions, alerts):
        app.include_router(
            module.router,
            prefix=API_PREFIX,
            dependencies=[Depends(require_token)],
            responses=responses(401),
        )
    app.include_router(prometheus.router, dependencies=[Depends(require_token)])  # GET /metrics
    install_docs(app)  # GET /openapi.json, /docs
    return app
