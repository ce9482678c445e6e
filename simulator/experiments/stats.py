"""Statistics over replications: intervals, paired differences, warm-up and tipping points.

A single run is one roll of the dice. Replications are many rolls with independent seeds; their
mean is an estimate whose uncertainty a Student-t interval states honestly. When two policies are
run on the same replication seeds (common random numbers), replication ``r`` of each sees the same
consumers and shocks, so their difference cancels the shared noise: the paired t-interval on the
difference is narrower than the two separate intervals suggest. With more than two policies, every
pair is compared and the intervals are widened by Bonferroni's rule so that all of them hold
together with the stated confidence.

A proportion (fill rate, OTIF, a share) lives in [0, 1], and a t-interval near 1 can pass it (an
OTIF of 0.99 +- 0.014). :func:`proportion_interval` gives the Wilson score interval with the
replications' effective sample size (Korn & Graubard 1998): the same as the t-interval in the
middle of the range, bent to stay inside [0, 1] near its ends.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from itertools import combinations

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval over ``n`` observations."""

    mean: float
    low: float
    high: float
    n: int
    sd: float
    level: float

    @property
    def half_width(self) -> float:
        """Half the interval's width (NaN when undefined)."""
        return (self.high - self.low) / 2

    def covers(self, value: float) -> bool:
        """Whether ``value`` lies inside the interval."""
        return bool(self.low <= value <= self.high)

    def as_dict(self) -> dict[str, float | int]:
        """Plain fields (for tables)."""
        return asdict(self)


def t_interval(values: np.ndarray | list[float], level: float = 0.95) -> Interval:
    """The Student-t interval for the mean of ``values`` (NaNs dropped).

    With one observation the interval is undefined (NaN bounds); with zero spread it is a point.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, math.nan, level)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1, math.nan, level)
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, sd, level)


def proportion_interval(values: np.ndarray | list[float], level: float = 0.95) -> Interval:
    """An interval for the mean of per-replication proportions that stays inside [0, 1].

    Each replication gives one proportion (its OTIF, its fill rate); they are independent, so
    their mean ``p`` has variance ``v = s^2 / n``. The effective sample size ``n* = p (1 - p) / v``
    is the number of independent yes/no trials that would give that variance (Korn & Graubard
    1998, *Survey Methodology* 24(2)), and the interval is Wilson's score interval for ``p`` with
    ``n*`` trials and Student's ``t`` quantile on ``n - 1`` degrees of freedom as the critical
    value. Away from 0 and 1 it matches the t-interval; near them it stays inside [0, 1]. With one
    replication it is undefined (NaN), with no spread (every replication 1.0, say) a point.

    Raises:
        ValueError: a value outside [0, 1] (not a proportion).
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n and ((x < 0.0) | (x > 1.0)).any():
        raise ValueError(f"proportions must lie in [0, 1], got {x[(x < 0.0) | (x > 1.0)][:3]}")
    base = t_interval(x, level)
    if n < 2 or base.sd == 0:
        return base
    p = base.mean
    var = base.sd**2 / n
    # values in [0, 1] have s^2 <= n p (1 - p) / (n - 1) (Bhatia-Davis), so n* >= n - 1 > 0
    n_eff = p * (1.0 - p) / var
    z = float(stats.t.ppf(0.5 + level / 2, n - 1))
    z2n = z * z / n_eff
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n_eff + z2n / (4 * n_eff))
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    return Interval(p, low, high, n, base.sd, level)


def kpi_interval(key: str, values: np.ndarray | list[float], level: float = 0.95) -> Interval:
    """The interval a KPI's mean gets: :func:`proportion_interval` for a share, else the t-interval.

    Which KPIs are shares is read from :mod:`simulator.glossary`.
    """
    from simulator.glossary import is_proportion

    return proportion_interval(values, level) if is_proportion(key) else t_interval(values, level)


@dataclass(frozen=True)
class PairedDifference:
    """``b - a`` over paired replications: interval, p-value of "no difference", and the adjustment."""

    a: str
    b: str
    interval: Interval
    p_value: float
    comparisons: int
    """How many comparisons the interval's level was adjusted for (Bonferroni); 1 = none."""


