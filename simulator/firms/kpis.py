"""Supply-side KPIs of one firm, as operations experts define them.

What a plant manager, a controller and a supply-chain planner read off their dashboards, measured
over the days after the warm-up ``warm`` (orders placed from then on, days from then on) up to the
end of the run ``end``. Each key is defined, with its unit, window and source, in
:mod:`simulator.glossary`; in short:

- **profit** on the accrual basis (inventory at cost, its change entering profit) beside
  ``cash_profit``; ``operating_margin``, ``contribution_margin``;
- **cost**: the breakdown ``costs`` (every ledger item, the write-offs and the change in
  inventories, adding up to revenue - profit), ``cost_per_unit``, and the lost-sale penalty;
- **quality**: defects reaching customers (``defects_delivered``, ``defect_ppm``), ``returns``,
  ``complaints``; internal ``scrap_rate`` and ``rework_rate`` apart;
- **delivery**: lead time mean and 95th percentile, ``otif`` against the promised and
  ``otif_requested`` against the requested calendar day, ``quote_reliability`` and the quote bias;
- **service** of make-to-stock: ``fill_rate`` (β), ``cycle_service_level`` (α, per review
  period), ``ready_rate``; ``service_level`` is the measure that fits the policy
  (``service_measure``: fill rate for make-to-stock; OTIF against the promised day for
  make-to-order in the market, where customers chose knowing the quote, and against the
  requested day on a replayed demand history, where they did not);
- **flow and inventory**: turns on all stocks at cost, days of supply, WIP, throughput, flow time,
  Little's law gap, utilisation, set-ups, failures;
- **bullwhip** per review period (headline) and on weekly and daily buckets, with the coefficients
  of variation of orders and demand beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulator.firms.firm import COST_ITEMS, STOCKS

if TYPE_CHECKING:
    from simulator.firms.firm import Firm

MAKE_TO = {"supplier_centric": "stock", "demand_centric": "order"}
"""How each policy meets demand: make-to-stock (fill rate fits) or make-to-order (OTIF fits)."""
MIN_PERIODS = 4
"""Fewest whole periods a variance (bullwhip, coefficient of variation) is computed from."""


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def period_sums(days: np.ndarray, values: np.ndarray, period: int, first: int) -> np.ndarray:
    """Sums of ``values`` over whole periods ``[first + k * period, first + (k + 1) * period)``.

    ``days`` are the (integer) days of ``values``; a period not wholly covered is dropped.
    """
    if period < 1:
        raise ValueError(f"period must be >= 1 day, got {period}")
    days = np.asarray(days, dtype=np.int64)
    keep = days >= first
    if not keep.any():
        return np.zeros(0)
    k = (days[keep] - first) // period
    sums = np.bincount(k, weights=np.asarray(values, dtype=float)[keep])
    counts = np.bincount(k)
    return sums[counts == period]


def bullwhip(
    days: np.ndarray, orders: np.ndarray, demand: np.ndarray, period: int, first: int
) -> tuple[float | None, float | None, float | None]:
    """(Var(orders) / Var(demand), CV of orders, CV of demand) on ``period``-day buckets.

    Buckets start at ``first`` (aligned to the policy's review grid by the caller); None where
    fewer than :data:`MIN_PERIODS` whole buckets exist or a variance or mean is zero.
    """
    q = period_sums(days, orders, period, first)
    d = period_sums(days, demand, period, first)
    if len(d) < MIN_PERIODS:
        return None, None, None
    vq, vd = float(np.var(q, ddof=1)), float(np.var(d, ddof=1))
    cv_q = float(np.sqrt(vq) / q.mean()) if q.mean() > 0 else None
    cv_d = float(np.sqrt(vd) / d.mean()) if d.mean() > 0 else None
    return _ratio(vq, vd), cv_q, cv_d


def _review_days(firm: Firm) -> int:
    return int(getattr(firm.policy, "review_days", 1) or 1)


def supply_kpis(
    firm: Firm, timeseries: pd.DataFrame, warm: int, end: float, quotes_seen: bool = True
) -> dict[str, Any]:
    """The firm's supply-side KPIs from its time series rows (``firm`` column) and its books.

    ``quotes_seen``: customers chose knowing the firm's delivery quote (the market), so a
    make-to-order firm is judged against the promised day; when they did not (a demand history
    replayed through the plant) it is judged against the requested day.
    """
    ts = timeseries
    m = ts[(ts["day"] >= warm) & (ts["firm"] == firm.name)] if len(ts) else ts
    n_days = len(m)

    def total(col: str) -> float:
        return float(m[col].sum()) if n_days and col in m else 0.0

    def mean(col: str) -> float:
        return float(m[col].mean()) if n_days and col in m else 0.0

    f = firm.spec.factory
    o = firm.orders.history()  # every order, those moved out of memory too: the KPIs stay exact
    qty = o.qty
    placed = o.placed
    in_window = placed >= warm
    # --- delivery: calendar days against the promised and the requested date -------------------
    delivered = in_window & ~np.isnan(o.delivered) & (o.delivered <= end)
    lead = o.delivered[delivered] - placed[delivered]
    quoted = o.promised[delivered] - placed[delivered]
    due_promised = in_window & (np.floor(o.promised) < end)
    due_requested = in_window & (np.floor(o.requested) < end)
    on_promised = o.on_time("promised", by=end)
    on_requested = o.on_time("requested", by=end)
    # --- quality: defects that reached customers (each is returned and complained about) ------
    arrived = ~np.isnan(o.delivered) & (o.delivered > warm) & (o.delivered <= end)
    units_arrived = float(qty[arrived].sum())
    bad = arrived & o.defective
    defects = float(qty[bad].sum())
    stages = firm.plant.stages
    # unit operations vs units that finished a reworking stage: the extra passes are rework
    passes = sum(s.units_processed for s in stages if s.spec.rework)
    first_passes = sum(s.units_out for s in stages if s.spec.rework)
    # --- make-to-stock service ---------------------------------------------------------------------
    review = _review_days(firm)
    first = -(-warm // review) * review  # the first review period wholly inside the window
    days = np.floor(placed[in_window]).astype(np.int64)
    waited = ~o.from_stock[in_window]
    periods_total = max(int((end - first) // review), 0)
    stockout_periods = np.unique((days[waited & (days >= first)] - first) // review)
    stockout_periods = stockout_periods[stockout_periods < periods_total]
    # --- money ---------------------------------------------------------------------------------
    revenue = total("revenue")
    refunds = total("refunds")
    net_revenue = revenue - refunds
    profit = total("profit")
    units_sold = int(total("units_shipped"))
    written_off = total("written_off")
    costs = {k: total(k) for k in COST_ITEMS}
    costs["write_offs"] = written_off
    costs["change_in_inventories"] = -(total("inventory_change") + written_off)
    variable = units_sold * firm.unit_value + costs["shipping_cost"] + costs["return_cost"]
    lost = total("lost_sales") if "lost_sales" in m else None
    margin = f.unit_contribution(firm.price)
    # --- flow and inventory ------------------------------------------------------------------------
    plant = firm.plant
    wo = plant.orders
    done = ~np.isnan(wo["completed"]) & (wo["completed"] >= warm)
    flow = wo["completed"][done] - wo["released"][done]
    good = wo["good"][done]
    mean_flow = float(np.average(flow, weights=good)) if good.sum() > 0 else None
    # time-average WIP from the integrated curve (end-of-day counts would miss the day's swings)
    mean_wip = mean("wip_unit_days" if "wip_unit_days" in m else "wip")
    throughput = total("completed") / n_days if n_days else 0.0
    little = mean_wip / (throughput * mean_flow) - 1.0 if mean_flow and throughput else None
    value = mean("inventory_value")
    cogs_per_day = units_sold * firm.unit_value / n_days if n_days else 0.0
    down = sum(max(0.0, min(b, end) - max(a, float(warm))) for a, b in plant.supplier.down_periods)
    # --- bullwhip: per review period (headline), weekly and daily buckets ----------------------
    day_col = m["day"].to_numpy() if n_days else np.zeros(0)
    rel = m["released"].to_numpy() if n_days else np.zeros(0)
    dem = m["units_ordered"].to_numpy() if n_days else np.zeros(0)
    bw, cv_q, cv_d = bullwhip(day_col, rel, dem, review, first)
    weekly = bullwhip(day_col, rel, dem, 7, first)[0]
    daily = bullwhip(day_col, rel, dem, 1, first)[0]
    policy_name = getattr(firm.policy, "name", "")
    make_to = MAKE_TO.get(policy_name)
    fill_rate = _ratio(float(o.from_stock[in_window].sum()), float(in_window.sum()))
    otif = _ratio(float((on_promised & due_promised).sum()), float(due_promised.sum()))
    otif_requested = _ratio(float((on_requested & due_requested).sum()), float(due_requested.sum()))
    measure = "fill_rate" if make_to == "stock" else "otif" if quotes_seen else "otif_requested"
    service = {"fill_rate": fill_rate, "otif": otif, "otif_requested": otif_requested}[measure]
    on_time_delivered = float((on_promised & delivered & due_promised).sum())
    return {
        # profit
        "profit": profit,
        "cash_profit": total("cash_profit"),
        "revenue": revenue,
        "net_revenue": net_revenue,
        "operating_margin": _ratio(profit, net_revenue),
        "contribution_margin": _ratio(net_revenue - variable, net_revenue),
        "units_sold": units_sold,
        "orders": int(in_window.sum()),
        # cost
        "costs": costs,
        "cost_per_unit": _ratio(revenue - profit, units_sold),
        "lost_sales": None if lost is None else int(lost),
        "lost_sale_penalty": None if lost is None else lost * max(margin, 0.0),
        # quality
        "defects_delivered": int(defects),
        "defect_ppm": _ratio(1e6 * defects, units_arrived),
        "returns": int(defects),
        "complaints": int(bad.sum()),
        "scrap_rate": _ratio(float(plant.units_scrapped), float(plant.units_released)),
        "rework_rate": _ratio(float(passes - first_passes), float(first_passes)),
        # delivery
        "mean_lead_time_days": float(lead.mean()) if len(lead) else None,
        "lead_time_p95_days": float(np.percentile(lead, 95)) if len(lead) else None,
        "otif": otif,
        "otif_requested": _ratio(
            float((on_requested & due_requested).sum()), float(due_requested.sum())
        ),
        "quote_reliability": _ratio(on_time_delivered, float((delivered & due_promised).sum())),
        "mean_quoted_days": float(quoted.mean()) if len(quoted) else None,
        "quote_bias_days": float(quoted.mean() - lead.mean()) if len(lead) else None,
        "cancelled": int((~np.isnan(o.cancelled) & in_window).sum()),
        "backorders_end": int(firm.backorders()),
        # service
        "make_to": make_to,
        "service_measure": measure,
        "service_level": service,
        "fill_rate": fill_rate,
        "unit_fill_rate": _ratio(
            float(qty[in_window & o.from_stock].sum()), float(qty[in_window].sum())
        ),
        "cycle_service_level": _ratio(periods_total - len(stockout_periods), periods_total),
        "ready_rate": _ratio(float((m["on_hand"] > 0).sum()), n_days) if n_days else None,
        # flow and inventory
        "mean_inventory": mean("on_hand"),
        "mean_inventory_value": value,
        **{f"mean_value_{k}": mean(f"value_{k}") for k in STOCKS},
        "inventory_turns": _ratio(cogs_per_day * 365.0, value),
        "days_of_supply": _ratio(value, cogs_per_day),
        "mean_wip": mean_wip,
        "throughput_per_day": throughput,
        "mean_flow_time_days": mean_flow,
        "littles_law_gap": little,
        "utilisation": {s.name: s.utilisation() for s in stages},
        "machine_shifts_per_day": mean("machine_shifts"),
        "setups": plant.setups,
        "failures": sum(s.failures for s in stages),
        "supplier_down_days": float(down),
        # bullwhip
        "bullwhip_ratio": bw,
        "bullwhip_period_days": review,
        "cv_orders": cv_q,
        "cv_demand": cv_d,
        "bullwhip_weekly": weekly,
        "bullwhip_daily": daily,
    }
