"""Static files, the redirects to the overview, and the 404 page of unknown UI paths."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from modelwatch.ui.errors import PageError, PageRoute
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.ui.static import static_file

__all__ = ["not_found_router", "router"]

router = APIRouter(route_class=PageRoute)
not_found_router = APIRouter(route_class=PageRoute)

_YEAR = "public, max-age=31536000, immutable"


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse(f"{UI_PREFIX}/", 307)


@router.get(UI_PREFIX)
def ui_root() -> RedirectResponse:
    return RedirectResponse(f"{UI_PREFIX}/", 307)


@router.get(UI_PREFIX + "/static/{path:path}")
def static(path: str, request: Request) -> Response:
    """The dashboard's JS and CSS, and plotly.js: public library code, served without a session."""
    found = static_file(f"static/{path}")
    if found is None:
        raise PageError(404, "Not found", f"There is no static file {path!r}.")
    headers = {"Cache-Control": _YEAR, "ETag": found.etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == found.etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(
            found.gzipped,
            media_type=found.media_type,
            headers={**headers, "Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )
    return Response(found.body, media_type=found.media_type, headers={**headers, "Vary": "Accept-Encoding"})


@not_found_router.api_route(UI_PREFIX + "/{path:path}", methods=["GET", "HEAD", "POST"])
def not_found(path: str) -> Response:
    raise PageError(404, "Not found", f"There is no page {UI_PREFIX}/{path}.")
