"""Figures of the market side: how a boycott rises and fades, drawn from a run's tidy tables.

Like the chart on a newsroom wall after a scandal: the share of consumers who have heard of it, the
share boycotting the firm today and the share lost for good, above the firm's share of orders. The
figure is made from the run folder's tables (``market.parquet``, ``timeseries.parquet``), never from
the model's internal objects, so a report can draw it for any finished run. ``marketsim run`` draws
it into the run folder for every firm a scheduled scandal strikes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from simulator.scenario import Event


def boycott_figure(
    market: pd.DataFrame, timeseries: pd.DataFrame, firm: str, title: str | None = None
) -> Figure:
    """Awareness, boycott and never-return shares of ``firm`` (top) and its share of orders (bottom).

    Args:
        market: the run's market table (one row per day; columns ``aware:FIRM`` and so on).
        timeseries: the run's per-firm table (``day``, ``firm``, ``orders``).
        firm: the firm's name.
        title: the figure's title (default: names the firm).

    Raises:
        KeyError: the tables have no boycott columns for ``firm``.
    """
    from matplotlib.figure import Figure

    cols = [f"{k}:{firm}" for k in ("aware", "boycott", "never")]
    missing = [c for c in cols if c not in market.columns]
    if missing:
        raise KeyError(f"no column {missing[0]!r} in the market table")
    fig = Figure(figsize=(9, 6.5))
    top, bottom = fig.subplots(2, 1, sharex=True)
    day = market["day"]
    top.plot(day, market[cols[0]], color="0.6", label="aware of the issue")
    top.plot(day, market[cols[1]], color="C3", lw=2, label="boycotting now")
    top.plot(day, market[cols[2]], color="k", ls="--", label="will never return")
    top.set_ylabel("share of consumers")
    top.set_ylim(0, 1)
    top.legend(loc="center right")
    top.set_title(title or f"Boycott of {firm}")
    orders = timeseries.pivot(index="day", columns="firm", values="orders")
    share = orders.div(orders.sum(axis=1).where(lambda s: s > 0), axis=0)
    share = share.rolling(7, min_periods=1).mean()
    for name in share.columns:
        bottom.plot(share.index, share[name], lw=2 if name == firm else 1, label=str(name))
    bottom.set_ylabel("share of orders (7-day mean)")
    bottom.set_xlabel("day")
    bottom.set_ylim(0, 1)
    bottom.legend(loc="upper right")
    fig.tight_layout()
    return fig


def write_event_figures(
    folder: Path, events: Sequence[Event], market: pd.DataFrame, timeseries: pd.DataFrame
) -> list[Path]:
    """Write ``figures/boycott_FIRM.png`` into a run folder for each firm a scandal struck.

    Args:
        folder: the run folder.
        events: the scenario's scheduled events.
        market: the run's market table.
        timeseries: the run's per-firm table.

    Returns:
        The paths written (none when no scandal was scheduled).
    """
    from simulator.paths import unique_slugs
    from simulator.results import atomic_write, safe_path

    written = []
    struck = list(dict.fromkeys(ev.firm for ev in events if ev.kind == "scandal" and ev.firm))
    file_names = unique_slugs(struck, fallback="firm")  # a firm's name never becomes a path as it is
    for firm in struck:
        days = ", ".join(str(ev.day) for ev in events if ev.kind == "scandal" and ev.firm == firm)
        fig = boycott_figure(
            market, timeseries, firm, title=f"Boycott of {firm} (scandal on day {days})"
        )
        path = safe_path(folder, "figures", f"boycott_{file_names[firm]}.png")

        def save(p: Path, fig: Figure = fig) -> None:
            fig.savefig(p, dpi=100, format="png")

        atomic_write(path, save)
        written.append(path)
    return written
