"""Random durations: processing, set-up, repair and lead times, drawn from a scenario's distribution.

Like a stopwatch record of past jobs summarised by its mean and spread, a
:class:`~simulator.scenario.Distribution` names a family (deterministic, exponential, gamma,
lognormal), a mean and a coefficient of variation. Sums of many units' times are drawn in one go
where the family is closed under addition (gamma, exponential, deterministic), which is exact in
distribution and keeps big batches cheap.
"""

from __future__ import annotations

import numpy as np

from simulator.scenario import Distribution


def draw_times(dist: Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent draws (days)."""
    if dist.kind == "deterministic" or dist.mean == 0.0:
        return np.full(n, dist.mean)
    if dist.kind == "exponential":
        return rng.exponential(dist.mean, n)
    if dist.kind == "gamma":
        shape = 1.0 / dist.cv**2
        return rng.gamma(shape, dist.mean / shape, n)
    # lognormal with the given mean and coefficient of variation
    s2 = np.log1p(dist.cv**2)
    return rng.lognormal(np.log(dist.mean) - s2 / 2.0, np.sqrt(s2), n)


def draw_one(dist: Distribution, rng: np.random.Generator) -> float:
    """One draw (days)."""
    if dist.kind == "deterministic" or dist.mean == 0.0:
        return dist.mean
    if dist.kind == "exponential":
        return float(rng.exponential(dist.mean))
    return float(draw_times(dist, rng, 1)[0])


def draw_total(dist: Distribution, rng: np.random.Generator, n: int) -> float:
    """The sum of ``n`` independent draws: the work content of ``n`` units."""
    if n <= 0:
        return 0.0
    if dist.kind == "deterministic" or dist.mean == 0.0:
        return n * dist.mean
    if dist.kind == "exponential":
        # a sum of n exponentials is gamma(n, mean)
        return float(rng.exponential(dist.mean)) if n == 1 else float(rng.gamma(n, dist.mean))
    if dist.kind == "gamma":
        shape = 1.0 / dist.cv**2
        return float(rng.gamma(n * shape, dist.mean / shape))
    return float(draw_times(dist, rng, n).sum())
