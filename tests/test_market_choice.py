"""Consumer choice: the utility, the nested logit, shares against theory through the model, the
survey replication, waiting for values, and why shoppers went without."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from simulator.market.choice import (
    ChoiceParams,
    Chooser,
    Offers,
    alignment,
    choose,
    choose_one,
    nested_one,
    nested_probabilities,
    probabilities,
    utilities,
)
from simulator.market.eventlog import EventKind
from simulator.market.evidence import PREMIUMS, survey_replication
from simulator.market.shopping import (
    BOYCOTT,
    CHOICE,
    DELIVERY,
    lost_to_quote,
    shop_day,
    went_without_cause,
)
from simulator.model import MarketModel
from simulator.scenario import Scenario
from tests.conftest import tiny_scenario

PARAMS = ChoiceParams(
    reference_price=100,
    purchase_constant=1,
    standard_delivery_days=2,
    delay_penalty=0.25,
    reference_ethics=0.4,
    days_per_premium=20.0,
)


def test_logit_probabilities_match_closed_form() -> None:
    v = np.array([[0.6, 0.0, -0.2]])
    p = probabilities(v)[0]
    np.testing.assert_allclose(p, [0.2155, 0.3926, 0.2155, 0.1764], atol=5e-5)
    # one offer per firm: the nested choice is the plain logit
    np.testing.assert_allclose(nested_probabilities(v, np.arange(3), 0.0)[0], p, atol=1e-15)
    np.testing.assert_allclose(nested_probabilities(v, np.arange(3), 0.7)[0], p, atol=1e-15)


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (4, 5), elements=st.floats(-30, 30)),
    st.sampled_from([0.0, 0.3, 1.0]),
    st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_nested_shares_sum_to_one_and_match_the_plain_rule(
    v: np.ndarray, scale: float, off: list[bool]
) -> None:
    v = np.where(np.array(off)[None, :], -np.inf, v)
    firm = np.array([0, 0, 1, 2, 2])
    p = nested_probabilities(v, firm, scale)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert (p >= 0).all() and (p[:, 1:][:, np.array(off)] == 0).all()
    for row in range(4):
        plain = nested_one(v[row].tolist(), firm.tolist(), scale)
        np.testing.assert_allclose(p[row], plain, atol=1e-12)
    c = choose(p, np.linspace(0.001, 0.999, 4))
    assert ((c >= -1) & (c < 5)).all()


def test_nested_logit_with_scale_one_is_the_plain_logit_and_zero_takes_the_best_variant() -> None:
    v = np.array([[0.5, 0.5, 0.1, -1.0]])
    firm = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(nested_probabilities(v, firm, 1.0), probabilities(v), atol=1e-15)
    p0 = nested_probabilities(v, firm, 0.0)[0]
    # firm 0 is worth its best variant (0.5), split evenly between its two equal variants;
    # firm 1 is worth 0.1 and takes its better variant only
    e = np.exp([0.0, 0.5, 0.1])
    np.testing.assert_allclose(p0, [e[0], e[1] / 2, e[1] / 2, e[2], 0.0] / e.sum(), atol=1e-15)


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


def _offer(price: float, ethics: np.ndarray, custom: float = 0.0, days: float = 2.0) -> Offers:
    return Offers(
        price=np.array([price]),
        ethics=ethics,
        quality=np.array([0.5]),
        quoted_days=np.array([days]),
        available=np.array([True]),
        customisation=np.array([custom]),
    )


def test_alignment_is_measured_against_the_conventional_product() -> None:
    np.testing.assert_allclose(
        alignment(np.array([0.0, 0.2, 0.4, 0.7, 1.0]), 0.4), [-1, -0.5, 0, 0.5, 1]
    )
    wtp = 0.15
    conventional = np.full((1, 3), 0.4)
    # a conventional firm earns nothing of the consumer's willingness to pay
    u_conv = utilities(_offer(100.0, conventional), PARAMS, _one(wtp))
    u_zero = utilities(_offer(100.0, conventional), PARAMS, _one(0.0))
    np.testing.assert_allclose(u_conv, u_zero, atol=1e-12)


def test_raising_price_by_wtp_cancels_alignment() -> None:
    wtp = 0.15
    good, conv = np.ones((1, 3)), np.full((1, 3), 0.4)
    u_conv = utilities(_offer(100.0, conv), PARAMS, _one(wtp))
    # exemplary firm (alignment 1): WTP = wtp x reference price = 15
    u_good = utilities(_offer(115.0, good), PARAMS, _one(wtp))
    np.testing.assert_allclose(u_good, u_conv, atol=1e-12)
    # weighted score 0.5 x 0.8 + 0.3 x 0.7 + 0.2 x 0.5 = 0.71: alignment (0.71 - 0.4) / 0.6
    partial = np.array([[0.8, 0.7, 0.5]])
    a = (0.71 - 0.4) / 0.6
    u_part = utilities(_offer(100.0 + 15.0 * a, partial), PARAMS, _one(wtp))
    np.testing.assert_allclose(u_part, u_conv, atol=1e-12)
    # below the conventional product the consumer wants a discount: score 0.2 -> alignment -0.5
    u_bad = utilities(_offer(100.0 - 15.0 * 0.5, np.full((1, 3), 0.2)), PARAMS, _one(wtp))
    np.testing.assert_allclose(u_bad, u_conv, atol=1e-12)
    # and it is a real effect: at the same price alignment is worth beta x WTP share
    u_cheap_good = utilities(_offer(100.0, good), PARAMS, _one(wtp))
    np.testing.assert_allclose(u_cheap_good - u_conv, 4.0 * 0.15, atol=1e-12)


def test_raising_price_by_wtp_cancels_customisation_and_buycott() -> None:
    params = ChoiceParams(
        reference_price=100,
        purchase_constant=1,
        standard_delivery_days=2,
        delay_penalty=0.25,
        buycott_premium=0.1,
    )
    conv = np.full((1, 3), 0.4)
    plain = utilities(_offer(100.0, conv), params, _one(0.0, customisation=np.array([0.2])))
    custom = utilities(_offer(120.0, conv, 1.0), params, _one(0.0, customisation=np.array([0.2])))
    np.testing.assert_allclose(custom, plain, atol=1e-12)
    fan = _one(0.0, buycott=np.array([[True]]))
    np.testing.assert_allclose(utilities(_offer(110.0, conv), params, fan), plain, atol=1e-12)


def test_aligned_consumers_wait_longer() -> None:
    """Tolerance = 1 day + 20 days per unit of premium: a consumer paying 15% more for an exemplary
    firm accepts 1 + 3 = 4 extra days; beyond that each day costs 0.25 of the price."""
    good, conv = np.ones((1, 3)), np.full((1, 3), 0.4)
    fan, cold = _one(0.15), _one(0.0)
    for c, firm, free_days in ((fan, good, 4.0), (cold, good, 1.0), (fan, conv, 1.0)):
        at = utilities(_offer(100.0, firm, days=2.0 + free_days), PARAMS, c)
        ontime = utilities(_offer(100.0, firm, days=2.0), PARAMS, c)
        late = utilities(_offer(100.0, firm, days=2.0 + free_days + 1.0), PARAMS, c)
        np.testing.assert_allclose(at, ontime, atol=1e-12)
        np.testing.assert_allclose(ontime - late, 4.0 * 0.25, atol=1e-12)


def test_boycotted_firm_is_out_of_the_choice_set() -> None:
    c = _one(0.1, excluded=np.array([[True]]))
    v = utilities(_offer(100.0, np.zeros((1, 3))), PARAMS, c)
    assert np.isneginf(v).all()
    assert choose(probabilities(v), np.array([0.999])).tolist() == [-1]


def test_why_a_shopper_went_without_and_sales_lost_to_a_quote() -> None:
    """Four consumers facing a cheap firm that quotes 5 days and a dear one that quotes 2, on draws
    chosen to land where the theory puts them."""
    offers = Offers(
        price=np.array([90.0, 140.0]),
        ethics=np.full((2, 3), 0.4),
        quality=np.array([0.5, 0.5]),
        quoted_days=np.array([5.0, 2.0]),
        available=np.array([True, True]),
    )
    n = 4
    c = Chooser(
        wtp=np.zeros(n),
        beta=np.full(n, 20.0),
        weights=np.full((n, 3), 1 / 3),
        tolerance=np.array([0.0, 0.0, 10.0, 0.0]),
        reputation=np.full((n, 2), 0.5),
        excluded=np.array([[False, False], [False, False], [True, False], [False, False]]),
    )
    params = ChoiceParams(100, 0.0, 2.0, 0.25)
    v = utilities(offers, params, c)
    # consumer 0: impatient (3 days over: -0.75 of price on the cheap firm); u between the
    # no-buy share with the quote and without it -> went without, cause: delivery
    p = nested_probabilities(v, offers.firm)
    fast_v = utilities(offers.with_quote(0, 2.0), params, c)
    p_fast = nested_probabilities(fast_v, offers.firm)
    u = np.array(
        [
            (p[0, 0] + p_fast[0, 0]) / 2,  # between: bought at a standard quote only
            p_fast[1, 0] / 2,  # below both: went without whatever the quote
            0.5,  # boycotts the cheap firm it would buy from
            p[3, 0] + 0.5 * p[3, 2],  # buys from the dear firm; would have bought the cheap one
        ]
    )
    assert p_fast[1, 0] / 2 < p[1, 0]
    choice = choose(p, u)
    assert choice.tolist() == [-1, -1, -1, 1]
    assert went_without_cause(offers, params, c, u, choice).tolist() == [DELIVERY, CHOICE, BOYCOTT, -1]
    rows, firms = lost_to_quote(offers, params, c, u, choice)
    assert rows.tolist() == [0, 3] and firms.tolist() == [0, 0]
    # the model's one-pass version agrees
    one = shop_day(offers, params, c, u)
    assert [x.tolist() for x in one] == [
        choice.tolist(),
        [DELIVERY, CHOICE, BOYCOTT, -1],
        [0, 3],
        [0, 0],
    ]
    # the plain per-consumer rule agrees on every draw
    for i in range(n):
        assert choose_one(offers, params, c, i, float(u[i])) == choice[i]


# --- shares through the whole model ---------------------------------------------------------------


def _market(size: int) -> Scenario:
    return tiny_scenario(
        **{
            "population.size": size,
            "population.brand_taste_sd": 0.0,
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
    """Closed-form shares (none, firm 0, firm 1), written out from the utility's definition."""
    pop = s.population
    r = pop.reference_ethics
    v = [0.0]
    for f in s.firms:
        score = sum(f.ethics.as_tuple()) / 3.0
        align = (score - r) / (1 - r) if score >= r else (score - r) / r
        money = -(f.price / pop.reference_price - 1) + wtp * align
        money += 0.3 * (f.quality - 0.5) + 0.25 * (f.reputation - 0.5)
        v.append(pop.purchase_constant + beta * money)
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
    """Social effects off, unlimited stock: every shopping occasion is one draw of the same logit,
    so the shares the model's shoppers produce must be the closed form's (the theory is written out
    independently in :func:`_logit`; a wrong term in the model's utility moves them)."""
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
    # the test can fail: the shares of a neighbouring utility (WTP 0.1) lie outside the interval
    wrong = _logit(s, 0.1, 4.0)
    assert (np.abs(mean - wrong) > half + 0.01 * wrong).any()


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


