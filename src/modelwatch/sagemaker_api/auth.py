"""Who sends a SageMaker API request: SigV4 verification against the access keys (docs/security.md).

::

    Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261207/eu-west-1/sagemaker/aws4_request,
                   SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=<64 hex>

    canonical request  POST \\n path \\n sorted query \\n name:trimmed value\\n (each signed header)
                       \\n signed header names \\n hex sha256(body)
    string to sign     AWS4-HMAC-SHA256 \\n X-Amz-Date \\n date/region/service/aws4_request
                       \\n hex sha256(canonical request)
    signing key        HMAC("AWS4" + secret, date) → region → service → "aws4_request"

The path is the one received (boto3 posts to the endpoint URL's path verbatim, ``/aws`` for
``http://host:port/aws``), normalised as SigV4 does for every service but S3: dot segments and repeated
slashes removed, URI-encoded once more. The signature is compared in constant time. The credential's
service must be ``sagemaker`` (``logs`` for ``Logs_20140328.*`` targets); any region is accepted and
becomes the region of the answer's ARNs. ``X-Amz-Date`` must be within 5 minutes of the server's clock.
``host``, ``x-amz-date`` and ``x-amz-target`` must be signed, and ``x-amz-security-token`` when sent
(its value is not checked: modelwatch has no temporary credentials).

Failures are 403: a missing or malformed ``Authorization`` → ``IncompleteSignatureException``, an
unknown key → ``UnrecognizedClientException``, a wrong signature, service or date →
``InvalidSignatureException``, a ``read`` key calling an operation that changes something →
``AccessDeniedException``.

**Open mode.** While no access key and no API token exists, a request from this machine (a loopback
peer) is accepted without checking its signature, so any key pair works on a laptop; a request from
elsewhere is refused (403 ``AccessDeniedException``, naming ``modelwatch access-keys create``). Once
API tokens guard the REST API, the SageMaker API is not left open beside it: it needs an access key
too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

from starlette.requests import Request

from modelwatch.sagemaker_api.errors import (
    AccessDenied,
    IncompleteSignature,
    InvalidSignature,
    UnrecognizedClient,
)
from modelwatch.sagemaker_api.registry import Operation
from modelwatch.service import access_keys, tokens
from modelwatch.service.access_keys import Scope
from modelwatch.settings import get_settings
from modelwatch.web.access import peer_is_loopback
from modelwatch.web.deps import transaction

__all__ = [
    "ALGORITHM",
    "DEFAULT_REGION",
    "MAX_SKEW",
    "OPEN_MODE_REMOTE",
    "Credential",
    "Principal",
    "authenticate",
    "canonical_path",
    "canonical_request",
    "open_mode_principal",
    "parse_authorization",
    "signature",
    "signing_key",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
DEFAULT_REGION = "us-east-1"
"""The region of a request without a credential scope (open mode only)."""
MAX_SKEW = timedelta(minutes=5)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

SERVICES = {"SageMaker": "sagemaker", "Logs_20140328": "logs"}
"""The credential scope's service that each target prefix must be signed for."""
REQUIRED_SIGNED = ("host", "x-amz-date", "x-amz-target")
TOKEN_HEADER = "x-amz-security-token"

OPEN_MODE_REMOTE = (
    "no access key exists, so this server answers SageMaker API requests from this machine (loopback) "
    "only; create one with `modelwatch access-keys create NAME --scope admin` and sign with it"
)
TOKENS_WITHOUT_KEYS = (
    "The security token included in the request is invalid: API tokens guard this server, so the "
    "SageMaker API needs an access key as well; create one with "
    "`modelwatch access-keys create NAME --scope admin`"
)
UNKNOWN_KEY = "The security token included in the request is invalid."

