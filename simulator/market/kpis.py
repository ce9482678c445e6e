"""Market KPIs: shares, why shoppers went without, sales lost to quotes, and the meaning-out count.

Read from a run's tidy tables after the warm-up (``timeseries`` per firm and day, ``market`` per day)
and its consumer event log, as the KPI glossary (``../shared/KPI-GLOSSARY.md``) defines them:

- ``market_share``: the firm's consumption orders over all firms' consumption orders (each order is
  one unit); support purchases (bought only to support a firm) are counted apart in
  ``support_orders`` and ``support_share`` (the firm's support orders over its orders), so the
  shares of the firms sum to 1;
- ``market_share_by_generation``: the same within each generation;
- the time series' ``lost_sales`` column (summed by :mod:`simulator.firms.kpis`): shoppers who would
  have bought from the firm had it quoted standard delivery, on the same draws, but bought elsewhere
  or went without (:mod:`simulator.market.shopping`);
- market ``went_without_by_cause``: the shares of shopping occasions that ended without a purchase,
  by cause (``choice``, ``delivery``, ``boycott``);
- market ``meaning_out``: how often consumers acted on their values in the measured days: values
  posts, boycott and buycott joins (private) and announcements (public), support purchases, and the
  peak share of consumers boycotting each firm, in all and in public.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from simulator.market.eventlog import WENT_WITHOUT_CAUSES, EventKind
from simulator.scenario import GENERATIONS

if TYPE_CHECKING:
    from simulator.model import MarketModel

MEANING_OUT_KINDS = (
    EventKind.POST_VALUES,
    EventKind.BOYCOTT_JOIN,
    EventKind.BOYCOTT_ANNOUNCE,
    EventKind.BOYCOTT_LEAVE,
    EventKind.BUYCOTT_JOIN,
    EventKind.BUYCOTT_ANNOUNCE,
    EventKind.SUPPORT_PURCHASE,
)
"""The event kinds of "meaning out" counted in the summary."""


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def firm_market_kpis(measured: pd.DataFrame, firm: str) -> dict[str, Any]:
    """A firm's market KPIs from the measured rows of the time series (all firms)."""
    consumption = measured["units_ordered"] - measured["support_orders"]
    mine = measured["firm"] == firm
    m = measured[mine]
    support = float(m["support_orders"].sum())
    return {
        "market_share": _ratio(float(consumption[mine].sum()), float(consumption.sum())),
        "market_share_by_generation": {
            g: _ratio(float(m[f"orders_{g}"].sum()), float(measured[f"orders_{g}"].sum()))
            for g in GENERATIONS
        },
        "support_orders": int(support),
        "support_share": _ratio(support, float(m["units_ordered"].sum())),
    }


def market_extra_kpis(model: MarketModel) -> dict[str, Any]:
    """The market-wide KPIs beyond the shoppers' count: went without by cause, meaning out."""
    warm = model.spec.run.warmup_days
    ms = model.market_series()
    m = ms[ms["day"] >= warm]
    shoppers = float(m["shoppers"].sum())
    log = model.event_log
    last = model.day - 1
    counts = {
        k.name.lower(): int(log.daily_counts(k, None, warm, last).sum()) for k in MEANING_OUT_KINDS
    }
    peaks = {}
    for f in model.firms:
        peaks[f.name] = {
            "boycott_peak": float(ms[f"boycott:{f.name}"].max()) if len(ms) else 0.0,
            "boycott_announced_peak": float(ms[f"boycott_announced:{f.name}"].max()) if len(ms) else 0.0,
            "never_return_end": float(ms[f"never:{f.name}"].iloc[-1]) if len(ms) else 0.0,
        }
    return {
        "went_without_by_cause": {
            c: _ratio(float(m[f"went_without_{c}"].sum()), shoppers) for c in WENT_WITHOUT_CAUSES
        },
        "meaning_out": {**counts, "by_firm": peaks},
    }
