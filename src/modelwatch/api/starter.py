"""Optionally hand new work to a job runner at once, rather than at the scheduler's next tick."""

from __future__ import annotations

import logging
from typing import Protocol

from fastapi import BackgroundTasks, Request

__all__ = ["JobStarter", "kick_baseline", "kick_execution"]

log = logging.getLogger(__name__)


class JobStarter(Protocol):
    """What :class:`modelwatch.service.runner.Runner` offers: claim and start one job (False: not now)."""

    def start_execution(self, execution_id: int) -> bool: ...

    def start_baseline(self, name: str) -> bool: ...


def _starter(request: Request) -> JobStarter | None:
    return getattr(request.app.state, "job_starter", None)


def _start_execution(starter: JobStarter, execution_id: int) -> None:
    try:
        starter.start_execution(execution_id)
    except Exception:  # the scheduler retries at its next tick
        log.exception("api: could not start execution %d at once", execution_id)


def _start_baseline(starter: JobStarter, name: str) -> None:
    try:
        starter.start_baseline(name)
    except Exception:  # the scheduler retries at its next tick
        log.exception("api: could not start baselining job %r at once", name)


def kick_execution(request: Request, background: BackgroundTasks, execution_id: int) -> None:
    """After the answer (the row is committed by then), start the execution if a runner is attached."""
    starter = _starter(request)
    if starter is not None:
        background.add_task(_start_execution, starter, execution_id)


def kick_baseline(request: Request, background: BackgroundTasks, name: str) -> None:
    starter = _starter(request)
    if starter is not None:
        background.add_task(_start_baseline, starter, name)
