r"""Consumer choice: a random-utility (logit) choice among every offer and not buying.

An offer is one variant of one firm's product. Consumer :math:`i` facing offer :math:`j` of firm
:math:`f(j)` gets the systematic utility

.. math::

    V_{ij} = c + \beta_i \Big( -\frac{p_j}{p_{ref}} + w_i\, a_{ij} + b\,B_{i f}
             - \kappa \max(0,\ d_j - d_0 - \tau_i) + \varsigma_i x_j \Big)
             + \gamma_q\, q_j + \gamma_r\, r_{if} + \gamma_s\, s_{if} + g_j
             + \lambda_i\, \mathbb{1}[f = \ell_i \wedge \text{satisfied}_i]

and not buying gets :math:`V_{i0} = 0`. Here :math:`p_j` is the price, :math:`a_{ij} = \omega_i
\cdot e_f \in [0, 1]` the alignment of the consumer's value weights :math:`\omega_i` with the
firm's ethics profile :math:`e_f`, :math:`w_i` the consumer's willingness to pay for a perfectly
aligned firm (share of the reference price), :math:`B_{if}` whether the consumer is buycotting the
firm and :math:`b` the buycott premium, :math:`d_j` the quoted delivery days, :math:`d_0` standard
delivery, :math:`\tau_i` the consumer's tolerance for extra days, :math:`\kappa` the utility lost
per extra day (in price units), :math:`x_j \in [0, 1]` how customised the variant is and
:math:`\varsigma_i` the consumer's customisation preference (price units), :math:`q_j` quality,
:math:`r_{if}` the firm's reputation as the consumer perceives it, :math:`s_{if}` the share of the
consumer's neighbours who bought from the firm recently, :math:`\ell_i` the firm of the last
purchase, :math:`\lambda_i` the consumer's loyalty and :math:`g_j` the offer's appeal (a firm's
advertising goodwill, in utility units); :math:`c` is the utility of buying at all.
An offer of a firm the consumer boycotts (or will never buy from again) is not in their choice set.

Because alignment enters inside the price bracket, the model's implied willingness to pay for
alignment is exactly :math:`w_i \cdot p_{ref}`: raising a price by it cancels the effect. The same
holds for the buycott premium and for customisation.

With Gumbel errors the choice probabilities are the logit
:math:`P_{ij} = e^{V_{ij}} / \sum_k e^{V_{ik}}`. A choice is drawn by inverting the cumulative
probabilities with one uniform draw per consumer, which the vectorized pass and the per-agent rule
share, so both give the same choice on the same draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

QUALITY_WEIGHT = 1.0
"""Utility of quality (0-1 scale); assumption."""
REPUTATION_WEIGHT = 1.0
"""Utility of perceived reputation (0-1 scale); assumption."""


@dataclass(frozen=True)
class Offers:
    """What the market sees today, one entry per offer (a firm's variant)."""

    price: np.ndarray
    ethics: np.ndarray  # (J, 3)
    quality: np.ndarray
    quoted_days: np.ndarray
    available: np.ndarray  # bool: an offer on sale today (False: e.g. closed)
    firm: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    """Firm index of each offer (default: offer j is firm j)."""
    variant: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    """Variant index within the firm (default 0)."""
    customisation: np.ndarray = field(default_factory=lambda: np.empty(0))
    """How customised each offer is, 0 (standard) to 1 (made to measure); default 0."""
    appeal: np.ndarray = field(default_factory=lambda: np.empty(0))
    """Utility every consumer adds to the offer beyond the terms below (for example its firm's
    advertising goodwill); default 0."""

    def __post_init__(self) -> None:
        j = len(self.price)
        if len(self.firm) == 0:
            object.__setattr__(self, "firm", np.arange(j, dtype=np.int64))
        if len(self.variant) == 0:
            object.__setattr__(self, "variant", np.zeros(j, dtype=np.int64))
        if len(self.customisation) == 0:
            object.__setattr__(self, "customisation", np.zeros(j))
        if len(self.appeal) == 0:
            object.__setattr__(self, "appeal", np.zeros(j))

    def __len__(self) -> int:
        return len(self.price)


@dataclass(frozen=True)
class ChoiceParams:
    """Market-wide constants of the utility."""

    reference_price: float
    purchase_constant: float
    standard_delivery_days: float
    delay_penalty: float
    buycott_premium: float = 0.0
    peer_weight: float = 0.0


@dataclass(frozen=True)
class Chooser:
    """The consumer-side columns of the utility for a group of consumers (rows align).

    Per-firm columns (``reputation``, ``peer_share``, ``buycott``, ``excluded``) have one column
    per firm; ``loyal_firm`` is the firm of a satisfying last purchase (-1: none).
    """

    wtp: np.ndarray
    beta: np.ndarray
    weights: np.ndarray
    tolerance: np.ndarray
    reputation: np.ndarray
    customisation: np.ndarray | None = None
    loyalty: np.ndarray | None = None
    loyal_firm: np.ndarray | None = None
    peer_share: np.ndarray | None = None
    buycott: np.ndarray | None = None
    excluded: np.ndarray | None = None


def utilities(offers: Offers, params: ChoiceParams, c: Chooser) -> np.ndarray:
    """Systematic utilities ``V`` of shape (consumers, offers); not buying is 0."""
    f = offers.firm
    align = c.weights @ offers.ethics.T  # (n, J)
    excess = np.maximum(
        0.0, offers.quoted_days[None, :] - params.standard_delivery_days - c.tolerance[:, None]
    )
    money = (
        -offers.price[None, :] / params.reference_price
        + c.wtp[:, None] * align
        - params.delay_penalty * excess
    )
    if c.customisation is not None:
        money = money + c.customisation[:, None] * offers.customisation[None, :]
    if c.buycott is not None and params.buycott_premium:
        money = money + params.buycott_premium * c.buycott[:, f]
    v = (
        params.purchase_constant
        + c.beta[:, None] * money
        + QUALITY_WEIGHT * offers.quality[None, :]
        + REPUTATION_WEIGHT * c.reputation[:, f]
        + offers.appeal[None, :]
    )
    if c.peer_share is not None and params.peer_weight:
        v = v + params.peer_weight * c.peer_share[:, f]
    if c.loyalty is not None and c.loyal_firm is not None:
        v = v + np.where(c.loyal_firm[:, None] == f[None, :], c.loyalty[:, None], 0.0)
    ok = np.broadcast_to(offers.available[None, :], v.shape)
    if c.excluded is not None:
        ok = ok & ~c.excluded[:, f]
    return np.where(ok, v, -np.inf)


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


def choose_one(offers: Offers, params: ChoiceParams, c: Chooser, row: int, u: float) -> int:
    """The same rule for consumer ``row`` of ``c``, written plainly (the reference for tests)."""
    vs = [0.0]
    w = c.weights[row]
    for j in range(len(offers)):
        f = int(offers.firm[j])
        if not offers.available[j] or (c.excluded is not None and c.excluded[row, f]):
            vs.append(-math.inf)
            continue
        align = sum(float(w[k]) * float(offers.ethics[j, k]) for k in range(len(w)))
        excess = max(
            0.0, float(offers.quoted_days[j]) - params.standard_delivery_days - float(c.tolerance[row])
        )
        money = -float(offers.price[j]) / params.reference_price + float(c.wtp[row]) * align
        money -= params.delay_penalty * excess
        if c.customisation is not None:
            money += float(c.customisation[row]) * float(offers.customisation[j])
        if c.buycott is not None and params.buycott_premium:
            money += params.buycott_premium * float(c.buycott[row, f])
        v = (
            params.purchase_constant
            + float(c.beta[row]) * money
            + QUALITY_WEIGHT * float(offers.quality[j])
            + REPUTATION_WEIGHT * float(c.reputation[row, f])
            + float(offers.appeal[j])
        )
        if c.peer_share is not None and params.peer_weight:
            v += params.peer_weight * float(c.peer_share[row, f])
        if c.loyalty is not None and c.loyal_firm is not None and int(c.loyal_firm[row]) == f:
            v += float(c.loyalty[row])
        vs.append(v)
    top = max(vs)
    es = [math.exp(v - top) for v in vs]
    total = sum(es)
    acc = 0.0
    for k, e in enumerate(es):
        acc += e / total
        if acc >= u:
            return k - 1
    return len(es) - 2
