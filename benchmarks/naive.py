"""A naive per-agent reference: the same market written the way a Mesa tutorial would write it.

Picture the classic Mesa model: every consumer is an object holding its own traits and state as
attributes, and each day the model asks every agent in turn what it does; a shopper walks through
the offers one by one, works out what each is worth to it (asking each neighbour what they bought
lately), draws its choice and places its own order with the firm it picked; a consumer on social
media reads each neighbour's posts of yesterday. Nothing is batched, nothing is a column: this is
what the project's columnar :class:`~simulator.model.MarketModel` is measured against.

To be a fair comparison the reference runs *the same rules on the same draws*:

- the firms, their SimPy plants, their policies and the scheduled shocks are the project's own
  classes, built from the same named random streams;
- the consumers' starting traits are drawn by the project's
  :class:`~simulator.market.population.Population` (then copied into the agents and dropped), so
  both markets start from identical consumers;
- the day's random numbers are drawn by the model in one go, in the order the vectorized model draws
  them (one uniform per consumer and purpose), and each agent reads its own;
- neighbours are read through what they made public at the start of the day (yesterday's posts,
  whether they bought recently): Mesa's staged "publish, then act" pattern.

``tests/test_bench_reference.py`` checks that both give the same choices, books and event log.

Rules covered (those of ``MarketModel.step`` at this file's commit, for scenarios without scandal or
virtue events): give-ups after the quote plus tolerance plus a grace period, with a possible
complaint; deliveries (late or defective ones dissatisfy; a possible post; the next need after the
consumer's own need interval); perceived reputations drifting to the public one and moved by the
neighbours' posts (word of mouth); the logit choice over every offer (firm x variant; the offers and
the firms' daily rows come from the model's own code) by price, value alignment against the
conventional product, brand taste, quoted delay against a tolerance that grows with alignment,
customisation, quality, perceived reputation, the share of neighbours who bought each firm lately
and loyalty to a satisfying last purchase, with an outside option, a firm being worth its best
variant; why a shopper went without and the sales each firm lost to its quote (the same choice on
the same draw with standard quotes); values posts after aligned purchases; a WAIT event when an
order cannot ship from stock; retries after going without; demand shifts and supply disruptions;
the event log (a list of tuples here). Not covered: awareness,
boycotts, buycotts and support purchases, which only start with a scandal or virtue event;
:class:`NaiveMarket` refuses such scenarios rather than differ.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np
import simpy

from simulator.events import EventSchedule
from simulator.firms.build import build_firm
from simulator.market.choice import Offers
from simulator.market.eventlog import EventKind, EventLog
from simulator.market.population import Population
from simulator.market.social import build_network
from simulator.model import GRACE_DAYS, STAND_COLUMNS, MarketModel
from simulator.rng import Streams
from simulator.scenario import GENERATIONS, Scenario

NAN = float("nan")


class NaiveConsumer(mesa.Agent):
    """One consumer with its traits and state as plain attributes."""

    model: NaiveMarket

    def __init__(self, model: NaiveMarket, row: int, traits: dict[str, Any]) -> None:
        super().__init__(model)
        self.row = row
        self.__dict__.update(traits)
        self.waiting = False
        self.last_firm = -1
        self.last_satisfied = False
        self.purchases = 0
        self.consumed = 0
        self.recent_firm = -1
        self.recent_until = -math.inf
        self.neighbours: list[NaiveConsumer] = []
        # what the neighbours can see of this consumer today (set in the publish stage)
        self.public_recent = -1
        self.public_posts: list[tuple[int, float]] = []
        self.posts: list[tuple[int, float]] = []  # today's posts: (firm, weight for a reader)
        self.choice: int | None = None  # today's choice (None: did not shop today)

    # --- stage 0: publish ----------------------------------------------------------------------
    def publish(self, day: int) -> None:
        """Make yesterday's posts and a recent purchase visible to the neighbours."""
        self.public_posts = self.posts
        self.posts = []
        ok = self.recent_firm >= 0 and self.recent_until >= day
        self.public_recent = self.recent_firm if ok else -1

    def _post(self, kind: EventKind, firm: int, sign: float = 1.0) -> None:
        m = self.model
        s = m.social
        if kind == EventKind.POST_POSITIVE:
            weight, value = s.positive_weight, s.positive_weight
        elif kind == EventKind.POST_NEGATIVE:
            weight, value = -s.negative_weight, s.negative_weight
        else:
            weight, value = s.values_weight * sign, sign
        self.posts.append((firm, weight))
        m.log.append((kind, m.day, self.row, firm, value))

    def _experience(self, firm: int, positive: bool) -> None:
        m = self.model
        if not m.social.enabled or not self.social_media:
            return
        chance = self.posting_propensity * (1.0 if positive else m.negative_factor)
        if m.u_exp[self.row] < chance:
            self._post(EventKind.POST_POSITIVE if positive else EventKind.POST_NEGATIVE, firm)

    # --- stage 1: orders given up and delivered ------------------------------------------------
    def gave_up(self, day: int, firm: int) -> None:
        """The consumer cancelled an overdue order: maybe a complaint, and shopping again today."""
        self.waiting = False
        self.next_need = float(day)
        if self.last_firm == firm:
            self.last_satisfied = False
        self._experience(firm, False)

    def delivered(self, day: int, firm: int, late: float, defective: bool) -> None:
        """The order arrived: satisfied or not, maybe a post, and the next need."""
        m = self.model
        satisfied = late <= 0 and not defective
        self.waiting = False
        self.consumed += 1
        self.next_need = day + m.e_need[self.row] * (self.need_interval / m.need_rate)
        if self.last_firm == firm:
            self.last_satisfied = satisfied
        self._experience(firm, satisfied)

    # --- stage 2: word of mouth -----------------------------------------------------------------
    def listen(self, public_reputation: list[float]) -> None:
        """Perceived reputations drift to the public one; the neighbours' posts move them."""
        s = self.model.social
        rep = self.reputation
        for j in range(len(rep)):
            rep[j] = rep[j] + s.reputation_reversion * (public_reputation[j] - rep[j])
        if self.social_media:
            heard = [0.0] * len(rep)
            for nb in self.neighbours:
                for j, w in nb.public_posts:
                    heard[j] += w
            for j in range(len(rep)):
                if heard[j]:
                    rep[j] += self.susceptibility * heard[j]
        for j in range(len(rep)):
            rep[j] = min(1.0, max(0.0, rep[j]))

    # --- stage 3: shopping -------------------------------------------------------------------------
    def alignment(self, ethics: np.ndarray) -> float:
        """Alignment in [-1, 1] with a firm of profile ``ethics``, against the conventional product."""
        ref = self.model.choice_params.reference_ethics
        score = sum(self.weights[d] * float(ethics[d]) for d in range(len(self.weights)))
        return (score - ref) / (1.0 - ref) if score >= ref else (score - ref) / ref

    def patience(self, ethics: np.ndarray) -> float:
        """Extra delivery days accepted from a firm of profile ``ethics`` (more if aligned)."""
        p = self.model.choice_params
        return self.tolerance + p.days_per_premium * self.wtp * max(self.alignment(ethics), 0.0)

    def utility(self, offers: Offers, k: int, peer: list[float], quotes: list[float]) -> float:
        """Systematic utility of offer ``k`` for this consumer (``quotes``: each offer's quote)."""
        m = self.model
        p = m.choice_params
        f = int(offers.firm[k])
        ethics = offers.ethics[k]
        excess = max(0.0, quotes[k] - p.standard_delivery_days - self.patience(ethics))
        money = -(float(offers.price[k]) / p.reference_price - 1.0) + self.wtp * self.alignment(ethics)
        money += p.quality_weight * (float(offers.quality[k]) - 0.5)
        money += p.reputation_weight * (self.reputation[f] - 0.5)
        money -= p.delay_penalty * excess
        money += self.taste[f]
        money += self.customisation * float(offers.customisation[k])
        if m.social.enabled and p.peer_weight:
            money += p.peer_weight * peer[f]
        if self.last_satisfied and self.last_firm == f:
            money += self.loyalty
        return p.purchase_constant + self.beta * money + float(offers.appeal[k])

    def pick(self, offers: Offers, peer: list[float], quotes: list[float]) -> int:
        """The offer chosen on today's uniform (-1: none): the firm by its best variant, then that
        variant (ties split evenly)."""
        m = self.model
        vs = [
            self.utility(offers, k, peer, quotes) if offers.available[k] else -math.inf
            for k in range(len(offers))
        ]
        best: dict[int, float] = {}
        for k, v in enumerate(vs):
            f = int(offers.firm[k])
            best[f] = max(best.get(f, -math.inf), v)
        top = max([0.0, *best.values()])
        e_none = math.exp(-top)
        e_firm = {f: (math.exp(v - top) if v > -math.inf else 0.0) for f, v in best.items()}
        total = e_none + sum(e_firm.values())
        probs = [e_none / total]
        for k, v in enumerate(vs):
            f = int(offers.firm[k])
            ties = sum(1 for j in range(len(vs)) if int(offers.firm[j]) == f and vs[j] == best[f])
            share = 1.0 / ties if v == best[f] and v > -math.inf else 0.0
            probs.append(e_firm[f] / total * share)
        u = m.u_choice[self.row]
        acc = 0.0
        for i, pk in enumerate(probs):
            acc += pk
            if acc >= u:
                return i - 1
        return len(probs) - 2

    def shop(self, day: int, offers: Offers) -> None:
        """A consumer whose need is due chooses among the offers (or none) and orders."""
        self.choice = None
        if self.waiting or self.next_need > day:
            return
        m = self.model
        peer = [0.0] * len(m.firms)
        if self.neighbours:
            for nb in self.neighbours:
                if nb.public_recent >= 0:
                    peer[nb.public_recent] += 1.0
            scale = 1.0 / len(self.neighbours)
            peer = [c * scale for c in peer]
        quotes = [float(q) for q in offers.quoted_days]
        d0 = m.choice_params.standard_delivery_days
        k = self.pick(offers, peer, quotes)
        self.choice = k
        m.shoppers_today += 1
        m.shoppers_by_gen[self.generation] += 1
        # sales lost to a firm's quote: would this consumer have bought from it at standard delivery?
        bought = int(offers.firm[k]) if k >= 0 else -1
        for f in sorted({int(offers.firm[j]) for j in range(len(quotes)) if quotes[j] > d0}):
            fast = [d0 if int(offers.firm[j]) == f else quotes[j] for j in range(len(quotes))]
            cf = self.pick(offers, peer, fast)
            if cf >= 0 and int(offers.firm[cf]) == f and bought != f:
                m.lost_today[f] += 1
                m.log.append((EventKind.LOST_TO_QUOTE, day, self.row, f, quotes[cf]))
        if k < 0:
            cause = 0
            if any(q > d0 for q in quotes) and self.pick(offers, peer, [d0] * len(quotes)) >= 0:
                cause = 1
            m.went_without_today[cause] += 1
            m.log.append((EventKind.WENT_WITHOUT, day, self.row, -1, float(cause)))
            self.next_need = day + m.e_need[self.row] * float(m.retry_days)
            return
        f = int(offers.firm[k])
        firm = m.firms[f]
        self.waiting = True
        self.last_firm = f
        self.purchases += 1
        self.recent_firm = f
        self.recent_until = day + m.social.recent_days
        m.buyers_today += 1
        m.orders_by_gen[self.generation][f] += 1
        price = float(offers.price[k])
        m.log.append((EventKind.PURCHASE, day, self.row, f, price))
        deadline = day + firm.quoted_days + self.patience(offers.ethics[k]) + GRACE_DAYS
        variant = np.array([offers.variant[k]], dtype=np.int16)
        start = firm.orders.n
        firm.book(np.array([self.row]), variant, np.array([deadline]))
        if math.isnan(firm.orders.filled[start]):  # out of stock: the order waits for production
            m.log.append((EventKind.WAIT, day, self.row, f, firm.quoted_days))
        if m.social.enabled and self.social_media:
            strong = self.wtp * self.alignment(offers.ethics[k]) >= m.social.support_threshold
            if strong and m.u_val[self.row] < self.values_posting:
                self._post(EventKind.POST_VALUES, f, 1.0)


