"""The dashboard: server-rendered pages over the service layer (Jinja2, plotly's bundled JS, no
network needed). Each execution's self-contained ``report.html`` is built by ``modelwatch.reports``;
its names are re-exported here. See docs/dashboard.md.

The names are imported on first use, so that importing the package loads no web framework.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["UI_PREFIX", "ExecutionResults", "install_ui", "load_results", "render_report", "write_report"]

_HOMES = {
    "UI_PREFIX": "modelwatch.ui.paths",
    "install_ui": "modelwatch.ui.mount",
    "ExecutionResults": "modelwatch.reports.results",
    "load_results": "modelwatch.reports.results",
    "render_report": "modelwatch.reports.report",
    "write_report": "modelwatch.reports.report",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'modelwatch.ui' has no attribute {name!r}")
