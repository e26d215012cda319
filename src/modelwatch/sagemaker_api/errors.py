"""The SageMaker API's errors, as botocore parses them: HTTP 400 (403 for authentication) with
``{"__type": TYPE, "message": TEXT}``; botocore raises ``client.exceptions.TYPE`` for a modelled type
(``ResourceNotFound``, ``ResourceInUse``, ``ResourceLimitExceeded``) and ``ClientError`` otherwise."""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AwsError",
    "IncompleteSignature",
    "InvalidSignature",
    "ResourceInUse",
    "ResourceLimitExceeded",
    "ResourceNotFound",
    "UnknownOperation",
    "UnrecognizedClient",
    "ValidationError",
]


class AwsError(Exception):
    """An error answered as ``{"__type": error_type, "message": message}`` with ``status``."""

    error_type = "InternalFailure"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(AwsError):
    """Bad input: a missing or wrong field (the message names it), a bad enum value, ``MaxResults``
    out of 1–100, a malformed body; also "Could not find" for processing jobs, as SageMaker does."""

    error_type = "ValidationException"


class ResourceNotFound(AwsError):
    error_type = "ResourceNotFound"


class ResourceInUse(AwsError):
    error_type = "ResourceInUse"


class ResourceLimitExceeded(AwsError):
    error_type = "ResourceLimitExceeded"


class UnknownOperation(AwsError):
    """An ``X-Amz-Target`` this server does not implement (named in the message)."""

    error_type = "UnknownOperationException"


class UnrecognizedClient(AwsError):
    """The access key id is not known."""

    error_type = "UnrecognizedClientException"
    status = 403


class InvalidSignature(AwsError):
    """The SigV4 signature does not match, the request is too old or new, or the key may not do this."""

    error_type = "InvalidSignatureException"
    status = 403


class IncompleteSignature(AwsError):
    """The ``Authorization`` header is missing or malformed."""

    error_type = "IncompleteSignatureException"
    status = 403


class AccessDenied(AwsError):
    """The request is authenticated but may not do this: a ``read`` access key calling an operation that
    changes something, or a request from another machine while no access key exists (open mode)."""

    error_type = "AccessDeniedException"
    status = 403
