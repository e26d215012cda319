"""The overview: every endpoint, filtered and sorted by query parameters.

``q`` (name contains), ``type`` (has a schedule of this monitoring type), ``health`` (failed,
violations, running, ok, unmonitored), ``sort`` (name, health, last_run, violations), ``order``
(asc, desc), ``page``, ``per_page`` (1–500, default 50). Unknown values fall back to the defaults.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from modelwatch.ui.auth import require_viewer
from modelwatch.ui.errors import PageRoute
from modelwatch.ui.overview import HEALTH, SORTS, load_overview
from modelwatch.ui.pages import render_page
from modelwatch.ui.paths import UI_PREFIX
from modelwatch.ui.routes.common import int_param
from modelwatch.web.deps import transaction

__all__ = ["router"]

router = APIRouter(route_class=PageRoute)

MAX_PER_PAGE = 500


@router.get(UI_PREFIX + "/")
def overview(request: Request) -> Response:
    viewer = require_viewer(request)
    params = request.query_params
    per_page = int_param(params.get("per_page"), 50, 1, MAX_PER_PAGE)
    query: dict[str, str | int] = {
        "q": (params.get("q") or "").strip()[:63],
        "type": params.get("type") or "",
        "health": params.get("health") or "" if params.get("health") in HEALTH else "",
        "sort": params.get("sort") or "name" if params.get("sort") in SORTS else "name",
        "order": "desc" if params.get("order") == "desc" else "asc",
        "per_page": per_page,
    }
    with transaction(request, write=False) as session:
        data = load_overview(
            session,
            name_contains=str(query["q"]) or None,
            monitoring_type=str(query["type"]) or None,
            health=str(query["health"]) or None,
            sort=str(query["sort"]),
            descending=query["order"] == "desc",
            page=int_param(params.get("page"), 1, 1, 1_000_000),
            per_page=per_page,
        )
    return render_page(
        request,
        "overview.html",
        {"data": data, "query": query, "health_values": HEALTH, "sorts": SORTS},
        viewer=viewer,
        refresh=15 if data.running else None,
    )
