"""Who is looking: the dashboard's sessions and CSRF protection.

The dashboard follows the API's rule (docs/api.md "Authentication"): while no token is active it is
open; otherwise a page needs a session. The login form takes an API token and sets ``mw_session``, an
HttpOnly, SameSite=Strict cookie ``{token name}.{expiry}.{HMAC}`` signed with a key that the app draws
when it starts (so sessions end when the server restarts) and checked against the token on every
request (a revoked token ends its sessions at once). An ``Authorization: Bearer`` header works too.
``read`` tokens see every page; changes need an ``admin`` token.

Every form that changes something carries a CSRF token: the double-submit pattern, the same random
value in the HttpOnly cookie ``mw_csrf`` and in the form's ``csrf_token`` field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from modelwatch.api.deps import transaction
from modelwatch.service import tokens
from modelwatch.service.tokens import Scope
from modelwatch.ui.errors import LoginRequired, PageError
from modelwatch.ui.paths import UI_PREFIX

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "Viewer",
    "check_csrf",
    "csrf_token",
    "current_viewer",
    "end_session",
    "require_viewer",
    "start_session",
]

SESSION_COOKIE = "mw_session"
CSRF_COOKIE = "mw_csrf"
CSRF_FIELD = "csrf_token"
SESSION_SECONDS = 12 * 3600
COOKIE_PATH = UI_PREFIX


@dataclass(frozen=True)
class Viewer:
    """The person behind a request: a token's name and scope, or ``name=None`` on an open server."""

    name: str | None
    scope: Scope

    @property
    def can_change(self) -> bool:
        return self.scope == Scope.ADMIN


def _key(request: Request) -> bytes:
    key = getattr(request.app.state, "ui_secret", None)
    assert isinstance(key, bytes), "install_ui() sets the session key"
    return key


def _signature(key: bytes, name: str, expires: int) -> str:
    return hmac.new(key, f"{name}|{expires}".encode(), hashlib.sha256).hexdigest()


def _session_name(request: Request) -> str | None:
    """The token name of a valid, unexpired session cookie (its token is checked separately)."""
    value = request.cookies.get(SESSION_COOKIE, "")
    parts = value.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    name, expires, signature = parts[0], int(parts[1]), parts[2]
    if expires < time.time():
        return None
    if not hmac.compare_digest(signature, _signature(_key(request), name, expires)):
        return None
    return name


def current_viewer(request: Request) -> Viewer | None:
    """The viewer of ``request``, or None when it carries no valid session or bearer token."""
    header = request.headers.get("authorization", "")
    bearer = header[7:].strip() if header[:7].lower() == "bearer " else ""
    name = _session_name(request)
    with transaction(request, write=False) as session:
        if not tokens.has_tokens(session):
            return Viewer(None, Scope.ADMIN)
        if bearer:
            info = tokens.authenticate(session, bearer)
            return Viewer(info.name, info.scope) if info is not None else None
        if name is None:
            return None
        active = {t.name: t for t in tokens.list_tokens(session) if t.revoked_at is None}
    info = active.get(name)
    return Viewer(info.name, info.scope) if info is not None else None


def require_viewer(request: Request, *, change: bool = False) -> Viewer:
    """The viewer, or: a page request without one goes to the login form (:class:`LoginRequired`),
    a form post without one is refused (401); a change by a read token is refused (403)."""
    viewer = current_viewer(request)
    if viewer is None:
        if request.method in ("GET", "HEAD"):
            raise LoginRequired(
                str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
            )
        raise PageError(401, "Log in first", "This action needs a session: log in with an API token.")
    if change and not viewer.can_change:
        raise PageError(
            403,
            "Not allowed",
            f"Token {viewer.name!r} has scope {viewer.scope.value}; changes need an admin token.",
        )
    return viewer


def start_session(request: Request, response: Response, secret: str) -> Viewer | None:
    """Check a token typed into the login form; when valid, set the session cookie on ``response``."""
    with transaction(request, write=False) as session:
        info = tokens.authenticate(session, secret) if secret else None
    if info is None:
        return None
    if info.stale:
        with transaction(request) as session:
            tokens.touch(session, info.name)
    expires = int(time.time()) + SESSION_SECONDS
    response.set_cookie(
        SESSION_COOKIE,
        f"{info.name}.{expires}.{_signature(_key(request), info.name, expires)}",
        max_age=SESSION_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return Viewer(info.name, info.scope)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def csrf_token(request: Request) -> str:
    """This browser's CSRF token: the cookie's, or a new one (set on the response by the renderer)."""
    value = request.cookies.get(CSRF_COOKIE, "")
    if len(value) == 43 and value.replace("-", "").replace("_", "").isalnum():
        return value
    new = getattr(request.state, "new_csrf", None)
    if new is None:
        new = secrets.token_urlsafe(32)
        request.state.new_csrf = new
    return new


def set_csrf_cookie(request: Request, response: Response) -> None:
    """Set the CSRF cookie when :func:`csrf_token` drew a new token for this request."""
    new = getattr(request.state, "new_csrf", None)
    if new is not None:
        response.set_cookie(
            CSRF_COOKIE,
            new,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )


def check_csrf(request: Request, form: dict[str, str]) -> None:
    """Refuse (403) a form whose ``csrf_token`` field is not the value of the CSRF cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD, "")
    if not cookie or not sent or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise PageError(
            403,
            "Form expired",
            "The form's security token is missing or does not match (CSRF protection). "
            "Reload the page and send the form again.",
        )
