"""The policy protocol: what every supply-chain policy does for its firm.

A policy is the planning office of a firm. At each of its reviews it looks at what the firm can
see (its own sales history, stock, work in process, backlog, and the market feed: its own order desk
and public social signals) and releases work orders to the plant; whenever the market asks, it says
what delivery time the firm quotes. Who in the office decides (rules, data, an optimiser, an
optimiser with human overrides) is the policy's decision mode (:mod:`simulator.policies.decisions`);
every decision is written to the policy's :class:`~simulator.policies.decisions.DecisionLog`.
Policies are chosen by name from :mod:`simulator.policies.registry`; a scenario never names code.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
import simpy

from simulator.daytable import DayTable
from simulator.policies.decisions import Costs, DecisionLog
from simulator.policies.forecasting import Forecast, forecast
from simulator.policies.measure import LeadTime, measured_lead_time
from simulator.policies.quoting import Quoter
from simulator.policies.sensing import Feed, OwnOrdersFeed

if TYPE_CHECKING:
    from simulator.firms.firm import Firm
    from simulator.policies.params import DemandCentricParams, SupplierCentricParams

REVIEW_OFFSET = 0.5
"""Reviews happen at ``k * review_days + REVIEW_OFFSET``: mid-day, after the day's purchases."""

QUALITY_LEDGER_ITEM = "quality_cost"


class Policy(Protocol):
    """What the model needs from a policy."""

    name: str
    customises: bool
    """Whether the firm makes customised variants (to order); if not, it sells its standard one only."""

    def start(self, firm: Firm, env: simpy.Environment) -> None:
        """Schedule the policy's reviews as SimPy processes."""

    def quote(self, firm: Firm) -> float:
        """Delivery time (days) the firm promises for an order placed now."""
        ...

    def attach_feed(self, feed: Feed) -> None:
        """Give the policy its view of the market (the only market data it may read)."""

    def decision_frame(self) -> pd.DataFrame:
        """The decision log as a table."""
        ...

    def marketing_allowed(self, day: float) -> bool:
        """Whether the firm may spend on marketing on ``day`` (quality first holds it back)."""
        ...


def book(firm: Firm, item: str, amount: float) -> None:
    """Add ``amount`` to today's ledger ``item``; an item the ledger lacks is a bug, raised loudly."""
    money = firm.today.money
    if item not in money:
        raise KeyError(f"the ledger has no item {item!r} (items: {', '.join(money)})")
    money[item] += amount


def unit_margin(firm: Firm) -> float:
    """Price less the variable cost of one unit sold (material with any ethical-sourcing premium,
    production, shipping)."""
    return float(firm.spec.factory.unit_contribution(firm.price))


WALKAWAY_PRIOR = 0.35
"""Share of shoppers assumed to walk away at a stock-out before the desk has seen enough of them:
in Gruen, Corsten & Bharadwaj's worldwide study of retail stock-outs (Grocery Manufacturers of
America, 2002) 26 % switched brand and 9 % did not buy, so the brand lost about a third; the rest
waited, delayed or took another item of the brand."""
WALKAWAY_MIN_SEEN = 30
"""Stock-outs the desk must have seen before it trusts its own walk-away share."""


def walkaway_share(firm: Firm) -> float:
    """Share of shoppers who met a stock-out at the firm and did not buy from it, as its desk saw."""
    seen = firm.stockouts_total
    if seen < WALKAWAY_MIN_SEEN:
        return WALKAWAY_PRIOR
    return firm.turned_away_total / seen


def in_process(firm: Firm, variant: int) -> int:
    """Units of ``variant`` released to the plant and not yet completed or scrapped (a counter the
    plant keeps, so asking costs nothing however long the run)."""
    return int(firm.plant.in_process_by_variant[variant])


def wip_of(firm: Firm, variant: int) -> int:
    """Units of ``variant`` in the plant (with one variant: the plant's exact count, net of scrap)."""
    if len(firm.variants) == 1:
        return firm.plant.units_in_process
    return in_process(firm, variant)


def position_of(firm: Firm, variant: int) -> int:
    """Inventory position of one variant: on hand + in process - backorders.

    With one variant this is the firm's inventory position.
    """
    if len(firm.variants) == 1:
        return firm.inventory_position()
    return int(firm.on_hand[variant]) + in_process(firm, variant) - firm.orders.backlog_units(variant)


