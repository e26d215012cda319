"""The dashboard in headless Chromium against a real uvicorn server on 127.0.0.1, with demo-like data:
pages render, charts draw (plotly's SVG) without console errors, the forms act through the service,
report.html renders offline, and without a session the pages are refused.

Screenshots of the main pages go to ``$MODELWATCH_TEST_ARTIFACTS`` (or a temporary folder); the path is
printed. One browser serves the module; each test gets a fresh browser context.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from ui_data import ENDPOINT, SCHEDULE, Demo, build

from modelwatch.reports import write_report
from modelwatch.server import create_app
from modelwatch.service import tokens
from modelwatch.service.db import Database, open_database
from modelwatch.settings import get_settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ALL_CHARTS_DRAWN = (
    "() => [...document.querySelectorAll('div.chart')].every(c => c.querySelector('svg.main-svg'))"
)


@dataclass(frozen=True)
class Site:
    url: str
    db: Database
    demo: Demo
    artifacts: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("ui-browser")
    artifacts = Path(os.environ.get("MODELWATCH_TEST_ARTIFACTS") or tmp_path_factory.mktemp("ui-screenshots"))
    artifacts.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODELWATCH_DATA_DIR", str(folder / "modelwatch"))
        patch.delenv("MODELWATCH_DATABASE_URL", raising=False)
        patch.delenv("MODELWATCH_STORAGE_URI", raising=False)
        get_settings.cache_clear()
        db = open_database(f"sqlite:///{folder / 'modelwatch.db'}")
        demo = build(db, folder / "files")
        port = _free_port()
        config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        try:
            yield Site(f"http://127.0.0.1:{port}", db, demo, artifacts)
        finally:
            server.should_exit = True
            thread.join(10)
            db.dispose()
            get_settings.cache_clear()
            print(f"\nscreenshots of the dashboard: {artifacts}")


def chromium_executable() -> str:
    """Chromium from ``MODELWATCH_TEST_CHROMIUM``, else the one on PATH (Debian's ``chromium``)."""
    found = os.environ.get("MODELWATCH_TEST_CHROMIUM") or next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if not found:
        pytest.fail(
            "Chromium not found on PATH: run the README's test command (it installs it), or "
            "apt-get install chromium, or set MODELWATCH_TEST_CHROMIUM to a Chromium executable"
        )
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Tab:
    page: Page
    errors: list[str]


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    context: BrowserContext = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(20_000)
    yield Tab(page, errors)
    context.close()


def _draw_every_chart(page: Page) -> int:
    """Scroll each chart into view (they are drawn when seen) and wait until all have plotly's SVG."""
    charts = page.locator("div.chart")
    for index in range(charts.count()):
        charts.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(ALL_CHARTS_DRAWN)
    return charts.count()


def test_the_overview_lists_the_endpoints(site: Site, tab: Tab) -> None:
    tab.page.goto(f"{site.url}/ui/")
    rows = tab.page.locator("tr[data-endpoint]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-endpoint") == ENDPOINT
    assert tab.page.locator(f'a[href="/ui/schedules/{SCHEDULE}"]').first.is_visible()
    tab.page.screenshot(path=str(site.artifacts / "overview.png"), full_page=True)
    assert tab.errors == []


def test_an_execution_page_draws_its_charts_without_console_errors(site: Site, tab: Tab) -> None:
    tab.page.goto(f"{site.url}/ui/executions/{site.demo.done_id}")
    drawn = _draw_every_chart(tab.page)
    assert drawn == 1 + len(site.demo.current_data)
    # the oddly named feature is shown as text, and ran no script
    assert (
        tab.page.locator("section.feature h3", has_text="</script><script>alert('feature')</script>").count()
        == 1
    )
    assert tab.page.evaluate("document.querySelectorAll('script:not([src]):not([type])').length") == 0
    tab.page.evaluate("window.scrollTo(0, 0)")
    tab.page.screenshot(path=str(site.artifacts / "execution.png"), full_page=True)
    tab.page.goto(f"{site.url}/ui/schedules/{SCHEDULE}/metrics?days=3650")
    assert _draw_every_chart(tab.page) == 1
    tab.page.screenshot(path=str(site.artifacts / "metrics.png"), full_page=True)
    assert tab.errors == []


def test_a_schedule_created_stopped_and_deleted_in_the_ui_shows_in_the_api(site: Site, tab: Tab) -> None:
    page = tab.page
    api = httpx.Client(base_url=f"{site.url}/api/v1", timeout=10)
    page.goto(f"{site.url}/ui/endpoints/{ENDPOINT}")
    page.locator("#new-schedule summary").click()
    form = page.locator("#create-schedule")
    form.locator('input[name="name"]').fill("churn-browser")
    form.locator('input[name="schedule_expression"]').fill("cron(0 0/6 ? * * *)")
    form.locator('input[name="baseline_statistics_uri"]').fill(str(site.demo.baseline_statistics))
    form.locator('input[name="baseline_constraints_uri"]').fill(str(site.demo.baseline_constraints))
    form.locator('select[name="variant_name"]').select_option("Canary")
    page.screenshot(path=str(site.artifacts / "endpoint-form.png"), full_page=True)
    form.locator('button[type="submit"]').click()
    page.wait_for_url(f"{site.url}/ui/schedules/churn-browser?notice=created")
    view = api.get("/schedules/churn-browser").json()
    assert view["status"] == "Scheduled" and view["schedule_expression"] == "cron(0 0/6 ? * * *)"
    assert view["definition"]["endpoint_input"]["variant_name"] == "Canary"
    page.screenshot(path=str(site.artifacts / "schedule.png"), full_page=True)

    page.get_by_role("button", name="Stop").click()
    page.wait_for_url("**notice=stopped")
    assert api.get("/schedules/churn-browser").json()["status"] == "Stopped"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").first.click()
    page.wait_for_url(f"{site.url}/ui/endpoints/{ENDPOINT}?notice=deleted%3Achurn-browser")
    assert api.get("/schedules/churn-browser").status_code == 404
    assert page.locator('tr[data-schedule="churn-browser"]').count() == 0
    api.close()
    assert tab.errors == []


def test_the_report_renders_offline(site: Site, tab: Tab) -> None:
    uri = write_report(
        str(site.demo.output),
        title="churn-dq report",
        baseline_statistics_uri=str(site.demo.baseline_statistics),
        constraints_uri=str(site.demo.baseline_constraints),
    )
    fetched: list[str] = []
    tab.page.route("**/*", lambda route: (fetched.append(route.request.url), route.continue_()))
    tab.page.goto(Path(uri).as_uri())
    assert _draw_every_chart(tab.page) == 1 + len(site.demo.current_data)
    assert fetched == [Path(uri).as_uri()]  # the report itself, nothing else
    tab.page.screenshot(path=str(site.artifacts / "report.png"))
    assert tab.errors == []


def test_without_a_session_the_pages_are_refused(site: Site, tab: Tab) -> None:
    with site.db.session() as session:
        _, secret = tokens.create_token(session, "browser", "admin")
    try:
        page = tab.page
        page.goto(f"{site.url}/ui/endpoints/{ENDPOINT}")
        assert page.url == f"{site.url}/ui/login?next=/ui/endpoints/{ENDPOINT}"
        assert page.locator("#executions").count() == 0
        denied = httpx.post(f"{site.url}/ui/schedules/{SCHEDULE}/delete", data={"csrf_token": "x"})
        assert denied.status_code == 401
        page.locator('input[name="token"]').fill(secret)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{site.url}/ui/endpoints/{ENDPOINT}")
        assert page.locator("header .who").inner_text().startswith("browser (admin)")
        cookie = next(c for c in page.context.cookies() if c["name"] == "mw_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""  # no script can read the session
    finally:
        with site.db.session() as session:
            tokens.revoke_token(session, "browser")
    assert tab.errors == []
