"""Turning a template and its context into a page response, with the dashboard's security headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
from fastapi import Request
from fastapi.responses import HTMLResponse

from modelwatch.ui.auth import Viewer, csrf_token, current_viewer, set_csrf_cookie
from modelwatch.ui.page_errors import PageError
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.ui.render import render_template
from modelwatch.ui.static import APP_CSS_PATH, APP_JS_PATH, PLOTLY_PATH

__all__ = ["CSP", "error_page", "read_form", "render_page"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def render_page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    viewer: Viewer | None,
    status: int = 200,
    refresh: int | None = None,
) -> HTMLResponse:
    """Render ``template`` as a full page. ``refresh``: reload the page every so many seconds (used
    while something on it is running)."""
    html = render_template(
        template,
        {
            "prefix": UI_PREFIX,
            "plotly_path": PLOTLY_PATH,
            "app_js_path": APP_JS_PATH,
            "app_css_path": APP_CSS_PATH,
            "viewer": viewer,
            "csrf": csrf_token(request),
            "refresh": refresh,
            "path": request.url.path,
            **context,
        },
    )
    response = HTMLResponse(html, status, headers=SECURITY_HEADERS)
    set_csrf_cookie(request, response)
    return response


def _error_response(request: Request, error: PageError) -> HTMLResponse:
    try:
        viewer = current_viewer(request)
    except Exception:
        viewer = None
    return render_page(
        request,
        "error.html",
        {"status": error.status, "title": error.title, "message": error.message},
        viewer=viewer,
        status=error.status,
    )


async def error_page(request: Request, error: PageError) -> HTMLResponse:
    return await anyio.to_thread.run_sync(_error_response, request, error)


MAX_FIELDS = 200


async def read_form(request: Request) -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` body (the last value of a repeated name).

    Raises:
        PageError: 415 for another content type, 400 for a body that is not a form.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body and not content_type:
        return {}
    if content_type != "application/x-www-form-urlencoded":
        raise PageError(415, "Not a form", "Send the form as application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as error:
        raise PageError(400, "Not a form", f"The form cannot be read: {error}") from None
    return dict(pairs)
