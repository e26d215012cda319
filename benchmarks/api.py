"""The REST API's speed over a store of 10,000 executions: requests/s and p50/p99 latency of the
listing and describe routes, served by a real uvicorn server (one worker, its own process).

The store holds ``--schedules`` hourly schedules of one endpoint with ``--per-schedule`` executions each
(inserted with ``executions.insert_slots``). Each route is driven for ``--seconds`` by ``--clients``
concurrent asyncio clients (httpx, keep-alive), once per client count given:

- ``GET /api/v1/executions?max_results=100`` (the first page, newest first),
- the same at a deep page (offset 5,000, by the ``next_token`` of the previous pages),
- ``GET /api/v1/executions/{id}`` (random ids),
- ``GET /api/v1/schedules?max_results=100``.

Target: p99 under 50 ms for a page of 100 with one client. With several clients the latency includes
the wait for the single worker.

Run: ``python benchmarks/api.py [--postgres-url postgresql+psycopg://user@host:port]`` (a PostgreSQL
server URL without database name; a fresh database is created in it). SQLite always runs.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from served_app import start_server

from modelwatch.service import endpoints, executions, schedules
from modelwatch.service.db import Database, open_database, redacted_url
from modelwatch.service.schemas import EndpointSpec, JobDefinition, ScheduleSpec

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Result:
    route: str
    clients: int
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def _fresh_url(kind: str, postgres_url: str | None, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
    assert postgres_url
    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(f"{postgres_url}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{postgres_url}/{name}"


def fill(db: Database, schedule_count: int, per_schedule: int) -> int:
    """``schedule_count`` hourly schedules with ``per_schedule`` executions each; returns the total."""
    definition = JobDefinition.model_validate({"endpoint_input": {"endpoint_name": "bench"}})
    total = 0
    with db.session() as session:
        endpoints.create_endpoint(session, EndpointSpec(name="bench"))
        for i in range(schedule_count):
            name = f"s{i:04d}"
            spec = ScheduleSpec(name=name, schedule_expression="cron(0 * ? * * *)", definition=definition)
            schedules.create_schedule(session, spec, now=T0)
            row = schedules.get_schedule(session, name)
            output = schedules.schedule_output_uri(row)
            slots = [
                (row, slot, (slot - timedelta(hours=1), slot), output)
                for slot in (T0 + timedelta(hours=h) for h in range(per_schedule))
            ]
            total += executions.insert_slots(session, slots)
    return total


async def drive(url: str, label: str, paths: list[str], clients: int, seconds: float) -> Result:
    """``clients`` concurrent clients GET the ``paths`` (round-robin from a random start) for ``seconds``."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        for path in paths[:3]:  # warm up
            (await http.get(path)).raise_for_status()
        began = time.perf_counter()
        stop = began + seconds

        async def client(offset: int) -> None:
            i = offset
            while time.perf_counter() < stop:
                start = time.perf_counter()
                answer = await http.get(paths[i % len(paths)])
                latencies.append(time.perf_counter() - start)
                if answer.status_code != 200:
                    raise RuntimeError(f"{paths[i % len(paths)]}: {answer.status_code} {answer.text[:200]}")
                i += 1

        await asyncio.gather(*(client(random.randrange(len(paths))) for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return Result(label, clients, len(latencies), elapsed, latencies)


def _deep_token(url: str, pages: int) -> str:
    token = None
    with httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(pages):
            params = {"max_results": 100, **({"next_token": token} if token else {})}
            token = http.get("/api/v1/executions", params=params).json()["next_token"]
    assert token
    return token


def bench(kind: str, postgres_url: str | None, args: argparse.Namespace, folder: Path) -> list[Result]:
    database_url = _fresh_url(kind, postgres_url, folder)
    db = open_database(database_url)
    began = time.perf_counter()
    total = fill(db, args.schedules, args.per_schedule)
    with db.session() as session:
        ids = list(session.scalars(sa.select(sa.text("id")).select_from(sa.table("executions"))))
    db.dispose()
    print(f"{kind} ({redacted_url(database_url)}): {total} executions in {time.perf_counter() - began:.1f} s")
    process, url = start_server(database_url, folder, "api")
    try:
        deep = _deep_token(url, 50)
        random.seed(0)
        routes = {
            "GET /executions?max_results=100": ["/api/v1/executions?max_results=100"],
            "GET /executions?max_results=100 (offset 5000)": [
                f"/api/v1/executions?max_results=100&next_token={deep}"
            ],
            "GET /executions/{id}": [f"/api/v1/executions/{i}" for i in random.sample(ids, 1000)],
            "GET /schedules?max_results=100": ["/api/v1/schedules?max_results=100"],
        }
        results = []
        for label, paths in routes.items():
            for clients in args.clients:
                results.append(asyncio.run(drive(url, label, paths, clients, args.seconds)))
        return results
    finally:
        process.terminate()
        process.wait(10)


def print_table(kind: str, results: list[Result]) -> None:
    print(f"\n{kind}")
    print(f"{'route':<48} {'clients':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for r in results:
        p50, p99 = r.percentile(0.5), r.percentile(0.99)
        print(f"{r.route:<48} {r.clients:>7} {r.rate:>8.0f} {p50:>8.1f} {p99:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", help="a PostgreSQL server URL without database name")
    parser.add_argument("--schedules", type=int, default=100)
    parser.add_argument("--per-schedule", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0, help="per route and client count")
    parser.add_argument(
        "--clients", type=lambda text: [int(n) for n in text.split(",")], default=[1, 4], help="e.g. 1,4"
    )
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if args.postgres_url else [])
    with tempfile.TemporaryDirectory(prefix="modelwatch-bench-api-") as temp:
        tables = [(kind, bench(kind, args.postgres_url, args, Path(temp))) for kind in kinds]
    for kind, results in tables:
        print_table(kind, results)


if __name__ == "__main__":
    main()
