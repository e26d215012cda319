"""``/openapi.json`` and ``/docs`` (Swagger UI) under the token rule, with Swagger UI served from the
``swagger-ui-bundle`` package (part of the ``server`` extra): nothing is fetched from a CDN, so the docs
render offline. ``/docs/static/*`` are that package's public library files, served without a token
like the dashboard's ``/ui/static``. ReDoc is not served.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException

from modelwatch.api.auth import require_token

__all__ = ["DOCS_PATH", "OPENAPI_PATH", "STATIC_PATH", "install_docs"]

OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
STATIC_PATH = DOCS_PATH + "/static"

_FILES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}


def _bundle_folder() -> Path:
    try:
        import swagger_ui_bundle
    except ImportError:
        raise HTTPException(
            404, "Swagger UI is not installed: pip install 'modelwatch[server]' (swagger-ui-bundle)"
        ) from None
    return Path(swagger_ui_bundle.swagger_ui_path)


def install_docs(app: FastAPI) -> None:
    """Serve the OpenAPI schema and Swagger UI on ``app`` (created with ``docs_url=None``,
    ``redoc_url=None`` and ``openapi_url=None``)."""
    guarded = APIRouter(include_in_schema=False, dependencies=[Depends(require_token)])

    @guarded.get(OPENAPI_PATH)
    def openapi(request: Request) -> JSONResponse:
        return JSONResponse(request.app.openapi())

    @guarded.get(DOCS_PATH)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title=f"{app.title} API",
            swagger_js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PATH}/favicon-32x32.png",
        )

    public = APIRouter(include_in_schema=False)

    @public.get(STATIC_PATH + "/{name}")
    def swagger_file(name: str) -> Response:
        if name not in _FILES:
            raise HTTPException(404, f"there is no file {name!r} under {STATIC_PATH}")
        body = (_bundle_folder() / name).read_bytes()
        return Response(body, media_type=_FILES[name], headers={"Cache-Control": "public, max-age=86400"})

    app.include_router(guarded)
    app.include_router(public)
