"""Figures of the market side: how a boycott or a buycott rises and fades, drawn from a run's tables.

Like the charts on a newsroom wall after a scandal: the share of consumers who have heard of it, who
say they boycott the firm (and who say so in public, who support the boycott, who are lost for
good), the same by generation, and what it does to the firm's orders. Where a boycott figure spans
the weeks and years after its scandal, the stylised facts of Korea's 2019-21 boycott of Japanese
brands are marked beside it (polls of participation and support, the focal brands' revenue), so a
reader sees at once how this boycott compares with the best-documented real one. After a virtuous
act the figure shows the buycott and the support purchases ("sending one's soul": buying only to
support the firm) against the firm's orders.

Every figure is made from the run folder's tables (``market.parquet``, ``timeseries.parquet``), never
from the model's internal objects, so a report can draw it for any finished run. ``marketsim run``
draws them into the run folder: ``figures/boycott_FIRM.png`` for every firm a scandal strikes,
``figures/buycott_FIRM.png`` for every firm a virtuous act lifts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from simulator.scenario import GENERATIONS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from simulator.scenario import Event

KOREA_PARTICIPATION: tuple[tuple[int, float, str], ...] = (
    (7, 0.480, "Realmeter, week 1"),
    (14, 0.546, "week 2"),
    (21, 0.628, "week 3"),
    (365, 0.72, "Hankook Research 2020"),
    (730, 0.57, "2021"),
)
"""Korea 2019-21: share of adults taking part in the boycott (days after it began, share, source);
../shared/calibration/survey_figures.csv."""
KOREA_YOUNG: tuple[tuple[int, float], ...] = ((365, 0.58), (730, 0.36))
"""The same among people in their 20s (Hankook Research 2020, 2021)."""
KOREA_SUPPORT = 0.80
"""Share supporting the boycott at its peak (Korea 2019, as reported)."""
KOREA_REVENUE: tuple[tuple[int, int, float], ...] = ((0, 365, 0.5), (730, 1095, 0.6))
"""The focal brands' revenue against before the boycott: about -50% in year 1, partly recovered
(about +20%) by year 3 (customs and card data as reported)."""


def _korea_marks(ax: Axes, start: int, last_day: int) -> None:
    pts = [(start + d, v) for d, v, _ in KOREA_PARTICIPATION if start + d <= last_day]
    if pts:
        x, y = zip(*pts, strict=True)
        ax.plot(x, y, "s", color="C3", mfc="none", ms=8, label="Korea 2019-21: taking part (polls)")
    if start + 120 <= last_day:
        ax.hlines(KOREA_SUPPORT, start, start + 120, color="C2", ls=":", label="Korea: support at peak")


def boycott_figure(
    market: pd.DataFrame,
    timeseries: pd.DataFrame,
    firm: str,
    title: str | None = None,
    start: int | None = None,
) -> Figure:
    """Awareness and the boycott of ``firm`` (top), the boycott by generation (middle) and the firms'
    orders against before the scandal (bottom), with Korea's stylised facts where the run spans them.

    Args:
        market: the run's market table (one row per day; columns ``aware:FIRM`` and so on).
        timeseries: the run's per-firm table (``day``, ``firm``, ``units_ordered``, ``support_orders``).
        firm: the firm's name.
        title: the figure's title (default: names the firm).
        start: the day the scandal began (default: the first day anyone was aware).

    Raises:
        KeyError: the tables have no boycott columns for ``firm``.
    """
    from matplotlib.figure import Figure

    cols = [f"{k}:{firm}" for k in ("aware", "boycott", "never")]
    missing = [c for c in cols if c not in market.columns]
    if missing:
        raise KeyError(f"no column {missing[0]!r} in the market table")
    day = market["day"]
    if start is None:
        aware = market[cols[0]].to_numpy()
        start = int(day[aware > 0].iloc[0]) if (aware > 0).any() else int(day.iloc[0])
    last = int(day.iloc[-1])
    fig = Figure(figsize=(9, 9.5))
    top, mid, bottom = fig.subplots(3, 1, sharex=True)
    top.plot(day, market[cols[0]], color="0.6", label="aware of the issue")
    top.plot(day, market[cols[1]], color="C3", lw=2, label="say they boycott")
    for col, style, label in (
        ("boycott_strict", dict(color="C3", ls="-.", lw=1), "really avoid the firm"),
        ("boycott_announced", dict(color="C1", lw=1), "say so in public"),
        ("boycott_support", dict(color="C2", lw=1), "support the boycott"),
    ):
        if f"{col}:{firm}" in market.columns:
            top.plot(day, market[f"{col}:{firm}"], label=label, **style)
    top.plot(day, market[cols[2]], color="k", ls="--", label="will never return")
    _korea_marks(top, start, last)
    top.set_ylabel("share of consumers")
    top.set_ylim(0, 1)
    top.legend(loc="upper right", fontsize=8, ncol=2)
    top.set_title(title or f"Boycott of {firm}")
    for k, g in enumerate(GENERATIONS):
        col = f"boycott:{firm}:{g}"
        if col in market.columns:
            mid.plot(day, market[col], color=f"C{k}", label=g.replace("_", " "))
    young = [(start + d, v) for d, v in KOREA_YOUNG if start + d <= last]
    if young:
        x, y = zip(*young, strict=True)
        mid.plot(x, y, "s", color="C4", mfc="none", ms=8, label="Korea: people in their 20s")
    mid.set_ylabel("say they boycott,\nby generation")
    mid.set_ylim(0, 1)
    mid.legend(loc="upper right", fontsize=8, ncol=3)
    _orders_panel(bottom, timeseries, firm, start, last)
    bottom.set_xlabel("day")
    fig.tight_layout()
    return fig


def _orders_panel(ax: Axes, timeseries: pd.DataFrame, firm: str, start: int, last: int) -> None:
    """Each firm's consumption orders (30-day mean) against its mean over the 30 days before
    ``start``; Korea's revenue facts for ``firm``."""
    ts = timeseries.copy()
    support = ts["support_orders"] if "support_orders" in ts.columns else 0
    ts["consumption"] = ts["units_ordered"] - support
    orders = ts.pivot(index="day", columns="firm", values="consumption")
    before = orders.loc[max(start - 30, int(orders.index[0])) : start - 1].mean()
    rel = orders.rolling(30, min_periods=1).mean().div(before.where(before > 0))
    for name in rel.columns:
        ax.plot(rel.index, rel[name], lw=2 if name == firm else 1, label=f"{name} orders")
    for d0, d1, v in KOREA_REVENUE:
        if start + d0 + 90 <= last:
            ax.hlines(v, start + d0, min(start + d1, last), color="C3", lw=3, alpha=0.5)
    if start + 365 <= last:
        ax.plot([], [], color="C3", lw=3, alpha=0.5, label="Korea: focal brands' revenue")
    ax.axhline(1.0, color="0.8", lw=0.8)
    ax.set_ylabel("orders (30-day mean)\nagainst before")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper right", fontsize=8)


