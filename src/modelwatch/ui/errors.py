"""How the dashboard answers when a page cannot be shown: an HTML error page, never the API's JSON.

UI routes use :class:`PageRoute`, which turns :class:`PageError`, :class:`LoginRequired`, the
service's errors (:class:`~modelwatch.errors.NotFoundError`, a deleted or unknown object, is a 404
page) and any unexpected exception (a 500 page; the server log has the traceback) into pages, before
the API's JSON error handlers could see them. The exceptions themselves live in
:mod:`modelwatch.ui.page_errors` (re-exported here), so the modules that raise them (the session code,
the page renderer) do not import this route, which imports the page renderer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from modelwatch.errors import ConflictError, ModelwatchError, NotFoundError, StorageError
from modelwatch.ui.page_errors import LoginRequired, PageError
from modelwatch.ui.pages import error_page
from modelwatch.ui.paths import UI_PREFIX

__all__ = ["LoginRequired", "PageError", "PageRoute"]

log = logging.getLogger(__name__)


def _as_page_error(error: Exception) -> PageError | None:
    if isinstance(error, PageError):
        return error
    if isinstance(error, NotFoundError):
        return PageError(
            404, "Not found", f"The {error.kind} {error.name!r} does not exist (or was deleted)."
        )
    if isinstance(error, ConflictError):
        return PageError(409, "Conflict", str(error))
    if isinstance(error, StorageError):
        return PageError(502, "Storage error", str(error))
    if isinstance(error, ModelwatchError):
        return PageError(400, "Cannot do that", str(error))
    return None


class PageRoute(APIRoute):
    """A route whose errors are answered with HTML pages (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as login:
                return RedirectResponse(f"{UI_PREFIX}/login?next={quote(login.next_path, safe='/')}", 303)
            except Exception as error:  # every error of a page is answered with a page
                page = _as_page_error(error)
                if page is None:
                    log.exception("ui: %s %s failed", request.method, request.url.path)
                    page = PageError(
                        500, "Internal error", "Something went wrong; the server log has the details."
                    )
                return await error_page(request, page)

        return page_handler