class NaiveMarket(mesa.Model):
    """The market of :class:`simulator.model.MarketModel`, with one Python object per consumer.

    Args:
        scenario: the validated scenario (without scandal or virtue events).
        seed: root seed; defaults to the scenario's ``run.seed`` (the same streams as the model).
    """

    def __init__(self, scenario: Scenario, *, seed: int | np.random.SeedSequence | None = None) -> None:
        if any(ev.kind in ("scandal", "virtue") for ev in scenario.events):
            raise NotImplementedError(
                "the naive reference does not implement awareness, boycotts and buycotts"
            )
        self.streams = Streams(scenario.run.seed if seed is None else seed)
        super().__init__(rng=self.streams.get("mesa"))
        self.spec = scenario
        self.day = 0
        self.env = simpy.Environment()
        self.firms = [build_firm(i, f, self.env, self.streams) for i, f in enumerate(scenario.firms)]
        for firm in self.firms:
            firm.defect_escape_per_quality_gap = scenario.social.defect_rate_per_quality_gap
        self.consumer_rng = self.streams.get("consumers")
        # Starting traits: the project's own draws (same stream, same order), copied into agents.
        pop = Population(
            scenario.population,
            len(self.firms),
            np.array([f.reputation for f in self.firms]),
            self.consumer_rng,
            social=scenario.social,
            log=EventLog(len(self.firms), keep_rows=False),
            firm_names=[f.name for f in self.firms],
        )
        self.social = pop.social
        self.choice_params = pop.choice_params
        self.negative_factor = pop.negative_factor
        self.retry_days = scenario.population.retry_days
        self.need_rate = 1.0  # demand-shift events scale it (the schedule treats us as the population)
        self.n = pop.n
        columns = {
            "generation": pop.generation,
            "wtp": pop.wtp_values,
            "beta": pop.price_sensitivity,
            "tolerance": pop.delay_tolerance,
            "social_media": pop.social_media,
            "posting_propensity": pop.posting_propensity,
            "values_posting": pop.values_posting,
            "susceptibility": pop.susceptibility,
            "need_interval": pop.need_interval,
            "customisation": pop.customisation_preference,
            "loyalty": pop.loyalty,
            "next_need": pop.next_need,
        }
        rows = {k: v.tolist() for k, v in columns.items()}
        weights = pop.value_weights.tolist()
        reputation = pop.reputation.tolist()
        taste = pop.taste.tolist()
        self.consumers: list[NaiveConsumer] = [
            NaiveConsumer(
                self,
                i,
                {
                    **{k: v[i] for k, v in rows.items()},
                    "weights": weights[i],
                    "reputation": reputation[i],
                    "taste": taste[i],
                },
            )
            for i in range(pop.n)
        ]
        del pop, rows, weights, reputation, taste
        network = build_network(scenario.network, scenario.population.size, self.streams.get("network"))
        for i, agent in enumerate(self.consumers):
            nbrs = network.indices[network.indptr[i] : network.indptr[i + 1]].tolist()
            agent.neighbours = [self.consumers[k] for k in nbrs]
        # the schedule only touches the population's need_rate here, which this model carries
        self.events = EventSchedule(scenario.events, self.firms, self)  # type: ignore[arg-type]
        self.log: list[tuple[int, int, int, int, float]] = []
        """(kind, day, consumer, firm, value) per consumer event."""
        self.rows: list[dict[str, Any]] = []
        self.market_rows: list[dict[str, Any]] = []
        self.choices_by_day: list[dict[int, int]] = []
        """Per day: consumer row -> offer chosen (-1: went without) of everyone who shopped."""
        self.datacollector = mesa.DataCollector(
            model_reporters={"day": "day", "shoppers": "shoppers_today", "buyers": "buyers_today"}
        )
        self.u_choice: list[float] = []
        self._new_day_counters()

    def _new_day_counters(self) -> None:
        self.went_without_today = [0, 0, 0]  # by cause: choice, delivery, boycott
        self.lost_today = [0] * len(self.firms)
        self.shoppers_today = 0
        self.buyers_today = 0
        self.shoppers_by_gen = [0] * len(GENERATIONS)
        self.orders_by_gen = [[0] * len(self.firms) for _ in GENERATIONS]

    def _draw_day(self) -> None:
        """The day's random numbers, in the vectorized model's order; agents read their own."""
        r, n = self.consumer_rng, self.n
        self.u_choice = r.random(n).tolist()
        self.u_exp = r.random(n).tolist()
        self.u_val = r.random(n).tolist()
        self.e_need = r.standard_exponential(n).tolist()

    def offers(self) -> Offers:
        """Today's offers: the model's own rule (it reads only the firms)."""
        return MarketModel.offers(self)  # type: ignore[arg-type]

    def step(self) -> None:
        """One day, in the model's documented order of events."""
        d = self.day
        env = self.env
        self._new_day_counters()
        while env.peek() <= d:
            env.step()
        self.events.apply(d)
        self._draw_day()
        self.agents.do("publish", d)
        for f in self.firms:
            for c in f.cancel_overdue().tolist():
                self.log.append((EventKind.CANCEL, d, c, f.index, NAN))
                self.consumers[c].gave_up(d, f.index)
        for f in self.firms:
            orders = f.orders
            for i in f.deliveries_between(d - 1, d).tolist():
                c = int(orders.consumer[i])
                # whole calendar days after the promised day, as the model judges lateness
                late = max(0.0, np.floor(orders.delivered[i]) - np.floor(orders.promised[i]))
                self.log.append((EventKind.DELIVERY, d, c, f.index, late))
                self.consumers[c].delivered(d, f.index, late, bool(orders.defective[i]))
        if self.social.enabled:
            self.agents.do("listen", [f.reputation for f in self.firms])
        offers = self.offers()
        self.agents.do("shop", d, offers)
        self.choices_by_day.append({a.row: a.choice for a in self.consumers if a.choice is not None})
        env.run(until=d + 1)
        self._record(d)
        self.day += 1

    def _record(self, d: int) -> None:
        buyers = self.buyers_today
        posts = {k: 0 for k in (EventKind.POST_POSITIVE, EventKind.POST_NEGATIVE, EventKind.POST_VALUES)}
        for kind, day, *_ in reversed(self.log):
            if day != d:
                break
            if kind in posts:
                posts[kind] += 1
        collected: dict[str, float] = {
            "posts_positive": posts[EventKind.POST_POSITIVE],
            "posts_negative": posts[EventKind.POST_NEGATIVE],
            "posts_values": posts[EventKind.POST_VALUES],
            "support_purchases": 0,
            "went_without_choice": self.went_without_today[0],
            "went_without_delivery": self.went_without_today[1],
            "went_without_boycott": self.went_without_today[2],
        }
        gen_total = [sum(row) for row in self.orders_by_gen]
        for f in self.firms:
            for name in STAND_COLUMNS:
                collected[f"{name}:{f.name}"] = 0.0
            collected[f"reputation:{f.name}"] = (
                sum(a.reputation[f.index] for a in self.consumers) / self.n
            )
            for g in GENERATIONS:
                collected[f"boycott:{f.name}:{g}"] = 0.0
            collected[f"support:{f.name}"] = 0
            for k, g in enumerate(GENERATIONS):
                t = gen_total[k]
                collected[f"share:{f.name}:{g}"] = self.orders_by_gen[k][f.index] / t if t else 0.0
        self.market_rows.append(
            {
                "day": d,
                "shoppers": self.shoppers_today,
                "buyers": buyers,
                **{f"buyers_{g}": gen_total[k] for k, g in enumerate(GENERATIONS)},
                **{f"shoppers_{g}": self.shoppers_by_gen[k] for k, g in enumerate(GENERATIONS)},
                **collected,
            }
        )
        for f in self.firms:
            rec = f.close_day()
            share = rec.orders / buyers if buyers else 0.0
            self.rows.append(
                {
                    "day": d,
                    "firm": f.name,
                    **f.day_row(rec),
                    "market_share": share,
                    "support_orders": 0,
                    "lost_sales": self.lost_today[f.index],
                    **{f"orders_{g}": self.orders_by_gen[k][f.index] for k, g in enumerate(GENERATIONS)},
                }
            )
        self.datacollector.collect(self)

    def run(self, days: int | None = None) -> None:
        """Run ``days`` days (default: the scenario's ``run.days``)."""
        for _ in range(self.spec.run.days if days is None else days):
            self.step()
