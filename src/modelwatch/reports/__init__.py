"""Report pages and charts built from an execution's result files, with no web framework: the
self-contained ``report.html`` that the job process writes, and the sections, charts, templates and
assets that the dashboard's execution page shares with it. See docs/dashboard.md.

Layering: this package imports from io, formats, checks and errors only; never from ui, api or
service (tests/test_reports_layer.py). The names are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["REPORT_FILE", "ExecutionResults", "load_results", "render_report", "write_report"]

_HOMES = {
    "REPORT_FILE": "modelwatch.reports.report",
    "ExecutionResults": "modelwatch.reports.results",
    "load_results": "modelwatch.reports.results",
    "render_report": "modelwatch.reports.report",
    "write_report": "modelwatch.reports.report",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'modelwatch.reports' has no attribute {name!r}")
