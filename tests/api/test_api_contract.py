"""The app keeps its OpenAPI contract: schemathesis generates requests from ``/openapi.json`` (valid and
invalid ones) against an in-process app over SQLite and PostgreSQL with a few rows, and checks that no
answer is a 5xx, every status code is documented and every body matches its documented schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from starlette.types import ASGIApp, Receive, Scope, Send

from modelwatch.api import create_app
from modelwatch.io.storage import join_uri, write_text
from modelwatch.service import baselines, endpoints, executions, schedules
from modelwatch.service.db import Database, open_database
from modelwatch.service.metrics import record_metrics
from modelwatch.service.schemas import BaselineJobSpec, EndpointSpec, ScheduleSpec

NAMES = ("0", "a", "A")
"""Seeded names: short names are what generated paths hit most often."""

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)


def _seed(db: Database, folder: Path) -> None:
    with db.session() as session:
        for name in NAMES:
            endpoints.create_endpoint(session, EndpointSpec(name=name))
            spec = {
                "name": name,
                "schedule_expression": "cron(0 * ? * * *)",
                "definition": {"endpoint_input": {"endpoint_name": name}},
            }
            schedules.create_schedule(session, ScheduleSpec.model_validate(spec), now=T0)
            baselines.start_baseline_job(session, BaselineJobSpec(name=name, dataset_uri=str(folder)))
            for i in range(3):
                moment = T0 + timedelta(minutes=i)
                view = schedules.run_now(
                    session, name, window_start=moment - timedelta(hours=1), window_end=moment, now=moment
                )
                row = executions.get_execution(session, view.id)
                record_metrics(session, row, [(name, moment, 1.0), ("row_count", moment, 10.0)])
                write_text(join_uri(view.output_uri, "statistics.json"), '{"version": 0.0, "features": []}')
                write_text(join_uri(view.output_uri, "cloudwatch_metrics.jsonl"), "{}\n")


_LABEL = st.builds(
    lambda event_id, label: json.dumps(
        {
            "groundTruthData": {"data": label, "encoding": "CSV"},
            "eventMetadata": {"eventId": event_id},
            "eventVersion": "0",
        }
    ),
    st.text(max_size=8),
    st.text(max_size=4),
)
schemathesis.openapi.media_type(
    "application/x-ndjson",
    st.lists(st.one_of(_LABEL, st.text(max_size=20)), max_size=5).map(
        lambda lines: "\n".join(lines).encode()
    ),
)
"""Ground-truth uploads: lines of labels (some with empty ids), mixed with arbitrary text."""

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 10}
"""Examples per operation and mode: about 20 s per database for the whole API on two cores."""


class _FromThisMachine:
    """ASGI middleware: the peer is 127.0.0.1 (the test client says ``testclient``; an API without tokens
    answers loopback peers only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app({**scope, "client": ("127.0.0.1", 50000)}, receive, send)


@pytest.fixture
def app(database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # a generated s3:// URI fails fast
    data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(database_url)
    _seed(db, data_dir)
    app = create_app(db, allowed_hosts=["testserver"])  # the host name of the ASGI test client
    app.add_middleware(_FromThisMachine)
    yield app
    db.dispose()


def _cases(operation: APIOperation, mode: GenerationMode) -> st.SearchStrategy[Case]:
    """Generated cases, half of them with the path naming a seeded row (generated names rarely do)."""
    generated = operation.as_strategy(generation_mode=mode)
    names = {parameter.name for parameter in operation.path_parameters}
    seeded: dict[str, st.SearchStrategy[object]] = {
        "name": st.sampled_from(NAMES),
        "execution_id": st.integers(1, len(NAMES) * 3),
        "metric": st.sampled_from(["row_count", *NAMES]),
    }
    if not names & seeded.keys():
        return generated
    fixed = st.fixed_dictionaries({name: seeded[name] for name in names & seeded.keys()})
    return st.one_of(
        generated,
        fixed.flatmap(lambda path: operation.as_strategy(generation_mode=mode, path_parameters=path)),
    )


def _failures(operation: APIOperation, mode: GenerationMode) -> str | None:
    """Run the checks on generated cases of one operation; the shrunk failure, if any."""

    @given(case=_cases(operation, mode))
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def check(case: Case) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        check()
    except Unsatisfiable:  # nothing to make invalid: an operation without parameters or body
        return None
    except Exception as error:  # a check's failure (or a group of them), reported with its case
        return f"{operation.label} ({mode.value}): {error}"
    return None


def test_the_api_keeps_its_openapi_contract(app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda operation: operation.method == "delete")  # the others meet the seeded rows
    assert len(operations) == sum(len(methods) for methods in app.openapi()["paths"].values()) >= 24
    failures = [
        failure
        for operation in operations
        for mode in GenerationMode
        if (failure := _failures(operation, mode)) is not None
    ]
    assert not failures, "\n\n".join(failures)
