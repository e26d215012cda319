"""Ground-truth uploads: labels for an endpoint's predictions, stored where model-quality jobs read them.

Each upload is checked whole (every invalid line is reported with its number, and nothing is written
unless all lines are valid) and lands as one new file in the hour folder of its collection time:
``{storage}/ground-truth/{endpoint}/yyyy/mm/dd/HH/`` (spec 2.1; docs/ground-truth.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from modelwatch.errors import ValidationError
from modelwatch.io.ground_truth import ground_truth_prefix, parse_ground_truth, write_ground_truth
from modelwatch.service.endpoints import get_endpoint
from modelwatch.service.layout import storage_root
from modelwatch.service.schemas import GroundTruthUploadView

__all__ = ["endpoint_ground_truth_uri", "upload_ground_truth"]


def endpoint_ground_truth_uri(endpoint_name: str) -> str:
    """Where an endpoint's labels go unless a job definition names another ``ground_truth_uri``."""
    return ground_truth_prefix(storage_root(), endpoint_name)


def upload_ground_truth(
    session: Session, endpoint_name: str, body: bytes, *, collected_at: datetime | None = None
) -> GroundTruthUploadView:
    """Store ``body`` (ground-truth JSON Lines) as labels of ``endpoint_name`` collected at
    ``collected_at`` (default now).

    Raises:
        ValidationError: ``collected_at`` is before 1970 or after 9998.
        NotFoundError: no such endpoint.
        DataError: a line is invalid (all invalid lines are listed; nothing is written).
        EmptyDatasetError: the body holds no record.
    """
    get_endpoint(session, endpoint_name)
    moment = (collected_at or datetime.now(UTC)).astimezone(UTC)
    if not 1970 <= moment.year <= 9998:
        raise ValidationError(f"{moment.isoformat()} is not a collection time", field="collected_at")
    batch = parse_ground_truth(body, source=f"ground truth of {endpoint_name}")
    uri = write_ground_truth(endpoint_ground_truth_uri(endpoint_name), batch, collected_at=moment)
    return GroundTruthUploadView(
        endpoint_name=endpoint_name, uri=uri, records=batch.valid, collected_at=moment
    )
