"""Adding the dashboard to a FastAPI app: :func:`modelwatch.server.create_app` installs it beside the API."""

from __future__ import annotations

from fastapi import FastAPI

from modelwatch.ui.auth import SessionKeys
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.ui.routes import build_router

__all__ = ["UI_PREFIX", "install_ui"]


def install_ui(app: FastAPI) -> None:
    """Serve the dashboard under :data:`UI_PREFIX` (and redirect ``/`` to it). Its pages use the app's
    database (``app.state.db``, through :mod:`modelwatch.web.deps`) and job starter, and the same
    tokens as the API (see :mod:`modelwatch.ui.auth`). Sessions are signed with a key drawn here."""
    app.state.ui_sessions = SessionKeys()
    app.include_router(build_router())
