"""The market model: consumers (Mesa) and firms' factories (SimPy) on one clock.

:class:`MarketModel` is built from a :class:`~simulator.scenario.Scenario`. Time is in days on one
:class:`simpy.Environment`; :meth:`MarketModel.step` simulates one day ``d`` (the interval
``[d, d + 1)``) in this fixed order:

1. **Receipts and completions.** SimPy events due at or before time ``d`` run (material receipts,
   batches reaching finished goods and filling queued orders). Events at exactly ``d`` belong to day
   ``d`` and run before anything else on it.
2. **Shocks.** Scheduled events for day ``d`` take effect (scandal, virtue, disruption, demand
   shift); a scandal or virtuous act becomes news that consumers can learn of from today. Then the
   consumers' random numbers for the day are drawn, once for everyone
   (:meth:`~simulator.market.population.Population.begin_day`).
3. **Give-ups.** Queued orders whose consumers' patience ran out are cancelled; those consumers are
   dissatisfied with the firm, may complain in public, and shop again today.
4. **Deliveries.** Shipments that arrived in ``(d - 1, d]`` reach their consumers: a late one
   (arriving on a calendar day after the promised one) or a defective one dissatisfies, the
   consumer may post praise or a complaint, and the next need is drawn (whether a unit is
   defective was decided by the firm when it shipped). Support orders arriving change nothing
   for their consumers.
5. **The market day.** (a) Yesterday's posts move the neighbours' perceived reputations; awareness
   of live issues spreads; consumers join or leave boycotts and buycotts (all reading yesterday's
   public state of their neighbours). (b) Continuing buycotters may buy only to support a firm.
   (c) Consumers whose need is due choose among the offers they do not boycott (at the day's quotes)
   or go without; buyers of an aligned firm may show their values. Each firm books the day's support
   orders, then its purchases, in batches at time ``d``, filling from stock first. Today's posts are
   published for tomorrow.
6. **The rest of the day in the plant.** ``env.run(until=d + 1)``: production and supply continue,
   and policy reviews run at ``k * review_days + 0.5`` (mid-day, after the day's purchases). Events
   at the same time run in the order they were scheduled (SimPy's FIFO rule).
7. **Books close.** Each firm closes its day (holding and backorder costs on end-of-day positions),
   and the day's row per firm is recorded.

Randomness comes from named streams of one :class:`numpy.random.SeedSequence` (:mod:`simulator.rng`).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
import simpy

from simulator.daytable import DayTable, PagedCollector
from simulator.events import EventSchedule
from simulator.firms.build import build_firm
from simulator.firms.firm import Firm
from simulator.market.choice import Offers
from simulator.market.consumer import Consumer
from simulator.market.eventlog import WENT_WITHOUT_CAUSES, EventKind, EventLog
from simulator.market.population import Population
from simulator.market.social import build_network
from simulator.market.stockout import Booking, Rechoose, book_day
from simulator.policies.sensing import MarketFeed
from simulator.rng import Streams
from simulator.scenario import GENERATIONS, Scenario
from simulator.threads import single_threaded_blas


def _collected(model: MarketModel, key: str) -> float:
    """A DataCollector reporter: one of the day's market-wide figures (picklable, no lambda)."""
    return model.collected.get(key, 0.0)


