"""The controller's chart of a run: profit on both bases, the stocks at cost, and where money went.

Three panels drawn from the run folder's ``timeseries.parquet`` (never the model's objects), one
line or bar per firm: cumulative accrual and cash profit (the gap between them is the change in
stock at cost: running stock down is not profit), the value of all stocks at cost, and the cost per
unit sold by item over the measured days. ``marketsim run`` and ``marketsim factory`` draw it into
the run folder as ``figures/profit_and_costs.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulator.firms.firm import COST_ITEMS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

GROUPS: dict[str, tuple[str, ...]] = {
    "material": ("material_cost",),
    "production": ("production_cost", "setup_cost"),
    "capacity": ("capacity_cost", "overtime_cost"),
    "holding": (
        "holding_cost_material",
        "holding_cost_wip",
        "holding_cost_finished",
        "obsolescence_cost",
    ),
    "delivery": ("shipping_cost", "backorder_cost"),
    "returns": ("refunds", "return_cost"),
    "overhead": ("overhead_cost", "quality_cost", "marketing_cost"),
}
"""Cost items grouped for the bar chart (every ledger cost item in exactly one group)."""
assert sorted(i for g in GROUPS.values() for i in g) == sorted(COST_ITEMS)


def profit_figure(timeseries: pd.DataFrame, warmup_days: int) -> Figure:
    """Cumulative accrual and cash profit, stocks at cost, and cost per unit sold, per firm."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(13, 4.2), layout="constrained")
    left, middle, right = fig.subplots(1, 3, width_ratios=[1.2, 1.0, 1.0])
    firms = list(dict.fromkeys(timeseries["firm"].astype(str)))
    measured = timeseries[timeseries["day"] >= warmup_days]
    for i, name in enumerate(firms):
        t = timeseries[timeseries["firm"] == name].sort_values("day")
        m = t[t["day"] >= warmup_days]
        c = f"C{i}"
        left.plot(m["day"], m["profit"].cumsum(), color=c, lw=2, label=f"{name}: accrual")
        left.plot(m["day"], m["cash_profit"].cumsum(), color=c, ls="--", label=f"{name}: cash")
        middle.plot(t["day"], t["inventory_value"], color=c, label=name)
    for ax in (left, middle):
        ax.axvspan(0, warmup_days, color="0.92", lw=0)
        ax.set_xlabel("day")
    left.set_xlim(0, None)
    left.set_title("Cumulative profit after warm-up")
    left.legend(fontsize=7)
    middle.set_title("All stocks at cost (grey: warm-up)")
    middle.set_ylim(0, None)
    middle.legend(fontsize=7)
    # cost per unit sold by group, one stacked bar per firm
    bottom = np.zeros(len(firms))
    for k, (group, items) in enumerate(GROUPS.items()):
        vals = []
        for name in firms:
            m = measured[measured["firm"] == name]
            units = float(m["units_shipped"].sum())
            vals.append(float(m[list(items)].to_numpy().sum()) / units if units else 0.0)
        right.bar(firms, vals, bottom=bottom, color=f"C{k}", label=group)
        bottom += np.array(vals)
    right.set_title("Cost per unit sold, after warm-up")
    right.legend(fontsize=7, ncols=2)
    right.tick_params(axis="x", labelsize=8)
    return fig


def write_profit_figure(folder: Path, timeseries: pd.DataFrame, warmup_days: int) -> Path:
    """Draw :func:`profit_figure` into ``folder/figures/profit_and_costs.png``; return its path."""
    from simulator.results import atomic_write

    fig = profit_figure(timeseries, warmup_days)
    path = folder / "figures" / "profit_and_costs.png"
    atomic_write(path, lambda p: fig.savefig(p, format="png", dpi=110))
    return path
