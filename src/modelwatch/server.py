"""``modelwatch server``: the REST API, the dashboard, the SageMaker API and the scheduler in one process.

:func:`create_app` puts the API (``modelwatch.api``: ``/api/v1``, ``/metrics``, ``/docs``), the
dashboard (``modelwatch.ui``: ``/ui``) and the SageMaker API (``modelwatch.sagemaker_api``: a ``POST``
with ``X-Amz-Target`` on any other path) side by side in one FastAPI app, served by uvicorn; the scheduler
loop runs in a thread beside it with a job runner. On SIGINT/SIGTERM the server stops accepting
requests, the scheduler stops planning, running executions get ``shutdown_timeout`` seconds to finish,
and the rest are stopped (``Stopped``).

The server refuses to listen on a non-loopback address while no API token exists: a monitoring service
open to the network without authentication is never what anyone wants. The API checks the same rule on
every request too (by the peer's address), so revoking the last token later does not open it; and it
answers to the ``Host`` it listens on, loopback names and ``MODELWATCH_ALLOWED_HOSTS`` only
(docs/security.md).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from modelwatch.capture.proxy import GracefulServer
from modelwatch.errors import ConfigurationError
from modelwatch.service.db import Database, open_database
from modelwatch.service.runner import Runner
from modelwatch.service.scheduler import Scheduler
from modelwatch.service.tokens import has_tokens
from modelwatch.web.access import is_loopback

if TYPE_CHECKING:
    from fastapi import FastAPI

    from modelwatch.api import JobStarter

__all__ = ["Server", "build_server", "create_app", "is_loopback", "listen_host_names"]

log = logging.getLogger(__name__)


def create_app(
    db: Database | None = None,
    *,
    scheduler_runner: JobStarter | None = None,
    allowed_hosts: Iterable[str] = (),
) -> FastAPI:
    """The API of :func:`modelwatch.api.create_app` (same arguments) with the dashboard installed beside
    it under ``/ui`` (:func:`modelwatch.ui.mount.install_ui`, docs/dashboard.md): one app, one database,
    one token rule, one ``Host`` and cross-site guard."""
    from modelwatch.api import create_app as create_api
    from modelwatch.sagemaker_api import install_sagemaker_api
    from modelwatch.ui.mount import install_ui

    app = create_api(db, scheduler_runner=scheduler_runner, allowed_hosts=allowed_hosts)
    install_ui(app)
    install_sagemaker_api(app)  # last: its POST route takes only paths no other route takes
    return app


def listen_host_names(host: str) -> tuple[str, ...]:
    """The ``Host`` names that listening on ``host`` implies: the name or address itself, none for a
    wildcard address (0.0.0.0, ::), which names no host."""
    try:
        return () if ipaddress.ip_address(host.strip("[]")).is_unspecified else (host,)
    except ValueError:
        return (host,) if host else ()


@dataclass
class Server:
    """A built server: call :meth:`run` (blocks until a signal or :meth:`stop`)."""

    db: Database
    http: GracefulServer
    scheduler: Scheduler | None
    runner: Runner | None
    shutdown_timeout: float

    @property
    def url(self) -> str:
        host = self.http.config.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.http.config.port}"

    def run(self) -> None:
        thread = None
        if self.scheduler is not None:
            thread = threading.Thread(target=self.scheduler.run_forever, name="scheduler", daemon=True)
            thread.start()
        try:
            self.http.run()
        finally:
            if self.scheduler is not None:
                self.scheduler.stop()
            if thread is not None:
                thread.join()
            if self.runner is not None:
                log.info("server: waiting up to %gs for running executions", self.shutdown_timeout)
                self.runner.shutdown(timeout=self.shutdown_timeout)
            self.db.dispose()

    def stop(self) -> None:
        self.http.should_exit = True


def build_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    database_url: str | None = None,
    scheduler: bool = True,
    shutdown_timeout: float = 30.0,
    log_level: str = "warning",
) -> Server:
    """Open the database and build the API server (and the scheduler unless ``scheduler=False``).

    Raises:
        ConfigurationError: ``host`` is not a loopback address and no API token exists; or the
            database cannot be opened.
    """
    import uvicorn

    db = open_database(database_url)
    with db.session() as session:
        open_api = not has_tokens(session)
    if open_api and not is_loopback(host):
        db.dispose()
        raise ConfigurationError(
            f"refusing to listen on {host}: no API token exists, so anyone on the network could change "
            "the monitoring. Create one with `modelwatch tokens create NAME --scope admin`, or listen on "
            "127.0.0.1"
        )
    runner = Runner(db) if scheduler else None
    loop = Scheduler(db, runner) if runner is not None else None
    # run-now and baselining jobs start at once
    app = create_app(db, scheduler_runner=runner, allowed_hosts=listen_host_names(host))
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on")
    return Server(db, GracefulServer(config), loop, runner, shutdown_timeout)