STAND_COLUMNS = (
    "boycott",
    "boycott_announced",
    "boycott_strict",
    "boycott_support",
    "never",
    "buycott",
    "aware",
)
"""Per-firm shares of consumers in the market table (``NAME:FIRM``): saying they boycott it, saying so
in public, really avoiding it, boycotting or sympathising, never returning, buycotting it, aware of its
issue."""

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
        event_rows: keep the consumer event log's rows (True: streamed to a temporary Parquet file;
            a path: streamed to that file, complete after ``event_log.close()``; False: daily counts
            only, all that demand sensing and the market figures read).
    """

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: int | np.random.SeedSequence | None = None,
        agents: bool = True,
        event_rows: bool | str | Path = True,
    ) -> None:
        self.streams = Streams(scenario.run.seed if seed is None else seed)
        super().__init__(rng=self.streams.get("mesa"))
        self.spec = scenario
        self.day = 0
        self.env = simpy.Environment()
        self.firms = [build_firm(i, f, self.env, self.streams) for i, f in enumerate(scenario.firms)]
        for firm in self.firms:
            firm.defect_escape_per_quality_gap = scenario.social.defect_rate_per_quality_gap
        spill = None if isinstance(event_rows, bool) else event_rows
        self.event_log = EventLog(
            len(self.firms),
            keep_rows=event_rows is not False,
            spill=spill,
            firm_names=[f.name for f in self.firms],
        )
        """Every consumer event: daily counts (the feed firms' demand sensing reads) and the rows."""
        self.population = Population(
            scenario.population,
            len(self.firms),
            np.array([f.reputation for f in self.firms]),
            self.streams.get("consumers"),
            social=scenario.social,
            log=self.event_log,
            firm_names=[f.name for f in self.firms],
        )
        self.network = build_network(
            scenario.network, scenario.population.size, self.streams.get("network")
        )
        self.population.attach_network(self.network)
        if agents:
            self.population.agents = [Consumer(self, row) for row in range(self.population.n)]
        self._support = [np.zeros(1024, dtype=bool) for _ in self.firms]
        self.support_today = np.zeros(len(self.firms), dtype=np.int64)
        self.events = EventSchedule(scenario.events, self.firms, self.population)
        for firm in self.firms:
            # A policy reads the market only through its firm's view of the log, never the population.
            if firm.policy is not None:
                firm.policy.attach_feed(MarketFeed(self.event_log, firm.index))
        self.rows = DayTable(name="firm-days")
        """One row per day and firm (paged to disk: a long run's memory stays flat)."""
        self.market_rows = DayTable(name="market-days")
        """One row per day for the market as a whole (paged like :attr:`rows`)."""
        self.last_choices: np.ndarray = np.empty(0, np.int64)
        self.collected: dict[str, float] = {}
        """The day's market-wide figures (filled by :meth:`_record`, read by the DataCollector)."""
        self.datacollector = PagedCollector(
            model_reporters={
                "day": "day",
                "shoppers": "_shoppers_today",
                "buyers": "_buyers_today",
                **{f"share:{f.name}": f"_share_{f.index}" for f in self.firms},
                **{k: partial(_collected, key=k) for k in self._collected_keys()},
            }
        )
        self._shoppers_today = 0
        self._buyers_today = 0
        for f in self.firms:
            setattr(self, f"_share_{f.index}", 0.0)

    # ------------------------------------------------------------------------------------------
    def offers(self) -> Offers:
        """Today's offers, one per firm and variant: price, ethics, quality, quoted delivery time.

        A firm's first variant is its standard product (customisation 0); every further variant is
        a customised one (customisation 1), valued by each consumer's customisation preference. A
        firm whose policy does not customise (push) offers its standard variant only: a consumer
        who wants customisation takes the standard one, another firm's, or goes without.
        """
        for f in self.firms:
            f.quoted_days = f.quote()
        firm = np.concatenate([np.full(len(f.variants), f.index) for f in self.firms])
        variant = np.concatenate([np.arange(len(f.variants)) for f in self.firms])
        fs = [self.firms[i] for i in firm.tolist()]
        return Offers(
            price=np.array([f.price for f in fs]),
            ethics=np.array([f.ethics for f in fs]).reshape(len(fs), -1),
            quality=np.array([f.quality for f in fs]),
            quoted_days=np.array([f.quoted_days for f in fs]),
            available=np.array(
                [
                    v == 0 or bool(f.policy and f.policy.customises)
                    for f, v in zip(fs, variant, strict=True)
                ]
            ),
            firm=firm,
            variant=variant,
            customisation=(variant > 0).astype(float),
            appeal=np.array([f.appeal for f in fs]),
        )

    def step(self) -> None:
        """Simulate one day (see the module docstring for the order of events)."""
        d = self.day
        env = self.env
        pop = self.population
        # 1. receipts and completions due by the start of the day
        while env.peek() <= d:
            env.step()
        # 2. shocks, then the consumers' random draws for the day
        self.events.apply(d)
        pop.begin_day(d)
        # 3. give-ups (support orders never expire, so these are consumption orders)
        log = self.event_log
        for f in self.firms:
            gave_up = f.cancel_overdue()
            log.record(EventKind.CANCEL, d, gave_up, f.index)
            pop.cancelled(d, gave_up, f.index)
        # 4. deliveries
        for f in self.firms:
            ids = f.deliveries_between(d - 1, d)
            late = f.orders.late_days(ids)  # whole calendar days after the promised day
            consumers = f.orders.get("consumer", ids)
            log.record(EventKind.DELIVERY, d, consumers, f.index, late)
            regular = ~self.support_order_mask(f)[ids]
            defective = f.orders.get("defective", ids)
            pop.delivered(d, consumers[regular], f.index, late[regular], defective[regular])
        # 5. word of mouth, awareness and stands; support purchases; purchases
        pop.social_day(d, np.array([f.reputation for f in self.firms]))
        offers = self.offers()
        sup_who, sup_offer = pop.support_day(d, offers)
        settled: list[Booking] = []

        def settle(who: np.ndarray, choice: np.ndarray, rechoose: Rechoose) -> np.ndarray:
            settled.append(self._settle(offers, sup_offer, who, choice, rechoose))
            return settled[0].choice

        who, choice = pop.shop(d, offers, settle)
        booking = settled[0] if settled else None
        firm_choice = np.where(choice >= 0, offers.firm[np.maximum(choice, 0)], -1)
        self.support_today = np.zeros(len(self.firms), dtype=np.int64)
        for f in self.firms:
            # support orders were decided first, so they are booked first; a supporter does not
            # give up (no deadline)
            mine_s = offers.firm[sup_offer] == f.index
            if mine_s.any():
                start = f.orders.n
                f.book(
                    sup_who[mine_s],
                    offers.variant[sup_offer[mine_s]].astype(np.int16),
                    np.full(int(mine_s.sum()), np.inf),
                )
                self._mark_support(f, start, f.orders.n)
                self.support_today[f.index] = int(mine_s.sum())
            mine = firm_choice == f.index
            quotes = (
                booking.quote[mine] if booking is not None else np.full(int(mine.sum()), f.quoted_days)
            )
            patience = pop.tolerance_toward(who[mine], np.asarray(f.ethics, dtype=float))
            deadline = d + quotes + patience + GRACE_DAYS
            start = f.orders.n
            f.book(who[mine], offers.variant[choice[mine]].astype(np.int16), deadline, quotes=quotes)
            if booking is not None:
                f.today.stockouts += int(booking.stocked_out[:, f.index].sum())
                f.today.turned_away += int(booking.turned_away[f.index])
            # out of stock: the order waits for production (the consumer was told the quote)
            ids = np.arange(start, f.orders.n)
            waits = ids[np.isnan(f.orders.get("filled", ids))]
            log.record(EventKind.WAIT, d, f.orders.get("consumer", waits), f.index, f.quoted_days)
        pop.end_day()
        self.last_choices = firm_choice
        by_gen = pop.share_by_generation(firm_choice, who, len(self.firms))
        # 6. the rest of the day in the plant
        env.run(until=d + 1)
        # 7. books close
        self._record(d, who, firm_choice, by_gen)
        self.day += 1

    def _settle(
        self,
        offers: Offers,
        sup_offer: np.ndarray,
        who: np.ndarray,
        choice: np.ndarray,
        rechoose: Rechoose,
    ) -> Booking:
        """Stock-outs at booking (:mod:`simulator.market.stockout`): each firm's shelf of its
        standard variant after the orders waiting and today's support orders, its re-quote for an
        order that finds the shelf empty, and the shoppers' arrival order (its own stream)."""
        n_firms = len(self.firms)
        support = np.bincount(offers.firm[sup_offer][offers.variant[sup_offer] == 0], minlength=n_firms)
        shelf = np.zeros(n_firms, dtype=np.int64)
        requote = np.zeros(n_firms)
        for f in self.firms:
            shelf[f.index] = max(
                int(f.on_hand[0]) - f.orders.backlog_units(0) - int(support[f.index]), 0
            )
            requote[f.index] = f.requote(shelf[f.index])
        # one arrival key per consumer every day, whoever shops: the stream's draws never depend
        # on how many shop (streams that stay put); the shoppers arrive in the order of their keys
        arrival = self.streams.get("arrivals").random(self.population.n)[who]
        return book_day(offers, choice, arrival, shelf, requote, rechoose)

    def support_order_mask(self, firm: Firm) -> np.ndarray:
        """For each of ``firm``'s orders, whether it was a support purchase."""
        n = firm.orders.n
        if len(self._support[firm.index]) < n:
            self._grow_support(firm, n)
        return self._support[firm.index][:n]

    def _grow_support(self, firm: Firm, n: int) -> None:
        flags = self._support[firm.index]
        grown = np.zeros(max(2 * len(flags), n), dtype=bool)  # doubling: amortised O(1) per order
        grown[: len(flags)] = flags
        self._support[firm.index] = grown

    def _mark_support(self, firm: Firm, start: int, stop: int) -> None:
        if len(self._support[firm.index]) < stop:
            self._grow_support(firm, stop)
        self._support[firm.index][start:stop] = True

    def _collected_keys(self) -> list[str]:
        keys = ["posts_positive", "posts_negative", "posts_values", "support_purchases"]
        keys += [f"went_without_{c}" for c in WENT_WITHOUT_CAUSES]
        for f in self.firms:
            keys += [f"{x}:{f.name}" for x in STAND_COLUMNS]
            keys += [f"boycott:{f.name}:{g}" for g in GENERATIONS]
            keys += [f"reputation:{f.name}", f"support:{f.name}"]
            keys += [f"share:{f.name}:{g}" for g in GENERATIONS]
        return keys

    def _collect_market(self, by_gen: np.ndarray) -> dict[str, float]:
        """The day's market-wide figures, all computed on whole columns."""
        pop = self.population
        d = self.day
        log = self.event_log
        out: dict[str, float] = {
            "posts_positive": int(log.daily_counts(EventKind.POST_POSITIVE, None, d, d)[0]),
            "posts_negative": int(log.daily_counts(EventKind.POST_NEGATIVE, None, d, d)[0]),
            "posts_values": int(log.daily_counts(EventKind.POST_VALUES, None, d, d)[0]),
            "support_purchases": int(self.support_today.sum()),
            **{
                f"went_without_{c}": int(x)
                for c, x in zip(WENT_WITHOUT_CAUSES, pop.today.went_without, strict=True)
            },
        }
        n = max(pop.n, 1)

        def column_means(x: np.ndarray) -> list[float]:
            # column by column: numpy reduces a tall (n, 2) array over axis 0 about 25x slower
            if x.dtype == bool:
                return [np.count_nonzero(x[:, j]) / n for j in range(x.shape[1])]
            return [float(x[:, j].sum()) / n for j in range(x.shape[1])]

        support = pop.boycott | (pop.sympathetic & ~pop.left & ~pop.never)
        shares = {
            "boycott": column_means(pop.boycott),
            "boycott_announced": column_means(pop.declared_boycott),
            "boycott_strict": column_means(pop.strict),
            "boycott_support": column_means(support),
            "never": column_means(pop.never),
            "buycott": column_means(pop.buycott),
            "aware": column_means(pop.aware),
            "reputation": column_means(pop.reputation),
        }
        gen_total = by_gen.sum(axis=1)
        masks = self._generation_masks()
        for f in self.firms:
            for name, col in shares.items():
                out[f"{name}:{f.name}"] = float(col[f.index])
            on = pop.boycott[:, f.index]
            for g, (mask, size) in zip(GENERATIONS, masks, strict=True):
                out[f"boycott:{f.name}:{g}"] = np.count_nonzero(on & mask) / size if size else 0.0
            out[f"support:{f.name}"] = int(self.support_today[f.index])
            for k, g in enumerate(GENERATIONS):
                t = gen_total[k]
                out[f"share:{f.name}:{g}"] = float(by_gen[k, f.index] / t) if t else 0.0
        return out

    def _generation_masks(self) -> list[tuple[np.ndarray, int]]:
        """Each generation's rows (and count), computed once."""
        if not hasattr(self, "_gen_masks"):
            g = self.population.generation
            self._gen_masks = [(g == k, int((g == k).sum())) for k in range(len(GENERATIONS))]
        return self._gen_masks

    def _record(self, d: int, who: np.ndarray, choice: np.ndarray, by_gen: np.ndarray) -> None:
        buyers = int((choice >= 0).sum())
        self._shoppers_today = len(who)
        self._buyers_today = buyers
        self.collected = self._collect_market(by_gen)
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
                **self.collected,
            }
        )
        lost = self.population.today.lost_to_quote
        for f in self.firms:
            rec = f.close_day()
            # consumption orders only: support purchases are counted apart (support_orders)
            share = (rec.orders - int(self.support_today[f.index])) / buyers if buyers else 0.0
            setattr(self, f"_share_{f.index}", share)
            row: dict[str, Any] = {
                "day": d,
                "firm": f.name,
                # orders, stock, plant, ledger and profit: the same columns as a factory-only run
                **f.day_row(rec),
                "market_share": share,
                "support_orders": int(self.support_today[f.index]),
                # lost to its quote (a counterfactual on the same draws) or turned away at a
                # stock-out (switched or went without): disjoint, since the first are shoppers who
                # did not choose the firm and the second shoppers who did
                "lost_sales": int(lost[f.index]) + rec.turned_away,
                **{f"orders_{g}": int(by_gen[k, f.index]) for k, g in enumerate(GENERATIONS)},
            }
            self.rows.append(row)
        self.datacollector.collect(self)

    def run(self, days: int | None = None, progress: Any = None) -> None:
        """Run ``days`` days (default: the scenario's ``run.days``); ``progress(day)`` after each.

        numpy's BLAS is held to one thread meanwhile: a day's products are small, so BLAS threads
        cost more than they give, and in a process pool they fight the other workers for the cores
        (measured in benchmarks/README.md: a sweep went from 28% to 85% parallel efficiency).
        """
        with single_threaded_blas():
            for _ in range(self.spec.run.days if days is None else days):
                self.step()
                if progress is not None:
                    progress(self.day)

    def timeseries(self) -> pd.DataFrame:
        """One row per day and firm (tidy), typed."""
        df = self.rows.to_frame()
        if not df.empty:
            df["firm"] = df["firm"].astype("string")
        return df

    def market_series(self) -> pd.DataFrame:
        """One row per day for the market as a whole."""
        return self.market_rows.to_frame()
