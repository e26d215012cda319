"""Chart figures as plain plotly JSON (``{"data": [...], "layout": {...}}``), and SVG sparklines.

The figures are built as dicts, not ``plotly.graph_objects``: that is many times faster for the
hundreds of small charts of a page, and the browser's plotly.js draws them the same. Text that comes
from user data (feature names, categories, labels) goes through :func:`label`, so plotly shows it
literally instead of reading its pseudo-HTML tags.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

__all__ = [
    "BASELINE_COLOR",
    "CURRENT_COLOR",
    "Figure",
    "attribution_figure",
    "categorical_figure",
    "confusion_matrix_figure",
    "curve_figure",
    "drift_figure",
    "label",
    "numeric_figure",
    "sparkline_points",
    "time_series_figure",
]

Figure = dict[str, Any]

BASELINE_COLOR = "#6b7f99"
CURRENT_COLOR = "#e4572e"
THRESHOLD_COLOR = "#b00020"
_FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 11}


def label(text: object) -> str:
    """``text`` for a plotly string: ``<`` and ``>`` as entities, so that plotly prints them."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _layout(height: int = 240, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "height": height,
        "margin": {"l": 48, "r": 12, "t": 28, "b": 40},
        "font": _FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": 1.12, "x": 0},
        "hovermode": "closest",
    }
    layout.update(extra)
    return layout


def numeric_figure(edges: np.ndarray, baseline: np.ndarray | None, current: np.ndarray | None) -> Figure:
    """Baseline and current share of values per bin (both over the same ``edges``), overlaid."""
    centers = (edges[:-1] + edges[1:]) / 2
    widths = np.diff(edges)
    data = []
    for name, share, color in (("baseline", baseline, BASELINE_COLOR), ("current", current, CURRENT_COLOR)):
        if share is None:
            continue
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": centers,
                "y": share,
                "width": widths,
                "marker": {"color": color},
                "opacity": 0.6,
                "hovertemplate": "%{x:.4g}: %{y:.1%}<extra>" + name + "</extra>",
            }
        )
    return {
        "data": data,
        "layout": _layout(barmode="overlay", bargap=0, yaxis={"tickformat": ".0%", "rangemode": "tozero"}),
    }


def categorical_figure(
    categories: Sequence[str], baseline: Sequence[float] | None, current: Sequence[float] | None
) -> Figure:
    """Baseline and current share of each category, side by side."""
    x = [label(c) for c in categories]
    data = []
    for name, share, color in (("baseline", baseline, BASELINE_COLOR), ("current", current, CURRENT_COLOR)):
        if share is None:
            continue
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": x,
                "y": list(share),
                "marker": {"color": color},
                "hovertemplate": "%{x}: %{y:.1%}<extra>" + name + "</extra>",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            barmode="group", yaxis={"tickformat": ".0%", "rangemode": "tozero"}, xaxis={"type": "category"}
        ),
    }


def drift_figure(
    names: Sequence[str], distances: Sequence[float], thresholds: Sequence[float | None], title: str
) -> Figure:
    """One bar per feature (the distance its drift check uses), red where it passed its threshold,
    with each feature's threshold as a marker."""
    over = [
        t is not None and d is not None and not math.isnan(d) and d > t
        for d, t in zip(distances, thresholds, strict=True)
    ]
    x = [label(n) for n in names]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": title,
            "x": x,
            "y": list(distances),
            "marker": {"color": [THRESHOLD_COLOR if o else BASELINE_COLOR for o in over]},
            "hovertemplate": "%{x}: %{y:.4g}<extra></extra>",
        }
    ]
    if any(t is not None for t in thresholds):
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "threshold",
                "x": x,
                "y": list(thresholds),
                "marker": {
                    "symbol": "line-ew-open",
                    "size": 18,
                    "color": THRESHOLD_COLOR,
                    "line": {"width": 2},
                },
                "hovertemplate": "threshold %{y:.4g}<extra></extra>",
            }
        )
    height = 300 if len(names) <= 30 else 360
    return {
        "data": data,
        "layout": _layout(height=height, xaxis={"type": "category", "automargin": True}, showlegend=True),
    }


