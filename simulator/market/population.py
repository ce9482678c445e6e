"""The population: every consumer's traits and state as numpy columns, and agents as views on them.

Think of a spreadsheet with one row per consumer. The day's decisions for everyone are computed on
whole columns at once, which is what lets one machine hold a million consumers. Each row is also a
:class:`~simulator.market.consumer.Consumer` (a :class:`mesa.Agent`), so ``model.agents``,
``AgentSet`` and the browser view work as Mesa users expect; an agent holds no state of its own, it
reads and writes its row.

A consumer's day (steps 3 to 5 of :mod:`simulator.model`), on random draws made once for everyone
at its start (:class:`DayDraws`):

- **give-ups** (:meth:`Population.cancelled`): the order is dropped, the firm is not a satisfying
  last purchase any more, the consumer may complain in public and shops again today;
- **deliveries** (:meth:`Population.delivered`): a late or defective delivery dissatisfies; the
  consumer may post praise or a complaint; the next need is drawn;
- **the social day** (:meth:`Population.social_day`): yesterday's posts move perceived reputations
  (:mod:`simulator.market.social`), awareness of live issues spreads within the day and consumers
  join or leave boycotts and buycotts (:mod:`simulator.market.boycott`);
- **support purchases** (:meth:`Population.support_day`): strongly aligned buycotters may buy only to
  support the firm: an order, but no consumption and no change of their need;
- **shopping** (:meth:`Population.shop`): consumers whose need is due choose among the offers they
  do not boycott (:mod:`simulator.market.choice`) or go without; why they went without and which
  sales each firm lost to its quote are counted on the same draws (:mod:`simulator.market.shopping`).

**Random streams.** Every source of randomness has its own named stream, so adding a scandal, a firm
or a buycott leaves every other source's draws unchanged (their decisions may change; their draws may
not): the consumers' traits and their daily draws (``consumers``), each firm's brand tastes
(``brand:FIRM``), each scandal's or virtuous act's awareness and stand draws
(``issue:FIRM:KIND:DAY``) and each firm's support purchases (``support:FIRM``), all children of the
consumers' seed (:class:`simulator.rng.Streams`).

Every decision reads only yesterday's public state of the neighbours (posts, declared stands, recent
purchases) or, for awareness, the state at the start of each sub-step of the day, so the order in
which consumers are visited does not matter. The plain per-agent rules (:class:`Consumer`) apply the
same day one consumer at a time; with ``per_agent=True`` the population uses them instead of the
vectorized pass, which is how the tests show that both give the same choices, posts and boycott
states.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from simulator.market.boycott import (
    Issues,
    join_chances,
    leave_probability,
    spread_day,
    stand_day,
    substeps,
)
from simulator.market.choice import (
    ChoiceParams,
    Chooser,
    Offers,
    alignment,
    choose_offers,
    firm_alignment,
    tolerance_for,
)
from simulator.market.eventlog import WENT_WITHOUT_CAUSES, EventKind, EventLog
from simulator.market.generations import calibration, draw_generations, draw_traits
from simulator.market.sharing import PostBuffer
from simulator.market.shopping import shop_day
from simulator.market.social import word_of_mouth
from simulator.rng import Streams
from simulator.scenario import GENERATIONS, Social
from simulator.scenario import Population as PopulationSpec

if TYPE_CHECKING:
    from simulator.market.consumer import Consumer


@dataclass
class DayDraws:
    """One day's random numbers, one per consumer (and firm) and purpose, shared by both passes.

    The per-firm columns come from the firm's own streams (its live issue's, its support
    purchases'); a firm without one has a column of ones, which triggers nothing.
    """

    u_choice: np.ndarray  # (n,) the shopping choice
    u_exp: np.ndarray  # (n,) posting about a delivery or a give-up
    u_val: np.ndarray  # (n,) a values post after an aligned purchase
    e_need: np.ndarray  # (n,) standard exponential: the next need or the next look
    u_aware: np.ndarray | None  # (n, F) becoming aware of a live issue (its threshold)
    u_stand: np.ndarray | None  # (n, F) joining, sympathising with or leaving a boycott / buycott
    u_declare: np.ndarray | None  # (n, F) declaring a stand, never returning, posting support
    u_support: np.ndarray | None  # (n, F) a support purchase


@dataclass
class Snapshot:
    """The neighbours' public state at the start of the social day (per-agent pass only)."""

    aware: np.ndarray
    declared_boycott: np.ndarray
    declared_buycott: np.ndarray
    recent: np.ndarray  # (n, F) bool: bought from the firm recently
    posts_by: dict[int, list[tuple[int, float]]]  # poster -> [(firm, weight)] of yesterday's posts