_CREDENTIAL = re.compile(
    r"(?P<key>[A-Za-z0-9]{1,128})/(?P<date>\d{8})/(?P<region>[A-Za-z0-9-]{1,63})/"
    r"(?P<service>[a-z0-9-]{1,63})/aws4_request"
)
_SIGNED_HEADERS = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+(;[a-z0-9!#$%&'*+.^_`|~-]+)*")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")
_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")


@dataclass(frozen=True)
class Principal:
    """Who sent a request: the region it was signed for (the region of ARNs), the account of ARNs, and
    the access key's name (None in open mode)."""

    region: str
    account: str
    key_name: str | None


@dataclass(frozen=True)
class Credential:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 ...`` header."""

    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def parse_authorization(header: str) -> Credential:
    """The credential of an ``Authorization`` header.

    Raises:
        IncompleteSignature: the header is missing, of another algorithm, or malformed (the message
            says which part).
    """
    algorithm, _, rest = header.strip().partition(" ")
    if not header.strip():
        raise IncompleteSignature("Missing Authentication Token: the request has no Authorization header")
    if algorithm != ALGORITHM:
        raise IncompleteSignature(f"Authorization header: the algorithm must be {ALGORITHM}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, equals, value = item.strip().partition("=")
        if not equals or name in parts:
            raise IncompleteSignature(f"Authorization header: malformed part {item.strip()[:40]!r}")
        parts[name] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if name not in parts]
    if missing:
        raise IncompleteSignature(f"Authorization header requires '{missing[0]}' parameter")
    credential = _CREDENTIAL.fullmatch(parts["Credential"])
    if credential is None:
        raise IncompleteSignature(
            "Authorization header: Credential must be KEY/YYYYMMDD/REGION/SERVICE/aws4_request"
        )
    if _SIGNED_HEADERS.fullmatch(parts["SignedHeaders"]) is None:
        raise IncompleteSignature("Authorization header: SignedHeaders must be lower-case names joined by ;")
    if _SIGNATURE.fullmatch(parts["Signature"]) is None:
        raise IncompleteSignature("Authorization header: Signature must be 64 lower-case hex digits")
    return Credential(
        credential["key"],
        credential["date"],
        credential["region"],
        credential["service"],
        tuple(parts["SignedHeaders"].split(";")),
        parts["Signature"],
    )


def canonical_path(raw_path: str) -> str:
    """The path of the canonical request: the path as received, without dot segments and repeated
    slashes, URI-encoded once more (SigV4 for every service but S3; what botocore signs)."""
    kept: list[str] = []
    for segment in raw_path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    path = "/" + "/".join(kept) + ("/" if kept and raw_path.endswith("/") else "")
    return quote(path, safe="/~")


def _canonical_query(query: str) -> str:
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&") if pair)
    return "&".join(f"{name}={value}" for name, value in pairs)


def canonical_request(
    method: str,
    raw_path: str,
    query: str,
    headers: Mapping[str, Sequence[str]],
    signed_headers: Sequence[str],
    body: bytes,
) -> str:
    """The canonical request of SigV4. ``headers`` maps lower-case names to their values (several
    for a repeated header); each value's runs of white space become one space."""
    lines = [method.upper(), canonical_path(raw_path), _canonical_query(query)]
    for name in signed_headers:
        values = headers.get(name, ())
        lines.append(f"{name}:{','.join(' '.join(value.split()) for value in values)}")
    lines.append("")
    lines.append(";".join(signed_headers))
    lines.append(hashlib.sha256(body).hexdigest())
    return "\n".join(lines)


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])