def confusion_matrix_figure(labels: Sequence[str], counts: Sequence[Sequence[float]]) -> Figure:
    """A heat map of ``counts[actual][predicted]`` with the counts written in the cells."""
    names = [label(v) for v in labels]
    return {
        "data": [
            {
                "type": "heatmap",
                "x": names,
                "y": names,
                "z": [list(row) for row in counts],
                "colorscale": "Blues",
                "showscale": False,
                "texttemplate": "%{z}",
                "hovertemplate": "actual %{y}, predicted %{x}: %{z}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=300,
            xaxis={"title": {"text": "predicted"}, "type": "category"},
            yaxis={"title": {"text": "actual"}, "type": "category", "autorange": "reversed"},
        ),
    }


def curve_figure(
    curves: Sequence[tuple[str, Sequence[float | None], Sequence[float | None]]],
    *,
    x_title: str,
    y_title: str,
    diagonal: bool = False,
) -> Figure:
    """Lines (ROC or precision–recall), e.g. ``[("current", xs, ys), ("baseline", xs, ys)]``; a None
    (a value that is not a number) leaves a gap."""
    colors = {"current": CURRENT_COLOR, "baseline": BASELINE_COLOR}
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": name,
            "x": list(xs),
            "y": list(ys),
            "line": {"color": colors.get(name, CURRENT_COLOR), "shape": "hv"},
        }
        for name, xs, ys in curves
    ]
    if diagonal:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "chance",
                "x": [0, 1],
                "y": [0, 1],
                "line": {"color": "#bbb", "dash": "dot"},
                "hoverinfo": "skip",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            height=300,
            xaxis={"title": {"text": x_title}, "range": [0, 1]},
            yaxis={"title": {"text": y_title}, "range": [0, 1.02]},
        ),
    }


def attribution_figure(
    features: Sequence[str], baseline: Sequence[float | None] | None, current: Sequence[float | None]
) -> Figure:
    """Horizontal bars of each feature's global attribution, baseline next to current."""
    y = [label(f) for f in features]
    data = []
    for name, values, color in (("baseline", baseline, BASELINE_COLOR), ("current", current, CURRENT_COLOR)):
        if values is None:
            continue
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "x": list(values),
                "y": y,
                "marker": {"color": color},
            }
        )
    return {
        "data": data,
        "layout": _layout(
            height=max(220, 22 * len(features) + 80),
            barmode="group",
            yaxis={"type": "category", "autorange": "reversed", "automargin": True},
        ),
    }


def time_series_figure(
    times: Sequence[datetime],
    values: Sequence[float],
    *,
    name: str,
    thresholds: Sequence[tuple[str, float]] = (),
    alerts: Sequence[tuple[datetime, str]] = (),
) -> Figure:
    """A metric over time, with horizontal threshold lines and alert markers."""
    x = [t.isoformat() for t in times]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": label(name),
            "x": x,
            "y": list(values),
            "line": {"color": CURRENT_COLOR},
            "marker": {"size": 4},
        }
    ]
    shapes = []
    for text, value in thresholds:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": value,
                "y1": value,
                "line": {"color": THRESHOLD_COLOR, "dash": "dash", "width": 1.5},
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": label(f"{text} {value:.4g}"),
                "x": [x[0], x[-1]] if x else [],
                "y": [value, value],
                "line": {"color": THRESHOLD_COLOR, "dash": "dash", "width": 1.5},
                "hoverinfo": "skip",
            }
        )
    if alerts:
        by_time = dict(zip(x, values, strict=True))
        fallback = thresholds[0][1] if thresholds else (max(values) if values else 0.0)
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "alert",
                "x": [t.isoformat() for t, _ in alerts],
                "y": [by_time.get(t.isoformat(), fallback) for t, _ in alerts],
                "text": [label(text) for _, text in alerts],
                "marker": {"symbol": "x", "size": 11, "color": THRESHOLD_COLOR},
                "hovertemplate": "%{text}<extra>alert</extra>",
            }
        )
    layout = _layout(height=240, shapes=shapes, xaxis={"type": "date"}, showlegend=False)
    return {"data": data, "layout": layout}


def sparkline_points(values: Sequence[float | None], width: int = 120, height: int = 24) -> str:
    """SVG ``polyline`` points of ``values`` (oldest first) scaled into ``width`` × ``height``;
    missing values are skipped; empty when fewer than two values are known."""
    known = [(i, float(v)) for i, v in enumerate(values) if v is not None and math.isfinite(float(v))]
    if len(known) < 2:
        return ""
    low = min(v for _, v in known)
    high = max(v for _, v in known)
    span = high - low or 1.0
    step = (width - 2) / max(len(values) - 1, 1)
    return " ".join(
        f"{1 + i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}" for i, v in known
    )
