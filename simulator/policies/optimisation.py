r"""Optimisation: the stock level and the capacity that maximise expected profit.

Picture the newsvendor at dawn deciding how many papers to buy: each one left over costs ``h``, each
customer turned away costs ``b``. Buying one more pays while the chance that demand exceeds the
stock is above ``h / (h + b)``, so the best stock is the critical fractile
:math:`S^* = F^{-1}(b / (b + h))` of the demand distribution. A periodic-review planner faces the
same trade-off once per review period with the demand over the lead time plus the review period
(the "cover"), so the order-up-to level is the same fractile of cover demand.

With normal demand :math:`N(\mu, \sigma)` and :math:`z = (S - \mu) / \sigma`, the standard normal
loss function :math:`L(z) = \varphi(z) - z (1 - \Phi(z))` gives everything in closed form:

- expected shortage :math:`\sigma L(z)` and expected leftover :math:`S - \mu + \sigma L(z)`;
- expected cost :math:`C(S) = h (S - \mu) + (h + b) \sigma L(z)`, at the optimum
  :math:`(h + b) \sigma \varphi(z^*)`;
- fill rate (share of demand served from stock) :math:`1 - \sigma L(z) / \mu`.

Capacity is the same kind of decision: a day's sales are :math:`\min(D, K)` with capacity ``K``,
so the expected profit of an option is
:math:`\text{margin}\,(\mu - \sigma L((K - \mu)/\sigma)) - \text{its extra cost}`, maximised over
the options (for example one, two or three shifts).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
# scipy.special's ufuncs rather than scipy.stats.norm: the same values, without the ~0.3 ms of
# argument checking per call that a daily optimiser pays thousands of times per run.


def critical_ratio(holding: float, shortage: float) -> float:
    """The newsvendor's critical fractile ``b / (b + h)`` (1/2 when both costs are 0)."""
    total = holding + shortage
    return 0.5 if total <= 0.0 else shortage / total


def normal_loss(z: float | np.ndarray) -> float | np.ndarray:
    """Standard normal loss function E[(Z - z)+] = phi(z) - z (1 - Phi(z))."""
    z = np.asarray(z, dtype=float)
    out = _INV_SQRT_2PI * np.exp(-0.5 * z * z) - z * ndtr(-z)
    return float(out) if out.ndim == 0 else out


def newsvendor_level(mean: float, sd: float, holding: float, shortage: float) -> float:
    """Stock level minimising expected holding + shortage cost for N(mean, sd) demand."""
    ratio = critical_ratio(holding, shortage)
    if sd <= 0.0:
        return mean
    # Both costs zero or one zero gives a fractile of 0 or 1: clip to a finite level.
    ratio = float(np.clip(ratio, 1e-9, 1.0 - 1e-9))
    return float(mean + sd * ndtri(ratio))


def expected_cost(level: float, mean: float, sd: float, holding: float, shortage: float) -> float:
    """Expected cost h E[(S - D)+] + b E[(D - S)+] of stock ``level`` against N(mean, sd)."""
    if sd <= 0.0:
        return holding * max(level - mean, 0.0) + shortage * max(mean - level, 0.0)
    z = (level - mean) / sd
    return float(holding * (level - mean) + (holding + shortage) * sd * normal_loss(z))


def expected_shortage(level: float, mean: float, sd: float) -> float:
    """E[(D - S)+] for N(mean, sd) demand."""
    if sd <= 0.0:
        return max(mean - level, 0.0)
    return float(sd * normal_loss((level - mean) / sd))


def fill_rate(level: float, mean: float, sd: float) -> float:
    """Share of demand served from a stock of ``level`` (type-2 service), N(mean, sd) demand."""
    if mean <= 0.0:
        return 1.0
    return 1.0 - expected_shortage(level, mean, sd) / mean


def expected_sales(capacity: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """E[min(D, capacity)] for N(mean, sd) daily demand, for each capacity."""
    cap = np.asarray(capacity, dtype=float)
    if sd <= 0.0:
        return np.minimum(cap, mean)
    finite = np.isfinite(cap)
    z = np.where(finite, (np.where(finite, cap, 0.0) - mean) / sd, 0.0)
    return np.where(finite, mean - sd * normal_loss(z), mean)


def best_capacity(
    mean: float, sd: float, capacities: np.ndarray, extra_costs: np.ndarray, margin: float
) -> tuple[int, np.ndarray]:
    """Index of the option maximising margin * E[min(D, capacity)] - extra cost, and each profit.

    Ties go to the first (cheapest, when options are listed from least capacity) option.
    """
    profit = margin * expected_sales(capacities, mean, sd) - np.asarray(extra_costs, dtype=float)
    return int(np.argmax(profit)), profit