class PeriodicPolicy:
    """Base for policies that review every ``review_days`` days on an integer grid.

    Subclasses implement :meth:`review`. Review ``k`` happens at exactly
    ``k * review_days + REVIEW_OFFSET`` (never by adding floats up), so it falls inside day
    ``k * review_days``, after that day's consumer purchases.
    """

    name = "periodic"
    review_days: int = 1
    customises = True
    params: SupplierCentricParams | DemandCentricParams

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.quoter = Quoter(self.params.quote_reliability)
        self._lead: tuple[float, LeadTime] | None = None
        self.feed: Feed | None = None
        self.log = DecisionLog(firm="", policy=self.name, mode="rules")
        self.marketing_hold_until = -np.inf

    @property
    def decisions(self) -> DayTable:
        """One entry per decision: time, action, inputs, rule, override, quantity, reason."""
        return self.log.entries

    def attach_feed(self, feed: Feed) -> None:
        self.feed = feed

    def decision_frame(self) -> pd.DataFrame:
        return self.log.to_frame()

    def marketing_allowed(self, day: float) -> bool:
        return bool(day >= self.marketing_hold_until)

    def start(self, firm: Firm, env: simpy.Environment) -> None:
        self.log.firm = firm.name
        self.log.mode = getattr(self.params, "decision", "rules")
        if self.feed is None:
            self.feed = OwnOrdersFeed(firm)
        env.process(self._loop(firm, env))
        p = self.params
        if p.decision == "cobot" and "quality_first" in p.overrides:
            self.marketing_hold_until = env.now + p.quality_first.marketing_delay_days
            self.log.record(
                env.now,
                "marketing",
                "human override",
                override="quality_first",
                chosen=self.marketing_hold_until,
                reason=f"marketing spend held back until day {self.marketing_hold_until:g}",
                inputs={"marketing_delay_days": p.quality_first.marketing_delay_days},
            )
            env.process(self._quality_loop(firm, env))

    def _loop(self, firm: Firm, env: simpy.Environment) -> Generator[simpy.Event, object, None]:
        k = 0
        while True:
            at = k * self.review_days + REVIEW_OFFSET
            yield env.timeout(at - env.now)
            firm.plant.log.append((env.now, "review", -1, 0))
            self.review(firm)
            k += 1

    def _quality_loop(self, firm: Firm, env: simpy.Environment) -> Generator[simpy.Event, object, None]:
        """Quality first: each day below target, spend and close part of the gap to 1; the firm's
        quality follows what was bought ``lag_days`` earlier."""
        q = self.params.quality_first
        bought = firm.quality
        pipeline: deque[float] = deque()
        k = 0
        while True:
            yield env.timeout(k + REVIEW_OFFSET - env.now)
            k += 1
            pipeline.append(bought)
            if len(pipeline) > q.lag_days:
                firm.quality = max(firm.quality, pipeline.popleft())
            if bought >= q.target:
                continue
            before = bought
            bought = min(q.target, before + q.gain_per_day * (1.0 - before))
            if q.lag_days == 0:
                firm.quality = bought
            book(firm, QUALITY_LEDGER_ITEM, q.spend_per_day)
            if k % 30 == 1:  # one log line a month is enough to explain a daily routine
                self.log.record(
                    env.now,
                    "quality",
                    "human override",
                    override="quality_first",
                    recommended=before,
                    chosen=bought,
                    reason=(
                        f"invest {q.spend_per_day:g}/day in quality until it reaches {q.target:g} "
                        f"(shipped {q.lag_days} days later; now {firm.quality:.3f})"
                    ),
                    inputs={
                        "spend_per_day": q.spend_per_day,
                        "gain_per_day": q.gain_per_day,
                        "lag_days": q.lag_days,
                    },
                )

    def review(self, firm: Firm) -> None:
        """Decide work orders now."""
        raise NotImplementedError

    def quote(self, firm: Firm) -> float:
        """Days promised today, from stock, queue and pipeline to ``quote_reliability``.

        The quote covers the day's expected orders (the mean of the last week's), since one quote
        holds for the whole day.
        """
        return self.quoter.quote(
            firm, self.expected_today(firm), self.lead_time(firm), self.next_release(firm)
        )

    def quote_for(self, firm: Firm, need: float) -> float:
        """Days promised to an order standing ``need`` units behind the queue (a re-quote)."""
        return self.quoter.quote(firm, need, self.lead_time(firm), self.next_release(firm), record=False)

    @staticmethod
    def expected_today(firm: Firm) -> float:
        """Units the firm expects to be ordered today: the mean of the last seven days' orders."""
        recent = firm.demand_history[-7:]
        return float(np.mean(recent)) if recent else 0.0

    def next_release(self, firm: Firm) -> float:
        """When the next work order can be released: the next review."""
        now = firm.env.now
        k = np.ceil((now - REVIEW_OFFSET) / self.review_days)
        return float(max(k, 0) * self.review_days + REVIEW_OFFSET)

    def lead_time(self, firm: Firm) -> LeadTime:
        """The replenishment lead time planned on: ``lead_time_days`` when given, else measured
        on the batches finished in the last ``measure_window`` days (computed once a day)."""
        p = self.params
        if p.lead_time_days is not None:
            return LeadTime(float(p.lead_time_days), 0.0, 0, "given (lead_time_days)")
        day = float(np.floor(firm.env.now))
        if self._lead is None or self._lead[0] != day:
            batch = self.expected_today(firm) * self.review_days
            self._lead = (day, measured_lead_time(firm, p.measure_window, batch))
        return self._lead[1]

    # --- helpers for subclasses ------------------------------------------------------------------
    def costs(self, firm: Firm) -> Costs:
        """The optimiser's holding and shortage cost per unit and review period."""
        p = self.params
        f = firm.spec.factory
        h = (
            f.holding_cost_per_unit_day() * self.review_days
            if p.holding_cost is None
            else p.holding_cost
        )
        if p.shortage_cost is None:
            w = walkaway_share(firm)
            lost = max(unit_margin(firm), 0.0)
            b = w * lost + (1.0 - w) * f.backorder_cost_per_day * self.review_days
        else:
            b = p.shortage_cost
        return Costs(h, b)

    def history_forecast(self, history: list[int]) -> Forecast:
        """Daily demand forecast from the firm's own daily sales, by the configured method."""
        p = self.params
        return forecast(history, p.forecast, p.forecast_window, p.smoothing_alpha)
