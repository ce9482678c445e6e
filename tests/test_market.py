"""Generations: calibrated trait distributions, per-generation overrides, agents as views."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator.market.generations import (
    calibration,
    draw_generations,
    draw_traits,
    generation_params,
    survey_shares,
)
from simulator.model import MarketModel
from simulator.scenario import GENERATIONS, Population, ScenarioError, parse_scenario
from tests.conftest import tiny_scenario

SURVEY = {  # First Insight and Wharton 2020: P(W > 0) and P(W >= 10%) by generation
    "silent": (0.50, 0.36),
    "boomers": (0.42, 0.23),
    "gen_x": (0.55, 0.34),
    "millennials": (0.68, 0.50),
    "gen_z": (0.73, 0.54),
}


def test_every_calibration_section_cites_a_source() -> None:
    for name, section in calibration().items():
        assert str(section.get("source", "")).strip(), name
        # and every value names its source, the section's or its own
        for key in section:
            if key != "source" and not key.endswith("_source"):
                assert section.get("source") or section.get(f"{key}_source"), (name, key)


def test_silent_cohort_is_shrunk_toward_the_boomers() -> None:
    """The thin Silent subsample no longer has twice the Boomers' mean premium."""
    gp = generation_params()
    n = 200_000
    mean_premium = []
    for k in (0, 1):
        t = draw_traits(np.full(n, k, np.int8), np.random.default_rng(k))
        mean_premium.append(t.wtp_values.mean())
    silent, boomers = mean_premium
    assert boomers < silent < 1.5 * boomers
    a, b, thin = survey_shares()
    assert thin == ["silent"] and a[0] == pytest.approx(0.46) and b[0] == pytest.approx(0.295)
    assert gp.wtp_sigma[0] < 0.25


def test_mix_is_exact_and_generations_are_shuffled() -> None:
    g = draw_generations(1001, (0.05, 0.22, 0.25, 0.28, 0.20), np.random.default_rng(0))
    assert np.bincount(g, minlength=5).tolist() == [50, 220, 250, 281, 200]
    assert not (np.diff(g) >= 0).all()


def test_willingness_to_pay_reproduces_the_survey_shares() -> None:
    """Stated WTP > 0 and >= 10% by generation (Silent: shrunk toward the Boomers); the share who act
    on it is the say-do ratio (0.86) of those who say so, at every premium."""
    n = 100_000
    say_do = calibration()["say_do"]["value"]
    for k, g in enumerate(GENERATIONS):
        t = draw_traits(np.full(n, k, np.int8), np.random.default_rng(k))
        stated = t.wtp_stated
        target = SURVEY[g] if g != "silent" else (0.46, 0.295)
        for x in (0.0, 0.05, 0.10):
            say = (stated > x).mean()
            act = (t.wtp_values > x).mean()
            assert abs(act - say_do * say) < 3.3 * np.sqrt(say * (1 - say) / n), (g, x)
        for observed, expected in (
            ((stated > 0).mean(), target[0]),
            ((stated >= 0.10 - 1e-12).mean(), target[1]),
        ):
            # 99.9% binomial interval plus the 0.005 rounding of the published fit
            half = stats.norm.ppf(0.9995) * np.sqrt(expected * (1 - expected) / n) + 0.005
            assert abs(observed - expected) < half, (g, observed, expected)


def test_social_media_use_and_posting_follow_the_generation() -> None:
    n = 50_000
    share = calibration()["social_media"]["share"]
    for k, g in enumerate(GENERATIONS):
        t = draw_traits(np.full(n, k, np.int8), np.random.default_rng(10 + k))
        half = 3.3 * np.sqrt(share[g] * (1 - share[g]) / n)
        assert abs(t.social_media.mean() - share[g]) < half
    young = draw_traits(np.full(10, 4, np.int8), np.random.default_rng(0))
    old = draw_traits(np.full(10, 1, np.int8), np.random.default_rng(0))
    # expressing values and paying for them are separate traits
    assert young.values_posting[0] > old.values_posting[0]
    assert young.boycott_propensity[0] > old.boycott_propensity[0]