def test_market_share_of_the_firms_sums_to_one_each_day() -> None:
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
    # went without, by cause, adds up to the shoppers who did not buy
    causes = ms[["went_without_choice", "went_without_delivery", "went_without_boycott"]].sum(axis=1)
    np.testing.assert_array_equal(causes, ms["shoppers"] - ms["buyers"])


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


def _variants_market(variants: list[str]) -> Scenario:
    return tiny_scenario(
        **{
            "population.size": 4000,
            "run.days": 60,
            "firms.1.factory.variants": variants,
            "firms.0.factory.initial_stock": 10**5,
            "firms.1.factory.initial_stock": 10**5,
            "firms.1.factory.machines": 20,
        }
    )


def test_duplicate_variants_add_no_share() -> None:
    """Issue 11: a firm with four identical customised variants has within a point of the share it
    has with one (same seeds)."""
    one, four = [], []
    for seed in (1, 2, 3):
        for variants, out in ((["standard", "custom"], one), (["standard", "a", "b", "c", "d"], four)):
            m = MarketModel(_variants_market(variants), seed=seed, agents=False)
            m.run()
            ts = m.timeseries()
            ts = ts[ts["day"] >= 10]
            pull = ts[ts["firm"] == "Pull"]["units_ordered"].sum()
            out.append(pull / ts["units_ordered"].sum())
    assert abs(np.mean(four) - np.mean(one)) < 0.01, (one, four)
    # the firm's custom orders spread over the four identical variants
    o = m.firms[1].orders
    counts = np.bincount(o.variant[: o.n], minlength=5)[1:]
    assert counts.min() > 0.15 * counts.sum()


