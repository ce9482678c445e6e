"""Consumer choice: the logit, willingness to pay, and shares against theory through the model."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats
from scipy.stats import chisquare

from simulator.market.choice import ChoiceParams, Chooser, Offers, choose, probabilities, utilities
from simulator.market.eventlog import EventKind
from simulator.model import MarketModel
from simulator.scenario import Scenario
from tests.conftest import tiny_scenario

PARAMS = ChoiceParams(
    reference_price=100, purchase_constant=1, standard_delivery_days=2, delay_penalty=0.25
)


def test_logit_probabilities_match_closed_form() -> None:
    v = np.array([[0.6, 0.0, -0.2]])
    p = probabilities(v)[0]
    np.testing.assert_allclose(p, [0.2155, 0.3926, 0.2155, 0.1764], atol=5e-5)
    assert abs(p.sum() - 1) < 1e-12


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (4, 3), elements=st.floats(-30, 30)))
def test_shares_sum_to_one(v: np.ndarray) -> None:
    p = probabilities(v)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert (p >= 0).all()
    c = choose(p, np.linspace(0.001, 0.999, 4))
    assert ((c >= -1) & (c < 3)).all()


def test_simulated_shares_match_logit_within_interval() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    v = np.tile([0.6, 0.0, -0.2], (n, 1))
    p = probabilities(v)
    c = choose(p, rng.random(n))
    counts = np.bincount(c + 1, minlength=4)
    # one test over all four outcomes (not four 95% intervals, which would fail 1 time in 5)
    assert chisquare(counts, n * p[0]).pvalue > 0.01


def _one(wtp: float, **cols: np.ndarray) -> Chooser:
    base = dict(
        wtp=np.array([wtp]),
        beta=np.array([4.0]),
        weights=np.array([[0.5, 0.3, 0.2]]),
        tolerance=np.array([1.0]),
        reputation=np.array([[0.6]]),
    )
    base.update(cols)
    return Chooser(**base)  # type: ignore[arg-type]


def _offer(price: float, ethics: np.ndarray, custom: float = 0.0) -> Offers:
    return Offers(
        price=np.array([price]),
        ethics=ethics,
        quality=np.array([0.5]),
        quoted_days=np.array([2.0]),
        available=np.array([True]),
        customisation=np.array([custom]),
    )


def test_raising_price_by_wtp_cancels_alignment() -> None:
    wtp = 0.15
    good, none = np.ones((1, 3)), np.zeros((1, 3))
    # perfectly aligned firm (alignment 1): WTP = wtp x reference price = 15
    u_none = utilities(_offer(100.0, none), PARAMS, _one(wtp))
    u_good = utilities(_offer(115.0, good), PARAMS, _one(wtp))
    np.testing.assert_allclose(u_good, u_none, atol=1e-12)
    # partial alignment 0.5 x 0.8 + 0.3 x 0.4 + 0.2 x 0.1 = 0.54: WTP = 0.15 x 0.54 x 100
    partial = np.array([[0.8, 0.4, 0.1]])
    u_part = utilities(_offer(100.0 + 15.0 * 0.54, partial), PARAMS, _one(wtp))
    np.testing.assert_allclose(u_part, u_none, atol=1e-12)
    # and it is a real effect: at the same price alignment is worth beta x WTP share
    u_cheap_good = utilities(_offer(100.0, good), PARAMS, _one(wtp))
    np.testing.assert_allclose(u_cheap_good - u_none, 4.0 * 0.15, atol=1e-12)


def test_raising_price_by_wtp_cancels_customisation_and_buycott() -> None:
    params = ChoiceParams(
        reference_price=100,
        purchase_constant=1,
        standard_delivery_days=2,
        delay_penalty=0.25,
        buycott_premium=0.1,
    )
    none = np.zeros((1, 3))
    plain = utilities(_offer(100.0, none), params, _one(0.0, customisation=np.array([0.2])))
    custom = utilities(_offer(120.0, none, 1.0), params, _one(0.0, customisation=np.array([0.2])))
    np.testing.assert_allclose(custom, plain, atol=1e-12)
    fan = _one(0.0, buycott=np.array([[True]]))
    np.testing.assert_allclose(utilities(_offer(110.0, none), params, fan), plain, atol=1e-12)


def test_boycotted_firm_is_out_of_the_choice_set() -> None:
    c = _one(0.1, excluded=np.array([[True]]))
    v = utilities(_offer(100.0, np.zeros((1, 3))), PARAMS, c)
    assert np.isneginf(v).all()
    assert choose(probabilities(v), np.array([0.999])).tolist() == [-1]


# --- shares through the whole model ---------------------------------------------------------------


def _market(size: int) -> Scenario:
    return tiny_scenario(
        **{
            "population.size": size,
            "run.days": 30,
            "social.enabled": False,
            "firms.0.policy": {"name": "supplier_centric", "min_lot": 1},
            "firms.1.policy": {"name": "supplier_centric", "min_lot": 1},
            "firms.0.factory.initial_stock": 10**7,
            "firms.1.factory.initial_stock": 10**7,
            "firms.1.price": 110.0,
            "firms.1.ethics": {"environment": 0.9, "fair_labour": 0.9, "animal_welfare": 0.9},
        }
    )


def _homogenise(m: MarketModel, wtp: np.ndarray, beta: np.ndarray) -> None:
    p = m.population
    p.wtp_values[:] = wtp
    p.price_sensitivity[:] = beta
    p.value_weights[:] = 1.0 / 3.0
    p.delay_tolerance[:] = 1.0
    p.customisation_preference[:] = 0.0
    p.loyalty[:] = 0.0


def _logit(s: Scenario, wtp: float, beta: float) -> np.ndarray:
    """Closed-form shares (none, firm 0, firm 1), written out from the utility formula."""
    pop = s.population
    v = [0.0]
    for f in s.firms:
        align = sum(f.ethics.as_tuple()) / 3.0
        money = -f.price / pop.reference_price + wtp * align
        v.append(pop.purchase_constant + beta * money + f.quality + f.reputation)
    e = np.exp(v)
    return e / e.sum()


def _shares(m: MarketModel, rows: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    df = m.event_log.to_frame()
    if rows is not None:
        df = df[np.isin(df["consumer"], rows)]
    bought = df[df["kind"] == EventKind.PURCHASE.name]["firm"].to_numpy()
    none = int((df["kind"] == EventKind.WENT_WITHOUT.name).sum())
    counts = np.array([none, *(np.bincount(bought, minlength=2)[:2])], float)
    return counts / counts.sum(), int(counts.sum())


def _interval(x: np.ndarray, level: float = 0.99) -> tuple[np.ndarray, np.ndarray]:
    m = x.mean(axis=0)
    h = stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(axis=0, ddof=1) / math.sqrt(len(x))
    return m, h


def test_homogeneous_consumers_match_logit_shares() -> None:
    """Social effects off, unlimited stock: every shopping occasion is one draw of the same logit."""
    s = _market(3000)
    reps = []
    for seed in np.random.SeedSequence(11).spawn(8):
        m = MarketModel(s, seed=seed, agents=False)
        _homogenise(m, np.full(3000, 0.2), np.full(3000, 4.0))
        m.run(25)
        reps.append(_shares(m)[0])
    mean, half = _interval(np.array(reps))
    theory = _logit(s, 0.2, 4.0)
    # tolerance: 99% t-interval over replications plus 1% relative error
    assert (np.abs(mean - theory) <= half + 0.01 * theory).all(), (mean, theory, half)


def test_two_classes_aggregate_as_the_average_of_their_logits() -> None:
    s = _market(3000)
    n = 3000
    a = np.arange(n) % 2 == 0
    wtp = np.where(a, 0.6, 0.0)
    beta = np.where(a, 6.0, 2.0)
    pa, pb = _logit(s, 0.6, 6.0), _logit(s, 0.0, 2.0)
    reps, theory = [], []
    for seed in np.random.SeedSequence(12).spawn(8):
        m = MarketModel(s, seed=seed, agents=False)
        _homogenise(m, wtp, beta)
        m.run(25)
        share, _ = _shares(m)
        _, occ_a = _shares(m, np.flatnonzero(a))
        _, occ_b = _shares(m, np.flatnonzero(~a))
        reps.append(share)
        # each class's occasions weight its logit (classes that go without more shop more often)
        theory.append((occ_a * pa + occ_b * pb) / (occ_a + occ_b))
    mean, half = _interval(np.array(reps))
    expected = np.mean(theory, axis=0)
    assert (np.abs(mean - expected) <= half + 0.01 * expected).all(), (mean, expected, half)
    # the logit at the average parameters is a different (wrong) answer
    wrong = _logit(s, 0.3, 4.0)
    assert (np.abs(mean - wrong) > half + 0.01 * wrong).any()


def test_shares_by_firm_and_none_sum_to_one_each_day() -> None:
    m = MarketModel(tiny_scenario(), seed=2)
    m.run(15)
    ms = m.market_series()
    assert (ms["buyers"] <= ms["shoppers"]).all()
    df = m.datacollector.get_model_vars_dataframe()
    total = df[[f"share:{f.name}" for f in m.firms]].sum(axis=1)
    np.testing.assert_allclose(total[ms["buyers"].to_numpy() > 0], 1.0)
    for g in ("gen_x", "millennials"):
        by_gen = df[[f"share:{f.name}:{g}" for f in m.firms]].sum(axis=1)
        assert ((np.abs(by_gen - 1.0) < 1e-9) | (by_gen == 0)).all()


def test_vectorized_choice_equals_per_agent_choice() -> None:
    m = MarketModel(tiny_scenario(), seed=5)
    for _ in range(3):
        m.step()
    offers = m.offers()
    who, u = m.population.draw_day(m.day + 10)
    assert len(who) > 50
    fast = m.population.choose(who, u, offers)
    slow = np.array([m.agents[int(i)].decide(offers, float(x)) for i, x in zip(who, u, strict=True)])
    np.testing.assert_array_equal(fast, slow)


def test_offers_cover_every_variant_and_customisers_choose_custom_variants() -> None:
    s = tiny_scenario(
        **{
            "population.size": 2000,
            "firms.1.factory.variants": ["standard", "engraved"],
            "firms.0.factory.initial_stock": 10**5,
            "firms.1.factory.initial_stock": 10**5,
        }
    )
    m = MarketModel(s, seed=3, agents=False)
    offers = m.offers()
    # the customised variant is the pull firm's: a push firm would not offer it
    assert offers.firm.tolist() == [0, 1, 1] and offers.variant.tolist() == [0, 0, 1]
    assert offers.customisation.tolist() == [0.0, 0.0, 1.0]
    pop = m.population
    keen = np.arange(pop.n) < pop.n // 2
    pop.customisation_preference[:] = np.where(keen, 0.5, 0.0)
    m.run(20)
    o = m.firms[1].orders
    custom = o.variant == 1
    assert custom.sum() > 50
    is_keen = keen[o.consumer]
    # the indifferent split evenly between two equal variants; the keen (+0.5 price units, about
    # +2 utility) take the customised one about e^2 / (1 + e^2) = 0.88 of the time
    keen_custom = (custom & is_keen).sum() / is_keen.sum()
    plain_custom = (custom & ~is_keen).sum() / (~is_keen).sum()
    assert 0.4 < plain_custom < 0.6 and keen_custom > 0.75, (plain_custom, keen_custom)
