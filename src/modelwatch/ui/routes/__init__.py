"""The dashboard's routes, one module per page (all under :data:`~modelwatch.ui.mount.UI_PREFIX`)."""

from __future__ import annotations

from fastapi import APIRouter

from modelwatch.ui.errors import PageRoute
from modelwatch.ui.routes import assets, endpoint, execution, jobs, metrics, overview, schedule, session

__all__ = ["build_router"]


def build_router() -> APIRouter:
    """Every UI route; the catch-all 404 page comes last."""
    router = APIRouter(route_class=PageRoute, include_in_schema=False)
    for module in (assets, session, overview, jobs, endpoint, schedule, execution, metrics):
        router.include_router(module.router)
    router.include_router(assets.not_found_router)
    return router
