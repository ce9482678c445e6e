r"""Boycotts and buycotts: how word of a firm's scandal or virtuous act spreads, and who takes a stand.

Picture a news story about a firm. Some consumers read it in the media, more hear it from friends
who already know; of those who know, some stop buying from the firm at once (a boycott) or, after a
virtuous act, favour it (a buycott), others sympathise and join later, pushed by friends who said in
public that they did. Boycotts fade slowly: each day a boycotter may give up, and a share of those
who give up never buy from the firm again.

**Awareness** of a live issue of firm :math:`f` (a scandal or a virtuous act that started on day
:math:`t_0`) is a continuous-time Bass process on the network. An unaware consumer becomes aware at
the hazard

.. math::  h_i(t) = p\,e^{-(t - t_0)/T} + q\,A_i(t),

where :math:`p` is the media rate, :math:`T` the media's mean life, :math:`q` the peer rate and
:math:`A_i(t)` the share of the consumer's neighbours aware at time :math:`t` (friends who learn of it
earlier the same day count from then on). Each day a consumer draws one uniform :math:`u_i` and becomes
aware when the day's cumulative hazard :math:`\int h_i` reaches :math:`-\ln(1 - u_i)` (an exponential
threshold; by memorylessness a fresh one each day is exact). The integral is taken in sub-steps of
the day whose number is chosen from the rates (:func:`substeps`: at most 0.05 of hazard per
sub-step), with Heun's predictor-corrector for the peer term (the neighbours' aware share at the
start and, predicted, at the end of each sub-step) and the media term integrated exactly. On a complete
graph the aware share then follows the Bass curve
:math:`F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})` (:func:`bass_curve`) to within
:func:`bass_heun` - :func:`bass_curve` (below 0.0005 at :math:`q = 1.5` a day), and the mean-field
recursion of the sub-stepped rule is :func:`bass_heun`.

**Taking a stand.** A consumer who becomes aware of a scandal joins a boycott at once with probability
``join x min(1, magnitude / reference_magnitude)`` and otherwise sympathises with it with probability
``sympathy x min(1, ...)`` minus that; a sympathiser on social media joins later with the daily hazard
``peer_rate x susceptibility x D_i``, where :math:`D_i` is the share of neighbours who declared the
boycott in public. (A virtuous act works the same way with the buycott propensity, every aware
consumer on social media being open to the peers' push.) A consumer who joins declares it in public
(a values post and an announcement) with their values-posting propensity, if on social media. Each day
a boycotter leaves with their generation's probability ``1 - exp(-1 / mean_days)`` (the Korean
boycott's decay; ``simulator/data/generations.toml``), a buycotter with ``1 - exp(-1 /
mean_buycott_days)``; a boycotter who leaves never buys from the firm again with probability
``never_return_share``. Leaving goes on after the issue stops being live; joining does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from simulator.market.eventlog import EventKind
from simulator.market.social import neighbour_share
from simulator.scenario import Social

if TYPE_CHECKING:
    from simulator.market.population import Population


@dataclass
class Issues:
    """Each firm's live issue: sign (-1 scandal, +1 virtuous act, 0 none), start day, magnitude."""

    sign: np.ndarray
    start: np.ndarray
    magnitude: np.ndarray

    @classmethod
    def none(cls, n_firms: int) -> Issues:
        """No firm has an issue."""
        return cls(np.zeros(n_firms, np.int8), np.zeros(n_firms, np.int64), np.zeros(n_firms))

    def live(self, day: int, issue_days: int) -> np.ndarray:
        """Firms whose issue is live on ``day`` (awareness spreads, consumers may join)."""
        return (self.sign != 0) & (day - self.start < issue_days) & (day >= self.start)

    def join_chance(self, propensity: np.ndarray, firm: int, social: Social) -> np.ndarray:
        """Chance of joining on learning of firm ``firm``'s issue, per consumer propensity."""
        scale = min(1.0, float(self.magnitude[firm]) / social.reference_magnitude)
        return propensity * scale

    def media_steps(self, day: int, social: Social, firm: int, k: int) -> list[float]:
        """The media hazard of firm ``firm``'s issue integrated over each of ``k`` sub-steps of
        ``day`` (zeros when the issue is not live that day)."""
        if not self.live(day, social.issue_days)[firm]:
            return [0.0] * k
        age = float(day - self.start[firm])
        return [
            media_integral(social.media_rate, social.media_decay_days, age + i / k, age + (i + 1) / k)
            for i in range(k)
        ]


