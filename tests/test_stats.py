"""Statistics over replications: intervals against scipy, coverage of a known answer, tipping points."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from simulator.experiments.stats import (
    all_pairs,
    kpi_interval,
    paired_difference,
    proportion_interval,
    t_interval,
    tipping_point,
    welch_moving_average,
    zero_crossing,
)
from simulator.market.choice import choose, probabilities
from simulator.rng import Streams, replication_seeds


def test_t_interval_matches_scipy() -> None:
    x = np.array([3.1, 2.7, 3.9, 3.3, 2.2, 3.0])
    iv = t_interval(x)
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert (iv.low, iv.high, iv.n) == (pytest.approx(lo), pytest.approx(hi), 6)
    assert t_interval([4.0]).n == 1 and np.isnan(t_interval([4.0]).low)
    assert t_interval([np.nan, 1.0, 3.0]).n == 2


def test_paired_difference_and_bonferroni_match_scipy() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(10, 2, 12)
    b = a + rng.normal(0.5, 0.4, 12)
    d = paired_difference(a, b)
    assert d.p_value == pytest.approx(stats.ttest_rel(b, a).pvalue)
    assert d.interval.mean == pytest.approx((b - a).mean())
    c = b + rng.normal(0.1, 0.4, 12)
    pairs = all_pairs({"a": a, "b": b, "c": c})
    assert [(p.a, p.b) for p in pairs] == [("a", "b"), ("a", "c"), ("b", "c")]
    for p in pairs:
        assert p.comparisons == 3
        assert p.interval.level == pytest.approx(1 - 0.05 / 3)
    raw = stats.ttest_rel(c, b).pvalue
    assert pairs[2].p_value == pytest.approx(min(1.0, 3 * raw))
    wide = stats.t.interval(1 - 0.05 / 3, 11, loc=(c - b).mean(), scale=stats.sem(c - b))
    assert (pairs[2].interval.low, pairs[2].interval.high) == (
        pytest.approx(wide[0]),
        pytest.approx(wide[1]),
    )


def _share_experiment(root: int, p_true: np.ndarray, consumers: int, reps: int) -> np.ndarray:
    """Shares of offer 0 among ``consumers`` logit choosers, one per replication seed."""
    out = np.empty(reps)
    probs = np.repeat(p_true[None, :], consumers, axis=0)
    for r, seed in enumerate(replication_seeds(root, reps)):
        u = Streams(seed).get("consumers").random(consumers)
        out[r] = np.mean(choose(probs, u) == 0)
    return out


def test_intervals_cover_a_known_logit_share_about_95_percent_of_the_time() -> None:
    # The market's logit rule with known utilities: the share choosing offer 0 has a known mean.
    p = probabilities(np.array([[0.4, -0.2]]))[0]
    true_share = float(p[1])
    experiments, reps = 400, 10
    covered = sum(
        t_interval(_share_experiment(1000 + e, p, 200, reps)).covers(true_share)
        for e in range(experiments)
    )
    # Coverage count ~ Binomial(400, 0.95) if the intervals are right; accept its central 99.9%.
    lo, hi = stats.binom.ppf([0.0005, 0.9995], experiments, 0.95)
    print(f"logit share {true_share:.4f}: {covered}/{experiments} covered (accept {lo:.0f}-{hi:.0f})")
    assert lo <= covered <= hi, f"{covered}/{experiments} intervals covered the true share"


def test_zero_crossing_interpolates_linearly() -> None:
    x = np.array([0.0, 1.0, 2.0, 3.0])
    assert zero_crossing(x, np.array([-3.0, -1.0, 1.0, 2.0])) == pytest.approx(1.5)
    assert zero_crossing(x, np.array([-3.0, 0.0, 1.0, 2.0])) == pytest.approx(1.0)
    assert zero_crossing(x, np.array([1.0, 2.0, 3.0, 4.0])) is None


def test_tipping_point_interval_covers_a_known_crossing() -> None:
    rng = np.random.default_rng(7)
    x = np.linspace(0, 5, 11)
    # True difference 2 * (x - 3.2); replication effects shared along the curve (as with CRN).
    diffs = 2 * (x - 3.2) + rng.normal(0, 0.8, (10, 1)) * 0.3 + rng.normal(0, 0.3, (10, 11))
    tip = tipping_point(x, diffs, np.random.default_rng(3))
    assert tip.estimate is not None and tip.low is not None and tip.high is not None
    assert tip.low <= 3.2 <= tip.high
    assert tip.high - tip.low < 0.5
    assert tip.share_with_crossing == 1.0
    flat = tipping_point(x, np.abs(diffs) + 5, np.random.default_rng(3))
    assert flat.estimate is None and flat.low is None and flat.share_with_crossing == 0.0


def test_welch_moving_average() -> None:
    series = np.vstack([np.arange(10.0), np.arange(10.0) + 2])
    sm = welch_moving_average(series, 2)
    assert sm[0] == pytest.approx(1.0)  # window shrinks to the day itself at the start
    assert sm[5] == pytest.approx(np.mean(np.arange(3.0, 8.0)) + 1)
    assert len(sm) == 10


@pytest.mark.long
def test_intervals_cover_the_plant_base_stock_fill_rate_about_95_percent_of_the_time() -> None:
    """Factory only: a make-to-stock M/M/1 stage with base stock S fills 1 - rho^S from stock."""
    from tests.plant_harness import base_stock_firm, exp_stage

    rho, s = 0.8, 5
    experiments, reps = 100, 5
    covered = 0
    for e in range(experiments):
        fills = [
            base_stock_firm([exp_stage(1, 1.0)], s, rho, 2500.0, 500.0, seed)
            for seed in replication_seeds(5000 + e, reps)
        ]
        covered += t_interval(fills).covers(1 - rho**s)
    lo, hi = stats.binom.ppf([0.0005, 0.9995], experiments, 0.95)
    print(f"fill rate {1 - rho**s:.4f}: {covered}/{experiments} covered (accept {lo:.0f}-{hi:.0f})")
    assert lo <= covered <= hi, f"{covered}/{experiments} intervals covered 1 - rho^S"


# --- intervals for proportions ------------------------------------------------------------------


def test_proportion_interval_is_wilson_with_the_effective_sample_size() -> None:
    """Wilson's score interval, with n* = p(1 - p) / (s^2 / n) trials and the t quantile."""
    x = np.array([0.97, 1.0, 0.99, 1.0, 0.98])
    iv = proportion_interval(x)
    p, n = x.mean(), len(x)
    n_eff = p * (1 - p) / (x.var(ddof=1) / n)
    z = stats.t.ppf(0.975, n - 1)
    # Wilson's interval solves |p - q| = z sqrt(q (1 - q) / n*) for q: both ends satisfy it
    for q in (iv.low, iv.high):
        assert abs(p - q) == pytest.approx(z * np.sqrt(q * (1 - q) / n_eff))
    assert iv.mean == p and iv.high <= 1.0
    assert t_interval(x).high > 1.0  # what a t-interval says of the same five OTIFs
    # symmetric around 1/2 the centre does not move and the interval is the t-interval
    sym = np.array([0.4, 0.6, 0.45, 0.55, 0.5])
    assert (proportion_interval(sym).low, proportion_interval(sym).high) == pytest.approx(
        (t_interval(sym).low, t_interval(sym).high), rel=0.02
    )


