"""A naive per-agent reference: the same market written the way a Mesa tutorial would write it.

Picture the classic Mesa model: every consumer is an object holding its own traits and state as
attributes, and each day the model asks every agent in turn whether it needs to shop; a shopper walks
through the offers one by one, works out what each is worth to it, draws its choice, and places its
own order with the firm it picked. Nothing is batched, nothing is a column: this is what the
project's columnar :class:`~simulator.model.MarketModel` is measured against.

To be a fair comparison the reference runs *the same rules on the same draws*:

- the firms, their SimPy plants, their policies and the scheduled shocks are the project's own
  classes, built from the same named random streams;
- the consumers' starting traits are drawn by the project's
  :class:`~simulator.market.population.Population` (then copied into the agents and dropped), so
  both markets start from identical consumers;
- each shopper's choice uses :func:`simulator.market.choice.choose_one`, the plain-Python form of
  the vectorized logit, on one uniform draw from the ``consumers`` stream;
- the day's draws are taken in the order the vectorized model takes them (uniforms for the day's
  shoppers in consumer order, then the retry times of those who went without — Mesa's staged
  "step, then advance" pattern), so both models see the same numbers.

``tests/test_bench_reference.py`` checks that both give the same choices, orders and books.

Rules covered (those of ``MarketModel.step`` as of this file's commit): give-ups after the quote plus
the consumer's tolerance plus a grace period, deliveries starting a new need interval, logit choice
over price, value alignment, quoted delay, quality and reputation with an outside option, retries
after going without, demand-shift events, and the consumer event log (kept here as a list of tuples,
as a Mesa user would). The social network is built and held as per-agent neighbour lists, but the
current market rules do not read it during a day.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import simpy

from simulator.events import EventSchedule
from simulator.firms.firm import COST_ITEMS, LEDGER_ITEMS, Firm
from simulator.market.choice import ChoiceParams, Offers, choose_one
from simulator.market.eventlog import EventKind
from simulator.market.population import Population
from simulator.market.social import build_network
from simulator.model import GRACE_DAYS
from simulator.policies import registry
from simulator.rng import Streams
from simulator.scenario import GENERATIONS, Scenario


class NaiveConsumer(mesa.Agent):
    """One consumer with its traits and state as plain attributes."""

    def __init__(
        self,
        model: NaiveMarket,
        row: int,
        generation: int,
        wtp: float,
        beta: float,
        weights: list[float],
        tolerance: float,
        reputation: list[float],
        next_need: float,
    ) -> None:
        super().__init__(model)
        self.row = row
        self.generation = generation
        self.wtp = wtp
        self.beta = beta
        self.weights = weights
        self.tolerance = tolerance
        self.reputation = reputation
        self.next_need = next_need
        self.waiting = False
        self.last_firm = -1
        self.purchases = 0
        self.neighbours: list[int] = []
        self.choice: int | None = None  # today's choice (None: did not shop today)

    def shop(self, day: int, offers: Offers) -> None:
        """Stage 1 of the day: a consumer whose need is due chooses among the offers and orders."""
        self.choice = None
        if self.waiting or self.next_need > day:
            return
        m = self.model
        u = float(m.consumer_rng.random())
        k = choose_one(
            offers,
            m.choice_params,
            self.wtp,
            self.beta,
            self.weights,  # a list indexes like the array the rule expects
            self.tolerance,
            self.reputation,
            u,
        )
        self.choice = k
        m.shoppers_today += 1
        m.shoppers_by_gen[self.generation] += 1
        if k < 0:
            m.log.append((EventKind.WENT_WITHOUT, day, self.row, -1, float("nan")))
            return
        self.waiting = True
        self.last_firm = k
        self.purchases += 1
        m.buyers_today += 1
        m.orders_by_gen[self.generation][k] += 1
        firm = m.firms[k]
        deadline = day + firm.quoted_days + self.tolerance + GRACE_DAYS
        firm.book(np.array([self.row]), np.zeros(1, dtype=np.int16), np.array([deadline]))
        m.log.append((EventKind.PURCHASE, day, self.row, k, firm.price))

    def advance(self, day: int) -> None:
        """Stage 2 of the day: a consumer who went without plans when to look again."""
        if self.choice is not None and self.choice < 0:
            self.next_need = day + float(self.model.consumer_rng.exponential(self.model.retry_days))

    def delivered(self, day: int) -> None:
        """The consumer's order arrived: the next need comes one need interval later."""
        m = self.model
        self.waiting = False
        self.next_need = day + float(m.consumer_rng.exponential(m.mean_need_interval / m.need_rate))

    def gave_up(self, day: int) -> None:
        """The consumer cancelled an overdue order and shops again today."""
        self.waiting = False
        self.next_need = float(day)


