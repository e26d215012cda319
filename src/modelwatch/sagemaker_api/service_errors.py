"""modelwatch's typed errors as the SageMaker API's errors, in one place.

::

    NotFoundError                       → ResourceNotFound   "Could not find monitoring schedule 'x'."
    ConflictError, an IntegrityError    → ResourceInUse
    ValidationError, pydantic's error,  → ValidationException, naming the SageMaker member
    StorageError, FormatError, any other ModelwatchError → ValidationException

A service error names a modelwatch field (``definition.endpoint_input.start_time_offset``); the
:class:`Members` of the request say which SageMaker member it came from
(``DataQualityJobInput.EndpointInput.StartTimeOffset``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pydantic
import sqlalchemy as sa

from modelwatch.errors import ConflictError, ModelwatchError, NotFoundError
from modelwatch.errors import ValidationError as ServiceValidationError
from modelwatch.sagemaker_api.errors import ResourceInUse, ResourceNotFound, ValidationError

__all__ = ["Members", "not_found", "service_errors", "validation_message"]


def validation_message(member: str, reason: str) -> str:
    """AWS's words for a member that breaks a rule."""
    return f"1 validation error detected: Value at '{member}' failed to satisfy constraint: {reason}"


def not_found(kind: str, name: str) -> ResourceNotFound:
    """SageMaker's "Could not find" for a ``kind`` (``monitoring schedule``) called ``name``."""
    return ResourceNotFound(f"Could not find {kind} '{name}'.")


@dataclass
class Members:
    """Which SageMaker member each modelwatch field of a request came from (dotted paths both)."""

    default: str
    """The member named when no better one is known (the request's main structure)."""
    sources: dict[str, str] = field(default_factory=dict)

    def add(self, path: str, member: str) -> None:
        self.sources[path] = member

    def member(self, path: str | None) -> str:
        """The member of modelwatch field ``path``, or of its nearest parent that has one."""
        path = (path or "").removeprefix("definition").removeprefix(".")
        if not path:
            return self.default
        parts = path.split(".")
        while parts:
            found = self.sources.get(".".join(parts))
            if found is not None:
                return found
            parts.pop()
        return self.default


def _pydantic_error(error: pydantic.ValidationError, members: Members) -> ValidationError:
    problems = error.errors()
    first = problems[0]
    path = ".".join(str(part) for part in first.get("loc", ()) if not isinstance(part, int))
    reason = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    message = validation_message(members.member(path), reason)
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more)"
    return ValidationError(message)


@contextlib.contextmanager
def service_errors(members: Members | None = None) -> Iterator[None]:
    """Raise the SageMaker API error of any modelwatch or pydantic error raised in the block."""
    members = members or Members(default="request")
    try:
        yield
    except NotFoundError as error:
        raise not_found(error.kind, error.name) from None
    except ConflictError as error:
        raise ResourceInUse(str(error)) from None
    except ServiceValidationError as error:
        raise ValidationError(validation_message(members.member(error.field), error.reason)) from None
    except pydantic.ValidationError as error:
        raise _pydantic_error(error, members) from None
    except ModelwatchError as error:
        raise ValidationError(validation_message(members.default, str(error))) from None
    except sa.exc.IntegrityError:
        raise ResourceInUse("the request conflicts with a change made meanwhile; retry") from None
