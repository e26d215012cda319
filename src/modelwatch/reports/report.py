"""``report.html``: one execution's results as a self-contained page (plotly.js inlined, no network),
written beside the result files. It shows the same sections and charts as the execution page: both
render the template partial ``_results.html``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from markupsafe import Markup

from modelwatch.io.storage import join_uri, write_text
from modelwatch.reports.assets import app_css, app_js, plotly_js
from modelwatch.reports.render import render_template
from modelwatch.reports.results import ExecutionResults, load_results

__all__ = ["REPORT_FILE", "REPORT_HEADERS", "render_report", "write_report"]

REPORT_FILE = "report.html"
REPORT_HEADERS = {
    # served by the dashboard in a sandbox: its inline scripts run, but not with this site's origin
    "Content-Security-Policy": (
        "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
        "style-src 'unsafe-inline'; img-src data:"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def _inline_script(code: str) -> Markup:
    return Markup(code.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT"))


def render_report(
    results: ExecutionResults,
    *,
    title: str,
    details: Mapping[str, str] | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The report's HTML text."""
    return render_template(
        "report.html",
        {
            "title": title,
            "details": dict(details or {}),
            "results": results,
            "problems": list(results.problems),
            "generated_at": generated_at or datetime.now(UTC),
            "inline_css": Markup(app_css().replace("</style", "<\\/style")),
            "inline_plotly": _inline_script(plotly_js()),
            "inline_app": _inline_script(app_js()),
            "execution_links": False,
        },
    )


def write_report(
    output_uri: str,
    *,
    title: str,
    baseline_statistics_uri: str | None,
    constraints_uri: str | None,
    baseline_analysis_uri: str | None = None,
    details: Mapping[str, str] | None = None,
) -> str:
    """Write ``report.html`` of the results in ``output_uri`` (a folder or s3:// prefix); returns its URI.

    ``details`` are shown as a table under the title (e.g. endpoint, schedule, window, status).
    The job process calls this after the result files are written.

    Raises:
        StorageError: the report cannot be written.
    """
    results = load_results(
        output_uri,
        baseline_statistics_uri=baseline_statistics_uri,
        constraints_uri=constraints_uri,
        baseline_analysis_uri=baseline_analysis_uri,
    )
    uri = join_uri(output_uri, REPORT_FILE)
    write_text(uri, render_report(results, title=title, details=details))
    return uri