class NaiveMarket(mesa.Model):
    """The market of :class:`simulator.model.MarketModel`, with one Python object per consumer.

    Args:
        scenario: the validated scenario.
        seed: root seed; defaults to the scenario's ``run.seed`` (the same streams as the model).
    """

    def __init__(self, scenario: Scenario, *, seed: int | np.random.SeedSequence | None = None) -> None:
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
        self.consumer_rng = self.streams.get("consumers")
        # Starting traits: the project's own draws (same stream, same order), copied into agents.
        pop = Population(
            scenario.population,
            len(self.firms),
            np.array([f.reputation for f in self.firms]),
            self.consumer_rng,
        )
        self.choice_params: ChoiceParams = pop.choice_params
        self.retry_days = scenario.population.retry_days
        self.mean_need_interval = scenario.population.mean_need_interval_days
        self.need_rate = 1.0  # demand-shift events scale it (the schedule treats us as the population)
        self.consumers: list[NaiveConsumer] = [
            NaiveConsumer(
                self,
                i,
                int(pop.generation[i]),
                float(pop.wtp_values[i]),
                float(pop.price_sensitivity[i]),
                [float(x) for x in pop.value_weights[i]],
                float(pop.delay_tolerance[i]),
                [float(x) for x in pop.reputation[i]],
                float(pop.next_need[i]),
            )
            for i in range(pop.n)
        ]
        del pop
        network = build_network(scenario.network, scenario.population.size, self.streams.get("network"))
        for i, agent in enumerate(self.consumers):
            agent.neighbours = network.indices[network.indptr[i] : network.indptr[i + 1]].tolist()
        # the schedule only touches the population's need_rate, which this model carries itself
        self.events = EventSchedule(scenario.events, self.firms, self)
        self.log: list[tuple[int, int, int, int, float]] = []
        """(kind, day, consumer, firm, value) per consumer event."""
        self.rows: list[dict[str, Any]] = []
        self.market_rows: list[dict[str, Any]] = []
        self.choices_by_day: list[dict[int, int]] = []
        """Per day: consumer row -> choice (-1: went without) of everyone who shopped."""
        self.datacollector = mesa.DataCollector(
            model_reporters={"day": "day", "shoppers": "shoppers_today", "buyers": "buyers_today"}
        )
        self._new_day_counters()

    def _new_day_counters(self) -> None:
        self.shoppers_today = 0
        self.buyers_today = 0
        self.shoppers_by_gen = [0] * len(GENERATIONS)
        self.orders_by_gen = [[0] * len(self.firms) for _ in GENERATIONS]

    def offers(self) -> Offers:
        """Today's offers (the same as the model's)."""
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
        """One day, in the model's documented order of events."""
        d = self.day
        env = self.env
        self._new_day_counters()
        while env.peek() <= d:
            env.step()
        self.events.apply(d)
        for f in self.firms:
            ids = f.cancel_overdue()
            for c in ids.tolist():
                self.consumers[c].gave_up(d)
                self.log.append((EventKind.CANCEL, d, c, f.index, float("nan")))
        for f in self.firms:
            orders = f.orders
            for i in f.deliveries_between(d - 1, d).tolist():
                c = int(orders.consumer[i])
                self.consumers[c].delivered(d)
                late = max(0.0, float(orders.delivered[i]) - float(orders.promised[i]))
                self.log.append((EventKind.DELIVERY, d, c, f.index, late))
        offers = self.offers()
        self.agents.do("shop", d, offers)
        self.agents.do("advance", d)
        self.choices_by_day.append({a.row: a.choice for a in self.consumers if a.choice is not None})
        env.run(until=d + 1)
        self._record(d)
        self.day += 1

    def _record(self, d: int) -> None:
        buyers = self.buyers_today
        self.market_rows.append(
            {
                "day": d,
                "shoppers": self.shoppers_today,
                "buyers": buyers,
                **{f"buyers_{g}": sum(self.orders_by_gen[k]) for k, g in enumerate(GENERATIONS)},
                **{f"shoppers_{g}": self.shoppers_by_gen[k] for k, g in enumerate(GENERATIONS)},
            }
        )
        for f in self.firms:
            rec = f.close_day()
            share = rec.orders / buyers if buyers else 0.0
            money = rec.money
            self.rows.append(
                {
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
                    **{f"orders_{g}": self.orders_by_gen[k][f.index] for k, g in enumerate(GENERATIONS)},
                }
            )
        self.datacollector.collect(self)

    def run(self, days: int | None = None) -> None:
        """Run ``days`` days (default: the scenario's ``run.days``)."""
        for _ in range(self.spec.run.days if days is None else days):
            self.step()
