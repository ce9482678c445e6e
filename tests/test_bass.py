"""Awareness on a complete graph against the Bass model.

The simulator's rule is discrete: each day an unaware consumer becomes aware with probability
1 - exp(-(p + q A)), A the aware share of their neighbours at the start of the day. We test
(1) the model's daily pass against that rule's own expected-value recursion, and (2) the same rule
with short steps (dt = 1/20 day) against the continuous-time Bass curve, the tolerance adding the
stated discretisation error |recursion(dt) - curve|.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from simulator.market.boycott import bass_curve, bass_recursion, spread
from simulator.market.population import Population
from simulator.market.social import complete_graph
from simulator.scenario import Population as PopulationSpec
from simulator.scenario import Social

P, Q = 0.03, 0.38


def _interval(x: np.ndarray, level: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    h = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(axis=0, ddof=1) / math.sqrt(len(x))
    return x.mean(axis=0), h


def test_bass_curve_reproduces_the_anchor_values() -> None:
    np.testing.assert_allclose(bass_curve([5, 10, 15], P, Q), [0.3312, 0.8128, 0.9716], atol=5e-5)


def test_recursion_tends_to_the_curve_with_short_steps() -> None:
    t = np.arange(1, 16)
    coarse = np.abs(bass_recursion(15, P, Q, 10**9) - bass_curve(t, P, Q)).max()
    fine = np.abs(bass_recursion(15, P, Q, 10**9, substeps=200) - bass_curve(t, P, Q)).max()
    assert fine < 0.002 < 0.02 < coarse  # daily ticks drift visibly; short steps do not


def test_model_daily_awareness_follows_its_recursion() -> None:
    n, days = 1000, 15
    social = Social(media_rate=P, peer_awareness_rate=Q, media_decay_days=1e12)
    adj = complete_graph(n)
    runs = []
    for seed in np.random.SeedSequence(3).spawn(12):
        pop = Population(PopulationSpec(size=n), 1, np.array([0.7]), np.random.default_rng(seed), social)
        pop.attach_network(adj)
        pop.start_issue(0, 0, -1, 0.3)
        path = []
        for d in range(days):
            pop.begin_day(d)
            pop.social_day(d, np.array([0.7]))
            pop.end_day()
            path.append(pop.aware[:, 0].mean())
        runs.append(path)
    mean, half = _interval(np.array(runs))
    theory = bass_recursion(days, P, Q, n)
    assert (np.abs(mean - theory) <= half + 0.02 * theory).all(), (mean - theory, half)


def test_awareness_with_short_steps_follows_the_continuous_bass_curve() -> None:
    n, days, sub = 500, 15, 20
    dt = 1.0 / sub
    adj = complete_graph(n)
    degree = np.diff(adj.indptr).astype(float)
    runs = []
    for seed in np.random.SeedSequence(4).spawn(12):
        rng = np.random.default_rng(seed)
        aware = np.zeros(n, dtype=bool)
        path = []
        for _ in range(days):
            for _ in range(sub):
                got, _ = spread(adj, degree, aware, P, Q, rng.random(n), dt)
                aware[got] = True
            path.append(aware.mean())
        runs.append(path)
    mean, half = _interval(np.array(runs))
    t = np.arange(1, days + 1)
    curve = bass_curve(t, P, Q)
    discretisation = np.abs(bass_recursion(days, P, Q, n, substeps=sub) - curve)
    assert discretisation.max() < 0.01
    assert (np.abs(mean - curve) <= half + discretisation + 0.01 * curve).all(), (mean - curve, half)
