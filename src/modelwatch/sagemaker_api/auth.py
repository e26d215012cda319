"""Who sends a SageMaker API request: SigV4 verification against the access keys (docs/sagemaker.md).

PLACEHOLDER (issue 19, part A replaces it): every request is accepted as an admin in the region of its
``Authorization`` credential scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request

from modelwatch.sagemaker_api.registry import Operation
from modelwatch.sagemaker_api.wire import DEFAULT_ACCOUNT

__all__ = ["DEFAULT_REGION", "Principal", "authenticate"]

DEFAULT_REGION = "us-east-1"
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/")


@dataclass(frozen=True)
class Principal:
    region: str
    account: str
    key_name: str | None


def authenticate(request: Request, body: bytes, operation: Operation) -> Principal:
    match = _SCOPE.search(request.headers.get("authorization", ""))
    return Principal(match.group(1) if match else DEFAULT_REGION, DEFAULT_ACCOUNT, None)
