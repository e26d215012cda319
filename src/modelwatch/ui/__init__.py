"""The dashboard: server-rendered pages over the service layer (Jinja2, plotly's bundled JS, no
network needed), and each execution's self-contained ``report.html``. See docs/dashboard.md.

The names are imported on first use, so that the job process can write a report without loading
the web framework.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["UI_PREFIX", "ExecutionResults", "install_ui", "load_results", "render_report", "write_report"]

_HOMES = {
    "UI_PREFIX": "modelwatch.ui.paths",
    "install_ui": "modelwatch.ui.mount",
    "ExecutionResults": "modelwatch.ui.results",
    "load_results": "modelwatch.ui.results",
    "render_report": "modelwatch.ui.report",
    "write_report": "modelwatch.ui.report",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'modelwatch.ui' has no attribute {name!r}")
