"""What the page shows: the gauges of a live market, as Solara components.

Like the instrument panel of a plant's control room, each component answers one question at a
glance: who buys from whom (market share by firm and by generation), how the plants cope
(inventory, backlog, work in process), whether it pays (profit), what the crowd does (the social
network of a sample of consumers, boycotts, perceived reputation), and where the shocks fell
(event markers on every time axis). A status card shows the day, the steps per second and any
note or error; a KPI table sums it up.

Each plot is a matplotlib figure (``Agg``, PNG) drawn only when the model has a new day
(memoised on the model's unique id and its day count), so re-rendering the page for other reasons
costs nothing; the page needs no JavaScript library beyond Solara's own (it works offline). Every
component reads ``update_counter`` so that Step, Play and Reset redraw it.
"""

from __future__ import annotations

import io
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import reacton.ipyvuetify as rv
import reacton.ipywidgets as rw
import solara
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter
from mesa.visualization.utils import update_counter

from simulator.scenario import GENERATIONS
from simulator.viz.live import LiveMarket

DPI = 80
FIGSIZE = (6.4, 3.5)
REDRAW_SECONDS = 1.0
"""Least time between two drawings of one plot (drawing all of them takes longer than a day of
10,000 consumers: without this limit, Play would run only as fast as matplotlib draws)."""
DRAW_DUTY = 3.0
"""A plot waits at least this many times the last drawing time of all plots before it is redrawn."""
WINDOW_DAYS = 7
"""Days the market-share curves average over (one day's buyers are few and noisy)."""
GENERATION_MARKERS = {"silent": "s", "boomers": "D", "gen_x": "^", "millennials": "o", "gen_z": "P"}
NOT_BOUGHT = "#c8c8c8"
BOYCOTT = "#d62728"
EVENT_LETTERS = {"scandal": "S", "virtue": "V", "supply_disruption": "D", "demand_shift": "~"}


def firm_colour(i: int) -> str:
    """A firm's colour (the same on every plot); red is kept for boycotts."""
    palette = ["#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
    return palette[i % len(palette)]


def _png(draw: Callable[[Figure], None]) -> bytes:
    # fixed margins (set by each drawing): a constrained layout would double the drawing time
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.14, top=0.88, wspace=0.3)
    draw(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


@dataclass(frozen=True)
class _Drawn:
    uid: int
    n: int
    at: float
    png: bytes


@solara.component
def _Plot(model: LiveMarket, name: str, n: int, draw: Callable[[Figure], None]) -> None:
    """A figure of the model's first ``n`` days, redrawn at most every :data:`REDRAW_SECONDS` (or
    :data:`DRAW_DUTY` times what drawing every plot took, if longer).

    While the market plays, a day that comes sooner keeps the last picture and a thread redraws
    once the interval is over, so the last day is always drawn, also after a pause.
    """
    memo = solara.use_ref(_Drawn(-1, -1, -math.inf, b""))
    tick, set_tick = solara.use_state(0)
    d = memo.current
    now = time.monotonic()
    # drawing all plots may take no more than about 1 / (1 + DRAW_DUTY) of the time
    interval = max(REDRAW_SECONDS, DRAW_DUTY * sum(model.draw_seconds.values()))
    if d.uid != model.uid or (d.n != n and now >= d.at + interval):
        memo.current = d = _Drawn(model.uid, n, now, _png(draw))
        model.draw_seconds[name] = time.monotonic() - now
    behind = d.n != n
    due = d.at + interval

    def catch_up(cancel: threading.Event) -> None:
        if behind and not cancel.wait(max(0.0, due - time.monotonic())):
            set_tick(lambda t: t + 1)  # re-render this plot: the interval is over

    # a new wait after every render that is still behind (the interval may have grown meanwhile)
    solara.use_thread(catch_up, dependencies=[model.uid, n, behind, tick], intrusive_cancel=False)
    with solara.Column(classes=["viz-plot", f"viz-{name}"], style={"width": "100%"}):
        rw.Image(value=d.png, format="png", layout={"width": "100%", "height": "auto"})
        solara.Text(
            f"as of day {d.n}", classes=["viz-plot-day"], style={"color": "#888", "font-size": "0.8em"}
        )


def rolling_sum(x: np.ndarray, window: int) -> np.ndarray:
    """Sum over the last ``window`` rows (fewer at the start), along axis 0."""
    c = np.cumsum(np.nan_to_num(x), axis=0)
    out = c.copy()
    out[window:] = c[window:] - c[:-window]
    return out


def shares(counts: np.ndarray, window: int = WINDOW_DAYS) -> np.ndarray:
    """Each firm's share of the rolling total of ``counts`` (days, firms); NaN where nobody bought."""
    s = rolling_sum(counts, window)
    tot = s.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, s / np.where(tot > 0, tot, 1.0), np.nan)