HAZARD_PER_SUBSTEP = 0.05
"""Largest hazard one sub-step of the awareness process may carry (sets the number of sub-steps)."""


def substeps(media: float, peer_rate: float) -> int:
    """Sub-steps of a day for the awareness process: at most ``HAZARD_PER_SUBSTEP`` hazard each."""
    return max(1, math.ceil((media + peer_rate) / HAZARD_PER_SUBSTEP))


def media_integral(rate: float, decay_days: float, age0: float, age1: float) -> float:
    """Integral of the media hazard ``rate x exp(-age / decay_days)`` from ``age0`` to ``age1``."""
    return rate * decay_days * math.exp(-age0 / decay_days) * -math.expm1(-(age1 - age0) / decay_days)


@dataclass(frozen=True)
class DaySpread:
    """Who became aware during a day, when (offset in days) and the media's share of their hazard."""

    who: np.ndarray
    time: np.ndarray
    from_media: np.ndarray


def spread_day(
    adj: sp.csr_matrix,
    degree: np.ndarray,
    aware: np.ndarray,
    media: list[float],
    peer_rate: float,
    u: np.ndarray,
) -> DaySpread:
    """One day of awareness in ``len(media)`` sub-steps (``media[k]``: the media hazard integrated
    over sub-step k); ``aware`` (bool per consumer) is the start-of-day state and is not changed.

    Args:
        adj, degree: the network and its degrees.
        aware: who is aware at the start of the day.
        media: the integrated media hazard of each sub-step.
        peer_rate: the peer hazard per unit share of aware neighbours (per day).
        u: one uniform per consumer (its threshold is ``-log(1 - u)``).
    """
    k = len(media)
    dt = 1.0 / k
    state = aware.copy()
    unaware = np.flatnonzero(~aware)
    threshold = -np.log1p(-u[unaware])
    cum = np.zeros(len(unaware))
    left = np.ones(len(unaware), dtype=bool)  # still unaware
    who, when, src = [], [], []
    for step in range(k):
        if not left.any():
            break
        rows = unaware[left]
        a0 = neighbour_share(adj, degree, state, rows)
        m = media[step]
        pred = cum[left] + m + peer_rate * a0 * dt
        tentative = state.copy()
        tentative[rows[pred >= threshold[left]]] = True
        a1 = neighbour_share(adj, degree, tentative, rows)
        peer = peer_rate * 0.5 * (a0 + a1) * dt
        new_cum = cum[left] + m + peer
        hit = new_cum >= threshold[left]
        cum[left] = new_cum
        got = rows[hit]
        state[got] = True
        total = m + peer[hit]
        who.append(got)
        when.append(np.full(len(got), (step + 1) * dt))
        src.append(np.where(total > 0, m / np.where(total > 0, total, 1.0), 1.0))
        idx = np.flatnonzero(left)
        left[idx[hit]] = False
    if not who:
        e = np.empty(0, np.int64)
        return DaySpread(e, np.empty(0), np.empty(0))
    return DaySpread(np.concatenate(who), np.concatenate(when), np.concatenate(src))


