"""Who is looking: the dashboard's sessions and CSRF protection.

The dashboard follows the API's rule (docs/api.md "Authentication"): while no token is active it is
open to this machine (loopback peers) only, and answers 403 to anyone else; otherwise a page needs a
session. The login form takes an API token and sets ``mw_session``, an HttpOnly, SameSite=Strict cookie
``{token name}.{expiry}.{session id}.{HMAC}`` signed with a key that the app draws when it starts (so
sessions end when the server restarts) and checked against the token on every request (a revoked token
ends its sessions at once). Logging out ends the session on the server: its id is kept in the app's
set of ended sessions until it expires, so a copy of the cookie is no longer a session. An
``Authorization: Bearer`` header works too. ``read`` tokens see every page; changes need an ``admin``
token.

Every form that changes something carries a CSRF token: the double-submit pattern, the same random
value in the HttpOnly cookie ``mw_csrf`` and in the form's ``csrf_token`` field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

from fastapi import Request, Response

from modelwatch.service import tokens
from modelwatch.service.tokens import Scope
from modelwatch.ui.page_errors import LoginRequired, PageError
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.web.access import OPEN_MODE_REMOTE, peer_is_loopback
from modelwatch.web.deps import transaction

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "SessionKeys",
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


@dataclass
class SessionKeys:
    """The app's sessions: the signing key drawn when the app starts, and the ids of sessions that
    ended (logged out) before their expiry, each kept until it would have expired."""

    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _ended: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def signature(self, name: str, expires: int, session_id: str) -> str:
        return hmac.new(self.key, f"{name}|{expires}|{session_id}".encode(), hashlib.sha256).hexdigest()

    def end(self, session_id: str, expires: int) -> None:
        now = time.time()
        with self._lock:
            for stale in [s for s, until in self._ended.items() if until < now]:
                del self._ended[stale]
            self._ended[session_id] = expires

    def ended(self, session_id: str) -> bool:
        with self._lock:
            return session_id in self._ended


def _keys(request: Request) -> SessionKeys:
    keys = getattr(request.app.state, "ui_sessions", None)
    assert isinstance(keys, SessionKeys), "install_ui() sets the session keys"
    return keys


@dataclass(frozen=True)
class _Session:
    name: str
    expires: int
    session_id: str


def _session(request: Request) -> _Session | None:
    """The valid, unexpired, not ended session of the request's cookie (its token is checked
    separately)."""
    parts = request.cookies.get(SESSION_COOKIE, "").split(".")
    # ASCII digits only ("²".isdigit() is True, but int() refuses it), and few enough for int()
    if len(parts) != 4 or not (parts[1].isascii() and parts[1].isdigit() and len(parts[1]) <= 18):
        return None
    found = _Session(parts[0], int(parts[1]), parts[2])
    if found.expires < time.time():
        return None
    keys = _keys(request)
    if not hmac.compare_digest(parts[3], keys.signature(found.name, found.expires, found.session_id)):
        return None
    if keys.ended(found.session_id):
        return None
    return found


def current_viewer(request: Request) -> Viewer | None:
    """The viewer of ``request``, or None when it carries no valid session or bearer token.

    Raises:
        PageError: 403, no token exists and the request does not come from this machine.
    """
    header = request.headers.get("authorization", "")
    bearer = header[7:].strip() if header[:7].lower() == "bearer " else ""
    cookie = _session(request)
    name = cookie.name if cookie is not None else None
    with transaction(request, write=False) as session:
        if not tokens.has_tokens(session):
            if not peer_is_loopback(request):
                raise PageError(403, "Not allowed", OPEN_MODE_REMOTE[0].upper() + OPEN_MODE_REMOTE[1:] + ".")
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
    session_id = secrets.token_urlsafe(16)
    signature = _keys(request).signature(info.name, expires, session_id)
    response.set_cookie(
        SESSION_COOKIE,
        f"{info.name}.{expires}.{session_id}.{signature}",
        max_age=SESSION_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return Viewer(info.name, info.scope)


def end_session(request: Request, response: Response) -> None:
    """End the request's session on the server (a copy of its cookie is no session any more) and
    delete the cookie."""
    cookie = _session(request)
    if cookie is not None:
        _keys(request).end(cookie.session_id, cookie.expires)
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