def mark_events(ax: Axes, model: LiveMarket, label: bool = True) -> None:
    """Vertical lines at the days events took effect, lettered by kind, coloured by firm."""
    firms = {f.name: f.index for f in model.firms}
    for day, kind, firm in model.events.log:
        colour = firm_colour(firms[firm]) if firm in firms else "#444444"
        ax.axvline(day, color=colour, linestyle="--", linewidth=1, alpha=0.8)
        if label:
            ax.annotate(
                EVENT_LETTERS.get(kind, "?"),
                (day, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, -10),
                textcoords="offset points",
                color=colour,
                fontsize=8,
                fontweight="bold",
            )


def _days(model: LiveMarket, n: int) -> np.ndarray:
    return np.arange(n)


def _firm_lines(ax: Axes, model: LiveMarket, y: np.ndarray, **kw: Any) -> None:
    x = _days(model, len(y))
    for f in model.firms:
        ax.plot(x, y[:, f.index], color=firm_colour(f.index), label=f.name, linewidth=1.4, **kw)


def _legend(ax: Axes, model: LiveMarket) -> None:
    if len(model.firms) <= 8 and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=7, frameon=False)


def draw_share(fig: Figure, model: LiveMarket, n: int) -> None:
    """Market share by firm (units ordered, rolling) over time."""
    ax = fig.subplots()
    s = shares(model.history.get("units_ordered", n))
    _firm_lines(ax, model, s)
    mark_events(ax, model)
    ax.set_ylim(0, 1)
    ax.set_xlim(0, max(n, 10))
    ax.set_xlabel("day")
    ax.set_ylabel(f"share ({WINDOW_DAYS}-day)")
    ax.set_title("Market share by firm", fontsize=10)
    _legend(ax, model)


