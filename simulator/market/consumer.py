"""A consumer as a Mesa agent: a view on one row of the population, with the plain per-agent rules.

Picture a clerk who handles one customer's file at a time: a :class:`Consumer` holds no state of
its own, it reads and writes its row of :class:`~simulator.market.population.Population`'s columns,
so ``model.agents``, ``AgentSet`` and the browser view work as Mesa users expect. Its ``*_step``
methods apply a day's rules to this one consumer in plain Python, on the same random draws as the
vectorized pass: the reference the tests hold the vectorized day to (``per_agent=True``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulator.market.choice import Chooser, Offers, alignment_one, choose_one
from simulator.market.eventlog import EventKind
from simulator.market.population import Population, support_offer
from simulator.market.social import neighbour_share_one
from simulator.scenario import GENERATIONS

if TYPE_CHECKING:
    from simulator.model import MarketModel


class Consumer(mesa.Agent):
    """One consumer: a view on row ``row`` of the model's :class:`Population`.

    The ``*_step`` and ``on_*`` methods are the per-agent rules: the same day as the vectorized pass,
    written plainly for one consumer, reading the neighbours only through the day's snapshot.
    """

    def __init__(self, model: MarketModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def _pop(self) -> Population:
        return self.model.population

    @property
    def generation(self) -> str:
        """The consumer's generation name."""
        return GENERATIONS[int(self._pop.generation[self.row])]

    @property
    def wtp_values(self) -> float:
        """Premium (share of reference price) the consumer pays for a perfectly aligned firm."""
        return float(self._pop.wtp_values[self.row])

    @property
    def delay_tolerance(self) -> float:
        """Extra delivery days the consumer accepts."""
        return float(self._pop.delay_tolerance[self.row])

    @property
    def last_firm(self) -> int:
        """Index of the firm of the last purchase (-1: none yet)."""
        return int(self._pop.last_firm[self.row])

    @property
    def waiting(self) -> bool:
        """Whether an order of this consumer is open."""
        return bool(self._pop.waiting[self.row])

    @property
    def boycotting(self) -> list[int]:
        """Firms the consumer boycotts now."""
        return np.flatnonzero(self._pop.boycott[self.row]).tolist()

    # --- the per-agent day ----------------------------------------------------------------------------
    def _post(self, kind: EventKind, firm: int, sign: float = 1.0) -> None:
        p = self._pop
        one = np.array([self.row])
        p.posts_today.add(kind, one, firm, sign)
        value = {
            EventKind.POST_POSITIVE: p.social.positive_weight,
            EventKind.POST_NEGATIVE: p.social.negative_weight,
        }.get(kind, sign)
        p.log.record(kind, p.day, one, firm, value)

    def _experience(self, firm: int, positive: bool) -> None:
        p, i = self._pop, self.row
        if not p.social.enabled or not p.social_media[i]:
            return
        chance = float(p.posting_propensity[i]) * (1.0 if positive else p.negative_factor)
        if float(p._draws().u_exp[i]) < chance:
            self._post(EventKind.POST_POSITIVE if positive else EventKind.POST_NEGATIVE, firm)

    def on_cancelled(self, firm: int) -> None:
        """The consumer's order with ``firm`` was given up."""
        p, i = self._pop, self.row
        p.waiting[i] = False
        p.next_need[i] = p.day
        if int(p.last_firm[i]) == firm:
            p.last_satisfied[i] = False
        self._experience(firm, False)

    def on_delivered(self, firm: int, late: float, defective: bool = False) -> None:
        """The consumer's order from ``firm`` arrived ``late`` days after the promise (``defective``:
        with a defect the consumer finds)."""
        p, i = self._pop, self.row
        d = p._draws()
        satisfied = late <= 0 and not defective
        p.waiting[i] = False
        p.consumed[i] += 1
        p.next_need[i] = p.day + float(d.e_need[i]) * (float(p.need_interval[i]) / p.need_rate)
        if int(p.last_firm[i]) == firm:
            p.last_satisfied[i] = satisfied
        self._experience(firm, satisfied)

    def listen(self, public_reputation: np.ndarray) -> None:
        """Word of mouth: perceived reputations drift to the public one; yesterday's posts move them."""
        p, i, s = self._pop, self.row, self._pop.social
        snap = p._snap
        assert snap is not None
        nbrs = p.adj.indices[p.adj.indptr[i] : p.adj.indptr[i + 1]].tolist()
        rep = p.reputation[i]
        for j in range(p.n_firms):
            rep[j] = rep[j] + s.reputation_reversion * (public_reputation[j] - rep[j])
        if p.social_media[i]:
            gain = float(p.susceptibility[i])
            for k in nbrs:
                for j, w in snap.posts_by.get(k, ()):
                    rep[j] += gain * w
        np.clip(rep, 0.0, 1.0, out=rep)

    def _threshold(self, j: int) -> float:
        d = self._pop._draws()
        assert d.u_aware is not None
        return -math.log1p(-float(d.u_aware[self.row, j]))

    def aware_predict(self, j: int, start: np.ndarray, media: float, dt: float, cum: np.ndarray) -> bool:
        """Awareness sub-step, predictor: would this unaware consumer cross their threshold with the
        neighbours' aware share held at its value at the sub-step's start (``start``)?"""
        p, i = self._pop, self.row
        a0 = float(neighbour_share_one(p.adj, p.degree, start, i))
        return float(cum[i]) + media + p.social.peer_awareness_rate * a0 * dt >= self._threshold(j)

    def aware_correct(
        self, j: int, start: np.ndarray, tentative: np.ndarray, media: float, dt: float, cum: np.ndarray
    ) -> float | None:
        """Awareness sub-step, corrector: the cumulative hazard with the average of the neighbours'
        aware share at the start and (predicted) at the end; the media's share of the hazard if the
        consumer becomes aware, else None."""
        p, i = self._pop, self.row
        q = p.social.peer_awareness_rate
        a0 = float(neighbour_share_one(p.adj, p.degree, start, i))
        a1 = float(neighbour_share_one(p.adj, p.degree, tentative, i))
        peer = q * 0.5 * (a0 + a1) * dt
        cum[i] = float(cum[i]) + media + peer
        if cum[i] < self._threshold(j):
            return None
        total = media + peer
        return media / total if total > 0 else 1.0

    def stand_step(self, j: int, live: bool, was_aware: bool, new_aware: bool) -> None:
        """Leaving or joining firm ``j``'s boycott or buycott today."""
        p, i, s = self._pop, self.row, self._pop.social
        snap = p._snap
        assert snap is not None
        d = p._draws()
        assert d.u_stand is not None and d.u_declare is not None
        sign = int(p.issues.sign[j])
        ub, ud = float(d.u_stand[i, j]), float(d.u_declare[i, j])
        if p.boycott[i, j]:
            if ub < float(p.boycott_leave[i]):
                p.boycott[i, j] = p.declared_boycott[i, j] = p.strict[i, j] = False
                p.left[i, j] = True
                lost = ud < s.never_return_share
                p.never[i, j] = p.never[i, j] or lost
                p.log.record(EventKind.BOYCOTT_LEAVE, p.day, np.array([i]), j, float(lost))
            return
        if p.buycott[i, j]:
            if ub < p.buycott_leave:
                p.buycott[i, j] = p.declared_buycott[i, j] = False
                p.left[i, j] = True
                p.log.record(EventKind.BUYCOTT_LEAVE, p.day, np.array([i]), j)
            return
        if not live or p.left[i, j] or p.never[i, j]:
            return
        chance = 0.0
        if new_aware:
            first, sympathy = p.join_chances(j, np.array([i]))
            chance = float(first[0])
            if sign < 0 and ub >= chance and ub < float(sympathy[0]):
                p.sympathetic[i, j] = True
        elif was_aware and p.social_media[i] and (sign > 0 or p.sympathetic[i, j]):
            declared = snap.declared_boycott if sign < 0 else snap.declared_buycott
            if declared[:, j].any():
                share = float(neighbour_share_one(p.adj, p.degree, declared[:, j], i))
                hazard = s.peer_boycott_rate * float(p.susceptibility[i]) * share
                chance = -math.expm1(-hazard)
        if ub < chance:
            (p.boycott if sign < 0 else p.buycott)[i, j] = True
            if sign < 0 and ub < p.adherence * chance:
                p.strict[i, j] = True
            kind = EventKind.BOYCOTT_JOIN if sign < 0 else EventKind.BUYCOTT_JOIN
            p.log.record(kind, p.day, np.array([i]), j)
            if p.social_media[i] and ud < float(p.values_posting[i]):
                (p.declared_boycott if sign < 0 else p.declared_buycott)[i, j] = True
                self._post(EventKind.POST_VALUES, j, float(sign))
                announce = EventKind.BOYCOTT_ANNOUNCE if sign < 0 else EventKind.BUYCOTT_ANNOUNCE
                p.log.record(announce, p.day, np.array([i]), j)

    def support_step(self, offers: Offers) -> list[int]:
        """Support purchases of this consumer today: the offers bought."""
        p, i, s = self._pop, self.row, self._pop.social
        d = p._draws()
        assert d.u_support is not None and d.u_declare is not None
        out = []
        for j in range(p.n_firms):
            if not p.buycott[i, j] or not p._continuing(j)[i]:
                continue
            k = support_offer(offers, j)
            if k < 0:
                continue
            score = sum(float(p.value_weights[i, m]) * float(offers.ethics[k, m]) for m in range(3))
            strength = float(p.wtp_values[i]) * alignment_one(score, p.choice_params.reference_ethics)
            if strength >= s.support_threshold and float(d.u_support[i, j]) < float(p.support_rate[i]):
                out.append(k)
                p._after_support(np.array([i]), j, float(offers.price[k]))
        return out

    def shop_step(self, offers: Offers) -> int:
        """Choose (offer index, -1 none) and update this consumer's row, by the per-agent rule;
        why they went without and which firm's quote lost their purchase, on the same draw."""
        p, i = self._pop, self.row
        snap = p._snap
        assert snap is not None
        c = p.chooser(np.array([i]), peers=False)
        if p.social.enabled and p.choice_params.peer_weight:
            peer = np.asarray(neighbour_share_one(p.adj, p.degree, snap.recent, i))
            c = Chooser(**{**c.__dict__, "peer_share": peer[None, :]})
        params = p.choice_params
        u = float(p._draws().u_choice[i])
        k = choose_one(offers, params, c, 0, u)
        d0 = params.standard_delivery_days
        cause = -1
        if k < 0:
            cause = 0
            if c.excluded is not None and c.excluded.any():
                free = Chooser(**{**c.__dict__, "excluded": None})
                if choose_one(offers, params, free, 0, u) >= 0:
                    cause = 2
            if cause == 0 and (offers.quoted_days > d0).any():
                if choose_one(offers.with_quote(None, d0), params, c, 0, u) >= 0:
                    cause = 1
        bought_from = int(offers.firm[k]) if k >= 0 else -1
        lost = []
        for f in sorted({int(x) for x in offers.firm[offers.quoted_days > d0]}):
            cf = choose_one(offers.with_quote(f, d0), params, c, 0, u)
            if cf >= 0 and int(offers.firm[cf]) == f and bought_from != f:
                lost.append(f)
        p.after_choice(
            p.day,
            np.array([i]),
            np.array([k]),
            offers,
            np.array([cause], np.int8),
            np.full(len(lost), i, np.int64),
            np.array(lost, np.int64),
        )
        return k

    def decide(self, offers: Offers, u: float) -> int:
        """The consumer's choice with uniform ``u`` by the plain rule (no state change)."""
        c = self._pop.chooser(np.array([self.row]))
        return choose_one(offers, self._pop.choice_params, c, 0, u)
