"""What the page shows: the gauges of a live market, as Solara components.

Like the instrument panel of a plant's control room, each component answers one question at a
glance: who buys from whom (market share by firm and by generation), how the plants cope
(inventory, backlog, work in process), whether it pays (profit), what the crowd does (the social
network of a sample of consumers, boycotts, perceived reputation), and where the shocks fell
(event markers on every time axis). A status card shows the day, the speed and any note or error;
a KPI table sums it up.

The plots are Mesa's own components: the time series are ``PlotAltair`` charts of the model's
``DataCollector`` (hover a line for its day and value; drag to pan, wheel to zoom), and the network
is Mesa's space component over the model's network space (hover a consumer for its generation, the
firm it last bought from and whether it boycotts). Each chart is built from the model as it is when
the page is drawn, and drawing happens only between days (the model takes turns with the page, see
:class:`~simulator.viz.live.LiveMarket`), so every chart and caption shows the same, whole day.
Nothing here starts a thread or changes state while the page is drawn.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import reacton.ipyvuetify as rv
import solara
import solara.widgets
from mesa.visualization.components import AgentPortrayalStyle
from mesa.visualization.space_renderer import SpaceRenderer
from mesa.visualization.utils import update_counter

from simulator.scenario import GENERATIONS
from simulator.viz import charts
from simulator.viz.live import GENERATION_WINDOW, SHARE_WINDOW, LiveMarket, SampledConsumer

GENERATION_MARKERS = {"silent": "s", "boomers": "D", "gen_x": "^", "millennials": "o", "gen_z": "+"}
"""Marker per generation in the network (Mesa's matplotlib-style codes; the altair backend maps them)."""
GENERATION_SYMBOLS = {"silent": "■", "boomers": "◆", "gen_x": "▲", "millennials": "●", "gen_z": "✚"}
NOT_BOUGHT = "#c8c8c8"
BOYCOTT = "#d62728"
EVENT_LETTERS = {"scandal": "S", "virtue": "V", "supply_disruption": "D", "demand_shift": "~"}
CHART_HEIGHT = 190
PANEL_WIDTH = 70
NETWORK_WIDTH = 460
NETWORK_HEIGHT = 300
"""Width of one generation's panel (five side by side)."""


def firm_colour(i: int) -> str:
    """A firm's colour (the same on every plot); red is kept for boycotts."""
    palette = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
    return palette[i % len(palette)]


# --- time series: the model's DataCollector as Vega-Lite line charts -------------------------------


def events_data(model: LiveMarket) -> list[dict[str, Any]]:
    """The events that took effect so far: day, letter, description, colour of the firm hit."""
    firms = {f.name: f.index for f in model.firms}
    return [
        {
            "day": int(day),
            "event": f"{kind.replace('_', ' ')} ({firm or 'market'})",
            "letter": EVENT_LETTERS.get(kind, "?"),
            "colour": firm_colour(firms[firm]) if firm in firms else "#444444",
        }
        for day, kind, firm in model.events.log
    ]


def collected(model: LiveMarket, column: str) -> list[Any]:
    """One column of the model's DataCollector, one value per day (day 0 first)."""
    return list(model.datacollector.model_vars.get(column, []))


def series_spec(
    model: LiveMarket,
    kind: str,
    title: str,
    y_title: str,
    y_format: str = ",.0f",
    y_domain: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The chart of the DataCollector's ``kind|firm`` columns, one line per firm."""
    names = [f.name for f in model.firms]
    series = {name: collected(model, f"{kind}|{name}") for name in names}
    days = range(len(next(iter(series.values()), [])))
    return charts.line_chart(
        charts.firm_rows(days, series),
        names,
        [firm_colour(f.index) for f in model.firms],
        title=title,
        y_title=y_title,
        y_format=y_format,
        y_domain=y_domain,
        events=events_data(model),
        height=CHART_HEIGHT,
        last_day=model.day,
    )


def generation_spec(model: LiveMarket) -> dict[str, Any]:
    """Market share by firm within each generation, one small panel per generation."""
    rows = []
    for g in GENERATIONS:
        series = {f.name: collected(model, f"gshare|{f.name}|{g}") for f in model.firms}
        days = range(len(next(iter(series.values()), [])))
        rows += charts.firm_rows(days, series, panel=g)
    return charts.panel_chart(
        rows,
        list(GENERATIONS),
        [f.name for f in model.firms],
        [firm_colour(f.index) for f in model.firms],
        title="Market share by generation",
        y_title=f"share ({GENERATION_WINDOW}-day)",
        width=PANEL_WIDTH,
        height=CHART_HEIGHT - 40,
        last_day=model.day,
    )


def day_caption(model: LiveMarket) -> None:
    """The day a plot shows (drawn with it, so it is the page's day)."""
    solara.Text(
        f"as of day {model.day}", classes=["viz-plot-day"], style={"color": "#888", "font-size": "0.8em"}
    )


def vega(spec: dict[str, Any]) -> None:
    """A Vega-Lite chart on the page (Solara's own widget, as ``solara.FigureAltair`` uses)."""
    solara.widgets.VegaLite.element(spec=spec, listen_to_click=False, listen_to_hover=False)


def plot_card(model: LiveMarket, name: str, spec: dict[str, Any]) -> None:
    """A chart with the day it shows underneath (the same day as the page's counter)."""
    with solara.Column(classes=["viz-plot", f"viz-{name}"], style={"width": "100%"}, gap="0px"):
        vega(spec)
        day_caption(model)


def series_plot(
    model: LiveMarket,
    name: str,
    kind: str,
    title: str,
    y_title: str,
    y_format: str = ",.0f",
    y_domain: tuple[float, float] | None = None,
) -> None:
    """One line per firm of a ``kind|firm`` series of the DataCollector."""
    plot_card(model, name, series_spec(model, kind, title, y_title, y_format, y_domain))


def generation_share_plot(model: LiveMarket) -> None:
    """Market share by firm within each generation."""
    plot_card(model, "generation-share", generation_spec(model))


# --- the network: Mesa's space component ---------------------------------------------------------


def consumer_portrayal(agent: SampledConsumer) -> AgentPortrayalStyle:
    """How a sampled consumer is drawn: colour = firm last bought from (red: boycotting), marker =
    generation; the tooltip names both."""
    model: LiveMarket = agent.model
    last = agent.last_firm
    boycotts = agent.boycotting
    firm = model.firms[last].name if last >= 0 else "none yet"
    colour = BOYCOTT if boycotts else (firm_colour(last) if last >= 0 else NOT_BOUGHT)
    return AgentPortrayalStyle(
        color=colour,
        marker=GENERATION_MARKERS[agent.generation],
        size=40,
        tooltip={
            "consumer": int(agent.row),
            "generation": agent.generation,
            "last bought from": firm,
            "boycotting": ", ".join(model.firms[k].name for k in boycotts) or "no",
        },
    )


def network_renderer(model: LiveMarket) -> SpaceRenderer:
    """Mesa's space renderer for the model's network sample (its layout and portrayal)."""
    renderer = SpaceRenderer(model, backend="altair")
    renderer.setup_agents(consumer_portrayal)
    return renderer


def network_spec(model: LiveMarket, renderer: SpaceRenderer) -> dict[str, Any]:
    """The network sample as a chart: Mesa's layout and agent portrayal, drawn by Vega-Lite.

    Mesa's own space component draws the same data through Altair, which costs about 0.3 s per
    frame here; this builds the chart from the same portrayal data in about a millisecond.
    """
    drawer = renderer.space_drawer
    pos = drawer.pos
    edges = solara.use_memo(
        lambda: [
            {"x": pos[a][0], "y": pos[a][1], "x2": pos[b][0], "y2": pos[b][1]}
            for a, b in drawer.graph.edges()
        ],
        dependencies=[model.uid],
    )
    data = renderer.backend_renderer.collect_agent_data(model.grid, consumer_portrayal)
    loc = renderer._map_coordinates(data)["loc"]
    nodes = []
    for (x, y), colour, shape, tip in zip(
        loc, data["color"], data["shape"], data["tooltip"], strict=True
    ):
        nodes.append({"x": float(x), "y": float(y), "colour": str(colour), "shape": str(shape), **tip})
    return charts.network_chart(
        edges,
        nodes,
        ["consumer", "generation", "last bought from", "boycotting"],
        width=NETWORK_WIDTH,
        height=NETWORK_HEIGHT,
        domain=tuple(float(v) for v in drawer.get_viz_limits()),  # type: ignore[arg-type]
    )


def network_plot(model: LiveMarket, renderer: SpaceRenderer) -> None:
    """The social network of a sample of consumers (hover one for its generation and firm)."""
    with solara.Column(classes=["viz-plot", "viz-network"], style={"width": "100%"}, gap="4px"):
        solara.Text(
            f"Social network: {len(model.grid.agents)} of {model.population.n:,} consumers"
            " (hover a consumer)",
            style={"font-weight": "bold", "font-size": "0.9em"},
        )
        vega(network_spec(model, renderer))
        entries = [(f"● {f.name}", firm_colour(f.index)) for f in model.firms[:8]]
        entries += [("● boycotting", BOYCOTT), ("● not bought yet", NOT_BOUGHT)]
        entries += [(f"{GENERATION_SYMBOLS[g]} {g}", "#555555") for g in GENERATIONS]
        with solara.Row(gap="10px", style={"flex-wrap": "wrap", "font-size": "0.8em"}):
            for text, colour in entries:
                solara.Text(text, style={"color": colour})
        day_caption(model)


# --- status and KPIs -----------------------------------------------------------------------------


def status(model: LiveMarket, buf: deque[tuple[float, int, int]]) -> None:
    """Day, days per second, step time, the scenario, the model's notes and, if it stopped, why.

    ``buf`` keeps the last (time, day, model) samples the speed is measured over.
    """
    now = time.perf_counter()
    if buf and (buf[-1][2] != model.uid or buf[-1][1] > model.day):
        buf.clear()  # a Reset: a new model starts the count again
    if not buf or buf[-1][1] != model.day:
        buf.append((now, model.day, model.uid))
    rate = 0.0
    if len(buf) >= 2 and buf[-1][0] > buf[0][0]:
        rate = (buf[-1][1] - buf[0][1]) / (buf[-1][0] - buf[0][0])
    with solara.Column(gap="2px", classes=["viz-status"]):
        solara.Text(f"Day: {model.day}", classes=["viz-day"], style={"font-size": "1.4em"})
        solara.Text(f"Days/s: {rate:.1f}", classes=["viz-rate"])
        solara.Text(f"Step time: {1000 * model.last_step_seconds:.1f} ms", classes=["viz-steptime"])
        solara.Text(
            f"Scenario: {model.spec.name} · consumers: {model.population.n:,}"
            f" · firms: {len(model.firms)} · seed: {model.seed}",
            classes=["viz-consumers"],
        )
        upcoming = sorted((ev.day, ev.kind, ev.firm or "market") for ev in model.spec.events)
        if upcoming:
            solara.Text(
                "Events: " + ", ".join(f"day {d} {k} ({f})" for d, k, f in upcoming),
                classes=["viz-events"],
            )
        for note in model.notes:
            solara.Warning(note, dense=True, classes=["viz-note"])
        if model.error is not None:
            solara.Error(
                f"The model stopped on {model.error}. Press Reset to start again.", classes=["viz-error"]
            )


def _fmt(v: float | None, kind: str = "num") -> str:
    if v is None or not np.isfinite(v):
        return "–"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "money":
        return f"{v:,.0f}"
    return f"{v:,.1f}" if abs(v) < 100 else f"{v:,.0f}"


def kpi_rows(model: LiveMarket) -> list[tuple[str, list[str]]]:
    """The KPI table: (label, one cell per firm), measured from day 0 to now."""
    h = model.history
    n = h.n
    units = h.totals.get("units_ordered", np.zeros(len(model.firms)))
    total = units.sum()
    orders = h.totals.get("orders", np.zeros(len(model.firms)))
    from_stock = h.totals.get("filled_from_stock", np.zeros(len(model.firms)))
    last = {k: (h.get(k, n)[-1] if n else np.full(len(model.firms), np.nan)) for k in h.keys()}

    def now(key: str, i: int) -> float | None:
        return float(last[key][i]) if key in last else None

    def total_of(key: str, i: int) -> float | None:
        return float(h.totals[key][i]) if key in h.totals else None

    rows: list[tuple[str, list[str]]] = []
    cols = range(len(model.firms))
    policy = [model.spec.firms[i].policy for i in cols]
    rows.append(("policy", [p.name.replace("_", "-") for p in policy]))
    if any(hasattr(p, "decision") for p in policy):
        rows.append(("decision", [str(getattr(p, "decision", "–")) for p in policy]))
    rows.append(("market share", [_fmt(units[i] / total if total else None, "pct") for i in cols]))
    rows.append(("profit", [_fmt(total_of("profit", i), "money") for i in cols]))
    rows.append(("revenue", [_fmt(total_of("revenue", i), "money") for i in cols]))
    rows.append(
        ("fill rate", [_fmt(from_stock[i] / orders[i] if orders[i] else None, "pct") for i in cols])
    )
    rows.append(("on hand", [_fmt(now("on_hand", i)) for i in cols]))
    rows.append(("backlog", [_fmt(now("backorders", i)) for i in cols]))
    rows.append(("WIP", [_fmt(now("wip", i)) for i in cols]))
    rows.append(("quoted days", [_fmt(now("quoted_days", i)) for i in cols]))
    if "boycott" in last:
        rows.append(("boycotting", [_fmt(now("boycott", i), "pct") for i in cols]))
    if "reputation" in last:
        rows.append(("perceived reputation", [_fmt(now("reputation", i)) for i in cols]))
    return rows


def kpi_table(model: LiveMarket) -> None:
    """Per-firm KPIs since day 0, as a plain Vuetify table.

    Not ``solara.Markdown``: it loads KaTeX from Solara's CDN path, which the offline assets lack.
    """
    rows = kpi_rows(model)
    right = "text-align: right"
    head = rv.Html(
        tag="thead",
        children=[
            rv.Html(
                tag="tr",
                children=[
                    rv.Html(tag="th", children=["KPI (day 0 to now)"]),
                    *(rv.Html(tag="th", children=[f.name], style_=right) for f in model.firms),
                ],
            )
        ],
    )
    body = rv.Html(
        tag="tbody",
        children=[
            rv.Html(
                tag="tr",
                children=[
                    rv.Html(tag="td", children=[label]),
                    *(rv.Html(tag="td", children=[c], style_=right) for c in cells),
                ],
            )
            for label, cells in rows
        ],
    )
    with solara.Column(classes=["viz-kpi"], style={"overflow": "auto", "width": "100%"}):
        rv.SimpleTable(dense=True, children=[head, body])


# The page is two components, each drawing its plots inline: every component that reads Mesa's
# update_counter costs the page a render pass of its own after every day, and each pass walks the
# whole page with every chart's data, so eleven subscribed plots made a redraw ten times slower.


@solara.component
def MarketColumn(model: LiveMarket) -> None:
    """The left column: status, who buys from whom, the crowd."""
    update_counter.get()  # redrawn after every Step, Play frame and Reset
    samples = solara.use_ref(deque[tuple[float, int, int]](maxlen=30))
    renderer = solara.use_memo(lambda: network_renderer(model), dependencies=[model.uid])
    with solara.Column(classes=["viz-column"], style={"width": "100%"}):
        status(model, samples.current)
        series_plot(
            model, "share", "share", "Market share by firm", f"share ({SHARE_WINDOW}-day)", ".0%", (0, 1)
        )
        generation_share_plot(model)
        network_plot(model, renderer)
        series_plot(
            model, "boycott", "boycott", "Consumers boycotting each firm", "share of consumers", ".1%"
        )
        series_plot(
            model, "reputation", "reputation", "Perceived reputation (mean)", "reputation", ".2f", (0, 1)
        )


@solara.component
def PlantColumn(model: LiveMarket) -> None:
    """The right column: the KPIs, whether it pays, how the plants cope."""
    update_counter.get()
    with solara.Column(classes=["viz-column"], style={"width": "100%"}):
        kpi_table(model)
        series_plot(model, "profit", "profit_to_date", "Profit to date", "profit", "~s")
        series_plot(model, "inventory", "on_hand", "Finished goods on hand", "units")
        series_plot(model, "backlog", "backorders", "Backlog (orders waiting)", "units")
        series_plot(model, "wip", "wip", "Work in process", "units")


COMPONENTS: list[tuple[Callable[[LiveMarket], Any], int]] = [(MarketColumn, 0), (PlantColumn, 0)]
"""The page's components: two columns side by side."""
PLOT_NAMES = (
    "share",
    "generation-share",
    "network",
    "boycott",
    "reputation",
    "profit",
    "inventory",
    "backlog",
    "wip",
)
"""Every plot on the page (its CSS class is ``viz-NAME``)."""
