"""Open mode (docs/security.md): while no API token exists, the API and the dashboard answer requests
from this machine only. :func:`is_loopback` and :func:`peer_is_loopback` are that rule, and
:data:`OPEN_MODE_REMOTE` is what both tell anyone else."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

__all__ = ["OPEN_MODE_REMOTE", "is_loopback", "peer_is_loopback"]

OPEN_MODE_REMOTE = (
    "no API token exists, so this server answers requests from this machine (loopback) only; "
    "create one with `modelwatch tokens create NAME --scope admin`"
)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` (and names under ``.localhost``) and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def peer_is_loopback(request: Request) -> bool:
    """True when the request came from this machine (its peer address is a loopback address).

    Behind uvicorn, a local reverse proxy's ``X-Forwarded-For`` names the real peer (uvicorn trusts it
    from 127.0.0.1 only), so a proxied request from elsewhere is not loopback.
    """
    client = request.client
    if client is None:
        return False
    try:
        return ipaddress.ip_address(client.host).is_loopback
    except ValueError:
        return False