@dataclass
class DayCounts:
    """What today's shopping produced besides orders: the market's and firms' daily counts."""

    went_without: np.ndarray  # (len(WENT_WITHOUT_CAUSES),) shoppers who went without, by cause
    lost_to_quote: np.ndarray  # (F,) sales each firm lost to its delivery quote


class Population:
    """Consumer traits and state as columns.

    Args:
        spec: the population section of the scenario.
        n_firms: number of firms (columns of perceived reputation, boycotts, ...).
        reputation: each firm's starting public reputation.
        rng: the consumers' random stream (its seed also seeds the per-firm streams).
        social: the scenario's social parameters (default: the defaults).
        log: the event log to write to (default: a new one).
        firm_names: the firms' names, which name their streams (default: ``firm0``, ``firm1``...).
    """

    def __init__(
        self,
        spec: PopulationSpec,
        n_firms: int,
        reputation: np.ndarray,
        rng: np.random.Generator,
        social: Social | None = None,
        log: EventLog | None = None,
        firm_names: Sequence[str] | None = None,
    ) -> None:
        self.spec = spec
        self.rng = rng
        seed_seq = rng.bit_generator.seed_seq
        if not isinstance(seed_seq, np.random.SeedSequence):
            raise ValueError(
                "rng must be seeded from a numpy SeedSequence (it seeds the firms' streams)"
            )
        self.streams = Streams(seed_seq)
        self.social = social or Social()
        self.log = log if log is not None else EventLog(n_firms)
        self.firm_names = list(firm_names) if firm_names else [f"firm{i}" for i in range(n_firms)]
        n = spec.size
        self.n = n
        self.n_firms = n_firms
        self.generation = draw_generations(n, spec.mix.as_tuple(), rng)
        t = draw_traits(self.generation, rng, spec.value_intensity, spec)
        self.birth_year = t.birth_year
        self.wtp_stated = t.wtp_stated
        self.wtp_values = t.wtp_values
        self.price_sensitivity = t.price_sensitivity
        self.value_weights = t.value_weights
        self.delay_tolerance = t.delay_tolerance
        self.social_media = t.social_media
        self.posting_propensity = t.posting_propensity
        self.values_posting = t.values_posting
        self.susceptibility = t.susceptibility
        self.need_interval = t.need_interval
        self.customisation_preference = t.customisation_preference
        self.loyalty = t.loyalty
        self.boycott_propensity = t.boycott_propensity
        self.boycott_sympathy = t.boycott_sympathy
        s = self.social
        self.boycott_leave = (
            t.boycott_leave
            if s.mean_boycott_days is None
            else np.full(n, leave_probability(s.mean_boycott_days))
        )
        self.buycott_leave = leave_probability(s.mean_buycott_days)
        self.buycott_propensity = t.buycott_propensity
        self.support_rate = t.support_rate
        cal = calibration()
        self.negative_factor = float(cal["posting"]["negative_factor"])
        self.adherence = float(cal["boycott"]["adherence"])
        sd = spec.brand_taste_sd if spec.brand_taste_sd is not None else float(cal["brand_taste"]["sd"])
        self.taste = np.zeros((n, n_firms))
        """Each consumer's lasting taste for each firm's brand (price units)."""
        if sd > 0:
            for j, name in enumerate(self.firm_names):
                self.taste[:, j] = self.streams.get(f"brand:{name}").normal(0.0, sd, n)
        # state
        self.next_need = rng.uniform(0.0, 1.0, n) * self.need_interval
        self.waiting = np.zeros(n, dtype=bool)  # a consumption order is open
        self.last_firm = np.full(n, -1, dtype=np.int16)
        self.last_satisfied = np.zeros(n, dtype=bool)
        self.purchases = np.zeros(n, dtype=np.int32)  # consumption orders placed
        self.consumed = np.zeros(n, dtype=np.int32)  # consumption orders delivered
        self.supports = np.zeros(n, dtype=np.int32)  # support orders placed
        self.reputation = np.tile(np.asarray(reputation, dtype=np.float64), (n, 1))
        self.recent_firm = np.full(n, -1, dtype=np.int16)
        self.recent_until = np.full(n, -np.inf)
        shape = (n, n_firms)
        self.aware = np.zeros(shape, dtype=bool)
        self.boycott = np.zeros(shape, dtype=bool)  # says they boycott the firm (as polls count)
        self.strict = np.zeros(shape, dtype=bool)  # a boycotter who really avoids the firm
        self.buycott = np.zeros(shape, dtype=bool)
        self.sympathetic = np.zeros(shape, dtype=bool)  # sympathises with the firm's boycott
        self.never = np.zeros(shape, dtype=bool)  # will never buy from the firm again
        self.left = np.zeros(shape, dtype=bool)  # took and left a stand on the current issue
        self.declared_boycott = np.zeros(shape, dtype=bool)
        self.declared_buycott = np.zeros(shape, dtype=bool)
        self.issues = Issues.none(n_firms)
        self._issue_rng: list[np.random.Generator | None] = [None] * n_firms
        self._issue_names: dict[str, int] = {}
        self.need_rate = 1.0  # demand-shift events scale how often needs arise
        self.adj: sp.csr_matrix = sp.csr_matrix((n, n), dtype=np.float32)
        self.degree = np.zeros(n)
        self.posts_today = PostBuffer()
        self._yesterday: tuple[np.ndarray, np.ndarray, np.ndarray] = (
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty(0),
        )
        self.draws: DayDraws | None = None
        self.day = -1
        self.per_agent = False
        self.agents: list[Consumer] = []
        self._snap: Snapshot | None = None
        self._buycott_before: np.ndarray | None = None
        self.today = DayCounts(np.zeros(len(WENT_WITHOUT_CAUSES), np.int64), np.zeros(n_firms, np.int64))
        dt = cal["delay_tolerance"]
        self.choice_params = ChoiceParams(
            reference_price=spec.reference_price,
            purchase_constant=spec.purchase_constant,
            standard_delivery_days=float(cal["utility"]["standard_delivery_days"]),
            delay_penalty=float(dt["delay_penalty"]),
            buycott_premium=s.buycott_premium if s.enabled else 0.0,
            peer_weight=s.peer_purchase_weight if s.enabled else 0.0,
            reference_ethics=spec.reference_ethics,
            days_per_premium=float(dt["days_per_premium"]),
        )

    # --- set-up -----------------------------------------------------------------------------------
    def attach_network(self, adj: sp.csr_matrix) -> None:
        """Use ``adj`` as the social network."""
        self.adj = adj.tocsr()
        self.degree = np.diff(self.adj.indptr).astype(np.float64)

    def start_issue(self, day: int, firm: int, sign: int, magnitude: float) -> None:
        """A scandal (sign -1) or virtuous act (+1) of ``firm`` becomes news on ``day``.

        Awareness, sympathy and "left this stand" start afresh (it is new news); a scandal ends the
        firm's buycotts at once. The issue draws from its own stream from now on.
        """
        self.issues.sign[firm] = sign
        self.issues.start[firm] = day
        self.issues.magnitude[firm] = magnitude
        self.aware[:, firm] = False
        self.left[:, firm] = False
        self.sympathetic[:, firm] = False
        key = f"issue:{self.firm_names[firm]}:{'scandal' if sign < 0 else 'virtue'}:{day}"
        k = self._issue_names.get(key, 0)
        self._issue_names[key] = k + 1
        self._issue_rng[firm] = self.streams.get(key if k == 0 else f"{key}:{k}")
        if sign < 0:
            ended = np.flatnonzero(self.buycott[:, firm])
            self.buycott[ended, firm] = False
            self.declared_buycott[ended, firm] = False
            self.log.record(EventKind.BUYCOTT_LEAVE, day, ended, firm)

    # --- the day ------------------------------------------------------------------------------------
    def begin_day(self, day: int) -> DayDraws:
        """Draw the day's random numbers (always the same amount from each stream for the same
        state; the consumers' stream always the same amount)."""
        n, f = self.n, self.n_firms
        r = self.rng
        issue = self.social.enabled and bool((self.issues.sign != 0).any())
        self.draws = DayDraws(
            u_choice=r.random(n),
            u_exp=r.random(n),
            u_val=r.random(n),
            e_need=r.standard_exponential(n),
            u_aware=None,
            u_stand=None,
            u_declare=None,
            u_support=None,
        )
        if issue:
            d = self.draws
            d.u_aware, d.u_stand, d.u_declare, d.u_support = (np.ones((n, f)) for _ in range(4))
            for j in np.flatnonzero(self.issues.sign != 0).tolist():
                g = self._issue_rng[j]
                assert g is not None
                d.u_aware[:, j] = g.random(n)
                d.u_stand[:, j] = g.random(n)
                d.u_declare[:, j] = g.random(n)
                if self.buycott[:, j].any():
                    d.u_support[:, j] = self.streams.get(f"support:{self.firm_names[j]}").random(n)
        self.day = day
        self.posts_today = PostBuffer()
        self.today = DayCounts(np.zeros(len(WENT_WITHOUT_CAUSES), np.int64), np.zeros(f, np.int64))
        # support purchases come from buycotters who were so at the start of the day and still are
        self._buycott_before = self.buycott.copy() if issue else None
        self._snap = self._snapshot(day) if self.per_agent else None
        return self.draws

    def _draws(self) -> DayDraws:
        assert self.draws is not None, "begin_day() first"
        return self.draws

    def _snapshot(self, day: int) -> Snapshot:
        posts_by: dict[int, list[tuple[int, float]]] = defaultdict(list)
        who, firm, w = self._yesterday
        for i, j, x in zip(who.tolist(), firm.tolist(), w.tolist(), strict=True):
            posts_by[i].append((j, x))
        return Snapshot(
            aware=self.aware.copy(),
            declared_boycott=self.declared_boycott.copy(),
            declared_buycott=self.declared_buycott.copy(),
            recent=self._recent_flags(day),
            posts_by=posts_by,
        )

    def _recent_flags(self, day: int) -> np.ndarray:
        flags = np.zeros((self.n, self.n_firms), dtype=bool)
        ok = np.flatnonzero((self.recent_firm >= 0) & (self.recent_until >= day))
        flags[ok, self.recent_firm[ok]] = True
        return flags

    def _recent_peer_share(self, who: np.ndarray, day: int) -> np.ndarray:
        """Share of each consumer's neighbours who bought from each firm recently: (len(who), F).

        Walks only the rows of ``who`` in the adjacency (the day's shoppers), never the whole
        population; equal to ``neighbour_share(adj, degree, _recent_flags(day), who)``.
        """
        sub = self.adj[who]
        nb = sub.indices
        firm = self.recent_firm[nb].astype(np.int64)
        ok = (firm >= 0) & (self.recent_until[nb] >= day)
        row = np.repeat(np.arange(len(who)), np.diff(sub.indptr))
        f = self.n_firms
        counts = np.bincount(row[ok] * f + firm[ok], minlength=len(who) * f).reshape(len(who), f)
        deg = self.degree[who]
        scale = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
        return counts * scale[:, None]

    def shoppers(self, day: int) -> np.ndarray:
        """Consumers whose need falls due by ``day`` and who are not waiting for an order."""
        return np.flatnonzero((self.next_need <= day) & ~self.waiting)

    def draw_day(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        """Who shops on ``day`` and the uniform each one's choice uses (draws the day if needed)."""
        if self.draws is None or self.day != day:
            self.begin_day(day)
        who = self.shoppers(day)
        return who, self._draws().u_choice[who]

    def _experience_post(self, who: np.ndarray, firm: int, positive: np.ndarray) -> None:
        if not self.social.enabled or len(who) == 0:
            return
        u = self._draws().u_exp[who]
        chance = self.posting_propensity[who] * np.where(positive, 1.0, self.negative_factor)
        post = self.social_media[who] & (u < chance)
        pos = who[post & positive]
        neg = who[post & ~positive]
        self.posts_today.add(EventKind.POST_POSITIVE, pos, firm)
        self.posts_today.add(EventKind.POST_NEGATIVE, neg, firm)
        self.log.record(EventKind.POST_POSITIVE, self.day, pos, firm, self.social.positive_weight)
        self.log.record(EventKind.POST_NEGATIVE, self.day, neg, firm, self.social.negative_weight)

    def cancelled(self, day: int, consumers: np.ndarray, firm: int = -1) -> None:
        """Consumption orders given up: the consumers may complain and shop again today."""
        if self.per_agent and len(consumers):
            for i in consumers.tolist():
                self.agents[i].on_cancelled(firm)
            return
        self.waiting[consumers] = False
        self.next_need[consumers] = day
        was = consumers[self.last_firm[consumers] == firm]
        self.last_satisfied[was] = False
        self._experience_post(consumers, firm, np.zeros(len(consumers), dtype=bool))

    def delivered(
        self,
        day: int,
        consumers: np.ndarray,
        firm: int = -1,
        late: np.ndarray | None = None,
        defective: np.ndarray | None = None,
    ) -> None:
        """Consumption orders arrived (``late``: days after the promise; ``defective``: the unit
        has a defect the consumer finds): satisfaction, posts, and the next need."""
        if late is None:
            late = np.zeros(len(consumers))
        if defective is None:
            defective = np.zeros(len(consumers), dtype=bool)
        if self.per_agent and len(consumers):
            for i, x, bad in zip(consumers.tolist(), late.tolist(), defective.tolist(), strict=True):
                self.agents[i].on_delivered(firm, x, bad)
            return
        d = self._draws()
        satisfied = (late <= 0) & ~defective
        self.waiting[consumers] = False
        self.consumed[consumers] += 1
        mean = self.need_interval[consumers] / self.need_rate
        self.next_need[consumers] = day + d.e_need[consumers] * mean
        mine = self.last_firm[consumers] == firm
        self.last_satisfied[consumers[mine]] = satisfied[mine]
        self._experience_post(consumers, firm, satisfied)

    # --- social day ---------------------------------------------------------------------------------
    def social_day(self, day: int, public_reputation: np.ndarray) -> None:
        """Word of mouth from yesterday's posts, spreading awareness, joining and leaving stands."""
        if not self.social.enabled:
            return
        if self.per_agent:
            self._social_day_per_agent(day, public_reputation)
            return
        s = self.social
        d = self._draws()
        # word of mouth: reversion toward the public reputation, then neighbours' posts
        rep = self.reputation
        rep += s.reputation_reversion * (public_reputation[None, :] - rep)
        who, firm, w = self._yesterday
        if len(who):
            delta = word_of_mouth(self.adj, who, firm, w, self.n_firms).tocoo()
            gain = self.susceptibility[delta.row] * self.social_media[delta.row]
            np.add.at(rep, (delta.row, delta.col), gain * delta.data)
        np.clip(rep, 0.0, 1.0, out=rep)
        live = self.issues.live(day, s.issue_days)
        for j in np.flatnonzero(self.issues.sign != 0).tolist():
            assert d.u_aware is not None
            was_aware = self.aware[:, j].copy()
            new_aware = np.zeros(self.n, dtype=bool)
            if live[j] and not was_aware.all():
                k = substeps(s.media_rate, s.peer_awareness_rate)
                media = self.issues.media_steps(day, s, j, k)
                got = spread_day(
                    self.adj, self.degree, was_aware, media, s.peer_awareness_rate, d.u_aware[:, j]
                )
                self._became_aware(day, j, got.who, got.from_media)
                new_aware[got.who] = True
            self._stand_day(day, j, bool(live[j]), was_aware, new_aware)

    def _became_aware(self, day: int, j: int, got: np.ndarray, from_media: np.ndarray) -> None:
        self.aware[got, j] = True
        # the news itself moves the consumer's view of the firm
        rep = self.reputation
        rep[got, j] = np.clip(rep[got, j] + self._news_shift(j), 0.0, 1.0)
        self.log.record(EventKind.AWARE, day, got, j, from_media)

    def _social_day_per_agent(self, day: int, public_reputation: np.ndarray) -> None:
        """The social day with the per-agent rules: word of mouth, awareness sub-step by sub-step
        (every consumer reads the state at the start of the sub-step), then stands."""
        s = self.social
        d = self._draws()
        for a in self.agents:
            a.listen(public_reputation)
        live = self.issues.live(day, s.issue_days)
        for j in np.flatnonzero(self.issues.sign != 0).tolist():
            assert d.u_aware is not None
            was_aware = self.aware[:, j].copy()
            new_aware = np.zeros(self.n, dtype=bool)
            if live[j] and not was_aware.all():
                k = substeps(s.media_rate, s.peer_awareness_rate)
                media = self.issues.media_steps(day, s, j, k)
                cum = np.zeros(self.n)
                state = was_aware.copy()
                got_all, src_all = [], []
                for m in media:
                    start = state.copy()
                    tentative = start.copy()
                    for a in self.agents:
                        if not start[a.row] and a.aware_predict(j, start, m, 1.0 / k, cum):
                            tentative[a.row] = True
                    for a in self.agents:
                        if start[a.row]:
                            continue
                        hit = a.aware_correct(j, start, tentative, m, 1.0 / k, cum)
                        if hit is not None:
                            state[a.row] = True
                            got_all.append(a.row)
                            src_all.append(hit)
                got = np.array(got_all, np.int64)
                self._became_aware(day, j, got, np.array(src_all))
                new_aware[got] = True
            for a in self.agents:
                a.stand_step(j, bool(live[j]), bool(was_aware[a.row]), bool(new_aware[a.row]))

    def _news_shift(self, j: int) -> float:
        """Change of perceived reputation on learning of firm ``j``'s issue."""
        i = self.issues
        return float(i.sign[j]) * float(i.magnitude[j]) * self.social.scandal_reputation_factor

    def join_chances(self, j: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For consumers ``rows`` learning of firm ``j``'s issue: the chance of joining at once and
        of joining at once or sympathising (:func:`simulator.market.boycott.join_chances`)."""
        return join_chances(self, j, rows)

    def _stand_day(
        self, day: int, j: int, live: bool, was_aware: np.ndarray, new_aware: np.ndarray
    ) -> None:
        stand_day(self, day, j, live, was_aware, new_aware)

    # --- support purchases and shopping ----------------------------------------------------------
    def support_day(self, day: int, offers: Offers) -> tuple[np.ndarray, np.ndarray]:
        """Support purchases of today's continuing buycotters: (consumers, offer index)."""
        if not self.social.enabled or not self.buycott.any():
            e = np.empty(0, np.int64)
            return e, e
        if self.per_agent:
            out_who: list[int] = []
            out_offer: list[int] = []
            for i in np.flatnonzero(self.buycott.any(axis=1)).tolist():
                for k in self.agents[i].support_step(offers):
                    out_who.append(i)
                    out_offer.append(k)
            return np.array(out_who, np.int64), np.array(out_offer, np.int64)
        d = self._draws()
        assert d.u_support is not None and d.u_declare is not None
        who_parts, offer_parts = [], []
        for j in [j for j in range(self.n_firms) if self.buycott[:, j].any()]:
            k = support_offer(offers, j)
            if k < 0:
                continue
            cand = np.flatnonzero(self.buycott[:, j] & self._continuing(j))
            strength = self.support_strength(cand, offers.ethics[k])
            buy = cand[
                (strength >= self.social.support_threshold)
                & (d.u_support[cand, j] < self.support_rate[cand])
            ]
            who_parts.append(buy)
            offer_parts.append(np.full(len(buy), k, np.int64))
            self._after_support(buy, j, float(offers.price[k]))
        if not who_parts:
            e = np.empty(0, np.int64)
            return e, e
        return np.concatenate(who_parts), np.concatenate(offer_parts)

    def support_strength(self, who: np.ndarray, ethics: np.ndarray) -> np.ndarray:
        """What consumers ``who`` would pay for the values of a firm of profile ``ethics``
        (share of price): the premium that makes them support it or show their values."""
        align = firm_alignment(self.value_weights[who], ethics, self.choice_params.reference_ethics)
        return self.wtp_values[who] * align[:, 0]

    def _continuing(self, j: int) -> np.ndarray:
        """Buycotters of firm ``j`` at the start of today (joiners start supporting tomorrow)."""
        before = self._buycott_before
        return before[:, j] if before is not None else np.zeros(self.n, dtype=bool)

    def _after_support(self, buy: np.ndarray, j: int, price: float) -> None:
        d = self._draws()
        assert d.u_declare is not None
        self.supports[buy] += 1
        self.log.record(EventKind.SUPPORT_PURCHASE, self.day, buy, j, price)
        say = buy[self.social_media[buy] & (d.u_declare[buy, j] < self.values_posting[buy])]
        self.posts_today.add(EventKind.POST_VALUES, say, j, 1.0)
        self.log.record(EventKind.POST_VALUES, self.day, say, j, 1.0)

    def chooser(self, who: np.ndarray, day: int | None = None, peers: bool = True) -> Chooser:
        """The utility's consumer-side columns for consumers ``who`` (``peers``: compute the
        share of neighbours who bought each firm recently, from the current state)."""
        on = self.social.enabled
        peer = None
        if on and peers and self.choice_params.peer_weight:
            peer = self._recent_peer_share(who, self.day if day is None else day)
        return Chooser(
            wtp=self.wtp_values[who],
            beta=self.price_sensitivity[who],
            weights=self.value_weights[who],
            tolerance=self.delay_tolerance[who],
            reputation=self.reputation[who],
            customisation=self.customisation_preference[who],
            loyalty=self.loyalty[who],
            loyal_firm=np.where(self.last_satisfied[who], self.last_firm[who], -1),
            peer_share=peer,
            buycott=self.buycott[who] if on else None,
            excluded=(self.strict[who] | self.never[who]) if on else None,
            taste=self.taste[who],
        )

    def tolerance_toward(self, who: np.ndarray, ethics: np.ndarray) -> np.ndarray:
        """Delay tolerance (extra days) of consumers ``who`` toward a firm of profile ``ethics``."""
        p = self.choice_params
        align = firm_alignment(self.value_weights[who], ethics, p.reference_ethics)[:, 0]
        return tolerance_for(p, self.delay_tolerance[who], self.wtp_values[who], align)

    def choose(self, who: np.ndarray, u: np.ndarray, offers: Offers) -> np.ndarray:
        """Vectorized choice (offer index, -1 none) for consumers ``who`` with uniforms ``u``."""
        return choose_offers(offers, self.choice_params, self.chooser(who), u)

    def shop(self, day: int, offers: Offers) -> tuple[np.ndarray, np.ndarray]:
        """Today's shoppers choose: (consumers, offer index or -1); their state is updated."""
        who = self.shoppers(day)
        if self.per_agent:
            choice = np.array([self.agents[i].shop_step(offers) for i in who.tolist()], np.int64)
            return who, choice
        u = self._draws().u_choice[who]
        choice, cause, lost_rows, lost_firm = shop_day(offers, self.choice_params, self.chooser(who), u)
        self.after_choice(day, who, choice, offers, cause, who[lost_rows], lost_firm)
        return who, choice

    def after_choice(
        self,
        day: int,
        who: np.ndarray,
        choice: np.ndarray,
        offers: Offers,
        cause: np.ndarray,
        lost_who: np.ndarray,
        lost_firm: np.ndarray,
    ) -> None:
        """Buyers wait for delivery and may show their values; the others look again later; why
        the others went without and the sales lost to quotes are counted."""
        d = self._draws()
        bought = choice >= 0
        buyers = who[bought]
        k = choice[bought]
        firm = offers.firm[k]
        self.waiting[buyers] = True
        self.last_firm[buyers] = firm
        self.purchases[buyers] += 1
        self.recent_firm[buyers] = firm
        self.recent_until[buyers] = day + self.social.recent_days
        self.log.record(EventKind.PURCHASE, day, buyers, firm, offers.price[k])
        skip = who[~bought]
        why = cause[~bought]
        self.log.record(EventKind.WENT_WITHOUT, day, skip, -1, why.astype(np.float32))
        self.today.went_without += np.bincount(why, minlength=len(WENT_WITHOUT_CAUSES))
        quote = np.zeros(self.n_firms)
        quote[offers.firm] = offers.quoted_days  # one quote per firm
        self.log.record(EventKind.LOST_TO_QUOTE, day, lost_who, lost_firm, quote[lost_firm])
        np.add.at(self.today.lost_to_quote, lost_firm, 1)
        self.next_need[skip] = day + d.e_need[skip] * float(self.spec.retry_days)
        if self.social.enabled and len(buyers):
            score = np.einsum("ij,ij->i", self.value_weights[buyers], offers.ethics[k])
            strength = self.wtp_values[buyers] * alignment(score, self.choice_params.reference_ethics)
            say = (
                self.social_media[buyers]
                & (strength >= self.social.support_threshold)
                & (d.u_val[buyers] < self.values_posting[buyers])
            )
            for j in np.unique(firm[say]).tolist():
                s = buyers[say & (firm == j)]
                self.posts_today.add(EventKind.POST_VALUES, s, j, 1.0)
                self.log.record(EventKind.POST_VALUES, day, s, j, 1.0)

    def end_day(self) -> None:
        """Publish today's posts: the neighbours read them tomorrow."""
        who, firm, _, _ = self.posts_today.arrays()
        self._yesterday = (who, firm, self.posts_today.weights(self.social))
        self.draws = None

    # --- what the data collector reads ----------------------------------------------------------
    def share_by_generation(self, firm_choice: np.ndarray, who: np.ndarray, n_firms: int) -> np.ndarray:
        """Counts of purchases (generation x firm) from a day's choices (firm index, -1 none)."""
        bought = firm_choice >= 0
        out = np.zeros((len(GENERATIONS), n_firms), dtype=np.int64)
        np.add.at(out, (self.generation[who[bought]], firm_choice[bought]), 1)
        return out


def support_offer(offers: Offers, firm: int) -> int:
    """The offer a supporter buys: the firm's first available offer (-1: none today)."""
    ok = np.flatnonzero((offers.firm == firm) & offers.available)
    return int(ok[0]) if len(ok) else -1
