"""Supply-side KPIs of one firm: what an operations manager reads off the monthly dashboard.

All are measured over the days after the warm-up ``warm`` (orders placed from then on, days from
then on), up to the end of the run ``end``:

- ``fill_rate``: share of orders filled from stock at once; ``unit_fill_rate`` the same in units;
- ``cycle_service_level``: share of days on which no order had to wait (no stock-out that day);
- ``otif``: share of orders promised by the end that were delivered in full on or before the
  promised day (cancelled and late orders fail);
- ``mean_lead_time_days``, ``lead_time_p95_days``: order to delivery, delivered orders;
- ``mean_wip``, ``throughput_per_day`` (units finished a day), ``mean_flow_time_days`` (release to
  finished goods, work orders finished in the window, weighted by units) and ``littles_law_gap``
  (time-average WIP / (throughput x mean flow time) - 1: near 0 on a long run);
- ``utilisation``: per stage, share of machine time setting up or processing (whole run);
  ``setups``, ``failures``, ``scrap_rate`` (scrapped / started), ``supplier_down_days``;
- ``bullwhip_ratio``: variance of daily units released to the plant over the variance of daily units
  ordered (Chen et al. 2000's ratio at the plant);
- ``inventory_turns``: units shipped over mean finished goods on hand, per 365 days;
- ``costs``: every cost item; ``profit``, ``revenue``, ``units_sold`` as sums.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulator.firms.firm import COST_ITEMS

if TYPE_CHECKING:
    from simulator.firms.firm import Firm


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def supply_kpis(firm: Firm, timeseries: pd.DataFrame, warm: int, end: float) -> dict[str, Any]:
    """The firm's supply-side KPIs from its time series rows (``firm`` column) and its books."""
    ts = timeseries
    m = ts[(ts["day"] >= warm) & (ts["firm"] == firm.name)] if len(ts) else ts
    o = firm.orders
    placed = o.placed
    in_window = placed >= warm
    promised_known = in_window & (o.promised <= end)
    on_time = promised_known & (o.delivered <= o.promised)
    delivered = in_window & ~np.isnan(o.delivered) & (o.delivered <= end)
    lead = o.delivered[delivered] - placed[delivered]
    qty = o.qty
    demand_var = float(m["units_ordered"].var(ddof=1)) if len(m) > 1 else 0.0
    release_var = float(m["released"].var(ddof=1)) if len(m) > 1 else 0.0
    days = np.floor(placed[in_window]).astype(np.int64)
    waited_days = np.unique(days[~o.from_stock[in_window]])
    n_days = len(m)
    plant = firm.plant
    wo = plant.orders
    done = ~np.isnan(wo["completed"]) & (wo["completed"] >= warm)
    flow = wo["completed"][done] - wo["released"][done]
    good = wo["good"][done]
    mean_flow = float(np.average(flow, weights=good)) if good.sum() > 0 else None
    # time-average WIP from the integrated curve (end-of-day counts would miss the day's swings)
    col = "wip_unit_days" if "wip_unit_days" in m else "wip"
    mean_wip = float(m[col].mean()) if n_days else 0.0
    throughput = float(m["completed"].sum()) / n_days if n_days and "completed" in m else 0.0
    mean_inv = float(m["on_hand"].mean()) if n_days else 0.0
    shipped = float(m["units_shipped"].sum()) if n_days else 0.0
    down = sum(max(0.0, min(b, end) - max(a, float(warm))) for a, b in plant.supplier.down_periods)
    little = None
    if mean_flow and throughput:
        little = mean_wip / (throughput * mean_flow) - 1.0
    return {
        "profit": float(m["profit"].sum()) if n_days else 0.0,
        "revenue": float(m["revenue"].sum()) if n_days else 0.0,
        "costs": {k: float(m[k].sum()) for k in COST_ITEMS if k in m},
        "units_sold": int(m["units_shipped"].sum()) if n_days else 0,
        "orders": int(in_window.sum()),
        "fill_rate": _ratio(float(o.from_stock[in_window].sum()), float(in_window.sum())),
        "unit_fill_rate": _ratio(
            float(qty[in_window & o.from_stock].sum()), float(qty[in_window].sum())
        ),
        "cycle_service_level": _ratio(n_days - len(waited_days), n_days),
        "otif": _ratio(float(on_time.sum()), float(promised_known.sum())),
        "mean_lead_time_days": float(lead.mean()) if len(lead) else None,
        "lead_time_p95_days": float(np.percentile(lead, 95)) if len(lead) else None,
        "mean_inventory": mean_inv,
        "backorders_end": int(firm.backorders()),
        "cancelled": int((~np.isnan(o.cancelled) & in_window).sum()),
        "bullwhip_ratio": _ratio(release_var, demand_var),
        "mean_wip": mean_wip,
        "throughput_per_day": throughput,
        "mean_flow_time_days": mean_flow,
        "littles_law_gap": little,
        "utilisation": {s.name: s.utilisation() for s in plant.stages},
        "setups": plant.setups,
        "failures": sum(s.failures for s in plant.stages),
        "scrap_rate": _ratio(float(plant.units_scrapped), float(plant.units_released)),
        "supplier_down_days": float(down),
        "inventory_turns": _ratio(shipped * 365.0 / n_days, mean_inv) if n_days else None,
    }
