"""The REST API under ``/api/v1`` (FastAPI): a thin layer over :mod:`modelwatch.service`.

The route table, the authentication rules and the error format are documented in ``docs/api.md``.
"""

from modelwatch.api.app import API_PREFIX, JobStarter, create_app

__all__ = ["API_PREFIX", "JobStarter", "create_app"]
