"""Which parts of a notification channel are secret, and how they are hidden, kept and scrubbed.

::

    kind     secret parts                                     shown as
    webhook  secret (HMAC key)                                "secret": "***"
             every header value                               "headers": {"Authorization": "***"}
             URL user, password, query values, fragment       https://***:***@host/path?key=***#***
    slack    the whole URL                                    https://host/***   (and url_host)
    email    password                                         "password": "***"

A secret is shown as :data:`MASK` where it is set and is absent where it is not; its value is never
shown to anyone. Sending :data:`MASK` back (or leaving ``secret``/``password`` out) keeps the stored
value, so a view can be edited and sent back as it is. :func:`scrub` hides the same values in a text
(a delivery error) before it is stored or logged.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from modelwatch.errors import ValidationError

__all__ = ["MASK", "SCRUBBED_LENGTH", "public_config", "redact_url", "scrub", "split", "unmask"]

MASK = "***"
SCRUBBED_LENGTH = 200
"""Longest delivery error kept in the history (a status and a reason, never a response body)."""

_PLAIN_FIELD = {"webhook": "secret", "email": "password"}  # secret fields kept whole
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


# -- URLs -----------------------------------------------------------------------------------------


def _netloc_parts(netloc: str) -> tuple[str | None, str | None, str]:
    """(user, password, host[:port]) of a netloc, as written (not decoded)."""
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return None, None, netloc
    user, colon, password = userinfo.partition(":")
    return user, (password if colon else None), hostport


def _query_pairs(query: str) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for piece in query.split("&") if query else []:
        key, equals, value = piece.partition("=")
        pairs.append((key, value if equals else None))
    return pairs


def _query(pairs: list[tuple[str, str | None]]) -> str:
    return "&".join(key if value is None else f"{key}={value}" for key, value in pairs)


def redact_url(url: str) -> str:
    """``url`` with its user, password, query values and fragment replaced by :data:`MASK` (the scheme,
    host, port, path and query keys stay, so that one can still tell where it goes)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    user, password, hostport = _netloc_parts(parts.netloc)
    netloc = hostport
    if user is not None:
        netloc = MASK + (f":{MASK}" if password is not None else "") + "@" + hostport
    query = _query([(key, MASK if value is not None else None) for key, value in _query_pairs(parts.query)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, MASK if parts.fragment else ""))


