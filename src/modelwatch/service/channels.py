"""Notification channels: where alert messages go, and how one message is sent to each kind of channel.

::

    webhook   JSON POST of the message; ``X-Modelwatch-Signature: sha256=<hex>`` = HMAC-SHA256 of the
              exact body bytes under the channel's secret (when it has one)
    slack     a Slack-compatible incoming webhook: ``{"text": ...}``; the URL itself is the secret
    email     SMTP (plain, STARTTLS or SSL, optional login) to a list of recipients

:func:`send` makes exactly one attempt, bounded by the channel's ``timeout_seconds``, and says whether a
failure is worth retrying (a timeout, a refused connection, HTTP 408/429/5xx, SMTP 4xx) or not (any
other HTTP status, a refused login or recipient). Retries and their backoff are the outbox's business
(:mod:`modelwatch.service.notifications`); this module never sleeps.

The secrets of a channel (webhook HMAC key, header values and URL credentials, Slack URL, SMTP
password; :mod:`modelwatch.service.channel_secrets` says which) are sealed with the server's key
(:mod:`modelwatch.service.secrets`) and stored apart from its settings; a view shows ``***`` in their
place, never their values. A delivery's outcome keeps a status and a short reason with the secrets
scrubbed, never the receiver's answer body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from modelwatch import __version__
from modelwatch.errors import ConflictError, ValidationError
from modelwatch.service import channel_secrets
from modelwatch.service.alert_schemas import (
    ChannelKind,
    ChannelSpec,
    ChannelView,
    EmailChannelSpec,
    Message,
    SlackChannelSpec,
    SmtpSecurity,
    WebhookChannelSpec,
)
from modelwatch.service.channel_secrets import MASK
from modelwatch.service.lookup import by_name, ensure_new_name
from modelwatch.service.models import NotificationChannel
from modelwatch.service.paging import page
from modelwatch.service.schemas import Page
from modelwatch.service.secrets import seal, unseal

__all__ = [
    "SIGNATURE_HEADER",
    "ChannelKind",
    "ChannelSpec",
    "ChannelView",
    "Delivery",
    "EmailChannelSpec",
    "Message",
    "SlackChannelSpec",
    "SmtpSecurity",
    "WebhookChannelSpec",
    "create_channel",
    "delete_channel",
    "describe_channel",
    "list_channels",
    "render_text",
    "replace_channel",
    "scrub_detail",
    "send",
    "sign",
    "spec_of",
]

KIND = "notification channel"
SIGNATURE_HEADER = "X-Modelwatch-Signature"
DELIVERY_HEADER = "X-Modelwatch-Delivery"
_USER_AGENT = f"modelwatch/{__version__}"


_SPEC: TypeAdapter[WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec] = TypeAdapter(ChannelSpec)
_SECRET_FIELD = {ChannelKind.WEBHOOK: "secret", ChannelKind.SLACK: "url", ChannelKind.EMAIL: "password"}
"""The field that the ``secret`` column held before secrets were sealed (rows of older versions)."""
_COMMON = frozenset({"name", "enabled", "kind"})
_SEALED = "sealed"
"""The key of ``config`` that holds the sealed JSON of the channel's secrets."""


@dataclass(frozen=True)
class Delivery:
    """The outcome of one attempt: ``ok``; else whether trying again may help, and what went wrong."""

    ok: bool
    retryable: bool
    detail: str


# -- the store ------------------------------------------------------------------------------------


def _stored(
    spec: WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec,
) -> dict[str, Any]:
    """The ``config`` column of ``spec``: its settings with the secrets masked, and the secrets sealed."""
    public, secrets = channel_secrets.split(spec.kind, spec.model_dump(mode="json", exclude=set(_COMMON)))
    if secrets:
        public[_SEALED] = seal(json.dumps(secrets, sort_keys=True))
    return public