@lru_cache(maxsize=512)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """The derived key of a secret for a day, region and service (cached: it changes once a day)."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(secret: str, credential: Credential, amz_date: str, canonical: str) -> str:
    """The hex signature of a canonical request under ``secret``."""
    key = signing_key(secret, credential.date, credential.region, credential.service)
    text = string_to_sign(amz_date, credential.scope, canonical)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def open_mode_principal(credential: Credential | None, *, loopback: bool) -> Principal:
    """The principal of a request while no access key and no API token exists: from a loopback peer
    anyone, in the region of its credential scope when it has one; from elsewhere refused.

    Raises:
        AccessDenied: the peer is not loopback.
    """
    if not loopback:
        raise AccessDenied(OPEN_MODE_REMOTE)
    region = credential.region if credential is not None else DEFAULT_REGION
    return Principal(region, get_settings().aws_account_id, None)


def _amz_date(request: Request, credential: Credential) -> str:
    amz_date = request.headers.get("x-amz-date", "").strip()
    if not amz_date:
        raise IncompleteSignature("Authorization header requires existence of an 'X-Amz-Date' header")
    if _AMZ_DATE.fullmatch(amz_date) is None:
        raise IncompleteSignature(f"X-Amz-Date {amz_date[:32]!r} is not of the form YYYYMMDDTHHMMSSZ")
    try:
        moment = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise IncompleteSignature(f"X-Amz-Date {amz_date!r} is not a valid date and time") from None
    if credential.date != amz_date[:8]:
        raise InvalidSignature(
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{credential.date}' != '{amz_date[:8]}'"
        )
    now = datetime.now(UTC)
    if abs(now - moment) > MAX_SKEW:
        raise InvalidSignature(
            f"Signature expired: {amz_date} is more than 5 minutes away from the server's time "
            f"{now.strftime(AMZ_DATE_FORMAT)}"
        )
    return amz_date


def _check_signed_headers(request: Request, credential: Credential) -> None:
    signed = set(credential.signed_headers)
    required = [*REQUIRED_SIGNED, *([TOKEN_HEADER] if TOKEN_HEADER in request.headers else [])]
    for name in required:
        if name not in signed:
            raise InvalidSignature(f"the header {name!r} must be signed (SignedHeaders)")
    if list(credential.signed_headers) != sorted(signed):
        raise InvalidSignature("SignedHeaders must be sorted and name each header once")


def _verify(request: Request, body: bytes, credential: Credential, secret: str) -> None:
    amz_date = _amz_date(request, credential)
    _check_signed_headers(request, credential)
    headers = {name: request.headers.getlist(name) for name in credential.signed_headers}
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    canonical = canonical_request(
        request.method,
        raw_path.decode("latin-1"),
        request.scope.get("query_string", b"").decode("latin-1"),
        headers,
        credential.signed_headers,
        body,
    )
    expected = signature(secret, credential, amz_date, canonical)
    if not hmac.compare_digest(expected, credential.signature):
        raise InvalidSignature(
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method."
        )


def authenticate(request: Request, body: bytes, operation: Operation) -> Principal:
    """The principal of a request to ``operation``, its SigV4 signature verified (see the module).

    Raises:
        IncompleteSignature, UnrecognizedClient, InvalidSignature, AccessDenied: as the module says.
    """
    incomplete: IncompleteSignature | None = None
    try:
        credential: Credential | None = parse_authorization(request.headers.get("authorization", ""))
    except IncompleteSignature as error:
        credential, incomplete = None, error
    with transaction(request, write=False) as session:
        key = access_keys.find_access_key(session, credential.access_key_id) if credential else None
        if key is None and not access_keys.has_access_keys(session):
            if not tokens.has_tokens(session):
                return open_mode_principal(credential, loopback=peer_is_loopback(request))
            raise UnrecognizedClient(TOKENS_WITHOUT_KEYS)
    if credential is None:
        assert incomplete is not None
        raise incomplete
    if key is None:
        raise UnrecognizedClient(UNKNOWN_KEY)
    expected_service = SERVICES.get(operation.service, "sagemaker")
    if credential.service != expected_service:
        raise InvalidSignature(
            f"Credential should be scoped to correct service: '{expected_service}' "
            f"(the request was signed for '{credential.service}')"
        )
    _verify(request, body, credential, key.secret)
    if key.info.stale:
        with transaction(request) as session:
            access_keys.touch(session, key.info.name)
    if not operation.read and key.info.scope != Scope.ADMIN:
        raise AccessDenied(
            f"access key {key.info.name!r} has scope {key.info.scope.value}; "
            f"{operation.service}.{operation.name} changes something and needs an admin key"
        )
    return Principal(credential.region, get_settings().aws_account_id, key.info.name)
