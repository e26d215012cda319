"""Which extra of ``pip install 'modelwatch[EXTRA]'`` brings a missing optional module.

The command line turns a ``ModuleNotFoundError`` into one line naming the extra to install
(``missing_extra``), instead of a traceback.
"""

from __future__ import annotations

__all__ = ["COMMAND_EXTRAS", "MODULE_EXTRAS", "install_hint", "missing_extra"]

MODULE_EXTRAS: dict[str, str] = {
    # what only one extra brings, whatever the command
    "s3fs": "s3",
    "botocore": "s3",
    "psycopg": "postgres",
    "shap": "explain",
    # the web stack, when the command does not say which extra it belongs to
    "fastapi": "server",
    "httpx": "server",
    "swagger_ui_bundle": "server",
    "jinja2": "ui",
    "markupsafe": "ui",
    "plotly": "ui",
    "prometheus_client": "ui",
    "starlette": "capture",
    "uvicorn": "capture",
    "httptools": "capture",
    "anyio": "capture",
}
"""The extra that declares each optional top-level module."""

COMMAND_EXTRAS: dict[str, str] = {"proxy": "capture", "server": "server", "demo": "demo"}
"""The extra that each command's documentation names (docs/cli.md, README)."""

_SPECIFIC = frozenset({"s3", "postgres", "explain"})


def missing_extra(module: str, command: str | None) -> str | None:
    """The extra to install for ``module`` (a top-level name) missing under ``command``; None if unknown."""
    by_module = MODULE_EXTRAS.get(module.split(".")[0])
    if by_module in _SPECIFIC:
        return by_module
    if by_module is not None and command in COMMAND_EXTRAS:
        return COMMAND_EXTRAS[command]
    return by_module


def install_hint(module: str, command: str | None) -> str | None:
    """One line for the user, e.g. ``modelwatch proxy needs httptools: pip install 'modelwatch[capture]'``."""
    extra = missing_extra(module, command)
    if extra is None:
        return None
    what = f"modelwatch {command}" if command else "modelwatch"
    return f"{what} needs the optional package {module!r}: pip install 'modelwatch[{extra}]'"
