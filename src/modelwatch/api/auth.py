"""Bearer tokens (docs/api.md "Authentication").

While no token is active the API is open to this machine only: a request whose peer address is not
loopback → 403, checked on every request (revoking the last token of a server listening on 0.0.0.0
does not open it to the network). Otherwise every route but health needs ``Authorization: Bearer
<token>``: none or an unknown or revoked one → 401; a ``read`` token may only read (GET, HEAD) → 403
for anything else.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from modelwatch.service import tokens
from modelwatch.service.tokens import Scope
from modelwatch.web.access import OPEN_MODE_REMOTE, peer_is_loopback
from modelwatch.web.deps import transaction

__all__ = ["require_token"]

_READ_METHODS = frozenset({"GET", "HEAD"})
_CHALLENGE = {"WWW-Authenticate": "Bearer"}

_bearer = HTTPBearer(
    auto_error=False,
    description="From `modelwatch tokens create NAME --scope read|admin`; none while no token exists.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require_token(request: Request, credentials: Credentials) -> None:
    """Let the request through, or raise 401/403. Runs before the route, in a transaction of its own."""
    with transaction(request, write=False) as session:
        if not tokens.has_tokens(session):
            if not peer_is_loopback(request):
                raise HTTPException(403, OPEN_MODE_REMOTE)
            return
        secret = credentials.credentials if credentials is not None else ""
        info = tokens.authenticate(session, secret) if secret else None
    if info is not None and info.stale:
        with transaction(request) as session:
            tokens.touch(session, info.name)
    if not secret:
        raise HTTPException(401, "a bearer token is required (Authorization: Bearer <token>)", _CHALLENGE)
    if info is None:
        raise HTTPException(401, "the token is unknown or revoked", _CHALLENGE)
    if request.method not in _READ_METHODS and info.scope != Scope.ADMIN:
        raise HTTPException(
            403, f"token {info.name!r} has scope {info.scope.value}; {request.method} needs an admin token"
        )
