"""Every dashboard page renders from the store and the result files, escapes what users wrote, and
answers 404 pages for what does not exist."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest
from ui_data import ENDPOINT, EVIL_DESCRIPTION, EVIL_FEATURE, SCHEDULE, T0, Demo, figures

from modelwatch.service import schedules
from modelwatch.service.alarms import MetricAlarmSpec, create_alarm, evaluate_alarms
from modelwatch.service.db import Database
from modelwatch.service.models import Endpoint
from modelwatch.ui.static import PLOTLY_PATH, plotly_js

pytestmark = pytest.mark.anyio


def _html(answer: httpx.Response, status: int = 200) -> str:
    assert answer.status_code == status, answer.text[:2000]
    assert answer.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    return answer.text


async def test_the_overview_lists_endpoints_schedules_and_running_work(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    html = _html(await client.get("/ui/"))
    assert f'href="/ui/endpoints/{ENDPOINT}"' in html
    assert f'href="/ui/schedules/{SCHEDULE}"' in html
    # the latest slot is the running execution; its badge links to it
    assert f'href="/ui/executions/{demo.running_id}"' in html
    assert '<span class="badge run">InProgress</span>' in html
    assert "1 running or waiting" in html
    assert '<meta http-equiv="refresh" content="15">' in html  # reloads while something runs
    assert '<svg class="spark"' not in html  # one finished execution: no line to draw yet


async def test_the_overview_filters_and_sorts(client: httpx.AsyncClient, db: Database, demo: Demo) -> None:
    with db.session() as session:
        for name in ("alpha", "zulu"):
            session.add(Endpoint(name=name, variants=["AllTraffic"], capture_uri="/c", status="InService"))
    html = _html(await client.get("/ui/?sort=name&order=desc"))
    order = re.findall(r'<tr data-endpoint="([^"]+)"', html)
    assert order == ["zulu", ENDPOINT, "alpha"]
    html = _html(await client.get("/ui/?q=ZU"))
    assert re.findall(r'<tr data-endpoint="([^"]+)"', html) == ["zulu"]
    html = _html(await client.get("/ui/?type=DataQuality"))
    assert re.findall(r'<tr data-endpoint="([^"]+)"', html) == [ENDPOINT]
    html = _html(await client.get("/ui/?health=unmonitored&per_page=1&page=2"))
    assert re.findall(r'<tr data-endpoint="([^"]+)"', html) == ["zulu"]
    assert "page 2 of 2" in html
    html = _html(await client.get("/ui/?health=running"))
    assert re.findall(r'<tr data-endpoint="([^"]+)"', html) == []  # its open alert outranks running
    html = _html(await client.get("/ui/?health=violations"))
    assert re.findall(r'<tr data-endpoint="([^"]+)"', html) == [ENDPOINT]
    # unknown values fall back to the defaults instead of failing
    html = _html(await client.get("/ui/?sort=evil&order=sideways&per_page=x&page=-3&health=bogus"))
    assert re.findall(r'<tr data-endpoint="([^"]+)"', html) == ["alpha", ENDPOINT, "zulu"]


async def test_the_endpoint_page_shows_capture_schedules_and_executions(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    html = _html(await client.get(f"/ui/endpoints/{ENDPOINT}"))
    assert "AllTraffic, Canary" in html
    assert f'<tr data-schedule="{SCHEDULE}">' in html
    assert (
        f'href="/ui/executions/{demo.done_id}"' in html and f'href="/ui/executions/{demo.running_id}"' in html
    )
    assert "40s" in html  # the finished execution's duration
    assert 'id="create-schedule"' in html and 'name="csrf_token"' in html
    # the running execution shows its elapsed time; the page reloads itself
    assert '<meta http-equiv="refresh" content="5">' in html
    html = _html(await client.get(f"/ui/endpoints/{ENDPOINT}?status=Completed"))
    assert "No executions with status Completed." in html


async def test_executions_are_paged(client: httpx.AsyncClient, db: Database, demo: Demo) -> None:
    with db.session() as session:
        for hour in range(3, 30):
            moment = T0 + timedelta(hours=hour)
            schedules.run_now(
                session, SCHEDULE, window_start=moment - timedelta(hours=1), window_end=moment, now=moment
            )
    first = _html(await client.get(f"/ui/endpoints/{ENDPOINT}")).split('id="executions"')[1]
    ids = re.findall(r'<td><a href="/ui/executions/(\d+)">', first)
    assert len(ids) == 25
    token = re.search(r'next_token=([^"&]+)"', first)
    assert token
    second = _html(await client.get(f"/ui/endpoints/{ENDPOINT}?status=&next_token={token.group(1)}"))
    second = second.split('id="executions"')[1]
    more = re.findall(r'<td><a href="/ui/executions/(\d+)">', second)
    assert len(more) == 4 and not set(more) & set(ids)
    assert sorted(map(int, ids + more)) == sorted({int(i) for i in ids + more})
    assert "← newest" in second and "older →" not in second
    assert _html(await client.get(f"/ui/endpoints/{ENDPOINT}?next_token=%21%21"), 404)


async def test_the_schedule_page_fills_the_edit_form(client: httpx.AsyncClient, demo: Demo) -> None:
    html = _html(await client.get(f"/ui/schedules/{SCHEDULE}"))
    assert 'value="cron(0 * ? * * *)"' in html
    assert f'value="{demo.baseline_statistics}"' in html
    assert 'name="window_start"' in html and 'id="edit-schedule"' in html
    assert f'href="/ui/schedules/{SCHEDULE}/metrics"' in html


async def test_the_execution_page_shows_results_charts_and_log(client: httpx.AsyncClient, demo: Demo) -> None:
    html = _html(await client.get(f"/ui/executions/{demo.done_id}"))
    violations = json.loads((demo.output / "constraint_violations.json").read_text())["violations"]
    assert f"Violations ({len(violations)})" in html
    for item in violations:
        assert f"<code>{item['constraint_check_type']}</code>" in html
    charts = figures(html)
    assert "fig-drift" in charts
    assert sum(1 for ident in charts if ident.startswith("fig-feature-")) == len(demo.current_data)
    assert f'src="/ui/{PLOTLY_PATH}"' in html
    assert "&lt;b&gt;profiled&lt;/b&gt; 600 rows" in html  # the log, escaped
    for name in ("statistics.json", "constraint_violations.json", "drift.json"):
        assert f'href="/ui/executions/{demo.done_id}/files/{name}"' in html
    assert "refresh" not in html  # finished: no reload


async def test_a_running_execution_shows_its_elapsed_time_and_reloads(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    html = _html(await client.get(f"/ui/executions/{demo.running_id}"))
    assert "Elapsed" in html and '<span class="badge run">' in html
    assert '<meta http-equiv="refresh" content="5">' in html
    assert 'id="no-results"' in html
    html = _html(await client.get("/ui/jobs"))
    assert f'<a href="/ui/executions/{demo.running_id}">' in html
    assert '<meta http-equiv="refresh" content="5">' in html


async def test_the_metric_page_draws_thresholds_from_the_constraints(
    client: httpx.AsyncClient, demo: Demo
) -> None:
    html = _html(await client.get(f"/ui/schedules/{SCHEDULE}/metrics?days=365"))
    charts = figures(html)
    assert len(charts) == 1  # by default: the drift metrics
    (figure,) = charts.values()
    assert figure["data"][0]["y"] == pytest.approx([0.05, 0.1, 0.15, 0.2])
    assert [shape["y0"] for shape in figure["layout"]["shapes"]] == [0.1]  # comparison_threshold
    html = _html(
        await client.get(
            f"/ui/schedules/{SCHEDULE}/metrics?days=365&metric=feature_non_null_age&metric=not_a_metric"
        )
    )
    (figure,) = figures(html).values()
    assert [shape["y0"] for shape in figure["layout"]["shapes"]] == [1.0]  # the feature's completeness
    assert "completeness 1" in html


async def test_user_text_is_escaped_everywhere(client: httpx.AsyncClient, db: Database, demo: Demo) -> None:
    evil = "<script>alert('endpoint')</script>"
    with db.session() as session:
        session.add(Endpoint(name=evil, variants=["AllTraffic"], capture_uri="/c", status="InService"))
    overview = _html(await client.get("/ui/"))
    assert evil not in overview
    assert "&lt;script&gt;alert(&#39;endpoint&#39;)&lt;/script&gt;" in overview
    page = _html(await client.get(f"/ui/executions/{demo.done_id}"))
    assert EVIL_FEATURE not in page and EVIL_DESCRIPTION not in page
    assert "&lt;img src=x onerror=alert(&#39;violation&#39;)&gt; exceeds" in page
    # the figures carry the name as data that cannot end their <script> element
    blocks = re.findall(r'<script type="application/json" id="[^"]+">(.*?)</script>', page, flags=re.S)
    assert blocks and all("<" not in block for block in blocks)
    drift = figures(page)["fig-drift"]
    assert "&lt;/script&gt;&lt;script&gt;alert('feature')&lt;/script&gt;" in drift["data"][0]["x"]
    assert page.count("<script") == page.count("</script>") == len(blocks) + 2  # app.js, plotly.js


async def test_unknown_and_deleted_objects_are_404_pages(client: httpx.AsyncClient, demo: Demo) -> None:
    for path in (
        "/ui/endpoints/nope",
        "/ui/endpoints/bad%20name",
        "/ui/schedules/nope",
        "/ui/schedules/nope/metrics",
        "/ui/executions/999999",
        "/ui/executions/abc",
        "/ui/executions/0",
        "/ui/executions/99999999999",
        f"/ui/executions/{demo.done_id}/files/secrets.txt",
        f"/ui/executions/{demo.done_id}/report",  # none was written
        "/ui/no/such/page",
        "/ui/static/app.js",
    ):
        html = _html(await client.get(path), 404)
        assert re.search(r"<h1>(Not found|No report)</h1>", html), path


async def test_a_deleted_schedule_is_a_404_page_and_its_executions_stay(
    client: httpx.AsyncClient, db: Database, demo: Demo
) -> None:
    with db.session() as session:
        schedules.delete_schedule(session, SCHEDULE)
    html = _html(await client.get(f"/ui/schedules/{SCHEDULE}"), 404)
    assert f"The monitoring schedule &#39;{SCHEDULE}&#39; does not exist" in html
    _html(await client.get(f"/ui/executions/{demo.done_id}"))
    html = _html(await client.get(f"/ui/schedules/{SCHEDULE}/metrics?days=365"))  # the history outlives it
    assert f"{SCHEDULE} (deleted)" in html


async def test_result_files_are_served_from_the_allow_list(client: httpx.AsyncClient, demo: Demo) -> None:
    answer = await client.get(f"/ui/executions/{demo.done_id}/files/drift.json")
    assert answer.status_code == 200
    assert answer.json() == json.loads((demo.output / "drift.json").read_text())
    log = await client.get(f"/ui/executions/{demo.done_id}/files/execution.log")
    assert log.text.startswith("2026-03-01") and log.headers["content-type"].startswith("text/plain")
    assert (
        await client.get(f"/ui/executions/{demo.done_id}/files/..%2Fbaseline%2Fstatistics.json")
    ).status_code == 404


async def test_plotly_is_served_once_from_the_package(client: httpx.AsyncClient) -> None:
    answer = await client.get(f"/ui/{PLOTLY_PATH}", headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200 and answer.text == plotly_js()
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = await client.get(f"/ui/{PLOTLY_PATH}", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304
    packed = await client.get(f"/ui/{PLOTLY_PATH}", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.text == plotly_js()  # httpx inflates it
    root = await client.get("/", follow_redirects=False)
    assert root.status_code == 307 and root.headers["location"] == "/ui/"


async def test_an_alarm_in_alarm_shows_on_the_overview_and_the_metric_page(
    client: httpx.AsyncClient, demo: Demo, db: Database
) -> None:
    html = _html(await client.get("/ui/"))
    assert "age-drift" not in html  # nothing is firing
    with db.session() as session:
        spec = MetricAlarmSpec(
            name="age-drift",
            metric_name="feature_baseline_drift_age",
            schedule_name=SCHEDULE,
            comparison="GreaterThanThreshold",
            threshold=0.1,
            period_seconds=3600,
        )
        create_alarm(session, spec, now=T0 + timedelta(hours=5))
        evaluate_alarms(session, now=T0 + timedelta(hours=5))  # the hour from T0+4h: drift 0.2
    html = _html(await client.get("/ui/"))
    assert 'id="alerts"' in html and "age-drift" in html and '<span class="badge bad">ALARM</span>' in html
    assert "GreaterThanThreshold 0.1" in html  # why
    assert _html(await client.get("/ui/?health=violations")).count("<tr data-endpoint=") == 1
    page = _html(await client.get(f"/ui/schedules/{SCHEDULE}/metrics?days=365"))
    (figure,) = figures(page).values()
    marks = next(trace for trace in figure["data"] if trace["name"] == "alert")
    assert len(marks["x"]) == 1
    assert "1 alerts" in page


async def test_an_unexpected_error_is_a_500_page_without_details(
    client: httpx.AsyncClient, demo: Demo, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import modelwatch.ui.routes.overview as overview_route

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(overview_route, "load_overview", broken)
    html = _html(await client.get("/ui/"), 500)
    assert "Internal error" in html and "secret internals" not in html
    assert "secret internals" in caplog.text
