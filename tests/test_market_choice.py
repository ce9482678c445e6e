"""Consumer choice: the logit, and the vectorized pass against the per-agent rule."""

from __future__ import annotations

import numpy as np
from scipy.stats import chisquare

from simulator.market.choice import ChoiceParams, Offers, choose, probabilities, utilities
from simulator.model import MarketModel
from tests.conftest import tiny_scenario


def test_logit_probabilities_match_closed_form() -> None:
    v = np.array([[0.6, 0.0, -0.2]])
    p = probabilities(v)[0]
    np.testing.assert_allclose(p, [0.2155, 0.3926, 0.2155, 0.1764], atol=5e-5)
    assert abs(p.sum() - 1) < 1e-12


def test_simulated_shares_match_logit_within_interval() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    v = np.tile([0.6, 0.0, -0.2], (n, 1))
    p = probabilities(v)
    c = choose(p, rng.random(n))
    counts = np.bincount(c + 1, minlength=4)
    # one test over all four outcomes (not four 95% intervals, which would fail 1 time in 5)
    assert chisquare(counts, n * p[0]).pvalue > 0.01


def test_raising_price_by_wtp_cancels_alignment() -> None:
    params = ChoiceParams(
        reference_price=100, purchase_constant=1, standard_delivery_days=2, delay_penalty=0.25
    )
    wtp = np.array([0.15])
    w = np.array([[0.5, 0.3, 0.2]])
    e_good = np.array([[1.0, 1.0, 1.0]])
    e_none = np.zeros((1, 3))
    base = dict(quality=np.array([0.5]), quoted_days=np.array([2.0]), available=np.array([True]))
    u_none = utilities(
        Offers(price=np.array([100.0]), ethics=e_none, **base),
        params,
        wtp,
        np.array([4.0]),
        w,
        np.array([1.0]),
        np.zeros((1, 1)),
    )
    u_good = utilities(
        Offers(price=np.array([115.0]), ethics=e_good, **base),
        params,
        wtp,
        np.array([4.0]),
        w,
        np.array([1.0]),
        np.zeros((1, 1)),
    )
    np.testing.assert_allclose(u_good, u_none, atol=1e-12)


def test_vectorized_day_equals_per_agent_day() -> None:
    m = MarketModel(tiny_scenario(), seed=5)
    for _ in range(3):
        m.step()
    offers = m.offers()
    who, u = m.population.draw_day(m.day + 10)
    assert len(who) > 50
    fast = m.population.choose(who, u, offers)
    slow = np.array([m.agents[int(i)].decide(offers, float(x)) for i, x in zip(who, u, strict=True)])
    np.testing.assert_array_equal(fast, slow)
