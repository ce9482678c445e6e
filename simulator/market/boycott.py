r"""Boycotts and buycotts: how word of a firm's scandal or virtuous act spreads, and who takes a stand.

Picture a news story about a firm. Some consumers read it in the media, more hear it from friends
who already know; of those who know, some stop buying from the firm (a boycott) or, after a
virtuous act, favour it (a buycott), pushed further by friends who said in public that they did.
Boycotts fade: each day a boycotter may give up, and a share of those who give up never buy from the
firm again.

**Awareness** of a live issue of firm :math:`f` (a scandal or a virtuous act that started on day
:math:`t_0`) follows a discrete-time Bass rule. A consumer unaware at the start of day :math:`t`
becomes aware during it with probability

.. math::  1 - \exp\!\big(-[\,p\,e^{-(t - t_0)/T} + q\,A_i(t)\,]\big),

where :math:`p` is the media rate, :math:`T` the media's mean life, :math:`q` the peer rate and
:math:`A_i(t)` the share of the consumer's neighbours aware at the start of the day. On a complete
graph of :math:`N` consumers with :math:`T = \infty` the expected aware share follows the
recursion :math:`F_{t+1} = F_t + (1 - F_t)(1 - e^{-(p + q F_t')})` with
:math:`F_t' = N F_t / (N - 1)` the aware share among an unaware consumer's neighbours
(:func:`bass_recursion`); in continuous time (``substeps`` to infinity) it becomes the Bass curve
:math:`F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t})` (:func:`bass_curve`).

**Taking a stand.** A consumer who becomes aware joins (boycott for a scandal, buycott for a virtuous
act) with probability ``propensity x min(1, magnitude / reference_magnitude)``; aware consumers who
did not join, and have not taken and left this stand before, join later with the daily hazard
``peer_rate x susceptibility x D_i``, where :math:`D_i` is the share of neighbours who declared the
same stand in public. A consumer who joins declares it in public (a values post) with their
values-posting propensity, if on social media. Each day a consumer in a stand leaves it with
probability ``1 - exp(-1 / mean_days)``; a boycotter who leaves never buys from the firm again with
probability ``never_return_share``. Leaving goes on after the issue stops being live; joining does
not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from simulator.market.social import neighbour_share
from simulator.scenario import Social


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

    def media_hazard(self, day: int, social: Social) -> np.ndarray:
        """Daily media hazard per firm (0 for firms without a live issue)."""
        age = np.maximum(day - self.start, 0).astype(float)
        h = social.media_rate * np.exp(-age / social.media_decay_days)
        return np.where(self.live(day, social.issue_days), h, 0.0)

    def join_chance(self, propensity: np.ndarray, firm: int, social: Social) -> np.ndarray:
        """Chance of joining on learning of firm ``firm``'s issue, per consumer propensity."""
        scale = min(1.0, float(self.magnitude[firm]) / social.reference_magnitude)
        return propensity * scale


def awareness_probability(
    media: float, peer_rate: float, aware_share: np.ndarray, dt: float = 1.0
) -> np.ndarray:
    """Probability of becoming aware within ``dt`` days, from the media hazard and the aware
    neighbours' share (both held constant over the step)."""
    return -np.expm1(-(media + peer_rate * aware_share) * dt)


def awareness_probability_one(
    media: float, peer_rate: float, aware_share: float, dt: float = 1.0
) -> float:
    """The same for one consumer (per-agent reference)."""
    return -math.expm1(-(media + peer_rate * aware_share) * dt)


def spread(
    adj: sp.csr_matrix,
    degree: np.ndarray,
    aware: np.ndarray,
    media: float,
    peer_rate: float,
    u: np.ndarray,
    dt: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """One step of awareness: (consumers newly aware, the share of the hazard due to the media).

    Args:
        adj, degree: the network and its degrees.
        aware: who is aware at the start of the step (bool per consumer; not changed).
        media: the media hazard of the step (per day).
        peer_rate: the peer hazard per unit share of aware neighbours (per day).
        u: one uniform per consumer.
        dt: the step length in days.
    """
    unaware = np.flatnonzero(~aware)
    share = neighbour_share(adj, degree, aware, unaware)
    p = awareness_probability(media, peer_rate, share, dt)
    hit = u[unaware] < p
    total = media + peer_rate * share[hit]  # > 0 wherever someone became aware
    return unaware[hit], media / total


def leave_probability(mean_days: float) -> float:
    """Daily chance that a consumer in a stand leaves it."""
    return -math.expm1(-1.0 / mean_days)


def bass_curve(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """The Bass model's adopted share at time ``t`` (continuous time, complete mixing)."""
    t = np.asarray(t, dtype=float)
    e = np.exp(-(p + q) * t)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_recursion(days: int, p: float, q: float, n: int, substeps: int = 1) -> np.ndarray:
    """Expected aware share after each day under the discrete rule on a complete graph of ``n``.

    With ``substeps`` > 1 each day is cut into that many steps of length ``1 / substeps``, with
    hazards scaled by the step length (the continuous-time limit as ``substeps`` grows). The
    aware-neighbour share of an unaware consumer is ``n F / (n - 1)`` (the consumer is not their
    own neighbour). Entry ``t`` is the share at the end of day ``t`` (entry 0: day 0 done).
    """
    dt = 1.0 / substeps
    f = 0.0
    out = np.empty(days)
    for t in range(days):
        for _ in range(substeps):
            share = f * n / (n - 1)
            f = f + (1.0 - f) * -math.expm1(-(p + q * share) * dt)
        out[t] = f
    return out