@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=30), st.sampled_from([0.8, 0.95, 0.99]))
def test_proportion_interval_stays_in_the_unit_interval(values: list[float], level: float) -> None:
    iv = proportion_interval(values, level)
    assert 0.0 <= iv.low <= iv.high <= 1.0
    assert iv.n == len(values)


def test_proportion_interval_errors_and_edge_cases() -> None:
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        proportion_interval([0.5, 1.2])
    one = proportion_interval([0.9])
    assert one.n == 1 and np.isnan(one.low)
    flat = proportion_interval([1.0, 1.0, 1.0])
    assert (flat.low, flat.high) == (1.0, 1.0)
    assert kpi_interval("otif", [0.97, 1.0, 0.99]).high <= 1.0
    assert kpi_interval("profit", [3.0, 5.0, 4.0]) == t_interval([3.0, 5.0, 4.0])


def test_proportion_interval_covers_a_true_proportion_near_one() -> None:
    """OTIFs of 5 replications of 200 orders each, true rate 0.98: the interval covers 0.98 about
    95% of the time (2,000 sets: standard error 0.5 points), where the t-interval passes 1 in
    about 4% of the sets."""
    rng = Streams(3).get("test:proportion-coverage")
    sets = rng.binomial(200, 0.98, size=(2000, 5)) / 200
    covered = [proportion_interval(x).covers(0.98) for x in sets]
    assert np.mean(covered) == pytest.approx(0.95, abs=0.02)
    assert all(proportion_interval(x).high <= 1.0 for x in sets)
    assert np.mean([t_interval(x).high > 1.0 for x in sets]) > 0.02
