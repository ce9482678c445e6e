"""Statistics over replications: intervals against scipy, coverage of a known answer, tipping points."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator.experiments.stats import (
    all_pairs,
    paired_difference,
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
