"""The market model: consumers (Mesa) and firms' factories (SimPy) on one clock.

:class:`MarketModel` is built from a :class:`~simulator.scenario.Scenario`. Time is in days on one
:class:`simpy.Environment`; :meth:`MarketModel.step` simulates one day ``d`` (the interval
``[d, d + 1)``) in this fixed order:

1. **Receipts and completions.** SimPy events due at or before time ``d`` run (material receipts,
   batches reaching finished goods and filling queued orders). Events at exactly ``d`` belong to day
   ``d`` and run before anything else on it.
2. **Shocks.** Scheduled events for day ``d`` take effect (scandal, virtue, disruption, demand shift).
3. **Give-ups.** Queued orders whose consumers' patience ran out are cancelled; those consumers shop
   again today.
4. **Deliveries.** Shipments that arrived in ``(d - 1, d]`` reach their consumers.
5. **Purchases.** Consumers whose need is due choose among the offers (at the day's quotes) or go
   without; each firm books its orders in one batch at time ``d``, filling from stock first.
6. **The rest of the day in the plant.** ``env.run(until=d + 1)``: production and supply continue,
   and policy reviews run at ``k * review_days + 0.5`` (mid-day, after the day's purchases). Events
   at the same time run in the order they were scheduled (SimPy's FIFO rule).
7. **Books close.** Each firm closes its day (holding and backorder costs on end-of-day positions),
   and the day's row per firm is recorded.

Randomness comes from named streams of one :class:`numpy.random.SeedSequence` (:mod:`simulator.rng`).
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd
import simpy

from simulator.events import EventSchedule
from simulator.firms.firm import COST_ITEMS, LEDGER_ITEMS, Firm
from simulator.market.choice import Offers
from simulator.market.eventlog import EventKind, EventLog
from simulator.market.population import Consumer, Population
from simulator.market.social import build_network
from simulator.policies import registry
from simulator.rng import Streams
from simulator.scenario import GENERATIONS, Scenario

GRACE_DAYS = 3.0
"""Days beyond the quote plus their own tolerance that a consumer waits before giving up."""


class MarketModel(mesa.Model):
    """A market of consumers buying from competing firms, one day per :meth:`step`.

    Args:
        scenario: the validated scenario.
        seed: root seed (an int or a spawned :class:`numpy.random.SeedSequence`); defaults to the
            scenario's ``run.seed``.
        agents: create one :class:`Consumer` agent per row (views for Mesa tools); the simulation
            itself does not need them, so very large benchmark runs may switch them off.
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | np.random.SeedSequence | None = None,
        agents: bool = True,
    ) -> None:
        self.streams = Streams(scenario.run.seed if seed is None else seed)
        super().__init__(rng=self.streams.get("mesa"))
        self.spec = scenario
        self.day = 0
        self.env = simpy.Environment()
        self.firms = [
            Firm(
                i,
                f,
                self.env,
                self.streams.get(f"factory:{f.name}"),
                self.streams.get(f"supplier:{f.name}"),
            )
            for i, f in enumerate(scenario.firms)
        ]
        for firm in self.firms:
            firm.policy = registry.build(firm.spec.policy, self.streams.get(f"policy:{firm.name}"))
            firm.policy.start(firm, self.env)
        self.population = Population(
            scenario.population,
            len(self.firms),
            np.array([f.reputation for f in self.firms]),
            self.streams.get("consumers"),
        )
        self.network = build_network(
            scenario.network, scenario.population.size, self.streams.get("network")
        )
        if agents:
            for row in range(self.population.n):
                Consumer(self, row)
        self.events = EventSchedule(scenario.events, self.firms, self.population)
        self.event_log = EventLog(len(self.firms))
        """Every consumer event (always kept: the feed firms' demand sensing reads)."""
        self.rows: list[dict[str, Any]] = []
        self.market_rows: list[dict[str, Any]] = []
        self.last_choices: np.ndarray = np.empty(0, np.int64)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "day": "day",
                "shoppers": "_shoppers_today",
                "buyers": "_buyers_today",
                **{f"share:{f.name}": f"_share_{f.index}" for f in self.firms},
            }
        )
        self._shoppers_today = 0
        self._buyers_today = 0
        for f in self.firms:
            setattr(self, f"_share_{f.index}", 0.0)

    # ------------------------------------------------------------------------------------------
    def offers(self) -> Offers:
        """Today's offers: each firm's price, ethics, quality and quoted delivery time."""
        for f in self.firms:
            f.quoted_days = f.quote()
        return Offers(
            price=np.array([f.price for f in self.firms]),
            ethics=np.array([f.ethics for f in self.firms]),
            quality=np.array([f.quality for f in self.firms]),
            quoted_days=np.array([f.quoted_days for f in self.firms]),
            available=np.ones(len(self.firms), dtype=bool),
        )

    def step(self) -> None:
        """Simulate one day (see the module docstring for the order of events)."""
        d = self.day
        env = self.env
        pop = self.population
        # 1. receipts and completions due by the start of the day
        while env.peek() <= d:
            env.step()
        # 2. shocks
        self.events.apply(d)
        # 3. give-ups
        log = self.event_log
        for f in self.firms:
            gave_up = f.cancel_overdue()
            log.record(EventKind.CANCEL, d, gave_up, f.index)
            pop.cancelled(d, gave_up)
        # 4. deliveries
        for f in self.firms:
            ids = f.deliveries_between(d - 1, d)
            late = np.maximum(0.0, f.orders.delivered[ids] - f.orders.promised[ids])
            log.record(EventKind.DELIVERY, d, f.orders.consumer[ids], f.index, late)
            pop.delivered(d, f.orders.consumer[ids])
        # 5. purchases
        offers = self.offers()
        who, u = pop.draw_day(d)
        choice = pop.choose(who, u, offers)
        pop.after_choice(d, who, choice)
        for f in self.firms:
            mine = who[choice == f.index]
            deadline = d + f.quoted_days + pop.delay_tolerance[mine] + GRACE_DAYS
            f.book(mine, np.zeros(len(mine), dtype=np.int16), deadline)
            log.record(EventKind.PURCHASE, d, mine, f.index, f.price)
        log.record(EventKind.WENT_WITHOUT, d, who[choice < 0], -1)
        self.last_choices = choice
        by_gen = pop.share_by_generation(choice, who, len(self.firms))
        # 6. the rest of the day in the plant
        env.run(until=d + 1)
        # 7. books close
        self._record(d, who, choice, by_gen)
        self.day += 1

    def _record(self, d: int, who: np.ndarray, choice: np.ndarray, by_gen: np.ndarray) -> None:
        buyers = int((choice >= 0).sum())
        self._shoppers_today = len(who)
        self._buyers_today = buyers
        self.market_rows.append(
            {
                "day": d,
                "shoppers": len(who),
                "buyers": buyers,
                **{f"buyers_{g}": int(by_gen[k].sum()) for k, g in enumerate(GENERATIONS)},
                **{
                    f"shoppers_{g}": int((self.population.generation[who] == k).sum())
                    for k, g in enumerate(GENERATIONS)
                },
            }
        )
        for f in self.firms:
            rec = f.close_day()
            share = rec.orders / buyers if buyers else 0.0
            setattr(self, f"_share_{f.index}", share)
            money = rec.money
            row: dict[str, Any] = {
                "day": d,
                "firm": f.name,
                "orders": rec.orders,
                "units_ordered": rec.units_ordered,
                "units_shipped": rec.units_shipped,
                "filled_from_stock": rec.filled_from_stock,
                "cancelled": rec.cancelled,
                "released": rec.released,
                "on_hand": int(f.on_hand.sum()),
                "backorders": f.backorders(),
                "wip": f.plant.units_in_process,
                "material_on_hand": int(f.plant.material.level),
                "inventory_position": f.inventory_position(),
                "quoted_days": f.quoted_days,
                "price": f.price,
                "market_share": share,
                **{k: money[k] for k in LEDGER_ITEMS},
                "profit": money["revenue"] - sum(money[k] for k in COST_ITEMS),
                **{f"orders_{g}": int(by_gen[k, f.index]) for k, g in enumerate(GENERATIONS)},
            }
            self.rows.append(row)
        self.datacollector.collect(self)

    def run(self, days: int | None = None, progress: Any = None) -> None:
        """Run ``days`` days (default: the scenario's ``run.days``); ``progress(day)`` after each."""
        for _ in range(self.spec.run.days if days is None else days):
            self.step()
            if progress is not None:
                progress(self.day)

    def timeseries(self) -> pd.DataFrame:
        """One row per day and firm (tidy), typed."""
        df = pd.DataFrame(self.rows)
        if not df.empty:
            df["firm"] = df["firm"].astype("string")
        return df

    def market_series(self) -> pd.DataFrame:
        """One row per day for the market as a whole."""
        return pd.DataFrame(self.market_rows)
