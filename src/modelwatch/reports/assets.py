"""The files a page inlines or serves: modelwatch's own ``app.js`` / ``app.css`` and plotly.js as
bundled with the plotly Python package (so that charts work without internet). The report inlines
them; the dashboard serves them (``modelwatch.ui.static``)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = ["app_css", "app_js", "plotly_js"]


def _package_text(name: str) -> str:
    return files("modelwatch.reports").joinpath("static", name).read_text("utf-8")


@cache
def plotly_js() -> str:
    """plotly.min.js from the plotly package (no network)."""
    return files("plotly").joinpath("package_data", "plotly.min.js").read_text("utf-8")


@cache
def app_js() -> str:
    return _package_text("app.js")


@cache
def app_css() -> str:
    return _package_text("app.css")
