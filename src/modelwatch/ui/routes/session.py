"""Logging in with an API token, and out."""

from __future__ import annotations

from urllib.parse import unquote

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from modelwatch.ui.auth import check_csrf, current_viewer, end_session, start_session
from modelwatch.ui.errors import PageRoute
from modelwatch.ui.pages import read_form, render_page
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.ui.routes.common import run_sync

__all__ = ["router", "safe_next"]

router = APIRouter(route_class=PageRoute)


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a UI path of this site, never another site."""
    target = unquote(value or "")
    if not target.startswith(UI_PREFIX + "/") or target.startswith("//") or "\\" in target or "\n" in target:
        return f"{UI_PREFIX}/"
    return target


@router.get(UI_PREFIX + "/login")
def login_form(request: Request, next: str | None = None) -> Response:
    viewer = current_viewer(request)
    if viewer is not None:
        return RedirectResponse(safe_next(next), 303)
    return render_page(request, "login.html", {"next": safe_next(next), "error": None}, viewer=None)


@router.post(UI_PREFIX + "/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    check_csrf(request, form)
    target = safe_next(form.get("next"))
    response = RedirectResponse(target, 303)
    viewer = await run_sync(start_session, request, response, form.get("token", "").strip())
    if viewer is None:
        return await run_sync(
            lambda: render_page(
                request,
                "login.html",
                {"next": target, "error": "That token is unknown or revoked."},
                viewer=None,
                status=401,
            )
        )
    return response


@router.post(UI_PREFIX + "/logout")
async def logout(request: Request) -> Response:
    form = await read_form(request)
    check_csrf(request, form)
    response = RedirectResponse(f"{UI_PREFIX}/login", 303)
    end_session(request, response)
    return response
