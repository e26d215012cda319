"""The operations of the SageMaker API: each is a function ``(ctx, body) -> answer`` registered under
its ``X-Amz-Target`` name by :func:`operation`; the modules that define them are listed in
:data:`OPERATION_MODULES` and imported once, when the API is installed.

Adding an operation is one decorated function in the module of its resource::

    @operation("DescribeMonitoringSchedule", read=True)
    def describe_monitoring_schedule(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
        name = required(body, "MonitoringScheduleName", str)
        with ctx.transaction(write=False) as session:
            ...

``read=True`` marks what a ``read`` access key may call (Describe, List, Get).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request

from modelwatch.service.db import Database
from modelwatch.web.deps import database, transaction

__all__ = [
    "OPERATIONS",
    "OPERATION_MODULES",
    "Context",
    "Handler",
    "Operation",
    "load_operations",
    "operation",
]

Handler = Callable[["Context", dict[str, Any]], dict[str, Any]]

OPERATION_MODULES = (
    "modelwatch.sagemaker_api.schedules",
    "modelwatch.sagemaker_api.job_definitions",
    "modelwatch.sagemaker_api.executions",
    "modelwatch.sagemaker_api.alerts",
    "modelwatch.sagemaker_api.tags",
    "modelwatch.sagemaker_api.processing_jobs",
    "modelwatch.sagemaker_api.logs",
)
"""Every module that registers operations; a module not yet written is skipped (see load_operations)."""


@dataclass(frozen=True)
class Operation:
    service: str  # "SageMaker" or "Logs_20140328": the X-Amz-Target prefix
    name: str
    handler: Handler
    read: bool


OPERATIONS: dict[str, Operation] = {}
"""By full target: ``SageMaker.DescribeMonitoringSchedule``."""


def operation(name: str, *, read: bool = False, service: str = "SageMaker") -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``{service}.{name}``."""

    def register(handler: Handler) -> Handler:
        target = f"{service}.{name}"
        if target in OPERATIONS:
            raise RuntimeError(f"{target} is registered twice")
        OPERATIONS[target] = Operation(service, name, handler, read)
        return handler

    return register


def load_operations() -> dict[str, Operation]:
    """Import every module of :data:`OPERATION_MODULES` (once) and return the registry."""
    for module in OPERATION_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return OPERATIONS


@dataclass
class Context:
    """What a handler knows of its request: the region it was signed for, the account in ARNs, the
    database (through :meth:`transaction`), the access key's name (None in open mode), and work to
    start once the answer is sent."""

    request: Request
    region: str
    account: str
    key_name: str | None = None
    tasks: list[Callable[[Any], object]] = field(default_factory=list)
    """What to hand the app's job starter after the answer (see start_execution_later)."""

    @property
    def db(self) -> Database:
        return database(self.request)

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits at the end of the block (see ``modelwatch.web.deps.transaction``)."""
        with transaction(self.request, write=write) as session:
            yield session

    def start_execution_later(self, execution_id: int) -> None:
        """Start the execution right after the answer (its row committed by then) when the server has a
        job runner; otherwise the scheduler starts it at its next tick."""
        self.tasks.append(lambda starter: starter.start_execution(execution_id))

    def start_baseline_later(self, name: str) -> None:
        """Start the baselining job right after the answer, as :meth:`start_execution_later`."""
        self.tasks.append(lambda starter: starter.start_baseline(name))

    def arn(self, resource_type: str, name: str) -> str:
        from modelwatch.sagemaker_api.wire import arn

        return arn(self.region, self.account, resource_type, name)
