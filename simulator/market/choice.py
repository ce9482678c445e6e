r"""Consumer choice: a random-utility (logit) choice among the offers and not buying.

Consumer :math:`i` facing offer :math:`j` (a firm's product) gets the systematic utility

.. math::

    V_{ij} = c + \beta_i \Big( -\frac{p_j}{p_{ref}} + w_i\, a_{ij}
             - \kappa \max(0,\ d_j - d_0 - \tau_i) \Big)
             + \gamma_q\, q_j + \gamma_r\, r_{ij}

and not buying gets :math:`V_{i0} = 0`. Here :math:`p_j` is the price, :math:`a_{ij} = \omega_i
\cdot e_j \in [0, 1]` the alignment of the consumer's value weights :math:`\omega_i` with the firm's
ethics profile :math:`e_j`, :math:`w_i` the consumer's willingness to pay for a perfectly aligned firm
(share of the reference price), :math:`d_j` the quoted delivery days, :math:`d_0` standard delivery,
:math:`\tau_i` the consumer's tolerance for extra days, :math:`\kappa` the utility lost per extra day
(in price units), :math:`q_j` quality and :math:`r_{ij}` the firm's reputation as the consumer
perceives it; :math:`c` is the utility of buying at all.

Because alignment enters inside the price bracket, the model's implied willingness to pay for
alignment is exactly :math:`w_i \cdot p_{ref}`: raising a price by it cancels the effect.

With Gumbel errors the choice probabilities are the logit
:math:`P_{ij} = e^{V_{ij}} / \sum_k e^{V_{ik}}`. A choice is drawn by inverting the cumulative
probabilities with one uniform draw per consumer, which the vectorized pass and the per-agent rule
share, so both give the same choice on the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUALITY_WEIGHT = 1.0
"""Utility of quality (0-1 scale); assumption."""
REPUTATION_WEIGHT = 1.0
"""Utility of perceived reputation (0-1 scale); assumption."""


@dataclass(frozen=True)
class Offers:
    """What the market sees today, one entry per offer (firm)."""

    price: np.ndarray
    ethics: np.ndarray  # (J, 3)
    quality: np.ndarray
    quoted_days: np.ndarray
    available: np.ndarray  # bool: a firm that sells today (False: e.g. closed)

    def __len__(self) -> int:
        return len(self.price)


@dataclass(frozen=True)
class ChoiceParams:
    """Market-wide constants of the utility."""

    reference_price: float
    purchase_constant: float
    standard_delivery_days: float
    delay_penalty: float


def utilities(
    offers: Offers,
    params: ChoiceParams,
    wtp: np.ndarray,
    beta: np.ndarray,
    weights: np.ndarray,
    tolerance: np.ndarray,
    reputation: np.ndarray,
) -> np.ndarray:
    """Systematic utilities ``V`` of shape (consumers, offers); not buying is 0."""
    align = weights @ offers.ethics.T  # (n, J)
    excess = np.maximum(
        0.0, offers.quoted_days[None, :] - params.standard_delivery_days - tolerance[:, None]
    )
    money = (
        -offers.price[None, :] / params.reference_price
        + wtp[:, None] * align
        - params.delay_penalty * excess
    )
    v = (
        params.purchase_constant
        + beta[:, None] * money
        + QUALITY_WEIGHT * offers.quality[None, :]
        + REPUTATION_WEIGHT * reputation
    )
    return np.where(offers.available[None, :], v, -np.inf)


def probabilities(v: np.ndarray) -> np.ndarray:
    """Logit probabilities with an outside option of utility 0 in column 0: shape (n, J + 1)."""
    full = np.concatenate([np.zeros((v.shape[0], 1)), v], axis=1)
    full -= full.max(axis=1, keepdims=True)
    e = np.exp(full)
    return e / e.sum(axis=1, keepdims=True)


def choose(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Offer index chosen by each consumer (-1: not buying), from probabilities and uniforms."""
    cum = np.cumsum(p, axis=1)
    idx = (cum < u[:, None]).sum(axis=1)
    idx = np.minimum(idx, p.shape[1] - 1)  # guard against rounding in the last cumulative sum
    return idx - 1


def choose_one(
    offers: Offers,
    params: ChoiceParams,
    wtp: float,
    beta: float,
    weights: np.ndarray,
    tolerance: float,
    reputation: np.ndarray,
    u: float,
) -> int:
    """The same rule for one consumer, written plainly (the reference for tests)."""
    import math

    vs = [0.0]
    for j in range(len(offers)):
        if not offers.available[j]:
            vs.append(-math.inf)
            continue
        align = sum(float(weights[k]) * float(offers.ethics[j, k]) for k in range(len(weights)))
        excess = max(0.0, float(offers.quoted_days[j]) - params.standard_delivery_days - tolerance)
        money = -float(offers.price[j]) / params.reference_price + wtp * align
        money -= params.delay_penalty * excess
        vs.append(
            params.purchase_constant
            + beta * money
            + QUALITY_WEIGHT * float(offers.quality[j])
            + REPUTATION_WEIGHT * float(reputation[j])
        )
    top = max(vs)
    es = [math.exp(v - top) for v in vs]
    total = sum(es)
    acc = 0.0
    for k, e in enumerate(es):
        acc += e / total
        if acc >= u:
            return k - 1
    return len(es) - 2
