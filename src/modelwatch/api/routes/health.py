"""``GET /health``: needs no token."""

from __future__ import annotations

from fastapi import APIRouter

from modelwatch import __version__
from modelwatch.api.models import Health

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/health", summary="Is the server up?")
def health() -> Health:
    return Health(status="ok", version=__version__)
