"""KPIs: what a run achieved, per firm and for the market, from the recorded series and order books.

Every KPI is measured over the days after the warm-up (``run.warmup_days``), when the start-up
stock and the empty pipeline no longer dominate:

- ``profit``, ``revenue``, ``units_sold``: sums over the measured days (sold = shipped).
- ``fill_rate``: share of orders placed in the measured days that were filled from stock at once.
- ``otif``: share of orders placed in the measured days and promised by the end of the run that
  were delivered in full on or before the promised day (cancelled and late orders fail).
- ``mean_lead_time_days``: order to delivery, over delivered orders placed in the measured days.
- ``market_share``: the firm's share of consumption orders (support purchases counted apart in
  ``support_orders``); ``market_share_by_generation`` the same within each generation;
  ``lost_sales``: sales lost to the firm's delivery quote (:mod:`simulator.market.kpis`).
- ``mean_inventory``: mean end-of-day finished goods; ``backorders_end``: units waiting at the end.
- ``bullwhip_ratio``: variance of daily units released to the plant over variance of daily units
  ordered (Chen et al. 2000's ratio at the plant).
- the other supply-side KPIs (cycle service level, unit fill rate, lead-time 95th percentile, WIP,
  throughput, flow time and Little's law gap, utilisation per stage, set-ups, failures, scrap,
  supplier downtime, inventory turns, the cost breakdown): :mod:`simulator.firms.kpis`, shared with
  factory-only runs.
- market ``no_purchase_share``: share of shopping occasions that ended without buying, and
  ``went_without_by_cause``, ``meaning_out`` (:mod:`simulator.market.kpis`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.firms.kpis import supply_kpis
from simulator.market.kpis import firm_market_kpis, market_extra_kpis

if TYPE_CHECKING:
    from simulator.model import MarketModel


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def firm_kpis(model: MarketModel) -> dict[str, dict[str, Any]]:
    """KPIs per firm name."""
    ts = model.timeseries()
    warm = model.spec.run.warmup_days
    end = float(model.day)
    out: dict[str, dict[str, Any]] = {}
    measured = ts[ts["day"] >= warm]
    for f in model.firms:
        out[f.name] = {**supply_kpis(f, ts, warm, end), **firm_market_kpis(measured, f.name)}
    return out


def market_kpis(model: MarketModel) -> dict[str, Any]:
    """Market-wide KPIs."""
    ms = model.market_series()
    m = ms[ms["day"] >= model.spec.run.warmup_days]
    shoppers = float(m["shoppers"].sum())
    return {
        "consumers": model.population.n,
        "days": model.day,
        "warmup_days": model.spec.run.warmup_days,
        "no_purchase_share": _ratio(shoppers - float(m["buyers"].sum()), shoppers),
        **market_extra_kpis(model),
    }


def summary(model: MarketModel) -> dict[str, Any]:
    """The run's ``summary.json`` content."""
    return {"market": market_kpis(model), "firms": firm_kpis(model)}
