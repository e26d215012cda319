"""The dashboard's Jinja2 environment: its own templates, then the ones it shares with ``report.html``
(kept in ``modelwatch.reports``), with the reports' filters and safe JSON (``modelwatch.reports.render``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader

from modelwatch.reports.render import build_environment, templates_loader

__all__ = ["environment", "render_template"]

_ENVIRONMENT: Environment | None = None


def environment() -> Environment:
    """The dashboard's environment (built on first use; templates are compiled once per process)."""
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = build_environment(
            ChoiceLoader([PackageLoader("modelwatch.ui", "templates"), templates_loader()])
        )
    return _ENVIRONMENT


def render_template(name: str, context: Mapping[str, Any]) -> str:
    return environment().get_template(name).render(**context)
