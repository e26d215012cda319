"""The dashboard's static files: ``app.js`` / ``app.css`` and plotly.js as bundled with the plotly
Python package (read by ``modelwatch.reports.assets``, so that charts work without internet). Each
URL carries a version or content hash, so browsers may cache the files for a year."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache, cached_property

from plotly.offline import get_plotlyjs_version

from modelwatch.reports.assets import app_css, app_js, plotly_js

__all__ = [
    "APP_CSS_PATH",
    "APP_JS_PATH",
    "PLOTLY_PATH",
    "StaticFile",
    "app_css",
    "app_js",
    "plotly_js",
    "static_file",
]


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    media_type: str
    etag: str

    @cached_property
    def gzipped(self) -> bytes:
        return gzip.compress(self.body, compresslevel=6, mtime=0)


def _file(text: str, media_type: str) -> StaticFile:
    body = text.encode()
    return StaticFile(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


PLOTLY_PATH = f"static/plotly-{get_plotlyjs_version()}.min.js"
APP_JS_PATH = f"static/app-{_hash(app_js())}.js"
APP_CSS_PATH = f"static/app-{_hash(app_css())}.css"


@cache
def _files() -> dict[str, StaticFile]:
    script, style = "text/javascript; charset=utf-8", "text/css; charset=utf-8"
    return {
        PLOTLY_PATH: _file(plotly_js(), script),
        APP_JS_PATH: _file(app_js(), script),
        APP_CSS_PATH: _file(app_css(), style),
    }


def static_file(path: str) -> StaticFile | None:
    """The file served at ``{prefix}/{path}``, or None."""
    return _files().get(path)