def _legacy_data(row: NotificationChannel) -> dict[str, Any]:
    """The settings of a row that an older modelwatch stored: secrets in the clear, the main one in the
    ``secret`` column."""
    data = dict(row.config)
    if row.secret is not None:
        data[_SECRET_FIELD[ChannelKind(row.kind)]] = unseal(row.secret, what=_what(row))
    return data


def _what(row: NotificationChannel) -> str:
    return f"the secrets of {KIND} {row.name!r}"


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:  # a row changed by hand
        return "?"


def _view(row: NotificationChannel) -> ChannelView:
    kind = ChannelKind(row.kind)
    if _SEALED in row.config:  # the config is public already; no key is needed to show it
        config = {k: v for k, v in row.config.items() if k != _SEALED}
        has_secret = True
    else:
        config, secrets = channel_secrets.split(kind, _legacy_data(row))
        has_secret = bool(secrets)
    return ChannelView(
        name=row.name,
        kind=kind,
        enabled=row.enabled,
        config=config,
        has_secret=has_secret,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _data(row: NotificationChannel) -> dict[str, Any]:
    """The full settings of a row as JSON, secrets opened (name, kind and enabled left out)."""
    if _SEALED not in row.config:
        return _legacy_data(row)
    data = {k: v for k, v in row.config.items() if k not in (_SEALED, "url_host")}
    secrets = json.loads(unseal(row.config[_SEALED], what=_what(row)))
    for key, value in secrets.items():
        data[key] = {**data.get(key, {}), **value} if key == "headers" else value
    return data


def spec_of(row: NotificationChannel) -> WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec:
    """The full spec of a stored channel, secrets included (for sending; never for showing).

    Raises:
        ConfigurationError: the secrets cannot be decrypted with the server's key (names the setting or
            key file).
        ValueError: the stored row is not a valid channel (changed by hand).
    """
    return _SPEC.validate_python({**_data(row), "name": row.name, "enabled": row.enabled, "kind": row.kind})


def _unmasked(
    spec: WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec, row: NotificationChannel | None
) -> WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec:
    """``spec`` with each ``***`` (and a left-out HMAC key or password) taken from the stored ``row`` of
    the same kind. The stored secrets are opened only when ``spec`` refers to them."""
    data = spec.model_dump(mode="json", exclude=set(_COMMON))
    stored = None
    if row is not None and row.kind == spec.kind:
        field = _SECRET_FIELD[ChannelKind(spec.kind)]
        kept = data.get(field) is None and _view(row).config.get(field) == MASK
        if kept or MASK in json.dumps(data):
            stored = _data(row)
    data = channel_secrets.unmask(spec.kind, data, stored)
    return _SPEC.validate_python({**data, "name": spec.name, "enabled": spec.enabled, "kind": spec.kind})


def scrub_detail(spec: WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec | None, detail: str) -> str:
    """``detail`` fit for the history and the log: one short line, the channel's secrets hidden."""
    secrets = {} if spec is None else channel_secrets.split(spec.kind, spec.model_dump(mode="json"))[1]
    return channel_secrets.scrub(detail, secrets)


def create_channel(
    session: Session, spec: WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec
) -> ChannelView:
    """Add a channel.

    Raises:
        ConflictError: a channel of that name exists.
    """
    ensure_new_name(session, NotificationChannel, spec.name, KIND)
    spec = _unmasked(spec, None)
    row = NotificationChannel(
        name=spec.name, kind=spec.kind, config=_stored(spec), secret=None, enabled=spec.enabled
    )
    session.add(row)
    session.flush()
    return _view(row)


def replace_channel(
    session: Session, name: str, spec: WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec
) -> ChannelView:
    """Replace a channel's settings. A secret sent as ``***`` (or an HMAC key or password left out) keeps
    the stored one when the kind is unchanged, so that a client can change the URL or recipients, or send
    back what a view showed, without resending the secrets. The secrets are sealed again on every write.

    Raises:
        NotFoundError: there is no channel ``name``.
        ValidationError: ``spec.name`` differs from ``name``, or a ``***`` stands for nothing stored.
        ConfigurationError: the stored secrets are needed but the server's key cannot open them.
    """
    if spec.name != name:
        raise ValidationError(f"must be the channel's name {name!r}; got {spec.name!r}", field="name")
    row = by_name(session, NotificationChannel, name, KIND, for_update=True)
    spec = _unmasked(spec, row)
    row.kind, row.config, row.secret, row.enabled = spec.kind, _stored(spec), None, spec.enabled
    session.flush()
    return _view(row)


def describe_channel(session: Session, name: str) -> ChannelView:
    return _view(by_name(session, NotificationChannel, name, KIND))


def list_channels(
    session: Session, *, max_results: int = 100, next_token: str | None = None
) -> Page[ChannelView]:
    """Channels by name."""
    query = sa.select(NotificationChannel).order_by(NotificationChannel.name, NotificationChannel.id)
    rows, token = page(session, query, max_results, next_token)
    return Page[ChannelView](items=[_view(r) for r in rows], next_token=token)


def delete_channel(session: Session, name: str, *, in_use: list[str] | None = None) -> None:
    """Delete a channel. ``in_use`` names the alerts and alarms that still send to it (the caller finds
    them): deleting it then is a conflict, so that no alert silently loses its channel.

    Raises:
        NotFoundError: there is no channel ``name``.
        ConflictError: alerts or alarms still use it.
    """
    row = by_name(session, NotificationChannel, name, KIND, for_update=True)
    if in_use:
        listed = ", ".join(in_use[:5]) + (f" and {len(in_use) - 5} more" if len(in_use) > 5 else "")
        raise ConflictError(f"{KIND} {name!r} is used by {listed}; remove it from them first")
    session.delete(row)


# -- rendering ------------------------------------------------------------------------------------

_SOURCE_WORDS = {"MonitoringAlert": "monitoring alert", "MetricAlarm": "metric alarm"}


def _headline(message: Message) -> str:
    what = f"{_SOURCE_WORDS[message.source]} {message.name}"
    if message.schedule_name:
        what += f" of schedule {message.schedule_name}"
    if message.endpoint_name:
        what += f" (endpoint {message.endpoint_name})"
    if message.event == "Reminder":
        return f"Still {message.state}: {what}"
    if message.previous_state:
        return f"{message.state}: {what} (was {message.previous_state})"
    return f"{message.state}: {what}"


def render_text(message: Message) -> tuple[str, str]:
    """A one-line subject and a plain-text body of ``message`` (Slack text, email)."""
    subject = _headline(message)
    lines = [subject]
    if message.reason:
        lines.append(message.reason)
    lines.append(f"time: {message.time.isoformat().replace('+00:00', 'Z')}")
    if message.execution_id is not None:
        lines.append(f"execution: {message.execution_id}")
    return subject, "\n".join(lines)


def _body(message: Message) -> bytes:
    return json.dumps(message.model_dump(mode="json"), separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` + the hex HMAC-SHA256 of ``body`` under ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- sending --------------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a place to resend a signed body to."""

    def redirect_request(self, *_args: Any, **_kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _basic_auth(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A URL with ``user:password@`` becomes the URL without them and an ``Authorization: Basic`` header
    (urllib would take them for a part of the host name); an ``Authorization`` header given wins."""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url, headers
    bare = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    if any(name.lower() == "authorization" for name in headers):
        return bare, headers
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
    return bare, {**headers, "Authorization": f"Basic {token}"}


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Delivery:
    try:
        url, headers = _basic_auth(url, headers)
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    except ValueError as error:  # a row changed by hand
        return Delivery(False, False, f"cannot send to {_host(url)}: {error}")
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            return Delivery(True, False, f"HTTP {answer.status}")
    except urllib.error.HTTPError as error:
        error.close()  # the answer's body is the receiver's, and may echo anything: never kept
        status = error.code
        retryable = status in (408, 429) or status >= 500
        try:
            phrase = f" {HTTPStatus(status).phrase}"
        except ValueError:
            phrase = ""
        return Delivery(False, retryable, f"HTTP {status}{phrase}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Delivery(False, True, f"cannot reach {_host(url)}: {reason}")


def _send_webhook(spec: WebhookChannelSpec, message: Message) -> Delivery:
    body = _body(message)
    headers = {"User-Agent": _USER_AGENT, **spec.headers, "Content-Type": "application/json"}
    if message.notification_id is not None:
        headers[DELIVERY_HEADER] = str(message.notification_id)
    if spec.secret:
        headers[SIGNATURE_HEADER] = sign(spec.secret, body)
    return _post(spec.url, body, headers, spec.timeout_seconds)


def _send_slack(spec: SlackChannelSpec, message: Message) -> Delivery:
    _subject, text = render_text(message)
    body = json.dumps({"text": text}).encode()
    headers = {"User-Agent": _USER_AGENT, "Content-Type": "application/json"}
    delivery = _post(spec.url, body, headers, spec.timeout_seconds)
    host = _host(spec.url)
    return (
        delivery
        if delivery.ok
        else Delivery(False, delivery.retryable, delivery.detail.replace(spec.url, host))
    )


def _send_email(spec: EmailChannelSpec, message: Message) -> Delivery:
    subject, text = render_text(message)
    email = EmailMessage()
    email["Subject"] = f"{spec.subject_prefix} {subject}".strip()
    email["From"] = spec.sender
    email["To"] = ", ".join(spec.recipients)
    if message.notification_id is not None:
        email["X-Modelwatch-Delivery"] = str(message.notification_id)
    email.set_content(text)
    context = ssl.create_default_context()
    port = spec.resolved_port
    try:
        smtp: smtplib.SMTP
        if spec.security == SmtpSecurity.SSL:
            smtp = smtplib.SMTP_SSL(spec.host, port, timeout=spec.timeout_seconds, context=context)
        else:
            smtp = smtplib.SMTP(spec.host, port, timeout=spec.timeout_seconds)
        with smtp:
            if spec.security == SmtpSecurity.STARTTLS:
                smtp.starttls(context=context)
            if spec.username:
                smtp.login(spec.username, spec.password or "")
            refused = smtp.send_message(email)
    except smtplib.SMTPRecipientsRefused as error:
        return Delivery(
            False, False, f"SMTP {spec.host}: every recipient refused: {sorted(error.recipients)}"
        )
    except smtplib.SMTPResponseException as error:
        text_ = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else error.smtp_error
        )
        return Delivery(False, 400 <= error.smtp_code < 500, f"SMTP {spec.host}: {error.smtp_code} {text_}")
    except smtplib.SMTPNotSupportedError as error:
        return Delivery(False, False, f"SMTP {spec.host}: {error}")
    except (smtplib.SMTPException, OSError) as error:
        return Delivery(False, True, f"SMTP {spec.host}:{port}: {error or type(error).__name__}")
    except ValueError as error:  # e.g. a login or address that SMTP cannot carry
        return Delivery(False, False, f"SMTP {spec.host}: {error}")
    if refused:
        return Delivery(True, False, f"sent; refused by the server for {sorted(refused)}")
    return Delivery(True, False, f"sent to {len(spec.recipients)} recipient(s)")


def send(spec: WebhookChannelSpec | SlackChannelSpec | EmailChannelSpec, message: Message) -> Delivery:
    """Make one attempt to deliver ``message`` over the channel ``spec`` (never raises for a failure of
    the receiving side; the :class:`Delivery` says what happened)."""
    if isinstance(spec, WebhookChannelSpec):
        return _send_webhook(spec, message)
    if isinstance(spec, SlackChannelSpec):
        return _send_slack(spec, message)
    return _send_email(spec, message)