def buycott_figure(
    market: pd.DataFrame, timeseries: pd.DataFrame, firm: str, title: str | None = None
) -> Figure:
    """Awareness and the buycott of ``firm`` (top), its support purchases a day (middle) and its
    consumption and support orders (bottom).

    Raises:
        KeyError: the tables have no buycott columns for ``firm``.
    """
    from matplotlib.figure import Figure

    cols = [f"{k}:{firm}" for k in ("aware", "buycott", "support")]
    missing = [c for c in cols if c not in market.columns]
    if missing:
        raise KeyError(f"no column {missing[0]!r} in the market table")
    day = market["day"]
    fig = Figure(figsize=(9, 8))
    top, mid, bottom = fig.subplots(3, 1, sharex=True)
    top.plot(day, market[cols[0]], color="0.6", label="aware of the act")
    top.plot(day, market[cols[1]], color="C2", lw=2, label="favour the firm (buycott)")
    top.set_ylabel("share of consumers")
    top.set_ylim(0, 1)
    top.legend(loc="upper right", fontsize=8)
    top.set_title(title or f"Buycott of {firm}")
    mid.bar(day, market[cols[2]], width=1.0, color="C2", label="support purchases a day")
    mid.set_ylabel("support purchases")
    mid.legend(loc="upper right", fontsize=8)
    mine = timeseries[timeseries["firm"] == firm].set_index("day")
    sup = mine["support_orders"] if "support_orders" in mine.columns else 0 * mine["units_ordered"]
    consumption = (mine["units_ordered"] - sup).rolling(7, min_periods=1).mean()
    bottom.plot(consumption.index, consumption, color="C0", label="consumption orders (7-day mean)")
    bottom.plot(sup.index, sup.rolling(7, min_periods=1).mean(), color="C2", label="support orders")
    bottom.set_ylabel(f"{firm} orders a day")
    bottom.set_xlabel("day")
    bottom.set_ylim(bottom=0)
    bottom.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def write_event_figures(
    folder: Path, events: Sequence[Event], market: pd.DataFrame, timeseries: pd.DataFrame
) -> list[Path]:
    """Write ``figures/boycott_FIRM.png`` for each firm a scandal struck and ``figures/buycott_FIRM.png``
    for each firm a virtuous act lifted (events after the run's last day draw nothing).

    Args:
        folder: the run folder.
        events: the scenario's scheduled events.
        market: the run's market table.
        timeseries: the run's per-firm table.

    Returns:
        The paths written (none when no scandal or virtuous act took place).
    """
    from simulator.paths import unique_slugs
    from simulator.results import atomic_write, safe_path

    last = int(market["day"].max()) if len(market) else -1
    written = []
    for kind, name in (("scandal", "boycott"), ("virtue", "buycott")):
        happened = [ev for ev in events if ev.kind == kind and ev.firm and ev.day <= last]
        struck = list(dict.fromkeys(ev.firm for ev in happened if ev.firm))
        file_names = unique_slugs(struck, fallback="firm")  # a name never becomes a path as it is
        for firm in struck:
            days = [ev.day for ev in happened if ev.firm == firm]
            when = ", ".join(str(d) for d in days)
            if name == "boycott":
                title = f"Boycott of {firm} (scandal on day {when})"
                fig = boycott_figure(market, timeseries, firm, title=title, start=days[0])
            else:
                title = f"Buycott of {firm} (virtuous act on day {when})"
                fig = buycott_figure(market, timeseries, firm, title=title)
            path = safe_path(folder, "figures", f"{name}_{file_names[firm]}.png")

            def save(p: Path, fig: Figure = fig) -> None:
                fig.savefig(p, dpi=100, format="png")

            atomic_write(path, save)
            written.append(path)
    return written
