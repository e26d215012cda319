"""What the UI routes share: path checks, redirects after a form, reading query parameters."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.background import BackgroundTask

from modelwatch.service.schemas import is_valid_name
from modelwatch.ui.auth import check_csrf, require_viewer
from modelwatch.ui.errors import PageError
from modelwatch.ui.pages import read_form
from modelwatch.ui.paths import UI_PREFIX

__all__ = [
    "UI",
    "checked_form",
    "execution_id",
    "int_param",
    "name_param",
    "redirect",
    "run_sync",
    "start_soon",
    "whole_number",
]

UI = UI_PREFIX
log = logging.getLogger(__name__)
T = TypeVar("T")


def name_param(name: str, kind: str) -> str:
    """A name from a path: one that cannot exist is a 404 page, like one that does not."""
    if not is_valid_name(name):
        raise PageError(404, "Not found", f"The {kind} {name!r} does not exist.")
    return name


# ASCII digits only: str.isdigit() also accepts "²" or "١", which int() then refuses or reads. At most 18
# digits, so that int() never meets a string too long for it (Python refuses over 4,300 digits).
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}", re.ASCII)
_MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL


def whole_number(text: str | None) -> int | None:
    """``text`` as a whole number when it is one written in ASCII digits (an optional ``-``), else None."""
    if text is None:
        return None
    text = text.strip()
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else None


def execution_id(text: str) -> int:
    """An execution id from a path: one that cannot exist is a 404 page, like one that does not."""
    number = whole_number(text)
    if number is None or not 1 <= number <= _MAX_ID:
        raise PageError(404, "Not found", f"The monitoring execution {text[:40]!r} does not exist.")
    return number


def int_param(value: str | None, default: int, low: int, high: int) -> int:
    """A whole-number query parameter clamped into ``[low, high]``; anything else is the default."""
    number = whole_number(value)
    return default if number is None else min(max(number, low), high)


def redirect(path: str, **query: Any) -> RedirectResponse:
    """303 See Other to a UI path (after a form), with a notice in the query."""
    params = {k: v for k, v in query.items() if v is not None}
    return RedirectResponse(f"{UI}{path}" + (f"?{urlencode(params)}" if params else ""), 303)


async def run_sync(function: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(function, *args)


async def checked_form(request: Request) -> dict[str, str]:
    """The posted form after the CSRF check and the check that the viewer may change things."""
    form = await read_form(request)
    await run_sync(lambda: require_viewer(request, change=True))
    check_csrf(request, form)
    return form


def start_soon(request: Request, response: Response, execution_id: int) -> Response:
    """After ``response`` is sent, hand the execution to the server's job runner when there is one
    (as the API's run-now does); otherwise the scheduler starts it at its next tick."""
    starter = getattr(request.app.state, "job_starter", None)
    if starter is not None:

        def start() -> None:
            try:
                starter.start_execution(execution_id)
            except Exception:  # the scheduler retries at its next tick
                log.exception("ui: could not start execution %d at once", execution_id)

        response.background = BackgroundTask(start)
    return response