def _slack_shown(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/{MASK}"
    except ValueError:
        return MASK


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


def _unmask_url(new: str, old: str | None, field: str) -> str:
    """``new`` with each masked part taken from ``old`` (the stored URL)."""
    parts = urlsplit(new)
    old_parts = urlsplit(old) if old else None

    def stored(part: str, value: str | None) -> str:
        if value is None:
            raise ValidationError(
                f"{MASK} stands for the stored {part}, but the stored URL has none; send the whole URL",
                field=field,
            )
        return value

    user, password, hostport = _netloc_parts(parts.netloc)
    old_user, old_password, _ = _netloc_parts(old_parts.netloc) if old_parts else (None, None, "")
    if user == MASK:
        user = stored("user", old_user)
    if password == MASK:
        password = stored("password", old_password)
    netloc = hostport
    if user is not None:
        netloc = user + (f":{password}" if password is not None else "") + "@" + hostport
    old_values: dict[str, list[str | None]] = {}
    for key, value in _query_pairs(old_parts.query if old_parts else ""):
        old_values.setdefault(key, []).append(value)
    pairs = []
    for key, value in _query_pairs(parts.query):
        if value == MASK:
            value = stored(f"value of the query key {key!r}", (old_values.get(key) or [None]).pop(0))
        pairs.append((key, value))
    fragment = parts.fragment
    if fragment == MASK:
        fragment = stored("fragment", old_parts.fragment if old_parts and old_parts.fragment else None)
    return urlunsplit((parts.scheme, netloc, parts.path, _query(pairs), fragment))


# -- specs as dicts -------------------------------------------------------------------------------


def split(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings of a channel (``data``: its spec as JSON, name and kind left out) as a part to show
    and store in the clear, and the secret values (empty when it has none)."""
    public, secrets = dict(data), {}
    field = _PLAIN_FIELD.get(kind)
    if field and public.get(field) is not None:
        secrets[field] = public[field]
    if kind == "webhook":
        if public.get("headers"):
            secrets["headers"] = dict(public["headers"])
        if redact_url(public["url"]) != public["url"]:
            secrets["url"] = public["url"]
    elif kind == "slack":
        secrets["url"] = public["url"]
    return public_config(kind, public, has_plain_secret=bool(field and public.get(field))), secrets


def public_config(kind: str, config: dict[str, Any], *, has_plain_secret: bool) -> dict[str, Any]:
    """``config`` with every secret replaced as the module docstring shows (idempotent: a config that
    is already public comes back the same). ``has_plain_secret``: the HMAC key or password is set."""
    shown = {k: v for k, v in config.items() if k not in ("secret", "password", "url_host")}
    field = _PLAIN_FIELD.get(kind)
    if field and has_plain_secret:
        shown[field] = MASK
    if kind == "webhook":
        if "url" in shown:
            shown["url"] = redact_url(shown["url"])
        shown["headers"] = {name: MASK for name in shown.get("headers") or {}}
    elif kind == "slack" and shown.get("url"):
        shown["url_host"] = _host(shown["url"])
        shown["url"] = _slack_shown(shown["url"])
    return shown


def unmask(kind: str, data: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    """``data`` (a new spec as JSON) with each :data:`MASK` replaced by the stored value from ``stored``
    (the full spec now stored, or None for a new channel); a left-out HMAC key or password is kept too.

    Raises:
        ValidationError: a mask stands for a value that is not stored (names the field).
    """
    result = dict(data)
    old = stored or {}
    field = _PLAIN_FIELD.get(kind)
    if field and result.get(field) in (None, MASK):
        if result.get(field) == MASK and old.get(field) is None:
            raise ValidationError(f"{MASK} stands for the stored {field}, but none is stored", field=field)
        result[field] = old.get(field)
    if kind == "webhook":
        headers = dict(result.get("headers") or {})
        for name, value in headers.items():
            if value == MASK:
                if name not in (old.get("headers") or {}):
                    raise ValidationError(
                        f"{MASK} stands for the stored value of header {name!r}, but none is stored",
                        field=f"headers.{name}",
                    )
                headers[name] = old["headers"][name]
        result["headers"] = headers
        result["url"] = _unmask_url(result["url"], old.get("url"), "url")
    elif kind == "slack" and MASK in result["url"]:
        if not old.get("url") or result["url"] != _slack_shown(old["url"]):
            raise ValidationError(
                f"{MASK} stands for the stored URL, but it is not the one stored; send the whole URL",
                field="url",
            )
        result["url"] = old["url"]
    return result


def _values(secrets: dict[str, Any]) -> list[str]:
    """Every secret string in ``secrets``, and the secret parts of its URL."""
    found: list[str] = []
    for key, value in secrets.items():
        if key == "headers":
            found += [v for v in value.values() if isinstance(v, str)]
        elif isinstance(value, str):
            found.append(value)
            if key == "url":
                try:
                    parts = urlsplit(value)
                except ValueError:
                    continue
                user, password, _ = _netloc_parts(parts.netloc)
                found += [p for p in (user, password, parts.fragment) if p]
                found += [v for _, v in _query_pairs(parts.query) if v]
                if parts.path.strip("/"):
                    found.append(parts.path)
    return sorted({v for v in found if len(v) >= 3}, key=len, reverse=True)


def scrub(text: str, secrets: dict[str, Any]) -> str:
    """``text`` on one line, with every secret of ``secrets`` and the secret parts of any URL in it
    replaced by :data:`MASK`, cut to :data:`SCRUBBED_LENGTH` characters."""
    for value in _values(secrets):
        text = text.replace(value, MASK)
    text = _URL.sub(lambda match: redact_url(match.group(0)), text)
    text = " ".join(text.split())
    return text if len(text) <= SCRUBBED_LENGTH else text[: SCRUBBED_LENGTH - 1] + "…"