def test_customisers_choose_the_customised_variant() -> None:
    s = _variants_market(["standard", "engraved"])
    m = MarketModel(s, seed=3, agents=False)
    offers = m.offers()
    # the customised variant is the pull firm's: a push firm would not offer it
    assert offers.firm.tolist() == [0, 1, 1] and offers.variant.tolist() == [0, 0, 1]
    assert offers.customisation.tolist() == [0.0, 0.0, 1.0]
    pop = m.population
    keen = np.arange(pop.n) < pop.n // 2
    pop.customisation_preference[:] = np.where(keen, 0.05, 0.0)
    m.run(20)
    o = m.firms[1].orders
    custom = o.variant[: o.n] == 1
    is_keen = keen[o.consumer[: o.n]]
    # a firm is worth its best variant: the keen take the customised one, the indifferent split
    # the two equal variants evenly
    assert custom[is_keen].all()
    assert 0.4 < custom[~is_keen].mean() < 0.6


def test_survey_replication_follows_the_survey_by_generation() -> None:
    """Issue 12: two products equal but for their values, through the model. At every premium the
    share choosing the sustainable one rises Boomers < Gen X < Millennials < Gen Z and the Gen Z -
    Boomers gap is at least half the survey's."""
    df = survey_replication(size=10_000, seed=3)
    assert set(df["premium"]) == set(PREMIUMS)
    for prem, rows in df.groupby("premium"):
        s = rows.set_index("generation")
        sim = s["simulated"]
        order = ["boomers", "gen_x", "millennials", "gen_z"]
        # adjacent generations must differ by more than their intervals overlap
        for lo, hi in itertools.pairwise(order):
            assert sim[hi] - sim[lo] > -(s["ci"][hi] + s["ci"][lo]), (prem, lo, hi, sim)
        assert sim["boomers"] < sim["gen_x"] < sim["gen_z"] and sim["boomers"] < sim["millennials"]
        gap = sim["gen_z"] - sim["boomers"]
        survey_gap = s["survey_stated"]["gen_z"] - s["survey_stated"]["boomers"]
        assert gap >= 0.5 * survey_gap, (prem, gap, survey_gap)
    assert df["n"].min() > 1500


@pytest.mark.parametrize("magnitude", [0.0, 0.2])
def test_lost_sales_count_shoppers_a_long_quote_turned_away(magnitude: float) -> None:
    """Through the model: with a quote at standard delivery no sale is lost to it; with a long one
    the LOST_TO_QUOTE events, the firms' lost_sales column and the counterfactual agree."""
    s = tiny_scenario(
        **{
            "population.size": 2000,
            "firms.1.policy": {
                "name": "supplier_centric",
                "min_lot": 1,
                "quoted_days": 2 + 20 * magnitude,
            },
            "firms.1.factory.initial_stock": 10**5,
        }
    )
    m = MarketModel(s, seed=4, agents=False)
    m.run(20)
    ts = m.timeseries()
    lost = ts[ts["firm"] == "Pull"]["lost_sales"].sum()
    log = m.event_log.to_frame()
    assert lost == int((log["kind"] == EventKind.LOST_TO_QUOTE.name).sum())
    if magnitude == 0:
        assert lost == 0
    else:
        assert lost > 50
        ms = m.market_series()
        assert ms["went_without_delivery"].sum() > 0
