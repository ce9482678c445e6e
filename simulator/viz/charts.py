"""Vega-Lite chart specifications for the page's time series, built straight from the model's data.

A chart here is a plain dictionary in Vega-Lite's grammar (lines per firm, dashed event markers,
tooltips, pan and zoom), drawn in the browser by the Vega library that ``solara-assets`` ships. They
are built by hand rather than through Altair (which Mesa's ``PlotAltair`` uses) because the page
rebuilds every chart after every Play frame: Altair's encoding and schema validation cost about
50 ms per chart on a busy 2-core machine, nine charts made a frame take most of a second, while a
dictionary costs well under a millisecond. The data still come from the model's Mesa
``DataCollector``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
"""The Vega-Lite version the page's front-end ships (``vega-lite@5``)."""


def _clean(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def firm_rows(
    days: Sequence[int], series: Mapping[str, Sequence[Any]], panel: str | None = None
) -> list[tuple[Any, ...]]:
    """Tidy rows ``(day, firm, value[, panel])`` of per-firm series (missing values left out)."""
    rows: list[tuple[Any, ...]] = []
    extra = () if panel is None else (panel,)
    for firm, values in series.items():
        for d, v in zip(days, values, strict=True):
            c = _clean(v)
            if c is not None:
                rows.append((int(d), firm, c, *extra))
    return rows


def csv_data(rows: list[tuple[Any, ...]], columns: Sequence[str]) -> dict[str, Any]:
    """Inline Vega-Lite data as one CSV string (numbers in the first and third column).

    One string rather than a list of row objects: the page compares the arguments of what it draws
    value by value, and a year of rows as objects made that comparison most of a frame's cost.
    """
    body = "\n".join(",".join(_csv_cell(v) for v in r) for r in rows)
    parse = {c: "number" for c in columns if c in ("day", "value")}
    return {"values": ",".join(columns) + "\n" + body, "format": {"type": "csv", "parse": parse}}


def _csv_cell(v: Any) -> str:
    if isinstance(v, float):
        return repr(v)
    text = str(v)
    return f'"{text}"' if ("," in text or '"' in text) else text


def event_layers(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dashed rules and letters at event days (``day``, ``letter``, ``event``, ``colour``)."""
    if not events:
        return []
    encoding: dict[str, Any] = {
        "x": {"field": "day", "type": "quantitative"},
        "color": {"field": "colour", "type": "nominal", "scale": None},
        "tooltip": [
            {"field": "day", "type": "quantitative", "title": "day"},
            {"field": "event", "type": "nominal", "title": "event"},
        ],
    }
    base: dict[str, Any] = {"data": {"values": events}, "encoding": encoding}
    rule = {**base, "mark": {"type": "rule", "strokeDash": [4, 3], "strokeWidth": 1.2}}
    text_enc = {**encoding, "text": {"field": "letter"}, "y": {"value": 0}}
    text = {
        **base,
        "mark": {
            "type": "text",
            "dx": 3,
            "dy": 2,
            "align": "left",
            "baseline": "top",
            "fontWeight": "bold",
            "fontSize": 10,
        },
        "encoding": text_enc,
    }
    return [rule, text]


def line_chart(
    rows: list[tuple[Any, ...]],
    firms: list[str],
    colours: list[str],
    *,
    title: str,
    y_title: str,
    y_format: str = ",.0f",
    y_domain: tuple[float, float] | None = None,
    events: list[dict[str, Any]] | None = None,
    height: int = 190,
    last_day: int = 0,
) -> dict[str, Any]:
    """One line per firm over the days, with event markers; drag to pan, wheel to zoom."""
    y: dict[str, Any] = {
        "field": "value",
        "type": "quantitative",
        "title": y_title,
        "axis": {"format": y_format},
        "scale": {"domain": list(y_domain)} if y_domain else {"zero": True},
    }
    lines = {
        "mark": {"type": "line", "strokeWidth": 1.6},
        "params": [{"name": "zoom", "select": "interval", "bind": "scales"}],
        "encoding": {
            "x": {
                "field": "day",
                "type": "quantitative",
                "title": "day",
                "axis": {"format": "d", "tickMinStep": 1},
                "scale": {"domain": [0, max(last_day, 10)]},
            },
            "y": y,
            "color": {
                "field": "firm",
                "type": "nominal",
                "scale": {"domain": firms, "range": colours},
                "legend": {"orient": "bottom", "title": None},
            },
            "tooltip": [
                {"field": "day", "type": "quantitative", "title": "day"},
                {"field": "firm", "type": "nominal", "title": "firm"},
                {"field": "value", "type": "quantitative", "title": y_title, "format": y_format},
            ],
        },
    }
    return {
        "$schema": SCHEMA,
        "title": title,
        "width": "container",
        "height": height,
        "data": csv_data(rows, ("day", "firm", "value")),
        "layer": [lines, *event_layers(events or [])],
    }


def panel_chart(
    rows: list[tuple[Any, ...]],
    panels: list[str],
    firms: list[str],
    colours: list[str],
    *,
    title: str,
    y_title: str,
    y_format: str = ".0%",
    width: int = 70,
    height: int = 150,
    last_day: int = 0,
) -> dict[str, Any]:
    """Small multiples: one panel per value of ``panel`` in ``rows``, one line per firm in each."""
    return {
        "$schema": SCHEMA,
        "title": title,
        "data": csv_data(rows, ("day", "firm", "value", "panel")),
        "facet": {"column": {"field": "panel", "type": "nominal", "sort": panels, "title": None}},
        "spec": {
            "width": width,
            "height": height,
            "mark": {"type": "line", "strokeWidth": 1.4},
            "encoding": {
                "x": {
                    "field": "day",
                    "type": "quantitative",
                    "title": "day",
                    "axis": {"format": "d", "tickCount": 3},
                    "scale": {"domain": [0, max(last_day, 10)]},
                },
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": y_title,
                    "scale": {"domain": [0, 1]},
                    "axis": {"format": y_format},
                },
                "color": {
                    "field": "firm",
                    "type": "nominal",
                    "scale": {"domain": firms, "range": colours},
                    "legend": {"orient": "bottom", "title": None},
                },
                "tooltip": [
                    {"field": "panel", "type": "nominal", "title": "generation"},
                    {"field": "day", "type": "quantitative", "title": "day"},
                    {"field": "firm", "type": "nominal", "title": "firm"},
                    {"field": "value", "type": "quantitative", "title": y_title, "format": ".1%"},
                ],
            },
        },
    }


def network_chart(
    edges: list[dict[str, float]],
    nodes: list[dict[str, Any]],
    tooltip: list[str],
    *,
    width: int,
    height: int,
    domain: tuple[float, float, float, float],
) -> dict[str, Any]:
    """Links as grey rules and consumers as coloured, shaped points with a tooltip.

    Args:
        edges: ``{x, y, x2, y2}`` per link.
        nodes: ``{x, y, colour, shape, ...}`` per consumer; ``tooltip`` names the fields shown.
        width: chart width in pixels.
        height: chart height in pixels.
        domain: ``(xmin, xmax, ymin, ymax)`` of the layout.
    """
    xmin, xmax, ymin, ymax = domain
    x = {"field": "x", "type": "quantitative", "axis": None, "scale": {"domain": [xmin, xmax]}}
    y = {"field": "y", "type": "quantitative", "axis": None, "scale": {"domain": [ymin, ymax]}}
    return {
        "$schema": SCHEMA,
        "width": width,
        "height": height,
        "layer": [
            {
                "data": {"values": edges},
                "mark": {"type": "rule", "color": "#999999", "opacity": 0.35},
                "encoding": {"x": x, "y": y, "x2": {"field": "x2"}, "y2": {"field": "y2"}},
            },
            {
                "data": {"values": nodes},
                "mark": {"type": "point", "filled": True, "size": 60, "opacity": 1},
                "encoding": {
                    "x": x,
                    "y": y,
                    "fill": {"field": "colour", "type": "nominal", "scale": None},
                    "shape": {"field": "shape", "type": "nominal", "scale": None},
                    "tooltip": [{"field": f, "type": "nominal"} for f in tooltip],
                },
            },
        ],
        "config": {"view": {"stroke": None}},
    }