def test_value_weights_and_delay_tolerance() -> None:
    n = 50_000
    t = draw_traits(np.full(n, 4, np.int8), np.random.default_rng(1))
    np.testing.assert_allclose(t.value_weights.sum(axis=1), 1.0)
    np.testing.assert_allclose(t.value_weights.mean(axis=0), [0.45, 0.28, 0.27], atol=0.005)
    # over the default mix, the fit of ../shared/calibration: P(>= 1 day) = 0.86 exp(-1/5.5) = 0.72
    # (survey: 0.76), P(>= 7 days) = 0.86 exp(-7/5.5) = 0.24 (survey: 0.24)
    gens = draw_generations(n, (0.05, 0.22, 0.25, 0.28, 0.20), np.random.default_rng(2))
    t = draw_traits(gens, np.random.default_rng(3))
    assert abs((t.delay_tolerance >= 1).mean() - 0.72) < 0.02
    assert abs((t.delay_tolerance >= 7).mean() - 0.24) < 0.02
    # the young want speed: more of them accept no extra day at all (Bizrate 2015)
    zero = [(t.delay_tolerance[gens == k] == 0).mean() for k in range(5)]
    assert zero[0] < zero[1] < zero[2] < zero[3] and zero[4] > zero[2]


def test_per_generation_override_changes_only_that_generation() -> None:
    spec = Population(
        size=20_000,
        traits={"gen_z": {"wtp_mu": 0.5, "wtp_sigma": 0.0, "social_media_share": 0.0}},  # type: ignore[arg-type]
    )
    gens = np.repeat(np.arange(5, dtype=np.int8), 4000)
    t = draw_traits(gens, np.random.default_rng(2), spec=spec)
    gz = gens == 4
    np.testing.assert_allclose(t.wtp_stated[gz], 0.5)
    acts = t.wtp_values[gz] > 0
    np.testing.assert_allclose(t.wtp_values[gz][acts], 0.5)
    assert abs(acts.mean() - calibration()["say_do"]["value"]) < 0.03
    assert not t.social_media[gz].any()
    base = draw_traits(gens, np.random.default_rng(2))
    np.testing.assert_array_equal(t.wtp_values[~gz] > 0, base.wtp_values[~gz] > 0)


def test_birth_years_are_configurable_and_validated() -> None:
    spec = Population(
        size=5000,
        birth_years={"gen_x": (1965, 1979), "millennials": (1980, 1996)},  # type: ignore[arg-type]
    )
    gens = np.repeat(np.arange(5, dtype=np.int8), 1000)
    t = draw_traits(gens, np.random.default_rng(3), spec=spec)
    assert t.birth_year[gens == 2].max() == 1979 and t.birth_year[gens == 3].min() == 1980
    with pytest.raises(ScenarioError, match="start the year after"):
        parse_scenario(
            {"firms": [{"name": "A"}], "population": {"birth_years": {"gen_x": [1965, 1990]}}}
        )


def test_scenario_override_reaches_the_model_and_agents_are_views() -> None:
    s = tiny_scenario(**{"population.traits.boomers.loyalty": 0.0})
    m = MarketModel(s, seed=1)
    pop = m.population
    assert (pop.loyalty[pop.generation == 1] == 0).all()
    assert (pop.loyalty[pop.generation == 4] > 0).all()
    agent = m.agents[7]
    pop.boycott[7, 1] = True
    assert agent.boycotting == [1]
    assert agent.generation == GENERATIONS[int(pop.generation[7])]


def test_say_do_share_can_be_set_per_generation() -> None:
    spec = Population(size=1000, traits={"boomers": {"say_do": 0.5}})  # type: ignore[arg-type]
    gens = np.repeat(np.arange(5, dtype=np.int8), 20_000)
    a = draw_traits(gens, np.random.default_rng(4), spec=spec)
    b = draw_traits(gens, np.random.default_rng(4))
    boomers = gens == 1
    says = a.wtp_stated[boomers] > 0
    acting = (a.wtp_values[boomers] > 0)[says].mean()
    assert abs(acting - 0.5) < 0.02
    # those who act pay what they said; the other generations are unchanged
    both = (a.wtp_values > 0) & boomers
    np.testing.assert_allclose(a.wtp_values[both], a.wtp_stated[both])
    np.testing.assert_allclose(a.wtp_values[~boomers], b.wtp_values[~boomers])