def paired_difference(
    a: np.ndarray,
    b: np.ndarray,
    level: float = 0.95,
    comparisons: int = 1,
    names: tuple[str, str] = ("a", "b"),
) -> PairedDifference:
    """The paired difference ``b - a`` with a t-interval at ``1 - (1 - level) / comparisons``.

    The p-value is the two-sided paired t-test's, Bonferroni-adjusted (multiplied by
    ``comparisons``, capped at 1). Replications where either value is NaN are dropped together.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples need equal lengths, got {a.shape} and {b.shape}")
    keep = ~(np.isnan(a) | np.isnan(b))
    d = b[keep] - a[keep]
    adjusted = 1 - (1 - level) / comparisons
    iv = t_interval(d, adjusted)
    if len(d) < 2:
        p = math.nan
    elif iv.sd == 0:
        p = 1.0 if iv.mean == 0 else 0.0
    else:
        p = float(stats.ttest_1samp(d, 0.0).pvalue)
    p_adj = min(1.0, p * comparisons) if not math.isnan(p) else p
    return PairedDifference(names[0], names[1], iv, p_adj, comparisons)


def all_pairs(samples: dict[str, np.ndarray], level: float = 0.95) -> list[PairedDifference]:
    """Every pairwise paired difference (later minus earlier), Bonferroni-adjusted when > 2 groups."""
    names = list(samples)
    pairs = list(combinations(names, 2))
    m = max(1, len(pairs))
    return [paired_difference(samples[x], samples[y], level, m, (x, y)) for x, y in pairs]


def welch_moving_average(series: np.ndarray, window: int) -> np.ndarray:
    """Welch's smoothed curve: centred moving average of the across-replication mean.

    ``series`` has one row per replication and one column per day. Near the start the window shrinks
    to what is available (Welch 1983), so the curve starts at day 0.
    """
    mean = np.nanmean(np.asarray(series, dtype=float), axis=0)
    out = np.empty_like(mean)
    n = len(mean)
    for i in range(n):
        w = min(window, i, n - 1 - i)
        out[i] = mean[i - w : i + w + 1].mean()
    return out


@dataclass(frozen=True)
class TippingPoint:
    """Where a difference curve crosses zero along a parameter, with a bootstrap interval."""

    estimate: float | None
    """Parameter value where the mean difference first changes sign (linear interpolation)."""
    low: float | None
    high: float | None
    share_with_crossing: float
    """Share of bootstrap resamples in which the curve crosses zero at all."""
    level: float
    resamples: int


def zero_crossing(x: np.ndarray, y: np.ndarray) -> float | None:
    """The first ``x`` where the piecewise-linear curve ``y(x)`` reaches zero (None if it never does)."""
    for i in range(len(x) - 1):
        y0, y1 = y[i], y[i + 1]
        if y0 == 0:
            return float(x[i])
        if y0 * y1 < 0:
            return float(x[i] + (x[i + 1] - x[i]) * (-y0) / (y1 - y0))
    if len(y) and y[-1] == 0:
        return float(x[-1])
    return None


def tipping_point(
    x: np.ndarray,
    diffs: np.ndarray,
    rng: np.random.Generator,
    level: float = 0.95,
    resamples: int = 2000,
) -> TippingPoint:
    """The tipping point of a difference curve and its percentile bootstrap interval.

    Args:
        x: increasing parameter values, one per design point.
        diffs: differences, shape (replications, points). Replication ``r`` used the same seed at
            every point (common random numbers), so resampling whole replications keeps the
            correlation along the curve.
        rng: generator for the resampling.
        level: interval level.
        resamples: bootstrap resamples.
    """
    x = np.asarray(x, dtype=float)
    d = np.asarray(diffs, dtype=float)
    est = zero_crossing(x, np.nanmean(d, axis=0))
    n = d.shape[0]
    idx = rng.integers(0, n, size=(resamples, n))
    curves = np.nanmean(d[idx], axis=1)
    found = [c for c in (zero_crossing(x, curve) for curve in curves) if c is not None]
    share = len(found) / resamples
    if not found:
        return TippingPoint(est, None, None, share, level, resamples)
    # Resamples without a crossing are reported through ``share_with_crossing``; the interval is
    # over those that cross (conditional on a tipping point existing inside the swept range).
    alpha = (1 - level) / 2
    lo, hi = np.quantile(np.array(found), [alpha, 1 - alpha])
    return TippingPoint(est, float(lo), float(hi), share, level, resamples)
