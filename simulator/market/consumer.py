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

from simulator.market.boycott import awareness_probability_one, leave_probability
from simulator.market.choice import Chooser, Offers, choose_one
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

    def social_step(self, public_reputation: np.ndarray) -> None:
        """Word of mouth, awareness and stands for this consumer (the social day)."""
        p, i, s = self._pop, self.row, self._pop.social
        snap = p._snap
        assert snap is not None
        d = p._draws()
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
        media = p.issues.media_hazard(p.day, s)
        live = p.issues.live(p.day, s.issue_days)
        leave_p = leave_probability(s.mean_boycott_days)
        for j in range(p.n_firms):
            sign = int(p.issues.sign[j])
            if sign == 0:
                continue
            assert d.u_aware is not None and d.u_stand is not None and d.u_declare is not None
            was_aware = bool(snap.aware[i, j])
            new_aware = False
            if live[j] and not was_aware:
                share = float(neighbour_share_one(p.adj, p.degree, snap.aware[:, j], i))
                prob = awareness_probability_one(float(media[j]), s.peer_awareness_rate, share)
                if float(d.u_aware[i, j]) < prob:
                    new_aware = True
                    p.aware[i, j] = True
                    rep[j] = min(1.0, max(0.0, rep[j] + p._news_shift(j)))
                    src = float(media[j]) / (float(media[j]) + s.peer_awareness_rate * share)
                    p.log.record(EventKind.AWARE, p.day, np.array([i]), j, src)
            ub, ud = float(d.u_stand[i, j]), float(d.u_declare[i, j])
            if p.boycott[i, j] or p.buycott[i, j]:
                if ub < leave_p:
                    is_boycott = bool(p.boycott[i, j])
                    p.boycott[i, j] = p.buycott[i, j] = False
                    p.declared_boycott[i, j] = p.declared_buycott[i, j] = False
                    p.left[i, j] = True
                    if is_boycott:
                        lost = ud < s.never_return_share
                        p.never[i, j] = p.never[i, j] or lost
                        p.log.record(EventKind.BOYCOTT_LEAVE, p.day, np.array([i]), j, float(lost))
                    else:
                        p.log.record(EventKind.BUYCOTT_LEAVE, p.day, np.array([i]), j)
                continue
            if not live[j] or p.left[i, j] or p.never[i, j]:
                continue
            join = False
            if new_aware:
                prop = p.boycott_propensity if sign < 0 else p.buycott_propensity
                join = ub < float(p.issues.join_chance(prop[i : i + 1], j, s)[0])
            elif was_aware and p.social_media[i]:
                declared = snap.declared_boycott if sign < 0 else snap.declared_buycott
                share = float(neighbour_share_one(p.adj, p.degree, declared[:, j], i))
                hazard = s.peer_boycott_rate * float(p.susceptibility[i]) * share
                join = ub < -math.expm1(-hazard)
            if join:
                (p.boycott if sign < 0 else p.buycott)[i, j] = True
                kind = EventKind.BOYCOTT_JOIN if sign < 0 else EventKind.BUYCOTT_JOIN
                p.log.record(kind, p.day, np.array([i]), j)
                if p.social_media[i] and ud < float(p.values_posting[i]):
                    (p.declared_boycott if sign < 0 else p.declared_buycott)[i, j] = True
                    self._post(EventKind.POST_VALUES, j, float(sign))

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
            align = sum(float(p.value_weights[i, m]) * float(offers.ethics[k, m]) for m in range(3))
            strength = float(p.wtp_values[i]) * align
            if strength >= s.support_threshold and float(d.u_support[i, j]) < float(p.support_rate[i]):
                out.append(k)
                p._after_support(np.array([i]), j, float(offers.price[k]))
        return out

    def shop_step(self, offers: Offers) -> int:
        """Choose (offer index, -1 none) and update this consumer's row, by the per-agent rule."""
        p, i = self._pop, self.row
        snap = p._snap
        assert snap is not None
        c = p.chooser(np.array([i]), peers=False)
        if p.social.enabled and p.choice_params.peer_weight:
            peer = np.asarray(neighbour_share_one(p.adj, p.degree, snap.recent, i))
            c = Chooser(**{**c.__dict__, "peer_share": peer[None, :]})
        k = choose_one(offers, p.choice_params, c, 0, float(p._draws().u_choice[i]))
        p.after_choice(p.day, np.array([i]), np.array([k]), offers)
        return k

    def decide(self, offers: Offers, u: float) -> int:
        """The consumer's choice with uniform ``u`` by the plain rule (no state change)."""
        c = self._pop.chooser(np.array([self.row]))
        return choose_one(offers, self._pop.choice_params, c, 0, u)