def join_chances(pop: Population, j: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For consumers ``rows`` learning of firm ``j``'s issue: the chance of joining at once and of
    joining at once or sympathising (a scandal's boycott; a buycott has no sympathisers)."""
    sign = int(pop.issues.sign[j])
    if sign < 0:
        join = pop.issues.join_chance(pop.boycott_propensity[rows], j, pop.social)
        return join, pop.issues.join_chance(pop.boycott_sympathy[rows], j, pop.social)
    join = pop.issues.join_chance(pop.buycott_propensity[rows], j, pop.social)
    return join, join


def stand_day(
    pop: Population, day: int, j: int, live: bool, was_aware: np.ndarray, new_aware: np.ndarray
) -> None:
    """One day of stands on firm ``j``'s issue: leavers leave (some never to return), then, while
    the issue is live, the newly aware join at once or sympathise, and sympathisers join as their
    neighbours declare (``was_aware``: aware at the start of the day; ``new_aware``: today)."""
    s = pop.social
    d = pop._draws()
    sign = int(pop.issues.sign[j])
    assert d.u_stand is not None and d.u_declare is not None
    ub, ud = d.u_stand[:, j], d.u_declare[:, j]
    # the neighbours' declared stands as of yesterday (before today's leavers drop theirs)
    declared_then = (pop.declared_boycott if sign < 0 else pop.declared_buycott)[:, j].copy()
    # leaving (boycotts and buycotts alike, live issue or not)
    members = np.flatnonzero(pop.boycott[:, j])
    out = members[ub[members] < pop.boycott_leave[members]]
    pop.boycott[out, j] = False
    pop.strict[out, j] = False
    pop.declared_boycott[out, j] = False
    pop.left[out, j] = True
    lost = ud[out] < s.never_return_share
    pop.never[out[lost], j] = True
    pop.log.record(EventKind.BOYCOTT_LEAVE, day, out, j, lost.astype(np.float32))
    members = np.flatnonzero(pop.buycott[:, j])
    out = members[ub[members] < pop.buycott_leave]
    pop.buycott[out, j] = False
    pop.declared_buycott[out, j] = False
    pop.left[out, j] = True
    pop.log.record(EventKind.BUYCOTT_LEAVE, day, out, j)
    if not live:
        return
    stand, declared = (
        (pop.boycott, pop.declared_boycott) if sign < 0 else (pop.buycott, pop.declared_buycott)
    )
    free = ~pop.boycott[:, j] & ~pop.buycott[:, j] & ~pop.left[:, j] & ~pop.never[:, j]
    first = np.flatnonzero(new_aware & free)
    join, sympathy = join_chances(pop, j, first)
    hit = ub[first] < join
    join_first = first[hit]
    strict_first = first[ub[first] < pop.adherence * join]
    if sign < 0:
        pop.sympathetic[first[~hit & (ub[first] < sympathy)], j] = True
    join_later = strict_later = np.empty(0, np.int64)
    if declared_then.any():  # nobody has declared: no peer pressure to compute
        pool = was_aware & free & pop.social_media
        if sign < 0:
            pool &= pop.sympathetic[:, j]
        later = np.flatnonzero(pool)
        share = neighbour_share(pop.adj, pop.degree, declared_then, later)
        chance = -np.expm1(-s.peer_boycott_rate * pop.susceptibility[later] * share)
        join_later = later[ub[later] < chance]
        strict_later = later[ub[later] < pop.adherence * chance]
    joined = np.concatenate([join_first, join_later])
    stand[joined, j] = True
    if sign < 0:  # the boycotters who really avoid the firm (the others only say so)
        pop.strict[strict_first, j] = True
        pop.strict[strict_later, j] = True
    say = joined[pop.social_media[joined] & (ud[joined] < pop.values_posting[joined])]
    declared[say, j] = True
    pop.log.record(EventKind.BOYCOTT_JOIN if sign < 0 else EventKind.BUYCOTT_JOIN, day, joined, j)
    pop.posts_today.add(EventKind.POST_VALUES, say, j, float(sign))
    pop.log.record(EventKind.POST_VALUES, day, say, j, float(sign))
    announce = EventKind.BOYCOTT_ANNOUNCE if sign < 0 else EventKind.BUYCOTT_ANNOUNCE
    pop.log.record(announce, day, say, j)


def leave_probability(mean_days: float) -> float:
    """Daily chance that a consumer in a stand leaves it."""
    return -math.expm1(-1.0 / mean_days)


def bass_curve(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """The Bass model's adopted share at time ``t`` (continuous time, complete mixing)."""
    t = np.asarray(t, dtype=float)
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_heun(days: int, p: float, q: float, n: int | None = None) -> np.ndarray:
    """Expected aware share after each day under the model's sub-stepped rule on a complete graph of
    ``n`` consumers (None: infinitely many), with ``media_decay_days`` infinite: the mean-field
    recursion of :func:`spread_day` (Heun on the cumulative hazard, :func:`substeps` per day)."""
    k = substeps(p, q)
    dt = 1.0 / k
    scale = 1.0 if n is None else n / (n - 1)
    f = 0.0
    out = np.empty(days)
    for t in range(days):
        f0, cum = f, 0.0
        for _ in range(k):
            a0 = min(1.0, (f0 + (1 - f0) * -math.expm1(-cum)) * scale)
            pred = cum + (p + q * a0) * dt
            a1 = min(1.0, (f0 + (1 - f0) * -math.expm1(-pred)) * scale)
            cum += (p + q * 0.5 * (a0 + a1)) * dt
        f = f0 + (1 - f0) * -math.expm1(-cum)
        out[t] = f
    return out
