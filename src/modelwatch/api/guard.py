"""What a request must look like before any route sees it (docs/security.md).

* ``Host`` names this server: a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``), a name in
  ``MODELWATCH_ALLOWED_HOSTS`` or one given to :class:`RequestGuard`. Anything else is answered 400
  (``InvalidHost``): a page of another site whose name was re-pointed at this machine (DNS rebinding)
  cannot talk to the server.
* A change (any method but GET, HEAD, OPTIONS) sent by a browser on behalf of another site is refused
  403 (``CrossSiteRequest``): ``Sec-Fetch-Site`` is ``cross-site`` or ``same-site``, or ``Origin`` is
  ``null`` or names another host and port than ``Host`` (a listed host on its default port is
  accepted too, for a proxy that rewrites ``Host``). Clients that send neither header (the CLI, the
  SDK, curl, boto3) are not browsers.

The loopback rule that open mode (no tokens) keeps is :mod:`modelwatch.web.access`.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from modelwatch.api.errors import error_response
from modelwatch.web.access import is_loopback

__all__ = ["ANY_HOST", "RequestGuard", "host_name"]

ANY_HOST = "*"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})


def host_name(host: str) -> str:
    """A ``Host`` value's name, lower-case, without port: ``[::1]:8000`` → ``::1``, ``A.b:80`` → ``a.b``."""
    value = host.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value[1:]
    name, _, port = value.rpartition(":")
    return name if name and port.isdigit() else value


class RequestGuard:
    """ASGI middleware: the ``Host`` and cross-site rules of the module docstring.

    ``allowed_hosts``: names (without port) accepted in ``Host`` besides loopback names; ``*`` accepts
    any host (then only the cross-site rule applies).
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        names = {host_name(h) for h in allowed_hosts if h.strip()}
        self.any_host = ANY_HOST in names
        self.allowed = frozenset(names - {ANY_HOST})

    def _host_allowed(self, host: str) -> bool:
        name = host_name(host)
        return self.any_host or is_loopback(name) or name in self.allowed

    def _cross_site(self, headers: dict[str, str], host: str) -> str | None:
        """Why a change is refused as cross-site, or None."""
        fetch_site = headers.get("sec-fetch-site", "").strip().lower()
        if fetch_site in _FOREIGN_FETCH_SITES:
            return f"the browser marked this request Sec-Fetch-Site: {fetch_site}"
        origin = headers.get("origin")
        if origin is None:
            return None
        parts = urlsplit(origin.strip().lower())
        if not parts.scheme or not parts.netloc:
            return f"its Origin {origin!r} is not this site"
        if parts.netloc == host.strip().lower():
            return None
        if parts.port is None and parts.hostname in self.allowed:  # a proxy that rewrites Host
            return None
        return f"its Origin {origin!r} is not this site ({host})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        host = headers.get("host")
        if host is not None and not self._host_allowed(host):
            answer = error_response(
                400,
                "InvalidHost",
                f"this server does not answer to the host name {host_name(host)!r}: use a loopback "
                "address, or list the name in MODELWATCH_ALLOWED_HOSTS (docs/security.md)",
            )
            await answer(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            reason = self._cross_site(headers, host or "")
            if reason is not None:
                answer = error_response(
                    403,
                    "CrossSiteRequest",
                    f"refused a {scope['method']} from another site: {reason} (docs/security.md)",
                )
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)
