"""KPIs: what a run achieved, per firm and for the market, from the recorded series and order books.

Every KPI is measured over the days after the warm-up (``run.warmup_days``), when the start-up
stock and the empty pipeline no longer dominate. The supply-side KPIs (profit on the accrual basis
and cash, the cost breakdown, quality, delivery, service, flow, inventory turns and bullwhip) come
from :mod:`simulator.firms.kpis`, shared with factory-only runs; this module adds what only the
market knows (:mod:`simulator.market.kpis`):

- ``market_share``: the firm's share of consumption orders (support purchases counted apart in
  ``support_orders`` and ``support_share``); ``market_share_by_generation`` the same within each
  generation; ``lost_sales``: sales lost to the firm's delivery quote;
- ``public_complaints``: posts complaining about the firm in public (late or defective deliveries,
  orders given up), beside the complaints the firm receives;
- market ``no_purchase_share``: share of shopping occasions that ended without buying, with
  ``went_without_by_cause`` and the ``meaning_out`` counts.

Every key is defined, with its unit, window and source, in :mod:`simulator.glossary`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.firms.kpis import supply_kpis
from simulator.market.eventlog import EventKind
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
    last = model.day - 1
    for f in model.firms:
        posts = model.event_log.daily_counts(EventKind.POST_NEGATIVE, f.index, warm, last)
        out[f.name] = {
            **supply_kpis(f, ts, warm, end),
            "public_complaints": int(posts.sum()),
            **firm_market_kpis(measured, f.name),
        }
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