def draw_generation_share(fig: Figure, model: LiveMarket, n: int) -> None:
    """Market share by firm within each generation over time (one small panel per generation)."""
    fig.subplots_adjust(left=0.09, wspace=0.08)
    axes = fig.subplots(1, len(GENERATIONS), sharex=True, sharey=True, squeeze=False)[0]
    window = 2 * WINDOW_DAYS  # a generation's daily buyers are fewer still
    for ax, g in zip(axes, GENERATIONS, strict=True):
        s = shares(model.history.get(f"orders_{g}", n), window)
        _firm_lines(ax, model, s)
        mark_events(ax, model, label=False)
        ax.set_title(g, fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_xlim(0, max(n, 10))
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel(f"share ({window}-day)")
    fig.suptitle("Market share by generation", fontsize=10)


def draw_operations(fig: Figure, model: LiveMarket, n: int) -> None:
    """Finished goods on hand, backlog and work in process per firm."""
    fig.subplots_adjust(left=0.1, wspace=0.35)
    axes = fig.subplots(1, 3, sharex=True)
    for ax, key, title in zip(
        axes, ("on_hand", "backorders", "wip"), ("inventory", "backlog", "WIP"), strict=True
    ):
        _firm_lines(ax, model, model.history.get(key, n))
        mark_events(ax, model, label=False)
        ax.set_title(title, fontsize=9)
        ax.set_xlim(0, max(n, 10))
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.set_xlabel("day", fontsize=8)
    axes[0].set_ylabel("units")
    if len(model.firms) <= 8 and axes[0].get_legend_handles_labels()[0]:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", ncol=len(labels), fontsize=7, frameon=False)
    fig.suptitle("Inventory, backlog and WIP per firm", fontsize=10, x=0.02, ha="left")


def draw_profit(fig: Figure, model: LiveMarket, n: int) -> None:
    """Cumulative profit per firm."""
    fig.subplots_adjust(left=0.14)
    ax = fig.subplots()
    _firm_lines(ax, model, np.cumsum(np.nan_to_num(model.history.get("profit", n)), axis=0))
    mark_events(ax, model)
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.yaxis.set_major_formatter(EngFormatter(sep=""))  # 600k, not 600000 (fits the margin)
    ax.set_xlim(0, max(n, 10))
    ax.set_xlabel("day")
    ax.set_ylabel("profit to date")
    ax.set_title("Profit per firm", fontsize=10)
    _legend(ax, model)


def draw_social(fig: Figure, model: LiveMarket, n: int) -> None:
    """Share of consumers boycotting each firm and its mean perceived reputation."""
    ax1, ax2 = fig.subplots(1, 2, sharex=True)
    for ax, key, title in (
        (ax1, "boycott", "boycotting (share of consumers)"),
        (ax2, "reputation", "perceived reputation (mean)"),
    ):
        if key in model.history:
            _firm_lines(ax, model, model.history.get(key, n))
        else:
            ax.text(0.5, 0.5, "not in this model", ha="center", va="center", transform=ax.transAxes)
        mark_events(ax, model, label=ax is ax1)
        ax.set_title(title, fontsize=9)
        ax.set_xlim(0, max(n, 10))
        ax.set_xlabel("day", fontsize=8)
        ax.tick_params(labelsize=7)
    boycott = model.history.get("boycott", n)
    top = float(np.nanmax(boycott)) if np.isfinite(boycott).any() else 0.0
    ax1.set_ylim(0, max(0.05, 1.15 * top))
    ax2.set_ylim(0, 1)
    _legend(ax2, model)
    fig.suptitle("Boycotts and reputation", fontsize=10)


def draw_network(fig: Figure, model: LiveMarket, n: int) -> None:
    """The social network of a sample of consumers: colour = firm last bought or boycotting."""
    rows, edges, xy = model.network_sample()
    fig.subplots_adjust(left=0.01, right=0.72, bottom=0.01, top=0.9)
    ax = fig.subplots()
    if len(edges):
        segs = np.stack([xy[edges[:, 0]], xy[edges[:, 1]]], axis=1)
        ax.add_collection(
            LineCollection(list(segs), colors="#999999", linewidths=0.4, alpha=0.5, zorder=1)
        )
    last = model.population.last_firm[rows]
    boycott = model.boycotting()[rows]
    colours = np.array([firm_colour(int(k)) if k >= 0 else NOT_BOUGHT for k in last], dtype=object)
    colours[boycott] = BOYCOTT
    gen = model.population.generation[rows]
    for k, g in enumerate(GENERATIONS):
        mine = gen == k
        if mine.any():
            ax.scatter(
                xy[mine, 0],
                xy[mine, 1],
                c=list(colours[mine]),
                marker=GENERATION_MARKERS[g],
                s=28,
                edgecolors="white",
                linewidths=0.4,
                zorder=2,
            )
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_axis_off()
    handles = [
        Line2D([], [], color=firm_colour(f.index), marker="o", ls="", label=f.name)
        for f in model.firms[:8]  # a longer legend would not fit the cell
    ]
    handles += [
        Line2D([], [], color=BOYCOTT, marker="o", ls="", label="boycotting"),
        Line2D([], [], color=NOT_BOUGHT, marker="o", ls="", label="not bought yet"),
    ]
    handles += [
        Line2D([], [], color="#555555", marker=GENERATION_MARKERS[g], ls="", label=g)
        for g in GENERATIONS
    ]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    ax.set_title(f"Social network: {len(rows)} of {model.population.n:,} consumers", fontsize=10)


def _make_plot(
    name: str, draw: Callable[[Figure, LiveMarket, int], None]
) -> Callable[[LiveMarket], Any]:
    @solara.component
    def PlotComponent(model: LiveMarket) -> None:
        update_counter.get()  # re-render on Step, Play and Reset
        n = model.history.n
        _Plot(model, name, n, lambda fig: draw(fig, model, n))

    PlotComponent.__name__ = f"{name.title().replace('-', '')}Plot"
    return PlotComponent


NetworkPlot = _make_plot("network", draw_network)
SharePlot = _make_plot("share", draw_share)
GenerationSharePlot = _make_plot("generation-share", draw_generation_share)
OperationsPlot = _make_plot("operations", draw_operations)
ProfitPlot = _make_plot("profit", draw_profit)
SocialPlot = _make_plot("social", draw_social)


@solara.component
def Status(model: LiveMarket) -> None:
    """Day, steps per second, step time, the model's notes and, if it stopped, why."""
    update_counter.get()
    samples = solara.use_ref(deque[tuple[float, int, int]](maxlen=30))
    buf = samples.current
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
        solara.Text(f"Steps/s: {rate:.1f}", classes=["viz-rate"])
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
    units = np.nan_to_num(h.get("units_ordered", n)).sum(axis=0)
    total = units.sum()
    orders = np.nan_to_num(h.get("orders", n)).sum(axis=0)
    from_stock = np.nan_to_num(h.get("filled_from_stock", n)).sum(axis=0)
    last = {k: (h.get(k, n)[-1] if n else np.full(len(model.firms), np.nan)) for k in h.keys()}

    def now(key: str, i: int) -> float | None:
        return float(last[key][i]) if key in last else None

    rows: list[tuple[str, list[str]]] = []
    cols = range(len(model.firms))
    policy = [model.spec.firms[i].policy for i in cols]
    rows.append(("policy", [p.name.replace("_", "-") for p in policy]))
    if any(hasattr(p, "decision") for p in policy):
        rows.append(("decision", [str(getattr(p, "decision", "–")) for p in policy]))
    rows.append(("market share", [_fmt(units[i] / total if total else None, "pct") for i in cols]))
    rows.append(("profit", [_fmt(float(np.nansum(h.get("profit", n)[:, i])), "money") for i in cols]))
    rows.append(("revenue", [_fmt(float(np.nansum(h.get("revenue", n)[:, i])), "money") for i in cols]))
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


@solara.component
def KpiTable(model: LiveMarket) -> None:
    """Per-firm KPIs since day 0, as a plain Vuetify table.

    Not ``solara.Markdown``: it loads KaTeX from Solara's CDN path, which the offline assets lack.
    """
    update_counter.get()
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


COMPONENTS: list[tuple[Callable[[LiveMarket], Any], int]] = [
    (Status, 0),
    (KpiTable, 0),
    (SharePlot, 0),
    (GenerationSharePlot, 0),
    (NetworkPlot, 0),
    (OperationsPlot, 0),
    (ProfitPlot, 0),
    (SocialPlot, 0),
]
"""The page's components in grid order (two per row)."""
