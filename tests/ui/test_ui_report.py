"""report.html: self-contained (plotly.js inlined, nothing fetched), the same charts as the execution
page (one shared template), escaped, and served by the dashboard in a sandbox."""

from __future__ import annotations

import re

import httpx
import pytest
from ui_data import EVIL_DESCRIPTION, EVIL_FEATURE, Demo, figures

from modelwatch.reports import write_report
from modelwatch.reports.assets import plotly_js

pytestmark = pytest.mark.anyio


def _write(demo: Demo) -> str:
    return write_report(
        str(demo.output),
        title="churn-dq · 2026-03-01 13:00",
        baseline_statistics_uri=str(demo.baseline_statistics),
        constraints_uri=str(demo.baseline_constraints),
        details={"Endpoint": "churn", "Window": "12:00–13:00", "Note": "<b>bold?</b>"},
    )


async def test_the_report_has_the_charts_of_the_execution_page(client: httpx.AsyncClient, demo: Demo) -> None:
    uri = _write(demo)
    assert uri == str(demo.output / "report.html")
    report = (demo.output / "report.html").read_text()
    page = (await client.get(f"/ui/executions/{demo.done_id}")).text
    assert figures(report) == figures(page)
    assert len(figures(report)) == 1 + len(demo.current_data)  # drift + one per feature
    for section in ('id="violations"', 'id="drift"', 'id="features"'):
        assert section in report and section in page


async def test_the_report_needs_no_network(demo: Demo) -> None:
    _write(demo)
    report = (demo.output / "report.html").read_text()
    assert plotly_js()[:2000] in report and plotly_js()[-2000:] in report
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", report)
    assert "http://" not in report.split("<script>")[0] and "https://" not in report.split("<script>")[0]


async def test_the_report_escapes_user_text(demo: Demo) -> None:
    _write(demo)
    report = (demo.output / "report.html").read_text()
    body = report.split("</head>")[1]
    assert EVIL_FEATURE not in body and EVIL_DESCRIPTION not in body and "<b>bold?</b>" not in body
    assert "&lt;b&gt;bold?&lt;/b&gt;" in body
    assert body.count("<script") == body.count("</script>") == len(figures(report))


async def test_the_dashboard_links_and_sandboxes_the_report(client: httpx.AsyncClient, demo: Demo) -> None:
    assert "report.html" not in (await client.get(f"/ui/executions/{demo.done_id}")).text
    _write(demo)
    assert (
        f'href="/ui/executions/{demo.done_id}/report"'
        in (await client.get(f"/ui/executions/{demo.done_id}")).text
    )
    answer = await client.get(f"/ui/executions/{demo.done_id}/report")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"].startswith("sandbox allow-scripts;")
    assert answer.text == (demo.output / "report.html").read_text()
