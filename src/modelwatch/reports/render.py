"""Rendering: the Jinja2 environment (autoescaped), the filters the templates use, and safe JSON.

Every value a template prints is escaped by Jinja2's autoescape. Chart figures travel to the browser as
``<script type="application/json">`` blocks written by :func:`json_for_html`, which escapes ``<``, ``>``,
``&`` and the JavaScript line separators, so a feature called ``</script><script>…`` stays data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

__all__ = [
    "build_environment",
    "environment",
    "format_duration",
    "format_number",
    "format_time",
    "json_for_html",
    "json_script",
    "render_template",
    "sanitize",
    "templates_loader",
]

_HTML_UNSAFE = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def sanitize(value: Any) -> Any:
    """``value`` as plain JSON data: numpy arrays and numbers become lists and floats, NaN and ±inf
    become None (JSON has no NaN; plotly leaves a gap for null)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return [None if not math.isfinite(v) else v for v in value.tolist()]
        return value.tolist()
    if isinstance(value, np.generic):
        return sanitize(value.item())
    if isinstance(value, Mapping):
        return {str(k): sanitize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [sanitize(v) for v in value]
    return value


def json_for_html(value: Any) -> str:
    """JSON text of ``value`` that is safe inside an HTML ``<script>`` element."""
    text = json.dumps(sanitize(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.translate(_HTML_UNSAFE)


def json_script(value: Any, element_id: str) -> Markup:
    """``<script type="application/json" id=…>`` holding ``value`` (never executed, never breaks out)."""
    ident = Markup.escape(element_id)
    return Markup(f'<script type="application/json" id="{ident}">{json_for_html(value)}</script>')


def format_number(value: Any, digits: int = 4) -> str:
    """A number for a table cell: integers as they are, floats to ``digits`` significant digits;
    NaN, None and the strings SageMaker writes for them ("NaN", "Infinity") as they read."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:.{digits}g}"


def format_time(value: datetime | None) -> str:
    """``2026-11-27 08:26:25Z`` (UTC), or ``—``."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%SZ")


def format_duration(seconds: float | timedelta | None) -> str:
    """``850ms``, ``42s``, ``3m 05s``, ``2h 10m``, ``3d 4h``; ``—`` for None."""
    if seconds is None:
        return "—"
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    seconds = max(float(seconds), 0.0)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    whole = int(seconds)
    if whole < 60:
        return f"{seconds:.0f}s" if whole >= 10 else f"{seconds:.1f}s"
    minutes, sec = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def _status_class(status: Any) -> str:
    """The CSS class of a status badge."""
    text = str(status or "")
    return {
        "Completed": "ok",
        "InService": "ok",
        "Scheduled": "ok",
        "CompletedWithViolations": "warn",
        "Failed": "bad",
        "Stopped": "muted",
        "Stopping": "run",
        "Pending": "run",
        "InProgress": "run",
        "OK": "ok",
        "InAlert": "bad",
        "ALARM": "bad",
        "INSUFFICIENT_DATA": "muted",
    }.get(text, "muted")


def templates_loader() -> BaseLoader:
    """The loader of the templates kept here (``report.html`` and the partials it shares with the
    dashboard's execution page)."""
    return PackageLoader("modelwatch.reports", "templates")


def build_environment(loader: BaseLoader) -> Environment:
    """An autoescaping environment over ``loader`` with the filters and globals the templates use."""
    env = Environment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        num=format_number,
        time=format_time,
        duration=format_duration,
        status_class=_status_class,
    )
    env.globals.update(json_script=json_script)
    return env


_ENVIRONMENT: Environment | None = None


def environment() -> Environment:
    """The reports' environment (built on first use; templates are compiled once per process)."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = build_environment(templates_loader())
    return _ENVIRONMENT


def render_template(name: str, context: Mapping[str, Any]) -> str:
    return environment().get_template(name).render(**context)
