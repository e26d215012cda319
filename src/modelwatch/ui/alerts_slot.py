"""The slot for alerts: shown when the alerts service (:mod:`modelwatch.service.alerts`) is installed.

The dashboard never makes alerts up. When that module exists, the slot calls, if the module has them:

* ``list_open_alerts(session)`` → the open alerts, for the overview and the endpoint pages;
* ``list_alert_history(session, *, schedule_name, metric_name)`` → the alerts of one metric (open or
  not), for the markers on the metric page.

Each alert may be an object or a mapping; the slot reads ``endpoint_name``, ``schedule_name``,
``metric_name``, ``state`` (or ``alert_status``, ``status``), ``name``, ``message`` (or ``reason``,
``description``) and the time it started (``since``, ``triggered_at``, ``started_at``,
``status_changed_at`` or ``created_at``); absent ones stay empty.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

__all__ = ["AlertView", "alert_history", "alerts_module", "open_alerts"]

log = logging.getLogger(__name__)

_TIME_KEYS = ("since", "triggered_at", "started_at", "status_changed_at", "created_at", "timestamp")
_TEXT_KEYS = ("message", "reason", "description")


@dataclass(frozen=True)
class AlertView:
    endpoint_name: str | None
    schedule_name: str | None
    metric_name: str | None
    state: str | None
    name: str | None
    message: str
    since: datetime | None


def alerts_module() -> ModuleType | None:
    """:mod:`modelwatch.service.alerts`, or None where it is not installed."""
    try:
        return importlib.import_module("modelwatch.service.alerts")
    except ImportError:
        return None


def _read(item: Any, *keys: str) -> Any:
    for key in keys:
        value = item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)
        if value is not None:
            return value
    return None


def _view(item: Any) -> AlertView:
    since = _read(item, *_TIME_KEYS)
    state = _read(item, "state", "alert_status", "status")
    return AlertView(
        endpoint_name=_read(item, "endpoint_name"),
        schedule_name=_read(item, "schedule_name"),
        metric_name=_read(item, "metric_name"),
        state=str(getattr(state, "value", state)) if state is not None else None,
        name=_read(item, "name"),
        message=str(_read(item, *_TEXT_KEYS) or ""),
        since=since if isinstance(since, datetime) else None,
    )


def _call(name: str, *args: Any, **kwargs: Any) -> list[AlertView] | None:
    module = alerts_module()
    function = getattr(module, name, None) if module is not None else None
    if function is None:
        return None
    return [_view(item) for item in function(*args, **kwargs)]


def open_alerts(session: Session) -> list[AlertView] | None:
    """The open alerts; None when the alerts service is not installed."""
    return _call("list_open_alerts", session)


def alert_history(session: Session, *, schedule_name: str, metric_name: str) -> list[AlertView] | None:
    """The alerts of one metric of one schedule; None when the alerts service is not installed."""
    return _call("list_alert_history", session, schedule_name=schedule_name, metric_name=metric_name)
